//! HCL syntax, as plumbline reads it: a small tree of bodies, blocks, attributes and
//! expressions in which every node keeps the [`Origin`] it was written at.
//!
//! The text is parsed by `hcl-edit` (the maintained HCL parser that keeps byte spans). Its
//! tree is converted once into this one, which holds only what rules and resolution need and
//! is cheap to walk. `hcl-edit` stops at the first syntax error; [`parse`] then parses each
//! top-level block on its own, so a broken block costs only that block: the others are kept
//! and the error is located.

use std::ops::Range;
use std::sync::Arc;

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::repr::Span as _;
use hcl_edit::structure::{BlockLabel, Structure};
use hcl_edit::template::{Element, Template};

use crate::parse::{ParseError, Spanned};
use crate::source::{Origin, SourceFile, Span};

/// A body: the attributes and nested blocks between `{` and `}` (or a whole file).
#[derive(Debug, Clone, Default)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
}

impl Body {
    /// The attribute `key`, if the body sets it.
    pub fn get(&self, key: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.key.value == key)
    }

    /// The nested blocks of type `kind` (`container`, `port`), in order.
    pub fn blocks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.kind.value == kind)
    }

    /// The first nested block of type `kind`.
    pub fn block(&self, kind: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.kind.value == kind)
    }

    /// The `dynamic "<kind>"` blocks that generate blocks of type `kind`: their content is
    /// decided by a `for_each` and cannot be read statically.
    pub fn has_dynamic(&self, kind: &str) -> bool {
        self.blocks_of("dynamic")
            .any(|b| b.labels.first().is_some_and(|l| l.value == kind))
    }
}

/// `kind "label" "label" { body }`.
#[derive(Debug, Clone)]
pub struct Block {
    /// The block type (`resource`, `container`) and where it is written.
    pub kind: Spanned<String>,
    pub labels: Vec<Spanned<String>>,
    pub body: Body,
    /// The whole block.
    pub at: Origin,
}

impl Block {
    /// The `n`th label's text (`resource "type" "name"`: 0 is the type, 1 the name).
    pub fn label(&self, n: usize) -> Option<&str> {
        self.labels.get(n).map(|l| l.value.as_str())
    }
}

/// `key = value`.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub key: Spanned<String>,
    pub value: Node,
    /// The whole attribute.
    pub at: Origin,
}

/// An expression and where it is written.
#[derive(Debug, Clone)]
pub struct Node {
    pub expr: Expr,
    pub at: Origin,
}

/// The expressions of HCL's expression language, as far as plumbline reads them.
#[derive(Debug, Clone)]
pub enum Expr {
    Null,
    Bool(bool),
    /// A number as written (`1`, `0.5`, `1e3`).
    Number(String),
    /// A quoted string without interpolation.
    Str(String),
    /// A string (or heredoc) with `${…}` interpolations.
    Template(Vec<Piece>),
    Array(Vec<Node>),
    /// `{ key = value }`; keys are identifiers or strings (an expression key is kept as its
    /// source text).
    Object(Vec<(Spanned<String>, Node)>),
    /// A reference: `var.x`, `local.y[0]`, `data.t.n.attr`, `each.value`.
    Ref(Vec<Step>),
    /// A function call and its arguments.
    Call(String, Vec<Node>),
    /// Anything else (conditionals, operators, `for` expressions, template directives): its
    /// value is unknown here, but the expressions inside it are kept so that rules can see
    /// what it refers to.
    Other(Vec<Node>),
}

/// One step of a reference.
#[derive(Debug, Clone)]
pub enum Step {
    /// `.name`, and the first element (`var`, `local`, `data`, a resource type).
    Attr(String),
    /// `[expr]` or the legacy `.0`.
    Index(Box<Node>),
    /// `[*]` or `.*`.
    Splat,
}

/// A part of a template string.
#[derive(Debug, Clone)]
pub enum Piece {
    Literal(String),
    Interpolation(Node),
}

impl Node {
    /// Every expression inside this one, itself included, depth first.
    pub fn walk<'a>(&'a self, out: &mut Vec<&'a Node>) {
        out.push(self);
        match &self.expr {
            Expr::Template(pieces) => {
                for p in pieces {
                    if let Piece::Interpolation(n) = p {
                        n.walk(out);
                    }
                }
            }
            Expr::Array(items) | Expr::Call(_, items) | Expr::Other(items) => {
                for n in items {
                    n.walk(out);
                }
            }
            Expr::Object(entries) => {
                for (_, n) in entries {
                    n.walk(out);
                }
            }
            Expr::Ref(steps) => {
                for s in steps {
                    if let Step::Index(n) = s {
                        n.walk(out);
                    }
                }
            }
            Expr::Null | Expr::Bool(_) | Expr::Number(_) | Expr::Str(_) => {}
        }
    }

    /// The leading names of a reference (`["var", "x"]` for `var.x[0].y`), up to the first
    /// index or splat.
    pub fn ref_names(&self) -> Option<Vec<&str>> {
        let Expr::Ref(steps) = &self.expr else {
            return None;
        };
        Some(
            steps
                .iter()
                .map_while(|s| match s {
                    Step::Attr(a) => Some(a.as_str()),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The entry `key` of an object expression.
    pub fn entry(&self, key: &str) -> Option<&Node> {
        match &self.expr {
            Expr::Object(entries) => entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// What parsing one file gives: its body (what could be read) and its syntax errors.
pub struct ParsedBody {
    pub body: hcl_edit::structure::Body,
    pub errors: Vec<ParseError>,
}

/// Parses HCL text. On a syntax error, each top-level block is parsed on its own (the rest of
/// the text blanked out, so offsets stay those of the file) and the blocks that parse are
/// kept; each block that does not gives one located error.
pub fn parse(text: &str) -> ParsedBody {
    match parse_guarded(text) {
        Ok(body) => ParsedBody {
            body,
            errors: Vec::new(),
        },
        Err(first) => {
            let chunks = top_level_chunks(text);
            // Each chunk is parsed with the whole text's length: past a budget (a generated
            // or pathological file), only the first error is reported.
            if chunks.len().saturating_mul(text.len()) > RECOVERY_BUDGET {
                return ParsedBody {
                    body: hcl_edit::structure::Body::new(),
                    errors: vec![first],
                };
            }
            let mut body = hcl_edit::structure::Body::new();
            let mut errors = Vec::new();
            for chunk in chunks {
                let mut masked: Vec<u8> = text
                    .bytes()
                    .map(|b| if b == b'\n' || b == b'\r' { b } else { b' ' })
                    .collect();
                masked[chunk.clone()].copy_from_slice(&text.as_bytes()[chunk.clone()]);
                // Chunks start and end at line boundaries and the rest is ASCII spaces.
                let Ok(masked) = String::from_utf8(masked) else {
                    continue;
                };
                match parse_guarded(&masked) {
                    Ok(part) => {
                        for s in part.into_iter() {
                            body.push(s);
                        }
                    }
                    // The error may sit in the blanked part, where a position between two
                    // spaces can fall inside a character of the real text (found by fuzzing).
                    Err(e) => errors.push(on_char_boundaries(text, e)),
                }
            }
            if errors.is_empty() {
                // The chunks parse on their own but not together: report the first error.
                errors.push(first);
                body = hcl_edit::structure::Body::new();
            }
            ParsedBody { body, errors }
        }
    }
}

/// `e` with its span widened to the characters of `text` it touches.
fn on_char_boundaries(text: &str, mut e: ParseError) -> ParseError {
    let mut start = e.span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = e.span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    e.span = Span::new(start, end);
    e
}

/// How many bytes error recovery may parse in all (chunks × file length).
const RECOVERY_BUDGET: usize = 64 * 1024 * 1024;

/// `hcl_edit::parser::parse_body`, with its error turned into a located [`ParseError`] and a
/// panic inside the parser (none is known) turned into an error rather than a crash.
fn parse_guarded(text: &str) -> Result<hcl_edit::structure::Body, ParseError> {
    let result = std::panic::catch_unwind(|| hcl_edit::parser::parse_body(text));
    match result {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => {
            let start = e.location().offset().min(text.len());
            let end = text[start..]
                .find(['\n', '\r'])
                .map_or(text.len(), |i| start + i)
                .max(start);
            Err(ParseError::new(
                format!("HCL syntax error: {}", e.message()),
                Span::new(start, end),
            ))
        }
        Err(_) => Err(ParseError::new(
            "the HCL parser failed on this file",
            Span::new(0, 0),
        )),
    }
}

/// Byte ranges of the top-level constructs: each starts at a line whose first character
/// begins an identifier (a block type or attribute name) and runs to the next such line.
fn top_level_chunks(text: &str) -> Vec<Range<usize>> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            starts.push(offset);
        }
        offset += line.len();
    }
    let mut chunks = Vec::new();
    for (i, s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        chunks.push(*s..end);
    }
    chunks
}

/// Converts a parsed body into plumbline's tree, with origins in `file`.
pub fn convert(file: &Arc<SourceFile>, body: &hcl_edit::structure::Body) -> Body {
    Converter { file }.body(body)
}

struct Converter<'a> {
    file: &'a Arc<SourceFile>,
}

impl Converter<'_> {
    fn origin(&self, span: Option<Range<usize>>) -> Origin {
        let r = span.unwrap_or(0..0);
        Origin::new(self.file, Span::new(r.start, r.end))
    }

    fn body(&self, body: &hcl_edit::structure::Body) -> Body {
        let mut out = Body::default();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => out.attributes.push(Attribute {
                    key: Spanned::new(a.key.as_str().to_string(), self.origin(a.key.span())),
                    value: self.node(&a.value),
                    at: self.origin(a.span()),
                }),
                Structure::Block(b) => out.blocks.push(Block {
                    kind: Spanned::new(b.ident.as_str().to_string(), self.origin(b.ident.span())),
                    labels: b
                        .labels
                        .iter()
                        .map(|l| {
                            // A quoted label is located without its quotes.
                            let span = match l {
                                BlockLabel::Ident(i) => i.span(),
                                BlockLabel::String(s) => s.span().map(|r| {
                                    if r.end >= r.start + 2 {
                                        r.start + 1..r.end - 1
                                    } else {
                                        r
                                    }
                                }),
                            };
                            Spanned::new(l.as_str().to_string(), self.origin(span))
                        })
                        .collect(),
                    body: self.body(&b.body),
                    at: self.origin(b.span()),
                }),
            }
        }
        out
    }

    fn node(&self, e: &Expression) -> Node {
        Node {
            expr: self.expr(e),
            at: self.origin(e.span()),
        }
    }

    fn expr(&self, e: &Expression) -> Expr {
        match e {
            Expression::Null(_) => Expr::Null,
            Expression::Bool(b) => Expr::Bool(*b.value()),
            Expression::Number(n) => Expr::Number(n.value().to_string()),
            Expression::String(s) => Expr::Str(s.value().clone()),
            Expression::Array(a) => Expr::Array(a.iter().map(|x| self.node(x)).collect()),
            Expression::Object(o) => Expr::Object(
                o.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            hcl_edit::expr::ObjectKey::Ident(i) => {
                                Spanned::new(i.as_str().to_string(), self.origin(i.span()))
                            }
                            hcl_edit::expr::ObjectKey::Expression(x) => {
                                let at = self.origin(x.span());
                                let text = match x {
                                    Expression::String(s) => s.value().clone(),
                                    _ => at.text().to_string(),
                                };
                                Spanned::new(text, at)
                            }
                        };
                        (key, self.node(v.expr()))
                    })
                    .collect(),
            ),
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => Expr::Ref(vec![Step::Attr(v.as_str().to_string())]),
            Expression::Traversal(t) => {
                let mut steps = match self.expr(&t.expr) {
                    Expr::Ref(steps) => steps,
                    // `f(x).y`, `[a, b][0]`: not a reference we can follow.
                    _ => {
                        let mut inner = vec![self.node(&t.expr)];
                        for op in &t.operators {
                            if let TraversalOperator::Index(i) = op.value() {
                                inner.push(self.node(i));
                            }
                        }
                        return Expr::Other(inner);
                    }
                };
                for op in &t.operators {
                    steps.push(match op.value() {
                        TraversalOperator::GetAttr(i) => Step::Attr(i.as_str().to_string()),
                        TraversalOperator::Index(i) => Step::Index(Box::new(self.node(i))),
                        TraversalOperator::LegacyIndex(i) => Step::Index(Box::new(Node {
                            expr: Expr::Number(i.value().to_string()),
                            at: self.origin(i.span()),
                        })),
                        TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                            Step::Splat
                        }
                    });
                }
                Expr::Ref(steps)
            }
            Expression::FuncCall(f) => Expr::Call(
                f.name.name.as_str().to_string(),
                f.args.iter().map(|a| self.node(a)).collect(),
            ),
            Expression::Conditional(c) => Expr::Other(vec![
                self.node(&c.cond_expr),
                self.node(&c.true_expr),
                self.node(&c.false_expr),
            ]),
            Expression::UnaryOp(u) => Expr::Other(vec![self.node(&u.expr)]),
            Expression::BinaryOp(b) => {
                Expr::Other(vec![self.node(&b.lhs_expr), self.node(&b.rhs_expr)])
            }
            Expression::ForExpr(f) => {
                let mut inner = vec![self.node(&f.intro.collection_expr)];
                if let Some(k) = &f.key_expr {
                    inner.push(self.node(k));
                }
                inner.push(self.node(&f.value_expr));
                Expr::Other(inner)
            }
        }
    }

    fn template(&self, t: &Template) -> Expr {
        let mut pieces = Vec::new();
        let mut directive = Vec::new();
        for el in t.iter() {
            match el {
                Element::Literal(s) => pieces.push(Piece::Literal(s.value().clone())),
                Element::Interpolation(i) => pieces.push(Piece::Interpolation(self.node(&i.expr))),
                Element::Directive(_) => directive.push(()),
            }
        }
        if !directive.is_empty() {
            // `%{ if }`/`%{ for }`: the text depends on evaluation.
            let inner = pieces
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Interpolation(n) => Some(n),
                    Piece::Literal(_) => None,
                })
                .collect();
            return Expr::Other(inner);
        }
        match pieces.as_slice() {
            [] => Expr::Str(String::new()),
            [Piece::Literal(s)] => Expr::Str(s.clone()),
            _ => Expr::Template(pieces),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;

    fn file(text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile::in_memory("main.tf", Format::Terraform, text))
    }

    #[test]
    fn recovered_error_spans_fall_on_character_boundaries() {
        let e = on_char_boundaries("aé b", ParseError::new("x", Span::new(2, 2)));
        assert_eq!(e.span, Span::new(1, 3));
        let e = on_char_boundaries("aé b", ParseError::new("x", Span::new(0, 2)));
        assert_eq!(e.span, Span::new(0, 3));
        // The fuzzer's inputs: broken blocks beside blocks with multi-byte text.
        for bytes in [
            &include_bytes!(
                "../../../tests/fuzz-regressions/terraform/recovered-error-inside-multibyte-char-1"
            )[..],
            include_bytes!(
                "../../../tests/fuzz-regressions/terraform/recovered-error-inside-multibyte-char-2"
            ),
            include_bytes!(
                "../../../tests/fuzz-regressions/terraform/recovered-error-inside-multibyte-char-3"
            ),
            include_bytes!(
                "../../../tests/fuzz-regressions/terraform/recovered-error-inside-multibyte-char-4"
            ),
            include_bytes!(
                "../../../tests/fuzz-regressions/terraform/recovered-error-inside-multibyte-char-5"
            ),
        ] {
            let text = String::from_utf8_lossy(bytes).into_owned();
            for e in parse(&text).errors {
                assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
            }
        }
    }

    #[test]
    fn spans_point_at_values() {
        let text = "resource \"a\" \"b\" {\n  image = \"nginx:${var.tag}\"\n  n = 5\n}\n";
        let f = file(text);
        let parsed = parse(text);
        assert!(parsed.errors.is_empty());
        let body = convert(&f, &parsed.body);
        let block = &body.blocks[0];
        assert_eq!(block.kind.value, "resource");
        assert_eq!(block.label(0), Some("a"));
        assert_eq!(block.labels[1].at.text(), "b");
        let image = block.body.get("image").unwrap();
        assert_eq!(image.value.at.text(), "\"nginx:${var.tag}\"");
        let Expr::Template(pieces) = &image.value.expr else {
            panic!("a template")
        };
        let Piece::Interpolation(n) = &pieces[1] else {
            panic!("an interpolation")
        };
        assert_eq!(n.ref_names(), Some(vec!["var", "tag"]));
        assert_eq!(block.body.get("n").unwrap().value.at.text(), "5");
    }

    #[test]
    fn a_broken_block_keeps_the_others() {
        let text = "variable \"a\" {\n  default = 1\n}\nresource \"x\" \"y\" {\n  a = \n}\nvariable \"b\" {}\n";
        let parsed = parse(text);
        assert_eq!(parsed.errors.len(), 1);
        let e = &parsed.errors[0];
        let line = file(text).line_col(e.span.start).line;
        assert_eq!(line, 5, "{e:?}");
        let body = convert(&file(text), &parsed.body);
        let labels: Vec<_> = body.blocks.iter().filter_map(|b| b.label(0)).collect();
        assert_eq!(labels, ["a", "b"]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "{{{",
            "resource \"x\" {",
            "a = [1, 2",
            "\u{feff}x = \"é",
            "}}}\n\n\t",
        ] {
            let parsed = parse(text);
            assert!(!parsed.errors.is_empty(), "{text:?}");
        }
        assert!(parse("").errors.is_empty());
    }
}
