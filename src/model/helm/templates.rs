//! A static reading of a chart's `templates/`: which values feed which container field.
//!
//! Templates are Go templates, not YAML: `{{- if }}` lines, `{{ toYaml .Values.x | nindent 8
//! }}` splices and `{{ include }}` helpers make most of them invalid YAML until Helm renders
//! them, so they are never handed to the YAML loader. Rendering them for real would need Go's
//! template engine, Sprig and the chart's library dependencies, none of which a linter can
//! run on a single checkout. Instead this module does a line-based *partial render* per
//! environment, which is enough because Kubernetes templates are written one YAML key per
//! line:
//!
//! - control actions (`if`/`else`/`with`/`range`/`define`/`end`) are followed with the
//!   environment's values: a condition that can be decided (`if .Values.metrics.enabled`,
//!   `if eq .Values.x true`, `if not …`, `and`/`or`) picks its branch, an undecidable one keeps
//!   the branch; `with` and `range` rebind `.`; `$var := …` binds variables;
//! - a value holding actions is evaluated (`.Values.a.b`, `$.Values…`, `.x` under `with`,
//!   `default`, `quote`, `printf`, `.Chart.AppVersion`); a value that is exactly one values
//!   reference becomes that values node, so its origin is the values file and line;
//! - an action alone on a line (`toYaml .Values.resources | nindent 12`, a helper given one
//!   values path) splices that values node in at the indentation `nindent` gives;
//! - helpers (`include "x.image" .`) are expanded only to learn the values paths they read,
//!   which is how bitnami's `image: {{ include "common.images.image" (dict "imageRoot"
//!   .Values.image …) }}` finds its image map.
//!
//! The lines that survive are assembled into a [`Node`] tree by indentation, and each
//! `containers:`/`initContainers:` item becomes a container. What cannot be evaluated stays
//! as its template text (a `{{ }}` scalar, i.e. unknown), never as a guess.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::helm::containers::{self, Ctx};
use crate::model::workload::{Container, Owner, Unresolved};
use crate::parse::yaml::{Entry, Node, Scalar, Value};
use crate::render::helm::{lookup, truthy};
use crate::source::{SourceFile, Span};

/// Nesting of rendered lines, helper expansion and expression groups is bounded so a
/// hostile template costs little.
const MAX_DEPTH: usize = 64;
/// At most this many lines are joined into one multi-line action.
const MAX_ACTION_LINES: usize = 50;

/// Helper bodies (`{{ define "name" }}…{{ end }}`) of every template file, by name.
#[derive(Debug, Default)]
pub struct Defines {
    bodies: HashMap<String, String>,
    /// Where each body is: its file and byte range, for helpers spliced in as YAML blocks.
    blocks: HashMap<String, (Arc<SourceFile>, usize, usize)>,
}

impl Defines {
    /// Collects the `define` blocks of all templates (helpers usually live in `_helpers.tpl`).
    pub fn collect(templates: &[Arc<SourceFile>]) -> Self {
        let mut bodies = HashMap::new();
        let mut blocks = HashMap::new();
        for t in templates {
            let mut current: Option<(String, usize, usize)> = None; // name, body start, depth
            for (start, action) in actions_with_offsets(&t.text) {
                let kw = keyword(&action.inner);
                match (&mut current, kw) {
                    (None, "define") => {
                        if let Some(name) = first_string(&action.inner) {
                            current = Some((name, action.end, 0));
                        }
                    }
                    (Some((_, _, depth)), "if" | "with" | "range" | "define" | "block") => {
                        *depth += 1;
                    }
                    (Some((name, body_start, depth)), "end") => {
                        if *depth == 0 {
                            if let Some(body) = t.text.get(*body_start..start) {
                                blocks.insert(name.clone(), (Arc::clone(t), *body_start, start));
                                bodies.insert(std::mem::take(name), body.to_string());
                            }
                            current = None;
                        } else {
                            *depth -= 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        Self { bodies, blocks }
    }
}

/// One `{{ … }}` with its inner text (trim markers and comments stripped).
struct Action {
    inner: String,
    /// Byte offset just after the closing `}}`.
    end: usize,
}

/// Every action of a text with the offset of its `{{`.
fn actions_with_offsets(text: &str) -> Vec<(usize, Action)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(rel) = text.get(pos..).and_then(|t| t.find("{{")) {
        let start = pos + rel;
        let Some(close_rel) = text.get(start + 2..).and_then(|t| t.find("}}")) else {
            break;
        };
        let end = start + 2 + close_rel + 2;
        let inner = text.get(start + 2..end - 2).unwrap_or_default();
        out.push((
            start,
            Action {
                inner: clean_action(inner),
                end,
            },
        ));
        pos = end;
    }
    out
}

/// Strips `-` trim markers and surrounding space; comments become empty.
fn clean_action(inner: &str) -> String {
    let t = inner.trim();
    let t = t.strip_prefix('-').unwrap_or(t);
    let t = t.strip_suffix('-').unwrap_or(t).trim();
    if t.starts_with("/*") {
        return String::new();
    }
    t.to_string()
}

/// The first word of an action (`if`, `end`, `toYaml`…), or `else` for `else if`.
fn keyword(inner: &str) -> &str {
    if inner.starts_with('(') {
        return "(";
    }
    inner
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or_default()
}

/// The first string literal of an action (`define "name"`).
fn first_string(inner: &str) -> Option<String> {
    let start = inner.find('"')? + 1;
    let len = inner.get(start..)?.find('"')?;
    Some(inner.get(start..start + len)?.to_string())
}

// ---------------------------------------------------------------------------------------
// Expressions

#[derive(Debug, Clone)]
enum Tok {
    Open,
    Close,
    /// `.field.path` written right after `)`: a field of the group's value.
    Field(String),
    Pipe,
    Str(String),
    Word(String),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Tok::Open),
            ')' => {
                out.push(Tok::Close);
                if chars.peek().is_some_and(|&(_, n)| n == '.') {
                    let mut w = String::new();
                    while let Some(&(_, n)) = chars.peek() {
                        if n.is_whitespace() || matches!(n, '(' | ')' | '|') {
                            break;
                        }
                        w.push(n);
                        chars.next();
                    }
                    out.push(Tok::Field(w));
                }
            }
            '|' => out.push(Tok::Pipe),
            '"' => {
                let mut v = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                v.push(e);
                            }
                        }
                        '"' => break,
                        c => v.push(c),
                    }
                }
                out.push(Tok::Str(v));
            }
            '`' => {
                let mut v = String::new();
                for (_, c) in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                    v.push(c);
                }
                out.push(Tok::Str(v));
            }
            c => {
                let mut w = String::from(c);
                while let Some(&(_, n)) = chars.peek() {
                    if n.is_whitespace() || matches!(n, '(' | ')' | '|') {
                        break;
                    }
                    w.push(n);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Arg {
    Word(String),
    Str(String),
    Group(Pipeline),
    /// `(group).field.path`.
    Field(Box<Arg>, String),
}

type Command = Vec<Arg>;
type Pipeline = Vec<Command>;

fn parse_pipeline(toks: &[Tok], i: &mut usize, depth: usize) -> Pipeline {
    let mut pipeline = vec![Vec::new()];
    while let Some(t) = toks.get(*i) {
        *i += 1;
        match t {
            Tok::Close => break,
            Tok::Pipe => pipeline.push(Vec::new()),
            Tok::Open => {
                let inner = if depth < MAX_DEPTH {
                    parse_pipeline(toks, i, depth + 1)
                } else {
                    Vec::new()
                };
                if let Some(cmd) = pipeline.last_mut() {
                    cmd.push(Arg::Group(inner));
                }
            }
            Tok::Str(s) => {
                if let Some(cmd) = pipeline.last_mut() {
                    cmd.push(Arg::Str(s.clone()));
                }
            }
            Tok::Field(f) => {
                if let Some(cmd) = pipeline.last_mut()
                    && let Some(base) = cmd.pop()
                {
                    cmd.push(Arg::Field(Box::new(base), f.clone()));
                }
            }
            Tok::Word(w) => {
                if let Some(cmd) = pipeline.last_mut() {
                    cmd.push(Arg::Word(w.clone()));
                }
            }
        }
    }
    pipeline
}

/// The value of an expression, as far as it can be known statically.
#[derive(Debug, Clone)]
enum V<'a> {
    /// A values node and its dotted path (`api.image.tag`), or a `Chart.yaml` node (path
    /// empty).
    Node(&'a Node, String),
    /// A values path that is not set: renders as empty.
    Missing,
    Str(String),
    /// Text rendered from values (`printf`, a helper); the node is the last values node that
    /// contributed to it (the tag of `repo:tag`), where the text is decided.
    Text(String, &'a Node),
    Bool(bool),
    /// The top-level context (`.` outside `with`/`range`, or `$`).
    Root,
    /// Unknown; `refs` are the values nodes it read (helpers, `dict`), `chart` whether it
    /// was given `.Chart` or `.`.
    Opaque {
        refs: Vec<(&'a Node, String)>,
        /// Values read by the helpers it includes with the whole context (`include "x" .`).
        helper_refs: Vec<(&'a Node, String)>,
        chart: bool,
    },
}

impl<'a> V<'a> {
    fn unknown() -> Self {
        V::Opaque {
            refs: Vec::new(),
            helper_refs: Vec::new(),
            chart: false,
        }
    }

    fn truth(&self) -> Option<bool> {
        match self {
            V::Node(n, _) => Some(truthy(n)),
            V::Missing => Some(false),
            V::Str(s) | V::Text(s, _) => Some(!s.is_empty()),
            V::Bool(b) => Some(*b),
            V::Root => Some(true),
            V::Opaque { .. } => None,
        }
    }

    /// The text a scalar renders to; `None` for unknown or non-scalar values.
    fn text(&self) -> Option<String> {
        match self {
            V::Node(n, _) if n.is_null() => Some(String::new()),
            V::Node(n, _) => match &n.value {
                Value::Scalar(s) => Some(s.text.clone()),
                _ => None,
            },
            V::Missing => Some(String::new()),
            V::Str(s) | V::Text(s, _) => Some(s.clone()),
            V::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn refs(&self) -> Vec<(&'a Node, String)> {
        match self {
            V::Node(n, p) if !p.is_empty() => vec![(*n, p.clone())],
            V::Opaque { refs, .. } => refs.clone(),
            _ => Vec::new(),
        }
    }

    /// The values node that decides a scalar value.
    fn origin_node(&self) -> Option<&'a Node> {
        match self {
            V::Node(n, _) if n.as_map().is_none() && n.as_seq().is_none() => Some(n),
            V::Text(_, n) => Some(n),
            _ => None,
        }
    }

    fn mentions_chart(&self) -> bool {
        matches!(self, V::Root | V::Opaque { chart: true, .. })
    }
}

/// What expressions are evaluated against.
struct Env<'a> {
    values: &'a Node,
    chart: &'a ChartInfo,
    defines: &'a Defines,
    /// Helper expansions left for this render: helpers that include helpers many times
    /// could otherwise cost exponential work.
    budget: std::cell::Cell<usize>,
}

/// Helper expansions allowed per environment and chart.
const HELPER_BUDGET: usize = 20_000;

impl Env<'_> {
    /// Takes one helper expansion from the budget; `false` when it is spent.
    fn spend(&self) -> bool {
        let left = self.budget.get();
        self.budget.set(left.saturating_sub(1));
        left > 0
    }
}

/// The `Chart.yaml` fields templates read.
#[derive(Debug, Clone, Default)]
pub struct ChartInfo {
    /// `.Chart.Name`.
    pub name: Option<Node>,
    /// `.Chart.Version`.
    pub version: Option<Node>,
    /// `.Chart.AppVersion`.
    pub app_version: Option<Node>,
}

/// The bindings in force at a point of a template: `.` and `$variables`.
#[derive(Clone)]
struct Scope<'a> {
    dot: V<'a>,
    vars: HashMap<String, V<'a>>,
}

impl<'a> Env<'a> {
    fn eval_str(&self, expr: &str, scope: &Scope<'a>, depth: usize) -> V<'a> {
        let expr = match expr.split_once(":=").or_else(|| expr.split_once(" = ")) {
            Some((_, rhs)) => rhs,
            None => expr,
        };
        let toks = tokenize(expr);
        let p = parse_pipeline(&toks, &mut 0, 0);
        self.eval_pipeline(&p, scope, depth)
    }

    fn eval_pipeline(&self, p: &Pipeline, scope: &Scope<'a>, depth: usize) -> V<'a> {
        let mut value: Option<V<'a>> = None;
        for cmd in p {
            value = Some(self.eval_command(cmd, value, scope, depth));
        }
        value.unwrap_or_else(V::unknown)
    }

    fn eval_arg(&self, a: &Arg, scope: &Scope<'a>, depth: usize) -> V<'a> {
        match a {
            Arg::Str(s) => V::Str(s.clone()),
            Arg::Group(p) if depth < MAX_DEPTH => self.eval_pipeline(p, scope, depth + 1),
            Arg::Group(_) => V::unknown(),
            Arg::Field(base, path) => match self.eval_arg(base, scope, depth) {
                V::Node(n, p) => self.values_at(n, path.trim_start_matches('.'), p),
                V::Missing => V::Missing,
                _ => V::unknown(),
            },
            Arg::Word(w) => self.eval_word(w, scope),
        }
    }

    fn eval_word(&self, w: &str, scope: &Scope<'a>) -> V<'a> {
        match w {
            "true" => return V::Bool(true),
            "false" => return V::Bool(false),
            "nil" => return V::Missing,
            "." => return scope.dot.clone(),
            "$" => return V::Root,
            _ => {}
        }
        if w.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return V::Str(w.to_string());
        }
        let rest = w
            .strip_prefix('$')
            .map_or(w, |r| if r.starts_with('.') { r } else { "" });
        if let Some(path) = rest.strip_prefix(".Values") {
            let path = path.strip_prefix('.').unwrap_or(path);
            return self.values_at(self.values, path, String::new());
        }
        if let Some(field) = rest.strip_prefix(".Chart") {
            let node = match field {
                ".AppVersion" => self.chart.app_version.as_ref(),
                ".Version" => self.chart.version.as_ref(),
                ".Name" => self.chart.name.as_ref(),
                "" => {
                    return V::Opaque {
                        refs: Vec::new(),
                        helper_refs: Vec::new(),
                        chart: true,
                    };
                }
                _ => None,
            };
            return node.map_or(V::Missing, |n| V::Node(n, String::new()));
        }
        if rest.starts_with(".Release")
            || rest.starts_with(".Capabilities")
            || rest.starts_with(".Template")
            || rest.starts_with(".Files")
        {
            return V::unknown();
        }
        // `$var.field` and `.field` relative to the bound dot.
        let (base, path) = if let Some(var) = w.strip_prefix('$').filter(|r| !r.starts_with('.')) {
            let (name, path) = var.split_once('.').unwrap_or((var, ""));
            (scope.vars.get(name).cloned(), path)
        } else if let Some(path) = w.strip_prefix('.') {
            (Some(scope.dot.clone()), path)
        } else {
            return V::unknown();
        };
        match base {
            Some(v) if path.is_empty() => v,
            Some(V::Node(n, p)) => self.values_at(n, path, p),
            Some(V::Root) if path.starts_with("Values") => {
                let p = path.strip_prefix("Values").unwrap_or_default();
                self.values_at(self.values, p.strip_prefix('.').unwrap_or(p), String::new())
            }
            Some(V::Missing) => V::Missing,
            _ => V::unknown(),
        }
    }

    /// Renders text that mixes literal parts and actions (a scalar value, or a helper's
    /// body with `drop_space`, where the whitespace between actions is trimmed) when every
    /// action can be evaluated; `if`/`else`/`end` and `$var :=` inside it are followed.
    /// Returns the text and the last values node that contributed to it.
    fn inline(
        &self,
        text: &str,
        scope: &Scope<'a>,
        depth: usize,
        drop_space: bool,
    ) -> Option<(String, Option<&'a Node>)> {
        let mut scope = scope.clone();
        let mut out = String::new();
        let mut decisive = None;
        // Per open `if`/`with`: whether its current branch is rendered, whether one was
        // taken, and (for `with`) the dot to restore.
        let mut stack: Vec<(bool, bool, Option<V<'a>>)> = Vec::new();
        let mut pos = 0;
        let literal = |out: &mut String, lit: &str, active: bool| {
            if active && !(drop_space && lit.trim().is_empty()) {
                out.push_str(if drop_space { lit.trim() } else { lit });
            }
        };
        for (start, action) in actions_with_offsets(text) {
            let active = stack.iter().all(|f| f.0);
            literal(&mut out, text.get(pos..start).unwrap_or_default(), active);
            pos = action.end;
            let kw = keyword(&action.inner);
            let rest = action.inner.get(kw.len()..).unwrap_or_default().trim();
            match kw {
                "" => {}
                "if" => {
                    if active {
                        let t = self.eval_str(rest, &scope, depth).truth()?;
                        stack.push((t, t, None));
                    } else {
                        stack.push((false, true, None));
                    }
                }
                "with" => {
                    if active {
                        let v = self.eval_str(rest, &scope, depth);
                        let t = v.truth()?;
                        stack.push((t, t, Some(std::mem::replace(&mut scope.dot, v))));
                    } else {
                        stack.push((false, true, Some(scope.dot.clone())));
                    }
                }
                "else" => {
                    let parent_active = stack
                        .len()
                        .checked_sub(1)
                        .and_then(|n| stack.get(..n))
                        .is_some_and(|s| s.iter().all(|f| f.0));
                    let (_, taken, saved_dot) = stack.last()?.clone();
                    if let Some(dot) = saved_dot {
                        scope.dot = dot;
                    }
                    let next = if taken || !parent_active {
                        (false, true)
                    } else {
                        let t = match rest.strip_prefix("if ") {
                            Some(c) => self.eval_str(c, &scope, depth).truth()?,
                            None => true,
                        };
                        (t, t)
                    };
                    let top = stack.last_mut()?;
                    top.0 = next.0;
                    top.1 = next.1;
                }
                "end" => {
                    if let (_, _, Some(dot)) = stack.pop()? {
                        scope.dot = dot;
                    }
                }
                "range" | "define" | "block" => return None,
                _ if kw.starts_with('$') && rest.starts_with([':', '=']) => {
                    if active {
                        let rhs = rest.trim_start_matches(':').trim_start_matches('=');
                        let v = self.eval_str(rhs, &scope, depth);
                        scope.vars.insert(kw.trim_start_matches('$').to_string(), v);
                    }
                }
                _ => {
                    if active {
                        let v = self.eval_str(&action.inner, &scope, depth);
                        let t = v.text()?;
                        if !t.is_empty() {
                            decisive = v.origin_node().or(decisive);
                        }
                        out.push_str(&t);
                    }
                }
            }
        }
        let active = stack.iter().all(|f| f.0);
        literal(&mut out, text.get(pos..).unwrap_or_default(), active);
        stack.is_empty().then_some((out, decisive))
    }

    fn values_at(&self, node: &'a Node, path: &str, prefix: String) -> V<'a> {
        let full = match (prefix.is_empty(), path.is_empty()) {
            (true, _) => path.to_string(),
            (false, true) => prefix,
            (false, false) => format!("{prefix}.{path}"),
        };
        match lookup(node, path) {
            Some(n) if !n.is_null() => V::Node(n, full),
            _ => V::Missing,
        }
    }

    fn eval_command(
        &self,
        cmd: &Command,
        piped: Option<V<'a>>,
        scope: &Scope<'a>,
        depth: usize,
    ) -> V<'a> {
        let Some(first) = cmd.first() else {
            return piped.unwrap_or_else(V::unknown);
        };
        let func = match first {
            Arg::Word(w)
                if !w.starts_with(['.', '$'])
                    && !matches!(w.as_str(), "true" | "false" | "nil")
                    && !w.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                w.as_str()
            }
            _ => {
                if cmd.len() == 1 && piped.is_none() {
                    return self.eval_arg(first, scope, depth);
                }
                return V::unknown();
            }
        };
        let args: Vec<V<'a>> = cmd
            .get(1..)
            .unwrap_or_default()
            .iter()
            .map(|a| self.eval_arg(a, scope, depth))
            .chain(piped)
            .collect();
        let last = args.last().cloned();
        match func {
            "default" => {
                let (Some(d), Some(x)) = (args.first(), args.get(1)) else {
                    return V::unknown();
                };
                match x.truth() {
                    Some(true) => x.clone(),
                    Some(false) => d.clone(),
                    None => V::unknown(),
                }
            }
            "quote" | "squote" | "toString" | "int" | "int64" | "float64" | "trim" | "toYaml"
            | "nindent" | "indent" | "toRawYaml" => last.unwrap_or_else(V::unknown),
            "tpl" => match args.first() {
                Some(v) if v.text().is_some_and(|t| !t.contains("{{")) => v.clone(),
                Some(v @ V::Node(n, _)) if n.as_map().is_some() => v.clone(),
                _ => V::unknown(),
            },
            "ternary" => match (args.first(), args.get(1), args.get(2).and_then(V::truth)) {
                (Some(a), _, Some(true)) => a.clone(),
                (_, Some(b), Some(false)) => b.clone(),
                _ => V::unknown(),
            },
            "omit" => args.first().cloned().unwrap_or_else(V::unknown),
            "index" => {
                let Some(base) = args.first() else {
                    return V::unknown();
                };
                let mut cur = base.clone();
                for key in args.iter().skip(1) {
                    cur = match (&cur, key.text()) {
                        (V::Missing, _) => V::Missing,
                        (V::Node(n, _), _) if n.as_map().is_some_and(|m| m.is_empty()) => {
                            V::Missing
                        }
                        (V::Node(n, p), Some(k)) if n.as_map().is_some() => {
                            self.values_at(n, &k, p.clone())
                        }
                        _ => return V::unknown(),
                    };
                }
                cur
            }
            "not" => match last.and_then(|v| v.truth()) {
                Some(b) => V::Bool(!b),
                None => V::unknown(),
            },
            "and" | "or" => {
                let truths: Vec<Option<bool>> = args.iter().map(V::truth).collect();
                let want = func == "or";
                if truths.contains(&Some(want)) {
                    V::Bool(want)
                } else if truths.iter().all(Option::is_some) {
                    V::Bool(!want)
                } else {
                    V::unknown()
                }
            }
            "eq" | "ne" => {
                let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
                    return V::unknown();
                };
                match (a.text(), b.text()) {
                    (Some(x), Some(y)) => V::Bool((x == y) == (func == "eq")),
                    _ => V::unknown(),
                }
            }
            "gt" | "lt" | "ge" | "le" => {
                let num = |v: Option<&V<'_>>| {
                    v.and_then(V::text)
                        .and_then(|t| t.trim().parse::<f64>().ok())
                };
                match (num(args.first()), num(args.get(1))) {
                    (Some(a), Some(b)) => V::Bool(match func {
                        "gt" => a > b,
                        "lt" => a < b,
                        "ge" => a >= b,
                        _ => a <= b,
                    }),
                    _ => V::unknown(),
                }
            }
            "empty" => match last.and_then(|v| v.truth()) {
                Some(b) => V::Bool(!b),
                None => V::unknown(),
            },
            "printf" => {
                let Some(V::Str(format)) = args.first() else {
                    return V::unknown();
                };
                let mut out = String::new();
                let mut decisive = None;
                let mut rest = args.iter().skip(1);
                let mut chars = format.chars();
                while let Some(c) = chars.next() {
                    if c != '%' {
                        out.push(c);
                        continue;
                    }
                    match chars.next() {
                        Some('%') => out.push('%'),
                        Some('s' | 'v' | 'd') => {
                            let Some(arg) = rest.next() else {
                                return V::unknown();
                            };
                            let Some(t) = arg.text() else {
                                return V::unknown();
                            };
                            if !t.is_empty() {
                                decisive = arg.origin_node().or(decisive);
                            }
                            out.push_str(&t);
                        }
                        _ => return V::unknown(),
                    }
                }
                match decisive {
                    Some(n) => V::Text(out, n),
                    None => V::Str(out),
                }
            }
            "include" | "template" if !self.spend() => V::unknown(),
            "include" | "template" => {
                let mut refs = Vec::new();
                let mut helper_refs = Vec::new();
                let mut chart = false;
                for a in args.iter().skip(1) {
                    refs.extend(a.refs());
                    chart |= a.mentions_chart();
                }
                // A helper that renders a one-line scalar (an image name, a port) is evaluated.
                if depth < 4
                    && let Some(V::Str(name)) = args.first()
                    && let Some(body) = self.defines.bodies.get(name)
                {
                    let helper_scope = Scope {
                        dot: args.get(1).cloned().unwrap_or(V::Root),
                        vars: HashMap::new(),
                    };
                    if let Some((text, decisive)) =
                        self.inline(body, &helper_scope, depth + 1, true)
                        && !text.contains('\n')
                        && !text.contains(": ")
                    {
                        return match decisive {
                            Some(n) => V::Text(text, n),
                            None => V::Str(text),
                        };
                    }
                }
                // `include "x" .` hands the whole context over: learn what the helper reads.
                let passes_root = args.iter().skip(1).any(|a| matches!(a, V::Root));
                if passes_root
                    && depth < 4
                    && let Some(V::Str(name)) = args.first()
                    && let Some(body) = self.defines.bodies.get(name)
                {
                    for (_, action) in actions_with_offsets(body) {
                        let root = Scope {
                            dot: V::Root,
                            vars: HashMap::new(),
                        };
                        let v = self.eval_str(&action.inner, &root, depth + 1);
                        helper_refs.extend(v.refs());
                        if let V::Opaque { helper_refs: h, .. } = v {
                            helper_refs.extend(h);
                        }
                        chart |= action.inner.contains(".Chart");
                    }
                }
                V::Opaque {
                    refs,
                    helper_refs,
                    chart,
                }
            }
            _ => {
                let mut refs = Vec::new();
                let mut chart = false;
                for a in &args {
                    refs.extend(a.refs());
                    chart |= a.mentions_chart();
                }
                V::Opaque {
                    refs,
                    helper_refs: Vec::new(),
                    chart,
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rendering lines

/// A line that survived the partial render.
#[derive(Debug, Clone)]
struct RLine {
    /// Column of the line's first character (the `-` of an item).
    col: usize,
    /// Column of the content after `- ` for an item; `col` otherwise.
    content_col: usize,
    dash: bool,
    key: Option<Node>,
    value: Option<Node>,
    /// An action alone on its line that inserts a block (`toYaml … | nindent 8`).
    splice: bool,
}

/// The rendered documents of one template file and, for each `image:` key (by the byte
/// offset of the key), the values path its image was read from.
struct Rendered {
    docs: Vec<Vec<RLine>>,
    image_paths: HashMap<(String, usize), String>,
    /// Lines (file, offset) rendered under a condition that could not be decided: what they
    /// describe may not be deployed at all.
    uncertain: std::collections::HashSet<(String, usize)>,
}

/// One control block open at a point of the template.
struct Frame<'a> {
    active: bool,
    /// Whether the branch being rendered was decided from the values.
    certain: bool,
    /// A branch of this block was certainly taken (later `else` branches are dead).
    taken: bool,
    /// The scope to restore at `end` (and at `else` of a `with`).
    saved: Option<Scope<'a>>,
}

struct Renderer<'e, 'a> {
    env: &'e Env<'a>,
    ctx: &'e Ctx<'e>,
    file: Arc<SourceFile>,
    scope: Scope<'a>,
    frames: Vec<Frame<'a>>,
    out: Rendered,
    /// Columns added to every line: a helper spliced in with `nindent 8` lands 8 deep.
    shift: isize,
    /// How many helpers deep the render is.
    depth: usize,
    /// Whether the helper being rendered was spliced in under an undecided condition.
    outer_uncertain: bool,
    /// The values path of the image last evaluated, until its `image:` key records it.
    last_image_path: Option<String>,
}

fn scalar(text: &str, plain: bool, span: Span, file: &Arc<SourceFile>) -> Node {
    Node {
        value: Value::Scalar(Scalar {
            text: text.to_string(),
            plain,
        }),
        span,
        file: Arc::clone(file),
    }
}

/// The byte index of a top-level `key:` separator in a line's content (outside quotes and
/// actions), if the content is a mapping entry.
fn key_separator(content: &str) -> Option<usize> {
    if content.starts_with(['"', '\'', '{', '[']) && !content.starts_with("{{") {
        // A quoted key is allowed; a flow collection is not a key.
        if content.starts_with(['{', '[']) {
            return None;
        }
    }
    let bytes = content.as_bytes();
    let mut quote: Option<u8> = None;
    let mut action = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match (quote, b) {
            (_, b'{') if bytes.get(i + 1) == Some(&b'{') => {
                action += 1;
                i += 1;
            }
            (_, b'}') if bytes.get(i + 1) == Some(&b'}') => {
                action = action.saturating_sub(1);
                i += 1;
            }
            _ if action > 0 => {}
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') if i == 0 => quote = Some(b),
            (None, b':') => {
                if matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) {
                    return Some(i);
                }
            }
            (None, b'#') if i > 0 && bytes.get(i - 1) == Some(&b' ') => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The length of a value without a trailing ` # comment` (outside quotes and actions).
fn without_comment(value: &str) -> usize {
    let bytes = value.as_bytes();
    let mut quote: Option<u8> = None;
    let mut action = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match (quote, b) {
            (_, b'{') if bytes.get(i + 1) == Some(&b'{') => action += 1,
            (_, b'}') if bytes.get(i + 1) == Some(&b'}') => action = action.saturating_sub(1),
            _ if action > 0 => {}
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'#') if i == 0 || bytes.get(i - 1) == Some(&b' ') => {
                return value.get(..i).map_or(0, |v| v.trim_end().len());
            }
            _ => {}
        }
        i += 1;
    }
    value.len()
}

/// `nindent N` / `indent N` of a splice, which decides where its block lands.
fn splice_indent(inner: &str) -> Option<usize> {
    let toks = tokenize(inner);
    toks.windows(2).find_map(|w| match w {
        [Tok::Word(f), Tok::Word(n)] if f == "nindent" || f == "indent" => n.parse().ok(),
        _ => None,
    })
}

/// Strips `global.*` refs: every bitnami helper reads `.Values.global`, which never names
/// the component.
fn own_refs(refs: Vec<(&Node, String)>) -> Vec<(&Node, String)> {
    refs.into_iter()
        .filter(|(_, p)| p != "global" && !p.starts_with("global."))
        .collect()
}

/// The component a values path belongs to: `api.image.tag` → `api`, `image.repository` →
/// `` (the root), `redis.repository` → `redis`.
fn component_of(path: &str) -> String {
    let mut parts: Vec<&str> = path.split('.').collect();
    if parts.len() > 1
        && parts
            .last()
            .is_some_and(|l| matches!(*l, "repository" | "tag" | "registry" | "digest" | "name"))
    {
        parts.pop();
    }
    if parts.last() == Some(&"image") {
        parts.pop();
    }
    parts.join(".")
}

impl<'e, 'a> Renderer<'e, 'a> {
    fn active(&self) -> bool {
        self.frames.iter().all(|f| f.active)
    }

    /// Whether the current line renders only under a condition that could not be decided.
    fn uncertain(&self) -> bool {
        self.outer_uncertain || self.frames.iter().any(|f| !f.certain)
    }

    fn control(&mut self, inner: &str, span: Span, line_indent: usize) {
        let kw = keyword(inner);
        let rest = inner.get(kw.len()..).unwrap_or_default().trim();
        match kw {
            "" => {}
            "if" => {
                let truth = self.env.eval_str(rest, &self.scope, 0).truth();
                self.frames.push(Frame {
                    active: truth != Some(false),
                    certain: truth.is_some(),
                    taken: truth == Some(true),
                    saved: None,
                });
            }
            "with" => {
                let v = self.env.eval_str(rest, &self.scope, 0);
                let truth = v.truth();
                self.frames.push(Frame {
                    active: truth != Some(false),
                    certain: truth.is_some(),
                    taken: truth == Some(true),
                    saved: Some(self.scope.clone()),
                });
                self.scope.dot = v;
            }
            "range" => {
                let (vars, expr) = match rest.split_once(":=") {
                    Some((vars, expr)) => (vars, expr),
                    None => ("", rest),
                };
                let truth = self.env.eval_str(expr, &self.scope, 0).truth();
                self.frames.push(Frame {
                    active: truth != Some(false),
                    certain: truth.is_some(),
                    taken: truth == Some(true),
                    saved: Some(self.scope.clone()),
                });
                self.scope.dot = V::unknown();
                for var in vars.split(',') {
                    let name = var.trim().trim_start_matches('$');
                    if !name.is_empty() {
                        self.scope.vars.insert(name.to_string(), V::unknown());
                    }
                }
            }
            "define" | "block" => self.frames.push(Frame {
                active: false,
                certain: true,
                taken: false,
                saved: Some(self.scope.clone()),
            }),
            "else" => {
                let cond = rest
                    .strip_prefix("if ")
                    .or_else(|| rest.strip_prefix("with "))
                    .map(str::trim);
                let restore = self.frames.last().and_then(|f| f.saved.clone());
                if let Some(saved) = restore {
                    self.scope = saved;
                }
                let truth = match cond {
                    Some(c) => self.env.eval_str(c, &self.scope, 0).truth(),
                    None => Some(true),
                };
                if let Some(f) = self.frames.last_mut() {
                    if f.taken {
                        f.active = false;
                    } else {
                        f.active = truth != Some(false);
                        f.certain &= truth.is_some();
                        f.taken = truth == Some(true);
                    }
                }
            }
            "end" => {
                if let Some(f) = self.frames.pop()
                    && let Some(saved) = f.saved
                {
                    self.scope = saved;
                }
            }
            _ if kw.starts_with('$') && (rest.starts_with(":=") || rest.starts_with('=')) => {
                if self.active() {
                    let rhs = rest.trim_start_matches(':').trim_start_matches('=');
                    let v = self.env.eval_str(rhs, &self.scope, 0);
                    self.scope
                        .vars
                        .insert(kw.trim_start_matches('$').to_string(), v);
                }
            }
            _ => {
                if self.active() {
                    self.splice(inner, span, line_indent);
                }
            }
        }
    }

    /// An output action alone on its line: the block it inserts.
    fn splice(&mut self, inner: &str, span: Span, line_indent: usize) {
        if self.splice_helper(inner, line_indent) {
            return;
        }
        let v = self.env.eval_str(inner, &self.scope, 0);
        let node = match &v {
            V::Node(n, _) => (*n).clone(),
            V::Missing => return,
            V::Str(s) if s.is_empty() => return,
            V::Str(s) => scalar(s, true, span, &self.file),
            V::Opaque { refs, .. } => match own_refs(refs.clone()).as_slice() {
                [(n, _)] => (*n).clone(),
                _ => scalar(&format!("{{{{ {inner} }}}}"), false, span, &self.file),
            },
            _ => scalar(&format!("{{{{ {inner} }}}}"), false, span, &self.file),
        };
        let col = splice_indent(inner).unwrap_or(line_indent);
        self.push(RLine {
            col,
            content_col: col,
            dash: false,
            key: None,
            value: Some(node),
            splice: true,
        });
    }

    fn push(&mut self, mut line: RLine) {
        let shift = |c: usize| c.saturating_add_signed(self.shift);
        line.col = shift(line.col);
        line.content_col = shift(line.content_col);
        if let Some(doc) = self.out.docs.last_mut() {
            doc.push(line);
        }
    }

    /// A content line (`key: value`, `- item`, `- key: value`).
    fn content(&mut self, line: &str, start: usize) {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut content = line.get(indent..).unwrap_or_default().trim_end();
        let mut content_col = indent;
        let mut dash = false;
        if content == "-" || content.starts_with("- ") {
            dash = true;
            let after = content.get(1..).unwrap_or_default();
            let trimmed = after.trim_start();
            content_col = indent + 1 + (after.len() - trimmed.len());
            content = trimmed;
        }
        let at = start + content_col;
        if content.is_empty() {
            self.push(RLine {
                col: indent,
                content_col,
                dash,
                key: None,
                value: None,
                splice: false,
            });
            return;
        }
        let (key, value) = match key_separator(content) {
            Some(k) => {
                let key_text = content.get(..k).unwrap_or_default().trim_end();
                let key_text = key_text.trim_matches(|c| c == '"' || c == '\'');
                let key = scalar(key_text, true, Span::new(at, at + k), &self.file);
                let raw = content.get(k + 1..).unwrap_or_default();
                let trimmed = raw.trim_start();
                let vstart = at + k + 1 + (raw.len() - trimmed.len());
                let vlen = without_comment(trimmed);
                let vtext = trimmed.get(..vlen).unwrap_or_default();
                let value = (!vtext.is_empty()).then(|| self.value(key_text, vtext, vstart));
                if let Some(p) = self.last_image_path.take() {
                    self.out
                        .image_paths
                        .insert((self.file.display_path.clone(), at), p);
                }
                (Some(key), value)
            }
            None => {
                let vlen = without_comment(content);
                let vtext = content.get(..vlen).unwrap_or_default();
                if vtext.is_empty() || !dash {
                    return;
                }
                (None, Some(self.value("", vtext, at)))
            }
        };
        if self.uncertain() {
            self.out
                .uncertain
                .insert((self.file.display_path.clone(), at));
        }
        self.push(RLine {
            col: indent,
            content_col,
            dash,
            key,
            value,
            splice: false,
        });
    }

    /// The node of a value written after `key:` (or as a list item), evaluating its
    /// actions.
    fn value(&mut self, key: &str, text: &str, start: usize) -> Node {
        let span = Span::new(start, start + text.len());
        let quoted = text.len() >= 2
            && ((text.starts_with('"') && text.ends_with('"'))
                || (text.starts_with('\'') && text.ends_with('\'')));
        let (inner, inner_start) = if quoted {
            (text.get(1..text.len() - 1).unwrap_or_default(), start + 1)
        } else {
            (text, start)
        };
        let actions = actions_with_offsets(inner);
        let templated = || scalar(text, false, span, &self.file);
        let Some((first_start, first)) = actions.first() else {
            let at = Span::new(inner_start, inner_start + inner.len());
            return literal(inner, !quoted, at, &self.file);
        };
        // The values path of the first output action names an image's component.
        if key == "image" {
            self.last_image_path = actions
                .iter()
                .filter(|(_, a)| !matches!(keyword(&a.inner), "if" | "else" | "end" | ""))
                .find_map(|(_, a)| {
                    let v = self.env.eval_str(&a.inner, &self.scope, 0);
                    v.refs().into_iter().next().map(|(_, p)| p)
                });
        }
        if actions.len() == 1 && *first_start == 0 && first.end == inner.len() {
            let v = self.env.eval_str(&first.inner, &self.scope, 0);
            return match v {
                V::Node(n, _) if key == "image" && n.as_map().is_some() => {
                    self.image_node(n, false, span)
                }
                V::Node(n, _) => n.clone(),
                V::Opaque {
                    refs,
                    helper_refs,
                    chart,
                } if key == "image" => {
                    let mut all = own_refs(refs);
                    all.extend(own_refs(helper_refs));
                    match all.iter().find(|(n, _)| {
                        n.as_map().is_some() && containers::is_component(&wrap_image(n))
                    }) {
                        Some((n, p)) => {
                            self.last_image_path = Some(p.clone());
                            self.image_node(n, chart, span)
                        }
                        None => templated(),
                    }
                }
                // A helper given one values path renders that value (`include
                // "common.tplvalues.render" (dict "value" .Values.x …) | nindent 12`).
                V::Opaque { refs, .. } => match own_refs(refs).as_slice() {
                    [(n, _)] => (*n).clone(),
                    _ => templated(),
                },
                V::Text(t, n) => Node {
                    value: Value::Scalar(Scalar {
                        text: t,
                        plain: !quoted,
                    }),
                    span: n.span,
                    file: Arc::clone(&n.file),
                },
                V::Str(t) => scalar(&t, !quoted, span, &self.file),
                V::Bool(b) => scalar(&b.to_string(), true, span, &self.file),
                V::Missing => scalar("", false, span, &self.file),
                V::Root => templated(),
            };
        }
        match self.env.inline(inner, &self.scope, 0, false) {
            // The value that decides a combined value (the tag of `repo:tag`) is its last
            // values part.
            Some((t, Some(n))) => Node {
                value: Value::Scalar(Scalar {
                    text: t,
                    plain: !quoted,
                }),
                span: n.span,
                file: Arc::clone(&n.file),
            },
            Some((t, None)) => scalar(&t, !quoted, span, &self.file),
            None => templated(),
        }
    }

    /// An image map from values, turned into the image string at its deciding value.
    fn image_node(&self, map: &Node, chart: bool, span: Span) -> Node {
        let wrapped = wrap_image(map);
        let image = wrapped
            .get("image")
            .and_then(|i| containers::image_of(i, self.ctx, chart));
        match image {
            Some(img) => Node {
                value: Value::Scalar(Scalar {
                    text: img.value,
                    plain: false,
                }),
                span: img.at.span,
                file: img.at.file,
            },
            None => scalar("", false, span, &self.file),
        }
    }
}

/// `{image: map}`, so an image map can be tested and read as a component's image.
fn wrap_image(map: &Node) -> Node {
    Node {
        value: Value::Map(vec![Entry {
            key: scalar("image", true, map.span, &map.file),
            value: map.clone(),
        }]),
        span: map.span,
        file: Arc::clone(&map.file),
    }
}

/// A literal template value: flow `{}`/`[]` and simple `[a, b]` lists become collections.
fn literal(text: &str, plain: bool, span: Span, file: &Arc<SourceFile>) -> Node {
    let empty = |value| Node {
        value,
        span,
        file: Arc::clone(file),
    };
    if plain && text == "{}" {
        return empty(Value::Map(Vec::new()));
    }
    if plain && let Some(body) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let mut items = Vec::new();
        let mut offset = span.start + 1;
        for part in body.split(',') {
            let t = part.trim();
            let lead = part.len() - part.trim_start().len();
            if !t.is_empty() {
                let unq = t.trim_matches(|c| c == '"' || c == '\'');
                let s = offset + lead + usize::from(unq.len() != t.len());
                items.push(scalar(
                    unq,
                    unq.len() == t.len(),
                    Span::new(s, s + unq.len()),
                    file,
                ));
            }
            offset += part.len() + 1;
        }
        return empty(Value::Seq(items));
    }
    scalar(text, plain, span, file)
}

impl Renderer<'_, '_> {
    /// `include "name" .` of a helper whose body is YAML lines (a pod spec, a container
    /// list): its lines are rendered in place, shifted to the splice's indentation, with `.`
    /// bound to the argument. Returns whether the splice was handled so.
    fn splice_helper(&mut self, inner: &str, line_indent: usize) -> bool {
        let toks = tokenize(inner);
        let (Some(Tok::Word(f)), Some(Tok::Str(name))) = (toks.first(), toks.get(1)) else {
            return false;
        };
        if !matches!(f.as_str(), "include" | "template") || self.depth >= 4 || !self.env.spend() {
            return false;
        }
        let Some((file, start, end)) = self.env.defines.blocks.get(name).cloned() else {
            return false;
        };
        let Some(body) = file.text.get(start..end) else {
            return false;
        };
        let content_indent = body
            .lines()
            .filter(|l| {
                let t = l.trim();
                let action_only = t.starts_with("{{") && t.ends_with("}}");
                !(t.is_empty() || t.starts_with('#') || action_only)
            })
            .map(|l| l.len() - l.trim_start_matches(' ').len())
            .min();
        // A helper of one line renders a scalar, not a block.
        let Some(content_indent) = content_indent.filter(|_| body.trim().contains('\n')) else {
            return false;
        };
        let arg = match toks.get(2) {
            Some(Tok::Word(w)) if w == "." => self.scope.dot.clone(),
            Some(Tok::Word(w)) if w == "$" => V::Root,
            Some(Tok::Word(w)) => self.env.eval_word(w, &self.scope),
            _ => V::unknown(),
        };
        let target = splice_indent(inner).unwrap_or(line_indent);
        let saved_file = std::mem::replace(&mut self.file, file);
        let saved_scope = std::mem::replace(
            &mut self.scope,
            Scope {
                dot: arg,
                vars: HashMap::new(),
            },
        );
        let saved_outer = self.outer_uncertain;
        self.outer_uncertain = self.uncertain();
        let saved_frames = std::mem::take(&mut self.frames);
        let saved_shift = self.shift;
        let target = isize::try_from(target).unwrap_or(isize::MAX);
        let content_indent = isize::try_from(content_indent).unwrap_or(0);
        self.shift = saved_shift
            .saturating_add(target)
            .saturating_sub(content_indent);
        self.depth += 1;
        self.run_range(start, end);
        self.depth -= 1;
        self.shift = saved_shift;
        self.frames = saved_frames;
        self.outer_uncertain = saved_outer;
        self.scope = saved_scope;
        self.file = saved_file;
        true
    }

    /// Renders the whole file.
    fn run(&mut self) {
        let len = self.file.text.len();
        self.run_range(0, len);
    }

    /// Renders the lines of `start..end` of the current file.
    fn run_range(&mut self, start: usize, end: usize) {
        let file = Arc::clone(&self.file);
        let text = file.text.as_str();
        let Some(part) = text.get(start..end) else {
            return;
        };
        let mut lines: Vec<(usize, &str)> = Vec::new();
        let mut offset = start;
        for raw in part.split_inclusive('\n') {
            let line = raw.trim_end_matches(['\n', '\r']);
            lines.push((offset, line));
            offset += raw.len();
        }
        let mut i = 0;
        let mut block: Option<usize> = None;
        while let Some(&(start, line)) = lines.get(i) {
            i += 1;
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            let indent = line.len() - line.trim_start_matches(' ').len();
            if let Some(c) = block {
                if indent > c {
                    continue;
                }
                block = None;
            }
            if trimmed.starts_with('#') {
                continue;
            }
            if trimmed == "---" || trimmed.starts_with("--- ") {
                if self.active() {
                    self.out.docs.push(Vec::new());
                }
                continue;
            }
            // An action may run over several lines: read up to its `}}`.
            let mut end = start + line.len();
            let mut joined = 1;
            while unclosed(text.get(start..end).unwrap_or_default())
                && joined < MAX_ACTION_LINES
                && let Some(&(s, l)) = lines.get(i)
            {
                end = s + l.len();
                i += 1;
                joined += 1;
            }
            let whole = text.get(start..end).unwrap_or_default();
            let actions = actions_with_offsets(whole);
            let mut rest = String::new();
            let mut pos = 0;
            for (s, a) in &actions {
                rest.push_str(whole.get(pos..*s).unwrap_or_default());
                pos = a.end;
            }
            rest.push_str(whole.get(pos..).unwrap_or_default());
            if !actions.is_empty() && rest.trim().is_empty() {
                for (s, a) in &actions {
                    self.control(&a.inner, Span::new(start + s, start + a.end), indent);
                }
            } else if self.active() {
                self.content(whole, start);
                let content = trimmed.strip_prefix("- ").unwrap_or(trimmed).trim_start();
                let value = match key_separator(content) {
                    Some(k) => content.get(k + 1..).unwrap_or_default().trim_start(),
                    None if trimmed.starts_with("- ") => content,
                    None => "",
                };
                if value.starts_with(['|', '>']) {
                    block = Some(indent);
                }
            }
        }
    }
}

/// Whether a text opens an action it does not close.
fn unclosed(text: &str) -> bool {
    match (text.rfind("{{"), text.rfind("}}")) {
        (Some(o), Some(c)) => o > c,
        (Some(_), None) => true,
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Tree building

fn null_at(node: &Node) -> Node {
    scalar(
        "",
        true,
        Span::new(node.span.end, node.span.end),
        &node.file,
    )
}

fn parse_block(
    ls: &mut [RLine],
    i: &mut usize,
    min_col: usize,
    depth: usize,
    file: &Arc<SourceFile>,
) -> Option<Node> {
    let l = ls.get(*i)?;
    if l.col < min_col {
        return None;
    }
    if depth > MAX_DEPTH {
        *i += 1;
        return None;
    }
    if l.dash {
        let col = l.col;
        return Some(parse_seq(ls, i, col, depth, file));
    }
    if l.splice {
        let node = l.value.clone();
        let col = l.col;
        *i += 1;
        let more = ls
            .get(*i)
            .is_some_and(|n| !n.dash && n.col == col && (n.key.is_some() || n.splice));
        if more {
            let mut map = parse_map(ls, i, col, depth + 1, file);
            if let (Some(Value::Map(first)), Value::Map(rest)) =
                (node.as_ref().map(|n| &n.value), &mut map.value)
            {
                let mut all = first.clone();
                all.append(rest);
                *rest = all;
            }
            return Some(map);
        }
        return node;
    }
    if l.key.is_some() {
        let col = l.col;
        return Some(parse_map(ls, i, col, depth, file));
    }
    *i += 1;
    l.value.clone()
}

fn parse_map(
    ls: &mut [RLine],
    i: &mut usize,
    col: usize,
    depth: usize,
    file: &Arc<SourceFile>,
) -> Node {
    let mut entries: Vec<Entry> = Vec::new();
    let mut first: Option<Node> = None;
    while let Some(l) = ls.get(*i) {
        if l.col < col || (l.col == col && l.dash) {
            break;
        }
        if l.col > col || l.key.is_none() {
            // A splice among the keys adds its entries; anything else here is stray.
            if l.splice
                && let Some(Value::Map(m)) = l.value.as_ref().map(|v| &v.value)
            {
                entries.extend(m.iter().cloned());
            }
            *i += 1;
            continue;
        }
        let Some(key) = l.key.clone() else {
            *i += 1;
            continue;
        };
        let inline = l.value.clone();
        *i += 1;
        let value = match inline {
            // `key: {{- include … | nindent 12 }}` followed by literal keys of the same
            // mapping (bitnami probes: the values' settings, then `tcpSocket:`).
            Some(Node {
                value: Value::Map(mut first),
                span,
                file: f,
            }) if ls.get(*i).is_some_and(|n| n.col > col) => {
                if let Some(Node {
                    value: Value::Map(more),
                    ..
                }) = parse_block(ls, i, col + 1, depth + 1, file)
                {
                    first.extend(more);
                }
                Node {
                    value: Value::Map(first),
                    span,
                    file: f,
                }
            }
            Some(v) => v,
            None => match ls.get(*i) {
                Some(n) if n.col > col || (n.dash && n.col == col) => {
                    let min = if n.dash { col } else { col + 1 };
                    parse_block(ls, i, min, depth + 1, file).unwrap_or_else(|| null_at(&key))
                }
                _ => null_at(&key),
            },
        };
        if first.is_none() {
            first = Some(key.clone());
        }
        entries.push(Entry { key, value });
    }
    let (span, file) = match &first {
        Some(k) => (k.span, Arc::clone(&k.file)),
        None => (Span::default(), Arc::clone(file)),
    };
    Node {
        value: Value::Map(entries),
        span,
        file,
    }
}

fn parse_seq(
    ls: &mut [RLine],
    i: &mut usize,
    col: usize,
    depth: usize,
    file: &Arc<SourceFile>,
) -> Node {
    let mut items: Vec<Node> = Vec::new();
    let mut span = Span::default();
    let mut first_file: Option<Arc<SourceFile>> = None;
    while let Some(l) = ls.get_mut(*i) {
        if !(l.dash && l.col == col) {
            break;
        }
        let item = if l.key.is_some() {
            l.dash = false;
            l.col = l.content_col;
            let c = l.col;
            Some(parse_map(ls, i, c, depth + 1, file))
        } else if l.value.is_some() {
            let v = l.value.clone();
            *i += 1;
            v
        } else {
            *i += 1;
            parse_block(ls, i, col + 1, depth + 1, file)
        };
        if let Some(item) = item {
            if first_file.is_none() {
                span = item.span;
                first_file = Some(Arc::clone(&item.file));
            }
            items.push(item);
        }
    }
    Node {
        value: Value::Seq(items),
        span,
        file: first_file.unwrap_or_else(|| Arc::clone(file)),
    }
}

// ---------------------------------------------------------------------------------------
// Containers

/// Whether a template file renders manifests we read: not a helper file (`_helpers.tpl`),
/// not a `helm test` hook under `templates/tests/`. Only the folders below `templates/`
/// count: a chart kept under a `tests/` folder of its repository is a chart like any other.
fn renders_manifests(file: &SourceFile) -> bool {
    let name = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let in_tests = file
        .path
        .components()
        .rev()
        .skip(1)
        .take_while(|c| c.as_os_str() != "templates")
        .any(|c| c.as_os_str() == "tests");
    !name.starts_with('_') && !name.ends_with(".tpl") && !in_tests
}

/// Everything one environment's render needs.
pub struct Input<'a> {
    /// Every file under `templates/`.
    pub templates: &'a [Arc<SourceFile>],
    /// Their helpers.
    pub defines: &'a Defines,
    /// The environment's merged values (`.Values`).
    pub values: &'a Node,
    /// `.Chart`.
    pub chart: &'a ChartInfo,
    /// The name used for a component at the values root (the chart's name).
    pub root_name: &'a str,
}

/// The containers the templates would deploy in one environment.
pub fn containers(input: &Input<'_>, ctx: &Ctx<'_>) -> Vec<Container> {
    let env = Env {
        values: input.values,
        chart: input.chart,
        defines: input.defines,
        budget: std::cell::Cell::new(HELPER_BUDGET),
    };
    let mut found_here: Vec<(Node, Option<Node>, bool, Owner, bool)> = Vec::new();
    for file in input.templates.iter().filter(|f| renders_manifests(f)) {
        let mut r = Renderer {
            env: &env,
            ctx,
            file: Arc::clone(file),
            scope: Scope {
                dot: V::Root,
                vars: HashMap::new(),
            },
            frames: Vec::new(),
            out: Rendered {
                docs: vec![Vec::new()],
                image_paths: HashMap::new(),
                uncertain: Default::default(),
            },
            shift: 0,
            depth: 0,
            outer_uncertain: false,
            last_image_path: None,
        };
        r.run();
        let Rendered {
            docs,
            image_paths,
            uncertain,
        } = r.out;
        for mut lines in docs {
            let mut i = 0;
            while i < lines.len() {
                let before = i;
                if let Some(root) = parse_block(&mut lines, &mut i, 0, 0, file) {
                    let mut found = Vec::new();
                    find_containers(&root, &mut found, 0);
                    for (item, pod_security, init) in found {
                        let owner = owner_of(item, &image_paths, input.root_name);
                        let maybe = item.as_map().and_then(|m| m.first()).is_some_and(|e| {
                            uncertain.contains(&(e.key.file.display_path.clone(), e.key.span.start))
                        });
                        found_here.push((item.clone(), pod_security.cloned(), init, owner, maybe));
                    }
                }
                if i == before {
                    i += 1;
                }
            }
        }
    }
    // One values map shared by several containers (`images.repository` for every service
    // of a chart) does not name them: their literal `name:` does.
    let literal = |item: &Node| {
        item.get("name")
            .and_then(Node::as_str)
            .filter(|n| !containers::is_templated(n))
            .map(str::to_string)
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut literal_counts: HashMap<String, usize> = HashMap::new();
    for (item, _, _, owner, _) in &found_here {
        *counts.entry(owner.name.clone()).or_default() += 1;
        if let Some(n) = literal(item) {
            *literal_counts.entry(n).or_default() += 1;
        }
    }
    found_here
        .into_iter()
        .map(|(item, pod_security, init, mut owner, maybe)| {
            if counts.get(&owner.name).is_some_and(|n| *n > 1)
                && let Some(name) = literal(&item)
            {
                owner.name = if literal_counts.get(&name).is_some_and(|n| *n > 1) {
                    let file = item.file.path.file_name().and_then(|f| f.to_str());
                    format!("{name} ({})", file.unwrap_or_default())
                } else {
                    name
                };
            }
            let mut c =
                containers::from_pod_container(&item, pod_security.as_ref(), owner, ctx, init);
            if maybe {
                // Perhaps not deployed: say nothing about what it lacks.
                for part in [
                    Unresolved::Ports,
                    Unresolved::Probes,
                    Unresolved::SecurityContext,
                    Unresolved::Resources,
                    Unresolved::Env,
                ] {
                    if !c.unresolved.contains(&part) {
                        c.unresolved.push(part);
                    }
                }
            }
            c
        })
        .collect()
}

/// Containers (`containers:`/`initContainers:` items) anywhere in a rendered document,
/// with the `securityContext` of the pod spec that holds them.
fn find_containers<'n>(
    node: &'n Node,
    out: &mut Vec<(&'n Node, Option<&'n Node>, bool)>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                let key = e.key.as_str().unwrap_or_default();
                if matches!(key, "containers" | "initContainers")
                    && let Some(items) = e.value.as_seq()
                {
                    for item in items.iter().filter(|i| i.as_map().is_some()) {
                        out.push((item, node.get("securityContext"), key == "initContainers"));
                    }
                } else {
                    find_containers(&e.value, out, depth + 1);
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                find_containers(item, out, depth + 1);
            }
        }
        Value::Scalar(_) => {}
    }
}

/// Who owns a rendered container: the values component its image comes from (`api`, or the
/// chart for the root), else its literal `name`, else its place in the template.
fn owner_of(item: &Node, image_paths: &HashMap<(String, usize), String>, root_name: &str) -> Owner {
    let component = item
        .entry("image")
        .and_then(|e| image_paths.get(&(e.key.file.display_path.clone(), e.key.span.start)))
        .map(|p| component_of(p));
    let literal_name = item
        .get("name")
        .and_then(Node::as_str)
        .filter(|n| !containers::is_templated(n))
        .map(str::to_string);
    let name = match (component, literal_name) {
        (Some(c), _) if c.is_empty() => root_name.to_string(),
        (Some(c), _) => c,
        (None, Some(n)) => n,
        (None, None) => {
            let name = item.file.path.file_name().and_then(|f| f.to_str());
            format!("{root_name} ({})", name.unwrap_or_default())
        }
    };
    Owner {
        kind: "values".into(),
        name,
        pod_labels: Vec::new(),
        at: item.origin(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::helm::tests::chart;

    #[test]
    fn expressions() {
        let values_file = Arc::new(SourceFile::in_memory(
            "values.yaml",
            crate::source::Format::HelmValues,
            "a: {b: x, on: true, off: false, list: [], n: 3}\nimage: {tag: \"\"}\n",
        ));
        let values = crate::parse::yaml::load(&values_file).docs.remove(0);
        let chart = ChartInfo::default();
        let defines = Defines::default();
        let env = Env {
            values: &values,
            chart: &chart,
            defines: &defines,
            budget: std::cell::Cell::new(10),
        };
        let scope = Scope {
            dot: V::Root,
            vars: HashMap::new(),
        };
        let text = |e: &str| env.eval_str(e, &scope, 0).text();
        let truth = |e: &str| env.eval_str(e, &scope, 0).truth();
        assert_eq!(text(".Values.a.b"), Some("x".into()));
        assert_eq!(text("$.Values.a.b | quote"), Some("x".into()));
        assert_eq!(
            text(".Values.image.tag | default \"1.0\""),
            Some("1.0".into())
        );
        assert_eq!(
            text("printf \"%s-%s\" .Values.a.b \"y\""),
            Some("x-y".into())
        );
        assert_eq!(
            text("ternary \"on\" \"off\" .Values.a.off"),
            Some("off".into())
        );
        assert_eq!(text("(.Values.missing).field"), Some(String::new()));
        assert_eq!(truth(".Values.a.on"), Some(true));
        assert_eq!(truth("and .Values.a.on .Values.a.off"), Some(false));
        assert_eq!(truth("or .Values.a.off .Values.a.list"), Some(false));
        assert_eq!(truth("not .Values.a.list"), Some(true));
        assert_eq!(truth("eq .Values.a.n 3"), Some(true));
        assert_eq!(truth("gt (.Values.a.n | int) 0"), Some(true));
        assert_eq!(truth("le .Values.a.n 2"), Some(false));
        assert_eq!(truth("ne .Values.a.b \"none\""), Some(true));
        assert_eq!(truth(".Capabilities.APIVersions.Has \"x\""), None);
        assert_eq!(truth("include \"x\" ."), None);
    }

    #[test]
    fn test_hooks_are_told_by_their_folder_below_templates() {
        let renders = |p: &str| {
            renders_manifests(&SourceFile::in_memory(
                p,
                crate::source::Format::HelmTemplate,
                "",
            ))
        };
        assert!(renders("chart/templates/deployment.yaml"));
        assert!(renders("tests/fixtures/chart/templates/deployment.yaml"));
        assert!(renders("/repo/tests/chart/templates/app/deployment.yaml"));
        assert!(!renders("chart/templates/tests/test-connection.yaml"));
        assert!(!renders("tests/chart/templates/tests/test-connection.yaml"));
        assert!(!renders("chart/templates/_helpers.tpl"));
    }

    #[test]
    fn recursive_helpers_are_bounded() {
        let helpers = "{{- define \"a\" -}}\n{{ include \"a\" . }}{{ include \"a\" . }}{{ include \"a\" . }}\n{{- end }}\n";
        let tpl = "kind: Pod\nspec:\n  containers:\n    - name: x\n      image: {{ include \"a\" . }}\n  {{- include \"a\" . | nindent 2 }}\n";
        let c = chart(&[
            ("Chart.yaml", "name: c\n"),
            ("templates/_h.tpl", helpers),
            ("templates/p.yaml", tpl),
        ]);
        assert_eq!(c.containers.len(), 1);
        assert!(c.containers[0].image.as_ref().unwrap().value.contains("{{"));
    }
}
