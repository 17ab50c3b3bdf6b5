//! The executor: walks parsed trees with Go `text/template` semantics and writes output with
//! provenance.

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

pub use super::error::{Error, ErrorKind, Limits, WARN_END, WARN_START};
use super::funcs::{self, Call, FnErr, FuncDef, Host, P, U};
use super::gofmt;
use super::parse::{self, Arg, Cmd, Node, Pipe, Source, Tree};
use super::value::{ListTy, Mark, Text, TextBuf, UNKNOWN_TEXT, Value};

/// The template span that produced an output range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateSpan {
    pub template: u32,
    pub span: Range<u32>,
}

/// The result of executing one template.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub text: String,
    /// Provenance of values in the output (External marks of supplied values, Template marks of
    /// literals and of text written by included templates). Sorted by start; may overlap where
    /// a piece derives from several inputs as a whole.
    pub marks: Vec<(Range<usize>, Mark)>,
    /// For each output range, the template span that wrote it: a text node (exact source bytes)
    /// or the action that printed the value.
    pub literal: Vec<(Range<usize>, TemplateSpan)>,
    /// Output ranges holding [`UNKNOWN_TEXT`] and why.
    pub unknowns: Vec<(Range<usize>, String)>,
    /// `required` calls given no value while [`Exec::required_unknown`] is set: each gave
    /// Unknown instead of failing the render.
    pub required: Vec<Required>,
}

/// A `required` call that had no value: its message and the action that called it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Required {
    pub message: String,
    pub at: TemplateSpan,
}

impl Rendered {
    /// Marks overlapping a byte range of the output.
    pub fn marks_at(&self, r: Range<usize>) -> Vec<&Mark> {
        self.marks
            .iter()
            .filter(|(m, _)| m.start < r.end && r.start < m.end)
            .map(|(_, m)| m)
            .collect()
    }
    /// The byte range of the first occurrence of `needle` and the marks covering it.
    pub fn find(&self, needle: &str) -> Option<(Range<usize>, Vec<&Mark>)> {
        let i = self.text.find(needle)?;
        let r = i..i + needle.len();
        Some((r.clone(), self.marks_at(r)))
    }
}

/// Output under construction.
#[derive(Default)]
pub(crate) struct Out {
    pub text: String,
    pub marks: Vec<(Range<usize>, Mark)>,
    /// (range, span, is_text_node)
    pub literal: Vec<(Range<usize>, TemplateSpan, bool)>,
    pub unknowns: Vec<(Range<usize>, Rc<str>)>,
}

impl Out {
    fn push_text(&mut self, t: &Text) -> Range<usize> {
        let base = self.text.len();
        self.text.push_str(&t.s);
        for (r, m) in &t.marks {
            let nr = base + r.start as usize..base + r.end as usize;
            if let Some((lr, lm)) = self.marks.last_mut()
                && lr.end == nr.start
                && lm == m
            {
                lr.end = nr.end;
                continue;
            }
            self.marks.push((nr, m.clone()));
        }
        for (r, w) in &t.unknown {
            self.unknowns
                .push((base + r.start as usize..base + r.end as usize, w.clone()));
        }
        base..self.text.len()
    }

    /// As a string value (for `include`): text nodes become Template marks.
    fn into_text(self) -> Text {
        let mut marks: Vec<(Range<u32>, Mark)> = self
            .marks
            .into_iter()
            .map(|(r, m)| (r.start as u32..r.end as u32, m))
            .collect();
        for (r, sp, is_text) in self.literal {
            if is_text {
                marks.push((
                    r.start as u32..r.end as u32,
                    Mark::Template {
                        template: sp.template,
                        span: sp.span,
                    },
                ));
            }
        }
        marks.sort_by_key(|(r, _)| (r.start, r.end));
        Text {
            s: self.text,
            marks,
            unknown: self
                .unknowns
                .into_iter()
                .map(|(r, w)| (r.start as u32..r.end as u32, w))
                .collect(),
        }
    }

    /// Removes every `<no value>` (Helm's hack), remapping ranges.
    fn strip_no_value(&mut self) {
        const NV: &str = "<no value>";
        if !self.text.contains(NV) {
            return;
        }
        let mut cuts: Vec<usize> = Vec::new();
        let mut out = String::with_capacity(self.text.len());
        let mut last = 0;
        for (i, _) in self.text.match_indices(NV) {
            out.push_str(&self.text[last..i]);
            cuts.push(i);
            last = i + NV.len();
        }
        out.push_str(&self.text[last..]);
        let map = |p: usize| -> usize {
            // number of removed bytes before p
            let mut removed = 0;
            for &c in &cuts {
                if c + NV.len() <= p {
                    removed += NV.len();
                } else if c < p {
                    removed += p - c;
                } else {
                    break;
                }
            }
            p - removed
        };
        let remap = |r: &Range<usize>| map(r.start)..map(r.end);
        for (r, _) in self.marks.iter_mut() {
            *r = remap(r);
        }
        self.marks.retain(|(r, _)| r.start < r.end);
        for (r, _, _) in self.literal.iter_mut() {
            *r = remap(r);
        }
        self.literal.retain(|(r, _, _)| r.start < r.end);
        for (r, _) in self.unknowns.iter_mut() {
            *r = remap(r);
        }
        self.unknowns.retain(|(r, _)| r.start < r.end);
        self.text = out;
    }

    pub(crate) fn finish(mut self, strip: bool) -> Rendered {
        if strip {
            self.strip_no_value();
        }
        self.marks.sort_by_key(|(r, _)| (r.start, r.end));
        Rendered {
            text: self.text,
            marks: self.marks,
            literal: self.literal.into_iter().map(|(r, s, _)| (r, s)).collect(),
            unknowns: self
                .unknowns
                .into_iter()
                .map(|(r, w)| (r, w.to_string()))
                .collect(),
            required: Vec::new(),
        }
    }
}

/// A set of named templates (the files of a chart and their `define`s).
pub struct TemplateSet {
    pub(crate) templates: HashMap<String, Rc<Tree>>,
    pub(crate) sources: Vec<Rc<Source>>,
    /// Name of the root template (Helm: "gotpl"), used by `include`/`tpl` error texts.
    pub root_name: String,
}

impl Default for TemplateSet {
    fn default() -> Self {
        TemplateSet::new()
    }
}

impl TemplateSet {
    pub fn new() -> TemplateSet {
        TemplateSet {
            templates: HashMap::new(),
            sources: Vec::new(),
            root_name: "gotpl".into(),
        }
    }

    /// Parses `text` as the template `name` (its file name, used in error messages) with
    /// template id `id` (put into Template marks) and adds it and its `define`s to the set.
    pub fn add(&mut self, name: &str, text: &str, id: u32) -> Result<(), Error> {
        let src = Rc::new(Source {
            name: name.to_string(),
            text: text.to_string(),
            id,
        });
        let parsed = parse_source(src.clone())?;
        self.sources.push(src);
        associate(&mut self.templates, parsed.main);
        for d in parsed.defines {
            associate(&mut self.templates, d);
        }
        Ok(())
    }

    pub fn has(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.templates.keys().cloned().collect();
        v.sort();
        v
    }

    /// Executes the template `name` with `dot`. The output has `<no value>` removed as Helm does.
    pub fn execute(&self, name: &str, dot: &Value, limits: &Limits) -> Result<Rendered, Error> {
        let mut ex = Exec::new(self, limits.clone());
        ex.execute_top(name, dot)
    }
}

fn parse_source(src: Rc<Source>) -> Result<parse::Parsed, Error> {
    let resolver = |n: &str| funcs::lookup(n);
    parse::parse(src.clone(), &resolver).map_err(|e| {
        let line = src.line(e.pos);
        Error {
            kind: if e.limit {
                ErrorKind::Limit
            } else {
                ErrorKind::Parse
            },
            go: format!("template: {}:{}: {}", src.name, line, e.msg),
            location: Some((src.name.clone(), line, 0)),
            message: e.msg,
        }
    })
}

/// Go's `associate`: a later definition replaces an earlier one unless it is empty.
fn associate(map: &mut HashMap<String, Rc<Tree>>, t: Rc<Tree>) {
    if let Some(_old) = map.get(&t.name)
        && t.is_empty()
    {
        return;
    }
    map.insert(t.name.clone(), t);
}

enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, Error>;

/// A receiver in a field chain: `iface` when the value came out of an `interface{}` slot
/// (map element, list element), which changes Go's error texts and nil behaviour.
#[derive(Clone)]
struct Recv {
    v: Value,
    iface: bool,
}

/// The execution state of one render.
pub struct Exec<'s> {
    pub(crate) set: &'s TemplateSet,
    /// Templates defined by `tpl` strings being executed (innermost last).
    overlays: Vec<HashMap<String, Rc<Tree>>>,
    vars: Vec<(Rc<str>, Value, bool)>,
    out: Out,
    cur: Rc<Tree>,
    /// Node position and kind for error messages (the context text is found on error).
    at_pos: u32,
    at_kind: AtKind,
    pub(crate) limits: Limits,
    steps: u64,
    range_iters: u64,
    include_counts: HashMap<String, u32>,
    pub(crate) tpl_depth: u32,
    stack_base: usize,
    /// Counter used to give `tpl` sources distinct ids.
    pub(crate) tpl_counter: u32,
    /// Template id used for sources parsed by `tpl`.
    pub tpl_template_id: u32,
    /// Data of the current action for functions that need it (span of the action).
    pub(crate) action_span: Option<Range<u32>>,
    /// The last evaluated argument was a nil read out of an `interface{}` slot.
    last_iface: bool,
    /// `required` with no value gives Unknown (recorded in [`Rendered::required`]) instead of
    /// Helm's error: a linter renders charts whose required values only the deployer knows.
    pub required_unknown: bool,
    pub(crate) required: Vec<Required>,
}

fn stack_addr() -> usize {
    let x = 0u8;
    std::hint::black_box(&x) as *const u8 as usize
}

impl Host for Exec<'_> {
    fn limits(&self) -> &Limits {
        &self.limits
    }
    fn include(&mut self, name: &str, dot: Value) -> Result<Value, FnErr> {
        Exec::include(self, name, dot)
    }
    fn tpl(&mut self, text: &Text, dot: Value) -> Result<Value, FnErr> {
        Exec::tpl(self, text, dot)
    }
    fn required_missing(&mut self, message: &str) -> Option<Value> {
        if !self.required_unknown {
            return None;
        }
        let span = self.action_span.clone().unwrap_or(self.at_pos..self.at_pos);
        self.required.push(Required {
            message: message.to_string(),
            at: TemplateSpan {
                template: self.cur.source.id,
                span,
            },
        });
        Some(Value::unknown(format!("required: {message}")))
    }
}

impl<'s> Exec<'s> {
    pub fn new(set: &'s TemplateSet, limits: Limits) -> Exec<'s> {
        let dummy = Rc::new(Tree {
            name: String::new(),
            source: Rc::new(Source {
                name: String::new(),
                text: String::new(),
                id: 0,
            }),
            root: Vec::new(),
        });
        Exec {
            set,
            overlays: Vec::new(),
            vars: Vec::new(),
            out: Out::default(),
            cur: dummy,
            at_pos: 0,
            at_kind: AtKind::None,
            limits,
            steps: 0,
            range_iters: 0,
            include_counts: HashMap::new(),
            tpl_depth: 0,
            stack_base: stack_addr(),
            tpl_counter: 0,
            tpl_template_id: u32::MAX,
            action_span: None,
            last_iface: false,
            required_unknown: false,
            required: Vec::new(),
        }
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<Rc<Tree>> {
        for o in self.overlays.iter().rev() {
            if let Some(t) = o.get(name) {
                return Some(t.clone());
            }
        }
        self.set.templates.get(name).cloned()
    }

    /// Executes a template at top level: output with `<no value>` stripped.
    pub fn execute_top(&mut self, name: &str, dot: &Value) -> R<Rendered> {
        self.stack_base = stack_addr();
        let Some(t) = self.lookup(name) else {
            return Err(Error {
                kind: ErrorKind::Exec,
                go: format!(
                    "template: no template {:?} associated with template {:?}",
                    name, self.set.root_name
                ),
                location: None,
                message: String::new(),
            });
        };
        let out = self.run_tree(t, dot.clone())?;
        let mut rendered = out.finish(true);
        rendered.required = std::mem::take(&mut self.required);
        Ok(rendered)
    }

    /// Runs a tree with a fresh variable scope into a fresh output buffer.
    pub(crate) fn run_tree(&mut self, t: Rc<Tree>, dot: Value) -> R<Out> {
        let saved_out = std::mem::take(&mut self.out);
        let saved_vars =
            std::mem::replace(&mut self.vars, vec![(Rc::from("$"), dot.clone(), false)]);
        let saved_cur = std::mem::replace(&mut self.cur, t.clone());
        let saved_at = (self.at_pos, self.at_kind);
        let r = self.walk_list(&dot, false, &t.root);
        self.cur = saved_cur;
        self.vars = saved_vars;
        self.at_pos = saved_at.0;
        self.at_kind = saved_at.1;
        let out = std::mem::replace(&mut self.out, saved_out);
        r.map(|_| out)
    }

    /// `include`: executes a named template and returns its output as a marked string.
    pub(crate) fn include(&mut self, name: &str, dot: Value) -> Result<Value, FnErr> {
        // No key allocated per call: an include is the commonest call of a chart.
        if self.include_counts.get(name).copied().unwrap_or(0) > self.limits.max_include_depth {
            return Err(FnErr::Limit(format!(
                "rendering template has a nested reference name: {}: unable to execute template",
                name
            )));
        }
        match self.include_counts.get_mut(name) {
            Some(c) => *c += 1,
            None => {
                self.include_counts.insert(name.to_string(), 1);
            }
        }
        let r = self.include_inner(name, dot);
        if let Some(c) = self.include_counts.get_mut(name) {
            *c -= 1;
        }
        r
    }

    fn include_inner(&mut self, name: &str, dot: Value) -> Result<Value, FnErr> {
        self.check_stack().map_err(|e| FnErr::Err(Box::new(e)))?;
        let Some(t) = self.lookup(name) else {
            return Err(FnErr::Undefined(format!(
                "template: no template {:?} associated with template {:?}",
                name, self.set.root_name
            )));
        };
        let out = self.run_tree(t, dot).map_err(|e| FnErr::Err(Box::new(e)))?;
        Ok(Value::text(out.into_text()))
    }

    /// `tpl`: parses `text` as a new template (defines visible to it and nested calls) and
    /// executes it with `dot`.
    pub(crate) fn tpl(&mut self, text: &Text, dot: Value) -> Result<Value, FnErr> {
        if self.tpl_depth >= self.limits.max_tpl_depth {
            return Err(FnErr::Limit(format!(
                "tpl nested deeper than {} levels",
                self.limits.max_tpl_depth
            )));
        }
        self.check_stack().map_err(|e| FnErr::Err(Box::new(e)))?;
        self.tpl_counter += 1;
        let src = Rc::new(Source {
            name: self.set.root_name.clone(),
            text: text.s.clone(),
            id: self.tpl_template_id,
        });
        let parsed = match parse_source(src) {
            Ok(p) => p,
            Err(e) => {
                let go = format!("cannot parse template {:?}: {}", text.s, e.go);
                return Err(FnErr::Err(Box::new(Error { go, ..e })));
            }
        };
        let mut overlay = HashMap::new();
        associate(&mut overlay, parsed.main.clone());
        for d in parsed.defines {
            associate(&mut overlay, d);
        }
        self.overlays.push(overlay);
        self.tpl_depth += 1;
        let r = self.run_tree(parsed.main.clone(), dot);
        self.tpl_depth -= 1;
        self.overlays.pop();
        match r {
            Ok(mut out) => {
                out.strip_no_value();
                // Map positions back to the input string: a tpl of a marked value keeps the
                // marks of the text nodes (which are slices of the input).
                let mut t = Text {
                    s: std::mem::take(&mut out.text),
                    marks: out
                        .marks
                        .iter()
                        .map(|(r, m)| (r.start as u32..r.end as u32, m.clone()))
                        .collect(),
                    unknown: out
                        .unknowns
                        .iter()
                        .map(|(r, w)| (r.start as u32..r.end as u32, w.clone()))
                        .collect(),
                };
                for (r, sp, is_text) in &out.literal {
                    if *is_text {
                        // text node of the tpl source = bytes of `text`
                        let src_piece = text.slice(sp.span.start as usize..sp.span.end as usize);
                        for (mr, m) in src_piece.marks {
                            t.marks
                                .push((r.start as u32 + mr.start..r.start as u32 + mr.end, m));
                        }
                        for (ur, w) in src_piece.unknown {
                            t.unknown
                                .push((r.start as u32 + ur.start..r.start as u32 + ur.end, w));
                        }
                    }
                }
                t.marks.sort_by_key(|(r, _)| (r.start, r.end));
                Ok(Value::text(t))
            }
            Err(e) => {
                let go = format!(
                    "error during tpl function execution for {:?}: {}",
                    text.s, e.go
                );
                Err(FnErr::Err(Box::new(Error { go, ..e })))
            }
        }
    }

    fn check_stack(&self) -> R<()> {
        let here = stack_addr();
        let used = self.stack_base.abs_diff(here);
        if used > self.limits.max_stack_bytes {
            return Err(self.limit_err(format!(
                "template nesting too deep (more than {} bytes of stack)",
                self.limits.max_stack_bytes
            )));
        }
        Ok(())
    }

    fn step(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(self.limit_err(format!(
                "more than {} evaluation steps",
                self.limits.max_steps
            )));
        }
        Ok(())
    }

    // ------------------------------------------------------------ errors

    fn at_arg(&mut self, a: &Arg) {
        self.at_pos = parse::arg_pos(a);
        self.at_kind = AtKind::Arg(arg_disc(a));
    }

    fn at_cmd(&mut self, c: &Cmd) {
        self.at_pos = c.pos;
        self.at_kind = AtKind::Cmd;
    }

    /// Go's `n.String()` of the node errors are reported at.
    fn context(&self) -> Option<String> {
        if matches!(self.at_kind, AtKind::None) {
            return None;
        }
        find_ctx(&self.cur.root, self.at_pos, self.at_kind)
    }

    fn location(&self) -> (String, usize, usize) {
        let (l, c) = self.cur.source.line_col(self.at_pos);
        (self.cur.source.name.clone(), l, c)
    }

    fn go_prefix(&self) -> String {
        let (n, l, c) = self.location();
        match self.context() {
            Some(ctx) => format!(
                "template: {}:{}:{}: executing {:?} at <{}>: ",
                n, l, c, self.cur.name, ctx
            ),
            None => format!("template: {}: ", self.cur.name),
        }
    }

    pub(crate) fn errorf(&self, msg: impl Into<String>) -> Error {
        let msg = msg.into();
        Error {
            kind: ErrorKind::Exec,
            go: format!("{}{}", self.go_prefix(), msg),
            location: Some(self.location()),
            message: msg,
        }
    }

    fn limit_err(&self, msg: String) -> Error {
        Error {
            kind: ErrorKind::Limit,
            go: format!("{}{}", self.go_prefix(), msg),
            location: Some(self.location()),
            message: msg,
        }
    }

    fn wrap_fn_err(&self, name: &str, e: FnErr) -> Error {
        match e {
            FnErr::Msg(m) => self.errorf(format!("error calling {}: {}", name, m)),
            FnErr::Undefined(m) => Error {
                kind: ErrorKind::Undefined,
                ..self.errorf(format!("error calling {}: {}", name, m))
            },
            FnErr::Fail(m) => Error {
                kind: ErrorKind::Fail,
                go: format!(
                    "{}error calling {}: {}{}{}",
                    self.go_prefix(),
                    name,
                    WARN_START,
                    m,
                    WARN_END
                ),
                location: Some(self.location()),
                message: m,
            },
            FnErr::Limit(m) => {
                let mut e = self.limit_err(format!("error calling {}: {}", name, m));
                e.message = m;
                e
            }
            FnErr::Err(inner) => Error {
                kind: if inner.kind == ErrorKind::Parse {
                    ErrorKind::Exec
                } else {
                    inner.kind.clone()
                },
                go: format!("{}error calling {}: {}", self.go_prefix(), name, inner.go),
                location: Some(self.location()),
                message: inner.message,
            },
        }
    }

    // ------------------------------------------------------------ output

    fn check_out(&self) -> R<()> {
        if self.out.text.len() > self.limits.max_output_bytes {
            return Err(self.limit_err(format!(
                "output larger than {} bytes",
                self.limits.max_output_bytes
            )));
        }
        Ok(())
    }

    fn print_value(&mut self, v: &Value, span: Range<u32>) -> R<()> {
        let start = self.out.text.len();
        match v {
            Value::Nil => {
                self.out.text.push_str("<no value>");
            }
            Value::Str(t) => {
                self.out.push_text(t);
            }
            Value::Unknown(w) => {
                let s = self.out.text.len();
                self.out.text.push_str(UNKNOWN_TEXT);
                self.out.unknowns.push((s..self.out.text.len(), w.clone()));
            }
            v => {
                let mut b = TextBuf::new();
                gofmt::write_v(&mut b, v);
                self.out.push_text(&b.finish());
            }
        }
        let end = self.out.text.len();
        if end > start {
            self.out.literal.push((
                start..end,
                TemplateSpan {
                    template: self.cur.source.id,
                    span,
                },
                false,
            ));
        }
        self.check_out()
    }

    // ------------------------------------------------------------ walking

    fn walk_list(&mut self, dot: &Value, dot_iface: bool, list: &[Node]) -> R<Flow> {
        for n in list {
            match self.walk(dot, dot_iface, n)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, dot_iface: bool, node: &Node) -> R<Flow> {
        self.step()?;
        match node {
            Node::Text { start, end } => {
                let s = self.out.text.len();
                let src = self.cur.source.clone();
                self.out
                    .text
                    .push_str(src.text.get(*start as usize..*end as usize).unwrap_or(""));
                let e = self.out.text.len();
                self.out.literal.push((
                    s..e,
                    TemplateSpan {
                        template: self.cur.source.id,
                        span: *start..*end,
                    },
                    true,
                ));
                self.check_out()?;
                Ok(Flow::Normal)
            }
            Node::Action { pos, end, pipe } => {
                let saved = self.action_span.replace(*pos..*end);
                let v = self.eval_pipeline(dot, dot_iface, pipe)?;
                self.action_span = saved;
                if pipe.decl.is_empty() {
                    // position of the printing: Go uses the action node
                    let span = action_span(&self.cur.source.text, *pos, *end);
                    self.print_value(&v, span)?;
                }
                Ok(Flow::Normal)
            }
            Node::If {
                pipe,
                list,
                else_list,
                ..
            }
            | Node::With {
                pipe,
                list,
                else_list,
                ..
            } => {
                let is_with = matches!(node, Node::With { .. });
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, dot_iface, pipe)?;
                let r = if v.truthy() {
                    if is_with {
                        self.walk_list(&v, false, list)
                    } else {
                        self.walk_list(dot, dot_iface, list)
                    }
                } else if let Some(el) = else_list {
                    self.walk_list(dot, dot_iface, el)
                } else {
                    Ok(Flow::Normal)
                };
                self.vars.truncate(mark);
                r
            }
            Node::Range {
                pos,
                pipe,
                list,
                else_list,
            } => {
                let mark = self.vars.len();
                let r = self.walk_range(dot, dot_iface, *pos, pipe, list, else_list.as_deref());
                self.vars.truncate(mark);
                r.map(|_| Flow::Normal)
            }
            Node::Template {
                pos,
                end,
                name,
                pipe,
            } => {
                self.check_stack()?;
                self.at_pos = *pos;
                self.at_kind = AtKind::Template;
                let Some(t) = self.lookup(name) else {
                    return Err(Error {
                        kind: ErrorKind::Undefined,
                        ..self.errorf(format!("template {:?} not defined", name))
                    });
                };
                let newdot = match pipe {
                    Some(p) => self.eval_pipeline(dot, dot_iface, p)?,
                    None => Value::Nil,
                };
                let start = self.out.text.len();
                let saved_vars =
                    std::mem::replace(&mut self.vars, vec![(Rc::from("$"), newdot.clone(), false)]);
                let saved_cur = std::mem::replace(&mut self.cur, t.clone());
                let r = self.walk_list(&newdot, false, &t.root);
                self.cur = saved_cur;
                self.vars = saved_vars;
                r?;
                let _ = (start, end);
                Ok(Flow::Normal)
            }
            Node::Break { .. } => Ok(Flow::Break),
            Node::Continue { .. } => Ok(Flow::Continue),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn walk_range(
        &mut self,
        dot: &Value,
        dot_iface: bool,
        pos: u32,
        pipe: &Pipe,
        list: &[Node],
        else_list: Option<&[Node]>,
    ) -> R<()> {
        let _ = pos;
        let val = self.eval_pipeline(dot, dot_iface, pipe)?;
        let mark = self.vars.len();
        let mut iterations: Vec<(Value, Value, bool)> = Vec::new();
        match &val {
            Value::List(l) => {
                let iface = l.ty() == ListTy::Any;
                for (i, e) in l.items().iter().enumerate() {
                    iterations.push((Value::Int(i as i64, None), e.clone(), iface));
                }
            }
            Value::Map(m) => {
                let d = m.data.borrow();
                for (k, v) in d.entries.iter() {
                    iterations.push((
                        Value::str_marked(k.clone(), d.key_marks.get(k).cloned()),
                        v.clone(),
                        true,
                    ));
                }
            }
            Value::Nil => {}
            Value::Unknown(w) => {
                // Unknown collection: the body runs once with unknown elements.
                iterations.push((Value::Unknown(w.clone()), Value::Unknown(w.clone()), false));
            }
            Value::Object(o) => match o.to_data() {
                Some(Value::List(l)) => {
                    for (i, e) in l.items().iter().enumerate() {
                        iterations.push((Value::Int(i as i64, None), e.clone(), false));
                    }
                }
                Some(Value::Map(m)) => {
                    for (k, v) in m.entries() {
                        iterations.push((Value::str(k), v, false));
                    }
                }
                _ => return Err(self.errorf(format!("range can't iterate over {}", o.format()))),
            },
            v => {
                return Err(self.errorf(format!("range can't iterate over {}", gofmt::sprint_v(v))));
            }
        }
        if iterations.is_empty() {
            if let Some(el) = else_list {
                self.walk_list(dot, dot_iface, el)?;
            }
            return Ok(());
        }
        for (idx, elem, iface) in iterations {
            self.range_iters += 1;
            if self.range_iters > self.limits.max_range_iterations {
                return Err(self.limit_err(format!(
                    "range over more than {} items",
                    self.limits.max_range_iterations
                )));
            }
            if !pipe.decl.is_empty() {
                if pipe.is_assign {
                    if pipe.decl.len() > 1 {
                        self.set_var(&pipe.decl[0].1, idx.clone(), false);
                        self.set_var(&pipe.decl[1].1, elem.clone(), iface);
                    } else {
                        self.set_var(&pipe.decl[0].1, elem.clone(), iface);
                    }
                } else {
                    let n = self.vars.len();
                    if pipe.decl.len() > 1 {
                        if n >= 2 {
                            self.vars[n - 2].1 = idx.clone();
                            self.vars[n - 2].2 = false;
                        }
                        self.vars[n - 1].1 = elem.clone();
                        self.vars[n - 1].2 = iface;
                    } else if n >= 1 {
                        self.vars[n - 1].1 = elem.clone();
                        self.vars[n - 1].2 = iface;
                    }
                }
            }
            let m2 = self.vars.len();
            let f = self.walk_list(&elem, iface, list);
            self.vars.truncate(m2.max(mark));
            match f? {
                Flow::Break => break,
                Flow::Continue | Flow::Normal => {}
            }
        }
        Ok(())
    }

    fn set_var(&mut self, name: &str, v: Value, iface: bool) {
        for e in self.vars.iter_mut().rev() {
            if &*e.0 == name {
                e.1 = v;
                e.2 = iface;
                return;
            }
        }
    }

    /// The map and key a field chain (`.Values.a.b`, `$.Values.a.b`, `$x.b`) reads from.
    fn slot_of(&self, dot: &Value, a: &Arg) -> Option<(super::value::Map, String)> {
        let (start, fields): (Value, &[Rc<str>]) = match a {
            Arg::Field { idents, .. } => (dot.clone(), idents),
            Arg::Var { name, fields, .. } => (self.var_value(name)?.0, fields),
            _ => return None,
        };
        let (last, init) = fields.split_last()?;
        let mut cur = start;
        for f in init {
            cur = match cur {
                Value::Map(m) => m.get(f)?,
                _ => return None,
            };
        }
        match cur {
            Value::Map(m) => Some((m, last.to_string())),
            _ => None,
        }
    }

    fn var_value(&self, name: &str) -> Option<(Value, bool)> {
        self.vars
            .iter()
            .rev()
            .find(|e| &*e.0 == name)
            .map(|e| (e.1.clone(), e.2))
    }

    // ------------------------------------------------------------ evaluation

    pub(crate) fn eval_pipeline(&mut self, dot: &Value, dot_iface: bool, pipe: &Pipe) -> R<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, dot_iface, cmd, value.take())?;
            value = Some(v);
        }
        let value = value.unwrap_or(Value::Nil);
        for (_, name) in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone(), false);
            } else {
                self.vars.push((name.clone(), value.clone(), false));
            }
        }
        Ok(value)
    }

    fn not_a_function(&mut self, cmd: &Cmd, fin: &Option<Value>) -> R<()> {
        if cmd.args.len() > 1 || fin.is_some() {
            let mut s = String::new();
            parse::arg_string(&cmd.args[0], &mut s);
            return Err(self.errorf(format!("can't give argument to non-function {}", s)));
        }
        Ok(())
    }

    fn eval_command(
        &mut self,
        dot: &Value,
        dot_iface: bool,
        cmd: &Cmd,
        fin: Option<Value>,
    ) -> R<Value> {
        self.step()?;
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.at_arg(first);
                let recv = Recv {
                    v: dot.clone(),
                    iface: dot_iface,
                };
                self.eval_field_chain(dot, dot_iface, recv, first, idents, Some(cmd), fin)
            }
            Arg::Chain { node, fields, .. } => {
                self.at_arg(first);
                if matches!(**node, Arg::Nil { .. }) {
                    let mut s = String::new();
                    parse::arg_string(first, &mut s);
                    return Err(self.errorf(format!("indirection through explicit nil in {}", s)));
                }
                let v = self.eval_arg_any(dot, dot_iface, node)?;
                self.eval_field_chain(
                    dot,
                    dot_iface,
                    Recv { v, iface: false },
                    first,
                    fields,
                    Some(cmd),
                    fin,
                )
            }
            Arg::Ident { name, func, .. } => {
                self.at_arg(first);
                self.eval_function(dot, dot_iface, *func, name, cmd, &cmd.args[1..], fin)
            }
            Arg::Pipe(p) => {
                self.not_a_function(cmd, &fin)?;
                self.eval_pipeline(dot, dot_iface, p)
            }
            Arg::Var { name, fields, .. } => {
                self.at_arg(first);
                let Some((v, iface)) = self.var_value(name) else {
                    return Err(self.errorf(format!("undefined variable: {}", name)));
                };
                if fields.is_empty() {
                    self.not_a_function(cmd, &fin)?;
                    return Ok(v);
                }
                self.eval_field_chain(
                    dot,
                    dot_iface,
                    Recv { v, iface },
                    first,
                    fields,
                    Some(cmd),
                    fin,
                )
            }
            _ => {
                self.at_arg(first);
                self.not_a_function(cmd, &fin)?;
                Ok(match first {
                    Arg::Dot { .. } => dot.clone(),
                    Arg::Nil { .. } => return Err(self.errorf("nil is not a command")),
                    Arg::Bool { val, .. } | Arg::Str { val, .. } => val.clone(),
                    Arg::Number { num, text, val, .. } => {
                        if matches!(val, Value::Nil) {
                            let _ = num;
                            return Err(self.errorf(format!("{} overflows int", text)));
                        }
                        val.clone()
                    }
                    _ => Value::Nil,
                })
            }
        }
    }

    /// Evaluates an argument as `interface{}` (Go's evalArg with an empty-interface type).
    fn eval_arg_any(&mut self, dot: &Value, dot_iface: bool, a: &Arg) -> R<Value> {
        self.at_arg(a);
        self.last_iface = false;
        match a {
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Ok(Value::Nil),
            Arg::Field { idents, .. } => {
                let recv = Recv {
                    v: dot.clone(),
                    iface: dot_iface,
                };
                self.eval_field_chain(dot, dot_iface, recv, a, idents, None, None)
            }
            Arg::Var { name, fields, .. } => {
                let Some((v, iface)) = self.var_value(name) else {
                    return Err(self.errorf(format!("undefined variable: {}", name)));
                };
                if fields.is_empty() {
                    return Ok(v);
                }
                self.eval_field_chain(dot, dot_iface, Recv { v, iface }, a, fields, None, None)
            }
            Arg::Pipe(p) => self.eval_pipeline(dot, dot_iface, p),
            Arg::Ident { name, func, .. } => {
                let empty: [Arg; 0] = [];
                self.eval_function_args(dot, dot_iface, *func, name, a, &empty, None)
            }
            Arg::Chain { node, fields, .. } => {
                if matches!(**node, Arg::Nil { .. }) {
                    let mut s = String::new();
                    parse::arg_string(a, &mut s);
                    return Err(self.errorf(format!("indirection through explicit nil in {}", s)));
                }
                let v = self.eval_arg_any(dot, dot_iface, node)?;
                self.eval_field_chain(
                    dot,
                    dot_iface,
                    Recv { v, iface: false },
                    a,
                    fields,
                    None,
                    None,
                )
            }
            Arg::Bool { val, .. } | Arg::Str { val, .. } => Ok(val.clone()),
            Arg::Number { val, text, .. } => {
                if matches!(val, Value::Nil) {
                    return Err(self.errorf(format!("{} overflows int", text)));
                }
                Ok(val.clone())
            }
        }
    }

    /// Evaluates an argument for a parameter of type `p` (Go's evalArg + validateType).
    fn eval_arg_typed(&mut self, dot: &Value, dot_iface: bool, a: &Arg, p: P) -> R<Value> {
        self.at_arg(a);
        match a {
            Arg::Str { val, .. } => match p {
                P::Str | P::Any => Ok(val.clone()),
                P::Int => Err(self.errorf(format!("expected integer; found {}", arg_text(a)))),
                P::F64 => Err(self.errorf(format!("expected float; found {}", arg_text(a)))),
                P::Bool => Err(self.errorf(format!("expected bool; found {}", arg_text(a)))),
                _ => Err(self.errorf(format!(
                    "can't handle {} for arg of type {}",
                    arg_text(a),
                    p.go_type()
                ))),
            },
            Arg::Number { num, text, val, .. } => match p {
                P::Any => {
                    if matches!(val, Value::Nil) {
                        return Err(self.errorf(format!("{} overflows int", text)));
                    }
                    Ok(val.clone())
                }
                P::Int => {
                    if num.is_int {
                        Ok(Value::Int(num.int, val.mark()))
                    } else {
                        Err(self.errorf(format!("expected integer; found {}", text)))
                    }
                }
                P::F64 => {
                    if num.is_float {
                        Ok(Value::Float(num.float, val.mark()))
                    } else {
                        Err(self.errorf(format!("expected float; found {}", text)))
                    }
                }
                P::Str => Err(self.errorf(format!("expected string; found {}", text))),
                P::Bool => Err(self.errorf(format!("expected bool; found {}", text))),
                _ => Err(self.errorf(format!(
                    "can't handle {} for arg of type {}",
                    text,
                    p.go_type()
                ))),
            },
            Arg::Bool { val, .. } => match p {
                P::Bool | P::Any => Ok(val.clone()),
                P::Str => Err(self.errorf(format!("expected string; found {}", arg_text(a)))),
                P::Int => Err(self.errorf(format!("expected integer; found {}", arg_text(a)))),
                P::F64 => Err(self.errorf(format!("expected float; found {}", arg_text(a)))),
                _ => Err(self.errorf(format!(
                    "can't handle {} for arg of type {}",
                    arg_text(a),
                    p.go_type()
                ))),
            },
            Arg::Nil { .. } => match p {
                P::Any => Ok(Value::Nil),
                P::Map => Ok(Value::Map(super::value::Map::nil_map())),
                P::List => Ok(Value::List(super::value::List::nil())),
                _ => Err(self.errorf(format!("cannot assign nil to {}", p.go_type()))),
            },
            _ => {
                let v = self.eval_arg_any(dot, dot_iface, a)?;
                self.at_arg(a);
                self.validate_arg(v, p)
            }
        }
    }

    /// validateType for an argument: a nil read from an `interface{}` slot is a typed nil.
    fn validate_arg(&self, v: Value, p: P) -> R<Value> {
        if self.last_iface && matches!(v, Value::Nil) && p != P::Any {
            return Err(self.errorf(format!(
                "wrong type for value; expected {}; got interface {{}}",
                p.go_type()
            )));
        }
        self.validate(v, p)
    }

    /// Go's validateType for an evaluated value.
    pub(crate) fn validate(&self, v: Value, p: P) -> R<Value> {
        if matches!(v, Value::Unknown(_)) {
            return Ok(v);
        }
        let ok = match (&v, p) {
            (_, P::Any) => true,
            (Value::Nil, P::Map) => return Ok(Value::Map(super::value::Map::nil_map())),
            (Value::Nil, P::List) => return Ok(Value::List(super::value::List::nil())),
            (Value::Nil, _) => {
                return Err(self.errorf(format!("invalid value; expected {}", p.go_type())));
            }
            (Value::Str(_), P::Str) => true,
            (Value::Int(..), P::Int) => true,
            (Value::Float(..), P::F64) => true,
            (Value::Bool(..), P::Bool) => true,
            (Value::Map(m), P::Map) => m.ty != super::value::MapTy::Str,
            (Value::List(l), P::List) => l.ty() == ListTy::Any,
            _ => false,
        };
        if ok {
            Ok(v)
        } else {
            Err(self.errorf(format!(
                "wrong type for value; expected {}; got {}",
                p.go_type(),
                v.type_name()
            )))
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        dot: &Value,
        dot_iface: bool,
        mut recv: Recv,
        node: &Arg,
        idents: &[Rc<str>],
        cmd: Option<&Cmd>,
        fin: Option<Value>,
    ) -> R<Value> {
        let n = idents.len();
        for id in &idents[..n - 1] {
            recv = self.eval_field(dot, dot_iface, id, node, None, None, recv)?;
        }
        let r = self.eval_field(dot, dot_iface, &idents[n - 1], node, cmd, fin, recv)?;
        self.last_iface = r.iface && matches!(r.v, Value::Nil);
        Ok(r.v)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Value,
        dot_iface: bool,
        name: &str,
        node: &Arg,
        cmd: Option<&Cmd>,
        fin: Option<Value>,
        recv: Recv,
    ) -> R<Recv> {
        let has_args = cmd.map(|c| c.args.len() > 1).unwrap_or(false) || fin.is_some();
        let typ = if recv.iface {
            "interface {}".to_string()
        } else {
            recv.v.type_name()
        };
        match &recv.v {
            Value::Nil => {
                if recv.iface {
                    return Err(Error {
                        kind: ErrorKind::Undefined,
                        ..self.errorf(format!("nil pointer evaluating interface {{}}.{}", name))
                    });
                }
                Ok(Recv {
                    v: Value::Nil,
                    iface: false,
                })
            }
            Value::Unknown(w) => Ok(Recv {
                v: Value::Unknown(w.clone()),
                iface: false,
            }),
            Value::Map(m) => {
                if has_args {
                    return Err(self.errorf(format!("{} is not a method but has arguments", name)));
                }
                if m.ty == super::value::MapTy::Values && m.get(name).is_none() {
                    // chartutil.Values methods without arguments
                    if name == "AsMap" {
                        let m2 = super::value::Map {
                            data: m.data.clone(),
                            ty: super::value::MapTy::Any,
                        };
                        return Ok(Recv {
                            v: Value::Map(m2),
                            iface: false,
                        });
                    }
                }
                let v = m.get(name).unwrap_or(Value::Nil);
                Ok(Recv {
                    v,
                    iface: m.ty != super::value::MapTy::Str,
                })
            }
            Value::Object(o) => {
                let o = o.clone();
                if o.has_method(name) {
                    let args = match cmd {
                        Some(c) => &c.args[1..],
                        None => &[][..],
                    };
                    let mut vals = Vec::new();
                    for a in args {
                        vals.push(self.eval_arg_any(dot, dot_iface, a)?);
                    }
                    if let Some(f) = fin {
                        vals.push(f);
                    }
                    self.at_arg(node);
                    if let Some(w) = vals.iter().find_map(|v| v.unknown_reason()) {
                        return Ok(Recv {
                            v: Value::Unknown(w),
                            iface: false,
                        });
                    }
                    return match o.call_method(name, &vals) {
                        Ok(v) => Ok(Recv { v, iface: false }),
                        Err(e) => Err(self.errorf(e)),
                    };
                }
                match o.field(name) {
                    Some(v) => {
                        if has_args {
                            return Err(self.errorf(format!(
                                "{} has arguments but cannot be invoked as function",
                                name
                            )));
                        }
                        Ok(Recv { v, iface: false })
                    }
                    None => {
                        Err(self.errorf(format!("can't evaluate field {} in type {}", name, typ)))
                    }
                }
            }
            _ => Err(self.errorf(format!("can't evaluate field {} in type {}", name, typ))),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_function(
        &mut self,
        dot: &Value,
        dot_iface: bool,
        func: parse::FuncId,
        name: &str,
        cmd: &Cmd,
        args: &[Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let first = &cmd.args[0];
        let _ = first;
        self.eval_function_cmd(dot, dot_iface, func, name, Some(cmd), args, fin)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_function_args(
        &mut self,
        dot: &Value,
        dot_iface: bool,
        func: parse::FuncId,
        name: &str,
        node: &Arg,
        args: &[Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let _ = node;
        self.eval_function_cmd(dot, dot_iface, func, name, None, args, fin)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_function_cmd(
        &mut self,
        dot: &Value,
        dot_iface: bool,
        func: parse::FuncId,
        name: &str,
        cmd: Option<&Cmd>,
        args: &[Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let def: &'static FuncDef = funcs::get(func);
        // arity
        let num_in = args.len() + usize::from(fin.is_some());
        let fixed = def.params.len();
        if def.variadic.is_some() {
            if num_in < fixed {
                return Err(self.errorf(format!(
                    "wrong number of args for {}: want at least {} got {}",
                    name,
                    fixed,
                    args.len()
                )));
            }
        } else if num_in != fixed {
            return Err(self.errorf(format!(
                "wrong number of args for {}: want {} got {}",
                name, fixed, num_in
            )));
        }
        let ptype = |i: usize| -> P {
            if i < fixed {
                def.params[i]
            } else {
                def.variadic.unwrap_or(P::Any)
            }
        };
        // short-circuit and/or
        if def.name == "and" || def.name == "or" {
            let is_or = def.name == "or";
            let mut v = Value::Nil;
            for a in args {
                v = self.eval_arg_any(dot, dot_iface, a)?;
                if v.truthy() == is_or && !matches!(v, Value::Unknown(_)) {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }
        let mut vals: Vec<Value> = Vec::with_capacity(num_in);
        let lazy_unknown = def.unknown == U::Prop;
        for (i, a) in args.iter().enumerate() {
            let p = ptype(i);
            let v = if lazy_unknown || def.unknown == U::Text {
                // evaluate untyped first so that Unknowns do not fail type checks
                match a {
                    Arg::Str { .. } | Arg::Number { .. } | Arg::Bool { .. } | Arg::Nil { .. } => {
                        self.eval_arg_typed(dot, dot_iface, a, p)?
                    }
                    _ => {
                        let v = self.eval_arg_any(dot, dot_iface, a)?;
                        if v.is_unknown() {
                            v
                        } else {
                            self.at_arg(a);
                            self.validate_arg(v, p)?
                        }
                    }
                }
            } else {
                self.eval_arg_typed(dot, dot_iface, a, p)?
            };
            vals.push(v);
        }
        if let Some(f) = fin {
            let p = ptype(num_in - 1);
            let v = if f.is_unknown() {
                f
            } else {
                self.validate(f, p)?
            };
            vals.push(v);
        }
        if let Some(c) = cmd {
            self.at_cmd(c);
        }
        if def.name == "call" {
            let msg = match vals.first() {
                None | Some(Value::Nil) => "call of nil".to_string(),
                Some(v) => format!(
                    "non-function {} of type {}",
                    args.first().map(arg_text).unwrap_or_default(),
                    v.type_name()
                ),
            };
            return Err(self.wrap_fn_err(name, FnErr::Msg(msg)));
        }
        if lazy_unknown && let Some(w) = vals.iter().find_map(|v| v.unknown_reason()) {
            return Ok(Value::Unknown(w));
        }
        let missing_required = def.name == "required"
            && self.required_unknown
            && matches!(vals.get(1), Some(Value::Nil) | Some(Value::Str(_)))
            && vals
                .get(1)
                .is_some_and(|v| v.is_nil() || v.as_str() == Some(""));
        let mut call = Call { args: vals };
        let r = (def.imp)(self, &mut call);
        // A required value nobody gave is unknown for the rest of the render, as if the
        // deployer had given it: its slot in the values now holds the Unknown.
        if missing_required
            && let Ok(unknown @ Value::Unknown(_)) = &r
            && let Some((map, key)) = args.get(1).and_then(|a| self.slot_of(dot, a))
        {
            map.insert(key, unknown.clone());
        }
        if let Some(c) = cmd {
            self.at_cmd(c);
        }
        if let Ok(Value::Str(t)) = &r
            && t.s.len() > self.limits.max_output_bytes
        {
            return Err(self.limit_err(format!(
                "error calling {}: result larger than {} bytes",
                name, self.limits.max_output_bytes
            )));
        }
        r.map_err(|e| self.wrap_fn_err(name, e))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum AtKind {
    None,
    Cmd,
    Arg(u8),
    Template,
}

fn arg_disc(a: &Arg) -> u8 {
    match a {
        Arg::Field { .. } => 0,
        Arg::Chain { .. } => 1,
        Arg::Var { .. } => 2,
        Arg::Dot { .. } => 3,
        Arg::Nil { .. } => 4,
        Arg::Bool { .. } => 5,
        Arg::Number { .. } => 6,
        Arg::Str { .. } => 7,
        Arg::Ident { .. } => 8,
        Arg::Pipe(_) => 9,
    }
}

fn find_ctx(nodes: &[Node], pos: u32, kind: AtKind) -> Option<String> {
    for n in nodes {
        let found = match n {
            Node::Action { pipe, .. } => ctx_in_pipe(pipe, pos, kind),
            Node::If {
                pipe,
                list,
                else_list,
                ..
            }
            | Node::With {
                pipe,
                list,
                else_list,
                ..
            }
            | Node::Range {
                pipe,
                list,
                else_list,
                ..
            } => ctx_in_pipe(pipe, pos, kind)
                .or_else(|| find_ctx(list, pos, kind))
                .or_else(|| else_list.as_deref().and_then(|l| find_ctx(l, pos, kind))),
            Node::Template { pos: p, pipe, .. } => {
                if kind == AtKind::Template && *p == pos {
                    Some(parse::node_string(n))
                } else {
                    pipe.as_ref().and_then(|pp| ctx_in_pipe(pp, pos, kind))
                }
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn ctx_in_pipe(p: &Pipe, pos: u32, kind: AtKind) -> Option<String> {
    for c in &p.cmds {
        if kind == AtKind::Cmd && c.pos == pos {
            let mut s = String::new();
            parse::cmd_string(c, &mut s);
            return Some(s);
        }
        for a in &c.args {
            if let Some(s) = ctx_in_arg(a, pos, kind) {
                return Some(s);
            }
        }
    }
    None
}

fn ctx_in_arg(a: &Arg, pos: u32, kind: AtKind) -> Option<String> {
    if kind == AtKind::Arg(arg_disc(a)) && parse::arg_pos(a) == pos {
        let mut s = String::new();
        parse::arg_string(a, &mut s);
        return Some(s);
    }
    match a {
        Arg::Pipe(p) => ctx_in_pipe(p, pos, kind),
        Arg::Chain { node, .. } => ctx_in_arg(node, pos, kind),
        _ => None,
    }
}

fn arg_text(a: &Arg) -> String {
    let mut s = String::new();
    parse::arg_string(a, &mut s);
    s
}

/// The source span of an action `{{ … }}` from the pipeline start/end positions.
fn action_span(src: &str, pos: u32, end: u32) -> Range<u32> {
    let b = src.as_bytes();
    let mut s = pos as usize;
    while s >= 2 && !(b[s - 2] == b'{' && b[s - 1] == b'{') {
        s -= 1;
    }
    let start = s.saturating_sub(2) as u32;
    start..end.min(src.len() as u32)
}
