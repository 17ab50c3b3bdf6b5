//! From a rendered template to YAML trees whose every node points where its value came from.
//!
//! The output is split into documents as Helm splits it (`releaseutil.SplitManifests`), each
//! document is read by [`crate::parse::yaml`] (spans into the rendered text), and every node is
//! moved to its origin:
//!
//! - a **scalar** (value or key) to the values-file node whose mark covers it. When several
//!   values make one scalar, the **last** one decides (marks wholly inside the scalar first,
//!   then the one ending last): `{{ .Values.image.repository }}:{{ .Values.image.tag }}`
//!   points at the tag, `{{ .Values.host }}:{{ .Values.port }}` at the port — the part a
//!   pinning or port rule is about. Without a value mark, to the template literal that wrote
//!   it (a string literal, or text of an included helper: `Mark::Template`), else to the
//!   template text or action that wrote it (`Rendered::literal`; text nodes map byte for byte);
//! - a **mapping or sequence** printed whole from the values (`toYaml .Values.resources`) to
//!   that block of the values file, from its first key or item to its last; any other to the
//!   template origin of its first key or item (the block as the template lays it out).
//!
//! The rendered text stays in `Scalar::text`. For each scalar that came from a value, the
//! pair (value origin, template action that printed it) is recorded, so a finding on a
//! values line can name the template line as related.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::parse::yaml::{self, Node, Value};
use crate::source::{Format, Origin, SourceFile, Span};

use super::template::{Mark, Rendered, TemplateSpan};

/// What marks resolve to.
pub(crate) struct Resolve<'a> {
    /// `Mark::External` ids.
    pub origins: &'a [Origin],
    /// Template ids (`Mark::Template`, `TemplateSpan`) to their files; ids past the end (text
    /// of `tpl` strings) resolve to nothing.
    pub templates: &'a [Arc<SourceFile>],
}

/// Ranges sorted by start, with a tree of the maximum end under each node for overlap
/// queries: a query costs O((k + 1) log n) for k hits, even when an early range covers
/// everything after it (`toYaml` of a long list marks the whole list, then each item),
/// where a running maximum would make every query scan back to it.
struct Index<'a, T> {
    items: Vec<(&'a Range<usize>, &'a T)>,
    /// Implicit binary tree over `items`: `max_end[size + i]` is item i's end, each inner
    /// node the maximum of its children.
    max_end: Vec<usize>,
    size: usize,
}

impl<'a, T> Index<'a, T> {
    fn new(mut items: Vec<(&'a Range<usize>, &'a T)>) -> Self {
        items.sort_by_key(|(r, _)| (r.start, r.end));
        let size = items.len().next_power_of_two().max(1);
        let mut max_end = vec![0; 2 * size];
        for (i, (r, _)) in items.iter().enumerate() {
            max_end[size + i] = r.end;
        }
        for n in (1..size).rev() {
            max_end[n] = max_end[2 * n].max(max_end[2 * n + 1]);
        }
        Self {
            items,
            max_end,
            size,
        }
    }

    /// Entries overlapping `r` (an empty `r` overlaps the entries containing its start), in
    /// order of start.
    fn overlapping(&self, r: &Range<usize>) -> Vec<(&'a Range<usize>, &'a T)> {
        let end = r.end.max(r.start + 1);
        let upto = self.items.partition_point(|(x, _)| x.start < end);
        let mut out = Vec::new();
        // Depth-first over the nodes covering [0, upto), left to right, skipping subtrees
        // whose ranges all end at or before `r.start`.
        let mut stack = vec![(1usize, 0usize, self.size)];
        while let Some((node, lo, hi)) = stack.pop() {
            if lo >= upto || self.max_end[node] <= r.start {
                continue;
            }
            if hi - lo == 1 {
                let (x, t) = self.items[lo];
                if x.end > r.start && x.start < end {
                    out.push((x, t));
                }
                continue;
            }
            let mid = (lo + hi) / 2;
            stack.push((2 * node + 1, mid, hi));
            stack.push((2 * node, lo, mid));
        }
        out
    }
}

/// An output range (start, end) and the template span (template, start, end) it may copy.
type CopyKey = (usize, usize, u32, u32, u32);

pub(crate) struct Remapper<'a> {
    rendered: &'a Rendered,
    resolve: &'a Resolve<'a>,
    external: Index<'a, Mark>,
    template_marks: Index<'a, Mark>,
    literal: Index<'a, TemplateSpan>,
    /// Whether an output range copies a template span byte for byte, by (output range,
    /// template, span): asked once per scalar, and a literal text of a template (a CRD of
    /// 100 KB holding thousands of scalars) must be compared once, not once per scalar
    /// (argo-cd's chart took 4.5 s, all in this comparison).
    copied: std::cell::RefCell<HashMap<CopyKey, bool>>,
    /// (value origin, template action origin) of scalars that came from values.
    pub written_by: Vec<(Origin, Origin)>,
}

/// One rendered template as documents, and the problems reading it.
pub(crate) struct Docs {
    pub docs: Vec<Node>,
    /// YAML errors: message and the origin of the place in the template.
    pub errors: Vec<(String, Origin)>,
}

impl<'a> Remapper<'a> {
    pub fn new(rendered: &'a Rendered, resolve: &'a Resolve<'a>) -> Self {
        let (ext, tpl): (Vec<_>, Vec<_>) = rendered
            .marks
            .iter()
            .map(|(r, m)| (r, m))
            .partition(|(_, m)| matches!(m, Mark::External(_)));
        Self {
            rendered,
            resolve,
            external: Index::new(ext),
            template_marks: Index::new(tpl),
            literal: Index::new(rendered.literal.iter().map(|(r, s)| (r, s)).collect()),
            copied: Default::default(),
            written_by: Vec::new(),
        }
    }

    /// Splits, reads and remaps the documents of the output. `whole` is the output as a
    /// (virtual) file: what nodes point into when nothing better is known.
    pub fn documents(&mut self, whole: &Arc<SourceFile>) -> Docs {
        let text = &self.rendered.text;
        let mut out = Docs {
            docs: Vec::new(),
            errors: Vec::new(),
        };
        for piece in split_manifests(text) {
            let piece_file = Arc::new(SourceFile::new(
                whole.path.clone(),
                whole.display_path.clone(),
                Format::Kubernetes,
                // Helm prints each document followed by a line break: a block scalar that
                // ends the document keeps its final newline.
                format!("{}\n", &text[piece.clone()]),
            ));
            let stream = yaml::load(&piece_file);
            for e in &stream.errors {
                // The piece's appended line break is not in the output: clamp to the piece.
                let a = (piece.start + e.span.start).min(piece.end);
                let r = a..(piece.start + e.span.end).clamp(a, piece.end);
                let at = self
                    .template_origin(&r)
                    .unwrap_or_else(|| Origin::new(whole, Span::new(r.start, r.end)));
                out.errors.push((e.message.clone(), at));
            }
            for mut doc in stream.docs {
                self.remap(&mut doc, piece.start, whole);
                out.docs.push(doc);
            }
        }
        out
    }

    fn remap(&mut self, node: &mut Node, offset: usize, whole: &Arc<SourceFile>) {
        let r = offset + node.span.start..offset + node.span.end;
        let origin = match &mut node.value {
            Value::Scalar(_) => self.scalar_origin(&r),
            // An empty `{}` or `[]` printed from a value (`toYaml .Values.resources` of
            // `resources: {}`) is that value, like a scalar: a rule reading the template
            // action's text there would take it for a templated block.
            Value::Map(entries) if entries.is_empty() => self.scalar_origin(&r),
            Value::Seq(items) if items.is_empty() => self.scalar_origin(&r),
            Value::Map(entries) => {
                let first = entries
                    .first()
                    .map(|e| offset + e.key.span.start..offset + e.key.span.end);
                for e in entries.iter_mut() {
                    self.remap(&mut e.key, offset, whole);
                    self.remap(&mut e.value, offset, whole);
                    // An empty `{}`/`[]` no value marks (`toYaml` of an empty map) would point
                    // at the action that printed it, whose text reads as a templated block:
                    // it points at its key, which the template wrote.
                    let empty = match &e.value.value {
                        Value::Map(m) => m.is_empty(),
                        Value::Seq(s) => s.is_empty(),
                        Value::Scalar(_) => false,
                    };
                    let at_action = e
                        .value
                        .file
                        .text
                        .get(e.value.span.start..e.value.span.end)
                        .is_some_and(|t| t.contains("{{"));
                    if empty && at_action {
                        e.value.file = Arc::clone(&e.key.file);
                        e.value.span = e.key.span;
                    }
                }
                let written = self.template_origin(first.as_ref().unwrap_or(&r));
                let block = if by_action(written.as_ref()) {
                    self.values_block(entries.iter().map(|e| &e.value))
                } else {
                    None
                };
                block.or(written)
            }
            Value::Seq(items) => {
                let first = items
                    .first()
                    .map(|i| offset + i.span.start..offset + i.span.end);
                for i in items.iter_mut() {
                    self.remap(i, offset, whole);
                }
                let written = self.template_origin(first.as_ref().unwrap_or(&r));
                let block = if by_action(written.as_ref()) {
                    self.values_block(items.iter())
                } else {
                    None
                };
                block.or(written)
            }
        };
        match origin {
            Some(o) => {
                node.file = o.file;
                node.span = o.span;
            }
            None => {
                let len = whole.text.len();
                let (a, b) = (whole.clamp(r.start.min(len)), whole.clamp(r.end.min(len)));
                node.file = Arc::clone(whole);
                node.span = Span::new(a, b.max(a));
            }
        }
    }

    /// A block a template printed whole from the values (`{{ toYaml .Values.resources }}`):
    /// all its values (already moved to their origins) lie in one values file. It points at
    /// that block of the values file — what the user edits — from the start of the line of its
    /// first value to the end of its last, rather than at the template action. (`toYaml`
    /// sorts keys and its keys carry no value mark, so the values' places decide.)
    fn values_block<'n>(&self, mut values: impl Iterator<Item = &'n Node>) -> Option<Origin> {
        let first = values.next()?;
        let file = &first.file;
        if file.format == Format::Kubernetes
            || self.resolve.templates.iter().any(|t| t.path == file.path)
        {
            return None;
        }
        let (mut start, mut end) = (first.span.start, first.span.end);
        for v in values {
            if !(Arc::ptr_eq(file, &v.file) || file.path == v.file.path) {
                return None;
            }
            start = start.min(v.span.start);
            end = end.max(v.span.end);
        }
        let text = file.text.as_bytes();
        let start = file.clamp(start.min(text.len()));
        let line = text[..start]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let indent = text[line..start].iter().take_while(|b| **b == b' ').count();
        let (a, b) = (file.clamp(line + indent), file.clamp(end));
        Some(Origin::new(file, Span::new(a, b.max(a))))
    }

    /// A scalar: the value that decides it, else where the template wrote it.
    fn scalar_origin(&mut self, r: &Range<usize>) -> Option<Origin> {
        let marks = self.external.overlapping(r);
        let best = marks
            .iter()
            .filter_map(|(mr, m)| match m {
                Mark::External(id) => Some((*mr, *id)),
                Mark::Template { .. } => None,
            })
            .filter(|(_, id)| (*id as usize) < self.resolve.origins.len())
            .max_by_key(|(mr, _)| {
                let inside = mr.start >= r.start && mr.end <= r.end;
                (inside, mr.end.min(r.end), mr.start)
            });
        if let Some((_, id)) = best {
            let value = self.resolve.origins[id as usize].clone();
            if let Some(action) = self.action_origin(r) {
                self.written_by.push((value.clone(), action));
            }
            return Some(value);
        }
        self.template_origin(r)
    }

    /// The template action (or text) that wrote the range.
    fn action_origin(&self, r: &Range<usize>) -> Option<Origin> {
        let hits = self.literal.overlapping(r);
        let (lr, span) = hits
            .iter()
            .find(|(lr, _)| lr.contains(&r.start))
            .or_else(|| hits.first())?;
        self.place(lr, span.template, &span.span, r)
    }

    /// Where the template wrote the range: a literal's mark, else the text or action.
    pub fn template_origin(&self, r: &Range<usize>) -> Option<Origin> {
        let marks = self.template_marks.overlapping(r);
        let chosen = marks
            .iter()
            .find(|(mr, _)| mr.contains(&r.start))
            .or_else(|| marks.first());
        if let Some((mr, Mark::Template { template, span })) = chosen
            && let Some(o) = self.place(mr, *template, span, r)
        {
            return Some(o);
        }
        self.action_origin(r)
    }

    /// The part of a template span that wrote `r`, when the output range `out` copies the
    /// span byte for byte; the whole span otherwise.
    fn place(
        &self,
        out: &Range<usize>,
        template: u32,
        span: &Range<u32>,
        r: &Range<usize>,
    ) -> Option<Origin> {
        let file = self.resolve.templates.get(template as usize)?;
        let (s, e) = (span.start as usize, span.end as usize);
        if e > file.text.len() || s > e {
            return None;
        }
        let copied = e - s == out.end - out.start
            && *self
                .copied
                .borrow_mut()
                .entry((out.start, out.end, template, span.start, span.end))
                .or_insert_with(|| self.rendered.text.get(out.clone()) == file.text.get(s..e));
        if copied {
            let from = r.start.max(out.start) - out.start;
            let to = r.end.min(out.end).max(r.start.max(out.start)) - out.start;
            let (a, b) = (file.clamp(s + from), file.clamp(s + to));
            return Some(Origin::new(file, Span::new(a, b.max(a))));
        }
        Some(Origin::new(file, Span::new(s, e)))
    }
}

/// Whether the template wrote a block through an action (`{{ toYaml … }}`), not as literal
/// text whose values happen to come from the values file one by one.
fn by_action(written: Option<&Origin>) -> bool {
    written.is_some_and(|o| o.text().contains("{{"))
}

/// Helm's `releaseutil.SplitManifests`: documents separated by `---` lines (the regexp
/// `(?:^|\s*\n)---\s*`), each trimmed, empty ones dropped. Byte ranges into `text`.
pub(crate) fn split_manifests(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // A separator starts at the text's start, or at whitespace that ends with a newline.
        let (sep_start, dash) = if i == 0 && b.starts_with(b"---") {
            (0, 0)
        } else if b[i] == b'\n' && b[i + 1..].starts_with(b"---") {
            // Leading whitespace before the newline belongs to the separator.
            let mut s = i;
            while s > 0 && (b[s - 1] as char).is_ascii_whitespace() {
                s -= 1;
            }
            (s, i + 1)
        } else {
            i += 1;
            continue;
        };
        let mut end = dash + 3;
        while end < b.len() && (b[end] as char).is_ascii_whitespace() {
            end += 1;
        }
        let sep_start = cuts.last().map_or(sep_start, |(_, e)| sep_start.max(*e));
        cuts.push((sep_start, end));
        i = end.max(i + 1);
    }
    let mut out = Vec::new();
    let mut from = 0;
    for (s, e) in cuts
        .iter()
        .copied()
        .chain(std::iter::once((b.len(), b.len())))
    {
        if s >= from {
            let piece = &text[from..s];
            let lead = piece.len() - piece.trim_start().len();
            let trimmed = piece.trim();
            if !trimmed.is_empty() {
                out.push(from + lead..from + lead + trimmed.len());
            }
        }
        from = e;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(t: &str) -> Vec<&str> {
        split_manifests(t).into_iter().map(|r| &t[r]).collect()
    }

    #[test]
    fn splits_like_helm() {
        assert_eq!(pieces("a: 1\n---\nb: 2\n"), ["a: 1", "b: 2"]);
        // The separator's trailing blanks eat the next line break, so the third `---` is no
        // separator (Go's regexp has no multi-line `^`): it stays, a YAML document marker.
        assert_eq!(
            pieces("---\na: 1\n---   \n\n---\nb: 2"),
            ["a: 1", "---\nb: 2"]
        );
        assert_eq!(pieces("  \n"), Vec::<&str>::new());
        assert_eq!(pieces("# c\na: 1"), ["# c\na: 1"]);
        assert_eq!(pieces("a: |\n  x\n---b: 1\n"), ["a: |\n  x", "b: 1"]);
    }
}
