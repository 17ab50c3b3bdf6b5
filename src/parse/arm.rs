//! ARM JSON templates (`azuredeploy.json`, Bicep's compiled `main.json`: the
//! `deploymentTemplate.json` `$schema`) and parameter files (`*.parameters.json`,
//! `*.parameters.<env>.json`, `params.<env>.json`: the `deploymentParameters.json`
//! `$schema`), read into the same statements the Bicep parser gives, so that every Bicep
//! rule and [`crate::render::bicep`]'s resolution (vars, param defaults, parameter files)
//! apply to them unchanged.
//!
//! - `parameters` become `param`s (`securestring`/`secureObject` are `@secure()`), with
//!   `defaultValue` as the default; `variables` become `var`s; `resources` (an array, or the
//!   symbolic-name object of language version 2.0, nested `resources` flattened with their
//!   parent's type prefixed) become `resource`s of type `type@apiVersion` whose body is the
//!   resource object; `outputs` become `output`s.
//! - The expression language is parsed where a string is one (`"[…]"`; `"[[` is a literal
//!   `[`): `parameters('x')` and `variables('x')` become references to `x`; `concat(…)` and
//!   `format('{0}…', …)` become interpolated strings; `if(c, a, b)` a condition; other calls,
//!   member access and indexing keep their shape. Literal strings inside an expression keep
//!   their place in the file when the JSON string has no escapes before them.
//! - In a parameter file, `{"value": …}` is the param's value and `{"reference": {"keyVault":
//!   …}}` a Key Vault reference (a call, never a literal); azd's `"${AZURE_LOCATION}"`
//!   placeholders are filled at deploy time, so unknown.

use std::sync::Arc;

use super::ParseError;
use super::bicep::Parsed;
use super::bicep::syntax::{Expr, ExprKind, Ident, Key, Property, Statement, StmtKind, StrPart};
use super::json;
use super::yaml::{Node, Value};
use crate::source::{SourceFile, Span};

/// Reads an ARM template or parameter file.
pub fn parse(file: &Arc<SourceFile>) -> Parsed {
    let (root, mut errors) = json::parse(file);
    let mut statements = Vec::new();
    let Some(root) = root else {
        return Parsed {
            using: None,
            errors,
            statements,
        };
    };
    let mut cx = Cx {
        file,
        errors: &mut errors,
    };
    let params = file.format == crate::source::Format::ArmParameters;
    if let Some(ps) = root.get("parameters") {
        for (name, e) in ps.entries() {
            let ident = Ident {
                name: name.to_string(),
                span: e.key.span,
            };
            if params {
                // `{"value": …}` or `{"reference": {"keyVault": …}}`.
                let value = if let Some(v) = e.value.get("value") {
                    // azd fills `${AZURE_LOCATION}` (or `${NAME=default}`) from the
                    // environment when it deploys: unknown here, never a literal.
                    if v.as_str().is_some_and(|t| t.contains("${")) {
                        Expr {
                            kind: ExprKind::Call {
                                callee: Box::new(ident_expr("environment", v.span)),
                                args: Vec::new(),
                            },
                            span: v.span,
                        }
                    } else {
                        cx.value(v)
                    }
                } else if let Some(r) = e.value.get("reference") {
                    Expr {
                        kind: ExprKind::Call {
                            callee: Box::new(ident_expr("reference", r.span)),
                            args: vec![cx.value(r)],
                        },
                        span: r.span,
                    }
                } else {
                    continue;
                };
                statements.push(Statement {
                    decorators: Vec::new(),
                    kind: StmtKind::Param {
                        name: ident,
                        ty: None,
                        value: Some(value),
                    },
                    span: Span::new(e.key.span.start, e.value.span.end),
                });
                continue;
            }
            let ty = e
                .value
                .get("type")
                .and_then(|t| Some((t.as_str()?.to_string(), t.span)));
            let secure = ty
                .as_ref()
                .is_some_and(|(t, _)| t.to_ascii_lowercase().starts_with("secure"));
            let decorators = if secure {
                vec![Expr {
                    kind: ExprKind::Call {
                        callee: Box::new(ident_expr("secure", e.key.span)),
                        args: Vec::new(),
                    },
                    span: e.key.span,
                }]
            } else {
                Vec::new()
            };
            let default = e.value.get("defaultValue").map(|d| cx.value(d));
            statements.push(Statement {
                decorators,
                kind: StmtKind::Param {
                    name: ident,
                    ty,
                    value: default,
                },
                span: Span::new(e.key.span.start, e.value.span.end),
            });
        }
    }
    if params {
        return Parsed {
            using: None,
            errors,
            statements,
        };
    }
    if let Some(vs) = root.get("variables") {
        for (name, e) in vs.entries() {
            // `copy` builds variables by loops: left out.
            if name == "copy" {
                continue;
            }
            statements.push(Statement {
                decorators: Vec::new(),
                kind: StmtKind::Var {
                    name: Ident {
                        name: name.to_string(),
                        span: e.key.span,
                    },
                    value: cx.value(&e.value),
                },
                span: Span::new(e.key.span.start, e.value.span.end),
            });
        }
    }
    if let Some(rs) = root.get("resources") {
        let mut list: Vec<(Option<&Node>, &Node)> = Vec::new();
        match &rs.value {
            Value::Seq(items) => list.extend(items.iter().map(|i| (None, i))),
            Value::Map(entries) => list.extend(entries.iter().map(|e| (Some(&e.key), &e.value))),
            Value::Scalar(_) => {}
        }
        let mut n = 0;
        for (symbol, r) in list {
            cx.resource(symbol, r, None, &mut n, &mut statements);
        }
    }
    if let Some(os) = root.get("outputs") {
        for (name, e) in os.entries() {
            let Some(v) = e.value.get("value") else {
                continue;
            };
            let ty = e
                .value
                .get("type")
                .and_then(|t| Some((t.as_str()?.to_string(), t.span)))
                .unwrap_or_else(|| (String::new(), e.key.span));
            statements.push(Statement {
                decorators: Vec::new(),
                kind: StmtKind::Output {
                    name: Ident {
                        name: name.to_string(),
                        span: e.key.span,
                    },
                    ty,
                    value: cx.value(v),
                },
                span: Span::new(e.key.span.start, e.value.span.end),
            });
        }
    }
    Parsed {
        using: None,
        errors,
        statements,
    }
}

fn ident_expr(name: &str, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Ident(name.to_string()),
        span,
    }
}

/// Deepest ARM expression nesting read.
const MAX_DEPTH: usize = 64;

struct Cx<'a> {
    file: &'a Arc<SourceFile>,
    errors: &'a mut Vec<ParseError>,
}

impl Cx<'_> {
    /// A resource (and its nested `resources`, with the parent's type prefixed).
    fn resource(
        &mut self,
        symbol: Option<&Node>,
        r: &Node,
        parent_type: Option<&str>,
        n: &mut usize,
        out: &mut Vec<Statement>,
    ) {
        let Some(ty) = r.get("type").and_then(Node::as_str) else {
            return;
        };
        let ty = match parent_type {
            Some(p) if !ty.contains('/') => format!("{p}/{ty}"),
            _ => ty.to_string(),
        };
        let api = r.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        let type_span = r.get("type").map_or(r.span, |t| t.span);
        *n += 1;
        // A symbolic name when the template has one, else its literal `name`, else the
        // type's last segment and a number (`containerApps1`): what messages name it by.
        let literal_name = r
            .get("name")
            .and_then(Node::as_str)
            .filter(|n| !n.starts_with('[') && !n.contains('/'));
        let name = match symbol.and_then(Node::as_str).or(literal_name) {
            Some(s) => s.to_string(),
            None => format!("{}{n}", ty.rsplit('/').next().unwrap_or("resource")),
        };
        out.push(Statement {
            decorators: Vec::new(),
            kind: StmtKind::Resource {
                name: Ident {
                    name,
                    span: symbol.map_or(type_span, |s| s.span),
                },
                type_ref: (format!("{ty}@{api}"), type_span),
                existing: r.get("existing").and_then(Node::as_bool) == Some(true),
                value: self.value(r),
            },
            span: r.span,
        });
        if let Some(Value::Seq(children)) = r.get("resources").map(|c| &c.value) {
            for c in children {
                self.resource(None, c, Some(&ty), n, out);
            }
        }
    }

    /// A JSON value as an expression.
    fn value(&mut self, v: &Node) -> Expr {
        let kind = match &v.value {
            Value::Map(entries) => ExprKind::Object(
                entries
                    .iter()
                    .map(|e| Property {
                        key: Some(Key {
                            name: e.key.as_str().map(str::to_string),
                            span: e.key.span,
                        }),
                        value: self.value(&e.value),
                    })
                    .collect(),
            ),
            Value::Seq(items) => ExprKind::Array(items.iter().map(|i| self.value(i)).collect()),
            Value::Scalar(s) if s.plain => match s.text.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "null" => ExprKind::Null,
                t => match t.parse::<i64>() {
                    Ok(i) => ExprKind::Int(i),
                    // A fraction: kept as its text.
                    Err(_) => ExprKind::Str(vec![StrPart::Text(t.to_string(), v.span)]),
                },
            },
            Value::Scalar(s) => {
                let t = &s.text;
                if t.starts_with('[') && t.ends_with(']') && !t.starts_with("[[") {
                    return self.expression(v, &t[1..t.len() - 1]);
                }
                let text = t
                    .strip_prefix("[[")
                    .map_or_else(|| t.clone(), |r| format!("[{r}"));
                ExprKind::Str(vec![StrPart::Text(text, v.span)])
            }
        };
        Expr { kind, span: v.span }
    }

    /// An expression string's body (between `[` and `]`), parsed.
    fn expression(&mut self, node: &Node, body: &str) -> Expr {
        // Offsets into the file are exact when the JSON string has no escapes.
        let raw = node.origin();
        let exact = raw.text().len() == body.len() + 4;
        let base = node.span.start + 2;
        let mut p = ExprParser {
            text: body,
            pos: 0,
            base,
            exact,
            whole: node.span,
        };
        match p.expr(0) {
            Ok(e) => {
                p.ws();
                if p.pos < body.len() {
                    self.errors.push(ParseError::new(
                        "unexpected text after an ARM expression",
                        p.span(p.pos, body.len()),
                    ));
                }
                e
            }
            Err(message) => {
                let at = p.span(p.pos, (p.pos + 1).min(body.len()));
                self.errors.push(ParseError::new(message, at));
                Expr {
                    kind: ExprKind::Call {
                        callee: Box::new(ident_expr("unreadable", node.span)),
                        args: Vec::new(),
                    },
                    span: node.span,
                }
            }
        }
        .with_file(self.file)
    }
}

trait WithFile {
    fn with_file(self, file: &Arc<SourceFile>) -> Self;
}

impl WithFile for Expr {
    /// Spans past the file's end (a bad offset computation) are clamped.
    fn with_file(mut self, file: &Arc<SourceFile>) -> Self {
        let len = file.text.len();
        if self.span.end > len {
            self.span = Span::new(self.span.start.min(len), len);
        }
        self
    }
}

/// The ARM expression language: calls, string literals in single quotes (`''` escapes one),
/// numbers, `true`/`false`/`null`, member access and indexing.
struct ExprParser<'t> {
    text: &'t str,
    pos: usize,
    /// File offset of `text`'s first byte.
    base: usize,
    /// Whether `base + pos` is the file offset of `pos`.
    exact: bool,
    /// The whole JSON string, where inexact spans point.
    whole: Span,
}

impl ExprParser<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        if self.exact {
            Span::new(self.base + start, self.base + end)
        } else {
            self.whole
        }
    }

    fn ws(&mut self) {
        while self.text[self.pos..].starts_with([' ', '\t', '\n', '\r']) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "ARM expression nested deeper than {MAX_DEPTH} levels"
            ));
        }
        self.ws();
        let start = self.pos;
        let mut e = match self.peek() {
            Some('\'') => {
                self.pos += 1;
                let mut s = String::new();
                loop {
                    match self.peek() {
                        None => return Err("a string in an ARM expression is not closed".into()),
                        Some('\'') if self.text[self.pos + 1..].starts_with('\'') => {
                            s.push('\'');
                            self.pos += 2;
                        }
                        Some('\'') => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) => {
                            s.push(c);
                            self.pos += c.len_utf8();
                        }
                    }
                }
                let span = self.span(start, self.pos);
                let inner = self.span(start + 1, self.pos - 1);
                Expr {
                    kind: ExprKind::Str(vec![StrPart::Text(s, inner)]),
                    span,
                }
            }
            Some(c) if c.is_ascii_digit() || c == '-' => {
                self.pos += 1;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.pos += 1;
                }
                let t = &self.text[start..self.pos];
                let span = self.span(start, self.pos);
                match t.parse::<i64>() {
                    Ok(i) => Expr {
                        kind: ExprKind::Int(i),
                        span,
                    },
                    Err(_) => Expr {
                        kind: ExprKind::Str(vec![StrPart::Text(t.to_string(), span)]),
                        span,
                    },
                }
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                {
                    // `.` continues a namespaced function (`udf.name`), not member access,
                    // only when followed by a name and then `(`; member access is handled
                    // below.
                    if self.peek() == Some('.') {
                        // `namespace.function(` (user-defined functions, `__bicep.…`).
                        let rest = &self.text[self.pos + 1..];
                        let word = rest
                            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .unwrap_or(rest.len());
                        if word > 0 && rest[word..].starts_with('(') {
                            self.pos += 1 + word;
                        }
                        break;
                    }
                    self.pos += 1;
                }
                let name = self.text[start..self.pos].to_string();
                let name_span = self.span(start, self.pos);
                if !self.eat('(') {
                    let kind = match name.as_str() {
                        "true" => ExprKind::Bool(true),
                        "false" => ExprKind::Bool(false),
                        "null" => ExprKind::Null,
                        _ => ExprKind::Ident(name),
                    };
                    Expr {
                        kind,
                        span: name_span,
                    }
                } else {
                    let mut args = Vec::new();
                    if !self.eat(')') {
                        loop {
                            args.push(self.expr(depth + 1)?);
                            if self.eat(',') {
                                continue;
                            }
                            if self.eat(')') {
                                break;
                            }
                            return Err("expected `,` or `)` in an ARM function call".into());
                        }
                    }
                    let span = self.span(start, self.pos);
                    call(&name, name_span, args, span)
                }
            }
            _ => return Err("expected an ARM expression".into()),
        };
        // Member access and indexing.
        loop {
            self.ws();
            if self.eat('.') {
                self.ws();
                let s = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                {
                    self.pos += 1;
                }
                if s == self.pos {
                    return Err("expected a property name after `.`".into());
                }
                e = Expr {
                    kind: ExprKind::Member {
                        base: Box::new(e),
                        name: self.text[s..self.pos].to_string(),
                        safe: false,
                    },
                    span: self.span(start, self.pos),
                };
            } else if self.eat('[') {
                let index = self.expr(depth + 1)?;
                if !self.eat(']') {
                    return Err("expected `]` after an index".into());
                }
                e = Expr {
                    kind: ExprKind::Index {
                        base: Box::new(e),
                        index: Box::new(index),
                        safe: false,
                    },
                    span: self.span(start, self.pos),
                };
            } else {
                break;
            }
        }
        Ok(e)
    }
}

/// A function call, in Bicep's terms where Bicep has one.
fn call(name: &str, name_span: Span, mut args: Vec<Expr>, span: Span) -> Expr {
    let lower = name.to_ascii_lowercase();
    let kind = match (lower.as_str(), args.as_slice()) {
        ("parameters" | "variables", [arg]) => match arg.as_plain_str() {
            Some(n) => ExprKind::Ident(n),
            None => ExprKind::Call {
                callee: Box::new(ident_expr(name, name_span)),
                args,
            },
        },
        ("concat", _) if args.iter().all(|a| !matches!(a.kind, ExprKind::Array(_))) => {
            let mut parts = Vec::new();
            for a in args {
                match a.kind {
                    ExprKind::Str(p) => parts.extend(p),
                    _ => parts.push(StrPart::Interp(a)),
                }
            }
            ExprKind::Str(parts)
        }
        ("format", [first, ..]) if first.as_plain_str().is_some() => {
            let fmt = first.as_plain_str().unwrap_or_default();
            let fmt_span = first.span;
            let rest: Vec<Expr> = args.drain(1..).collect();
            let mut parts = Vec::new();
            let mut lit = String::new();
            let mut chars = fmt.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '{' && chars.peek().is_some_and(char::is_ascii_digit) {
                    let mut num = String::new();
                    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                        num.push(d);
                        chars.next();
                    }
                    // `{0:format}`: the format is dropped.
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                    }
                    if !lit.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut lit), fmt_span));
                    }
                    match num.parse::<usize>().ok().and_then(|i| rest.get(i)) {
                        Some(a) => parts.push(StrPart::Interp(a.clone())),
                        None => parts.push(StrPart::Interp(ident_expr("unknown", fmt_span))),
                    }
                } else {
                    lit.push(c);
                }
            }
            if !lit.is_empty() {
                parts.push(StrPart::Text(lit, fmt_span));
            }
            ExprKind::Str(parts)
        }
        ("if", [_, _, _]) => {
            let otherwise = args.pop().expect("three");
            let then = args.pop().expect("two");
            let cond = args.pop().expect("one");
            ExprKind::Ternary {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            }
        }
        _ => ExprKind::Call {
            callee: Box::new(ident_expr(name, name_span)),
            args,
        },
    };
    Expr { kind, span }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;

    fn parsed(text: &str) -> (Arc<SourceFile>, Parsed) {
        let format = crate::source::detect::arm_kind(text).unwrap_or(Format::ArmTemplate);
        let f = Arc::new(SourceFile::in_memory("azuredeploy.json", format, text));
        let p = parse(&f);
        (f, p)
    }

    const TEMPLATE: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "tag": { "type": "string", "defaultValue": "latest" },
    "dbPassword": { "type": "securestring" }
  },
  "variables": {
    "image": "[concat('acme.azurecr.io/api:', parameters('tag'))]",
    "name": "[format('{0}-app', 'shop')]"
  },
  "resources": [
    {
      "type": "Microsoft.App/containerApps",
      "apiVersion": "2024-03-01",
      "name": "[variables('name')]",
      "properties": {
        "template": {
          "containers": [ { "name": "api", "image": "[variables('image')]" } ]
        },
        "configuration": { "secrets": [ { "name": "db", "value": "[if(true(), parameters('dbPassword'), 'x')]" } ] }
      }
    }
  ]
}"#;

    #[test]
    fn templates_become_bicep_statements() {
        let (f, p) = parsed(TEMPLATE);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let kinds: Vec<&str> = p
            .statements
            .iter()
            .map(|s| match &s.kind {
                StmtKind::Param { .. } => "param",
                StmtKind::Var { .. } => "var",
                StmtKind::Resource { .. } => "resource",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["param", "param", "var", "var", "resource"]);
        assert!(p.statements[1].has_decorator("secure"));
        let StmtKind::Var { value, .. } = &p.statements[2].kind else {
            panic!()
        };
        let ExprKind::Str(parts) = &value.kind else {
            panic!("{value:?}")
        };
        assert!(matches!(&parts[0], StrPart::Text(t, _) if t == "acme.azurecr.io/api:"));
        assert!(matches!(&parts[1], StrPart::Interp(e) if e.kind == ExprKind::Ident("tag".into())));
        // The literal keeps its place in the file.
        let StrPart::Text(_, span) = &parts[0] else {
            panic!()
        };
        assert_eq!(f.slice(*span), "acme.azurecr.io/api:");
        let StmtKind::Resource { type_ref, .. } = &p.statements[4].kind else {
            panic!()
        };
        assert_eq!(type_ref.0, "Microsoft.App/containerApps@2024-03-01");
    }

    #[test]
    fn parameter_files_give_values_and_key_vault_references() {
        let text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "parameters": {
    "serviceImage": { "value": "acme.azurecr.io/service:latest" },
    "neo4jPassword": { "reference": { "keyVault": { "id": "/subscriptions/x" }, "secretName": "neo4j" } },
    "location": { "value": "${AZURE_LOCATION=westeurope}" }
  }
}"#;
        let (f, p) = parsed(text);
        let values: Vec<(&str, &Expr)> = p
            .statements
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::Param {
                    name,
                    value: Some(v),
                    ..
                } => Some((name.name.as_str(), v)),
                _ => None,
            })
            .collect();
        assert_eq!(values[0].0, "serviceImage");
        assert_eq!(
            f.slice(values[0].1.span),
            "\"acme.azurecr.io/service:latest\""
        );
        assert_eq!(values[1].1.call_name(), Some("reference"));
        // azd's placeholders are filled at deploy time.
        assert_eq!(values[2].1.call_name(), Some("environment"));
    }

    #[test]
    fn bad_expressions_are_located() {
        let (_, p) = parsed(
            r#"{"$schema": "deploymentTemplate.json", "variables": {"a": "[concat('x', ]"}}"#,
        );
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        let deep = format!(
            r#"{{"$schema": "deploymentTemplate.json", "variables": {{"a": "[{}1{}]"}}}}"#,
            "f(".repeat(100),
            ")".repeat(100)
        );
        let (_, p) = parsed(&deep);
        assert!(p.errors[0].message.contains("deeper than"));
    }
}
