//! The YAML loader shared by Compose, Kubernetes and Helm: a tree of [`Node`]s in which every
//! key and value keeps its file and byte span.
//!
//! Events come from `saphyr-parser`, a maintained YAML 1.2 parser that reports a span for
//! every event and a located error for bad input (tabs in indentation included). We build the
//! tree ourselves rather than use a DOM crate because the tree is where the guarantees live:
//!
//! - **Bounded work.** Nesting deeper than [`MAX_DEPTH`] and alias expansion beyond
//!   [`MAX_ALIAS_NODES`] copied nodes stop the file with a located error, so an alias bomb
//!   ("billion laughs") costs milliseconds and a few megabytes, and no tree is deep enough to
//!   overflow a stack when it is walked or dropped.
//! - **Merge keys** (`<<: *base`, `<<: [*a, *b]`) are resolved as YAML 1.1 and every tool
//!   of this field do: keys written in the mapping win, then the merged maps in order.
//! - **Duplicate keys** are reported at the second occurrence (Compose and `kubectl` refuse
//!   them; silently keeping one value would hide what the user meant).
//! - **Origins.** Each node holds an `Arc` of its file, so trees from several files (a Compose
//!   override, Helm value overlays) can be merged and still say where each value was set.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::parse::ParseError;
use crate::source::{Origin, SourceFile, Span};

/// Deeper nesting than this is refused. Real files stay below 30; the limit keeps recursive
/// walks and drops of a tree far from the stack's end.
pub const MAX_DEPTH: usize = 256;

/// At most this many nodes may be copied by alias expansion in one file.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// A YAML value with where it was written.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    pub file: Arc<SourceFile>,
}

#[derive(Debug, Clone)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone)]
pub struct Scalar {
    pub text: String,
    /// Plain scalars are typed by their text (`5000`, `true`, `null`); quoted and block
    /// scalars are always strings.
    pub plain: bool,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

/// One file's documents (a stream may hold several, separated by `---`) and what could not
/// be read. Documents before an error are kept.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    pub docs: Vec<Node>,
    pub errors: Vec<ParseError>,
    /// Nodes written with a local tag (`!reset`, `!override`, which Compose gives meaning to),
    /// by their span, in file order. Core-schema tags (`!!str`) are not kept.
    pub tags: Vec<(Span, String)>,
}

impl Node {
    pub fn origin(&self) -> Origin {
        Origin {
            file: Arc::clone(&self.file),
            span: self.span,
        }
    }

    /// The text of a scalar; `None` for a mapping, a sequence or null.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if !self.is_null() => Some(&s.text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.plain && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A plain `true`/`false` (YAML 1.2 core schema, plus the capitalised forms). Quoted
    /// `"true"` is a string and gives `None`.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(s) if s.plain => match s.text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// A plain decimal integer.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(s) if s.plain => s.text.parse().ok(),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The entry for a key of a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key.as_str() == Some(key))
    }

    /// The value for a key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The value at a path of keys (`["securityContext", "runAsNonRoot"]`).
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }

    /// The string keys of a mapping with their values.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| Some((e.key.as_str()?, e)))
    }
}

/// Loads every document of a YAML file.
pub fn load(file: &Arc<SourceFile>) -> Stream {
    let mut text = std::borrow::Cow::Borrowed(file.text.as_str());
    // Each retry joins one flow-collection closer onto the line above (see `lenient_closer`);
    // a file has few of them, and the bound keeps a hostile one linear.
    for _ in 0..64 {
        let stream = load_text(file, &text);
        let Some(fixed) = stream.errors.last().and_then(|e| lenient_closer(&text, e)) else {
            return stream;
        };
        text = std::borrow::Cow::Owned(fixed);
    }
    load_text(file, &text)
}

/// Go's YAML library (which Compose, Helm and `kubectl` use) accepts a flow collection whose
/// closing `]` or `}` sits on its own line at the indentation of the key that opened it:
///
/// ```yaml
///     command: [
///       "start"
///     ]
/// ```
///
/// YAML 1.2, and so saphyr, refuse it. Such files work with every tool our users run, so we
/// accept them too: the line break before the closer is turned into spaces and the file is
/// read again. Both are one byte per character, so every offset stays true to the file.
fn lenient_closer(text: &str, e: &ParseError) -> Option<String> {
    if !e.message.contains("invalid indentation") {
        return None;
    }
    join_flow_closer(text, e.span.start)
}

/// The text with the line break before a flow-collection closer at byte `at` turned into
/// spaces, when `at` is a `]` or `}` with only spaces before it on its line (see
/// `lenient_closer`); `None` otherwise. Same length, so every offset stays true to the file.
/// Helm's values loader uses it too: Helm reads values with Go's YAML library.
pub fn join_flow_closer(text: &str, at: usize) -> Option<String> {
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    if line_start == 0 || !text[line_start..at].bytes().all(|b| b == b' ') {
        return None;
    }
    if !matches!(text.as_bytes().get(at), Some(b']' | b'}')) {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    bytes[line_start - 1] = b' ';
    if line_start >= 2 && bytes[line_start - 2] == b'\r' {
        bytes[line_start - 2] = b' ';
    }
    String::from_utf8(bytes).ok()
}

fn load_text(file: &Arc<SourceFile>, text: &str) -> Stream {
    let mut b = Builder {
        file,
        offsets: Offsets::new(text),
        stack: Vec::new(),
        open_tags: Vec::new(),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        stream: Stream::default(),
    };
    for event in Parser::new_from_str(text) {
        let step = match event {
            Ok((ev, span)) => {
                let span = b.offsets.span(span.start.index(), span.end.index());
                b.on_event(ev, span)
            }
            Err(e) => Err(b.scan_error(text, &e)),
        };
        if let Err(e) = step {
            b.stream.errors.push(e);
            break;
        }
    }
    b.stream
}

/// The byte offset just past the closing quote of the quoted scalar starting at byte `start`
/// of `text`; `None` when no quoted scalar starts there or it is not closed. saphyr's span of
/// a quoted scalar runs on over the blanks and a comment after it (`"a"  # pinned`); a
/// finding must underline the value alone. Helm's values loader uses it too.
pub fn quoted_end(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let quote = *b.get(start)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            // An escape in double quotes: the next byte is taken as it is.
            b'\\' if quote == b'"' => i += 2,
            // Two single quotes are one quote inside single quotes.
            b'\'' if quote == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 2,
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// A local tag (`!reset`) as written; `None` for no tag and for the core schema's (`!!str`).
fn local_tag(tag: Option<&saphyr_parser::Tag>) -> Option<String> {
    let tag = tag?;
    (tag.handle == "!").then(|| format!("!{}", tag.suffix))
}

/// Maps the parser's character indices to byte offsets (identity for ASCII text).
struct Offsets {
    /// Byte offset of each character, plus the end; empty when the text is ASCII.
    table: Vec<usize>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect()
        };
        Self {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        let (s, e) = (self.byte(start), self.byte(end));
        Span::new(s, e.max(s))
    }
}

enum Frame {
    Seq {
        anchor: usize,
        span: Span,
        items: Vec<Node>,
    },
    Map {
        anchor: usize,
        span: Span,
        entries: Vec<Entry>,
        key: Option<Node>,
    },
}

struct Builder<'a> {
    file: &'a Arc<SourceFile>,
    offsets: Offsets,
    stack: Vec<Frame>,
    /// The local tag of each open collection, beside `stack`.
    open_tags: Vec<Option<String>>,
    /// Completed anchored nodes with their size in nodes and their depth.
    anchors: HashMap<usize, (Node, usize, usize)>,
    alias_budget: usize,
    stream: Stream,
}

impl Builder<'_> {
    fn on_event(&mut self, ev: Event<'_>, span: Span) -> Result<(), ParseError> {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let mut text = text.into_owned();
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    && self.clipped_at_end_of_file(span)
                    && text.ends_with('\n')
                {
                    text.pop();
                }
                let span = match style {
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        match quoted_end(&self.file.text, span.start) {
                            Some(end) if end <= span.end => Span::new(span.start, end),
                            _ => self.trim(span),
                        }
                    }
                    _ => self.trim(span),
                };
                if let Some(t) = local_tag(tag.as_deref()) {
                    self.stream.tags.push((span, t));
                }
                let node = Node {
                    value: Value::Scalar(Scalar {
                        text,
                        plain: matches!(style, ScalarStyle::Plain),
                    }),
                    span,
                    file: Arc::clone(self.file),
                };
                self.remember(anchor, &node);
                self.push(node)
            }
            Event::SequenceStart(anchor, tag) => self.open(
                local_tag(tag.as_deref()),
                Frame::Seq {
                    anchor,
                    span,
                    items: Vec::new(),
                },
                span,
            ),
            Event::MappingStart(anchor, tag) => self.open(
                local_tag(tag.as_deref()),
                Frame::Map {
                    anchor,
                    span,
                    entries: Vec::new(),
                    key: None,
                },
                span,
            ),
            Event::SequenceEnd | Event::MappingEnd => self.close(span),
            Event::Alias(id) => self.alias(id, span),
            Event::DocumentStart(_) => {
                self.anchors.clear();
                Ok(())
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
        }
    }

    /// Whether the block scalar at `span` has clip chomping (`|` or `>`, maybe with an
    /// indentation digit, no `-` or `+`) and runs to the end of a file that does not end with
    /// a line break. Clip keeps the final line break only when there is one (YAML 1.2, 8.1.1.2;
    /// Go's YAML, which Compose, Helm and kustomize use, agrees); saphyr adds one there.
    fn clipped_at_end_of_file(&self, span: Span) -> bool {
        let text = self.file.text.as_str();
        if text.ends_with(['\n', '\r']) || self.trim(span).end != text.len() {
            return false;
        }
        let at = text.get(span.start..).unwrap_or("");
        // The span starts at the indicator, or at the content under the line that ends with it.
        let line = if at.starts_with(['|', '>']) {
            at.lines().next().unwrap_or("")
        } else {
            let before = text.get(..span.start).unwrap_or("");
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let above = text.get(..line_start).unwrap_or("").trim_end();
            above.rsplit('\n').next().unwrap_or("")
        };
        // The indicator is the last word of its line once a comment is cut off.
        let line = match line.find(" #") {
            Some(i) => &line[..i],
            None => line,
        };
        let header = line.rsplit(char::is_whitespace).next().unwrap_or("").trim();
        header.starts_with(['|', '>']) && header[1..].chars().all(|c| c.is_ascii_digit())
    }

    /// Scalar spans end at the last character of the scalar, not at trailing blanks.
    fn trim(&self, span: Span) -> Span {
        let bytes = self.file.text.as_bytes();
        let mut end = span.end.min(bytes.len());
        while end > span.start && matches!(bytes[end - 1], b' ' | b'\t' | b'\n' | b'\r') {
            end -= 1;
        }
        Span::new(span.start.min(end), end)
    }

    fn open(&mut self, tag: Option<String>, frame: Frame, span: Span) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ParseError::new(
                format!(
                    "YAML nesting deeper than {MAX_DEPTH} levels; the file was not read further"
                ),
                span,
            ));
        }
        self.stack.push(frame);
        self.open_tags.push(tag);
        Ok(())
    }

    fn close(&mut self, end: Span) -> Result<(), ParseError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let tag = self.open_tags.pop().flatten();
        let (node, anchor) = match frame {
            Frame::Seq {
                anchor,
                span,
                items,
            } => {
                let span = Span::new(span.start, last_end(span, items.last(), end));
                (self.node(Value::Seq(items), span), anchor)
            }
            Frame::Map {
                anchor,
                span,
                entries,
                key,
            } => {
                let mut entries = entries;
                if let Some(key) = key {
                    // A key without a value (`? key` at the end of a flow mapping).
                    let value = self.node(null(), Span::new(key.span.end, key.span.end));
                    entries.push(Entry { key, value });
                }
                let span = Span::new(
                    span.start,
                    last_end(span, entries.last().map(|e| &e.value), end),
                );
                let entries = self.finish_map(entries);
                (self.node(Value::Map(entries), span), anchor)
            }
        };
        if let Some(t) = tag {
            self.stream.tags.push((node.span, t));
        }
        self.remember(anchor, &node);
        self.push(node)
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<(), ParseError> {
        let Some((node, size, depth)) = self.anchors.get(&id) else {
            return Err(ParseError::new("alias to an unknown anchor", span));
        };
        if *size > self.alias_budget {
            return Err(ParseError::new(
                format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?); the file was not read further"
                ),
                span,
            ));
        }
        if self.stack.len() + depth > MAX_DEPTH {
            return Err(ParseError::new(
                format!(
                    "this alias nests YAML deeper than {MAX_DEPTH} levels; the file was not read further"
                ),
                span,
            ));
        }
        self.alias_budget -= size;
        let node = node.clone();
        self.push(node)
    }

    /// Keeps an anchored node for its aliases, with its size and depth. Measured only here:
    /// measuring every node as it closes walked each subtree once per level above it, a
    /// seventh of reading a deep document (a CRD's schema).
    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            let (size, depth) = measure(node);
            self.anchors.insert(anchor, (node.clone(), size, depth));
        }
    }

    fn push(&mut self, node: Node) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            None => {
                if !(node.is_null() && node.span.is_empty()) {
                    self.stream.docs.push(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push(Entry {
                    key: k,
                    value: node,
                }),
            },
        }
        Ok(())
    }

    fn node(&self, value: Value, span: Span) -> Node {
        Node {
            value,
            span,
            file: Arc::clone(self.file),
        }
    }

    /// Resolves merge keys and reports duplicate keys.
    fn finish_map(&mut self, entries: Vec<Entry>) -> Vec<Entry> {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut duplicates = Vec::new();
        for e in &entries {
            if let Some(k) = e.key.as_str()
                && !is_merge_key(&e.key)
                && let Some(first) = seen.insert(k, e.key.span)
            {
                let line = self.file.line_col(first.start).line;
                duplicates.push(ParseError::new(
                    format!("duplicate key `{k}` (first set on line {line})"),
                    e.key.span,
                ));
            }
        }
        self.stream.errors.extend(duplicates);
        if !entries.iter().any(|e| is_merge_key(&e.key)) {
            return entries;
        }
        let explicit: Vec<String> = entries
            .iter()
            .filter(|e| !is_merge_key(&e.key))
            .filter_map(|e| e.key.as_str().map(str::to_string))
            .collect();
        let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            if !is_merge_key(&e.key) {
                out.push(e);
                continue;
            }
            let sources: Vec<&Node> = match &e.value.value {
                Value::Map(_) => vec![&e.value],
                Value::Seq(items) => items.iter().collect(),
                Value::Scalar(_) => Vec::new(),
            };
            for src in sources {
                for m in src.as_map().unwrap_or_default() {
                    let Some(k) = m.key.as_str() else { continue };
                    let present = explicit.iter().any(|x| x == k)
                        || out.iter().any(|o| o.key.as_str() == Some(k));
                    if !present {
                        out.push(m.clone());
                    }
                }
            }
        }
        out
    }

    fn scan_error(&self, text: &str, e: &ScanError) -> ParseError {
        let at = self.offsets.byte(e.marker().index());
        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        ParseError::new(format!("invalid YAML: {}", e.info()), Span::new(at, end))
    }
}

fn is_merge_key(key: &Node) -> bool {
    matches!(&key.value, Value::Scalar(s) if s.plain && s.text == "<<")
}

fn null() -> Value {
    Value::Scalar(Scalar {
        text: String::new(),
        plain: true,
    })
}

fn last_end(start: Span, last: Option<&Node>, end: Span) -> usize {
    // Block collections end where their last child ends; the end event of a block
    // collection sits at the next token, which may be lines below.
    match last {
        Some(n) => n.span.end.max(start.end),
        None => end.end.max(start.end),
    }
}

/// The number of nodes in a tree and its depth (trees are bounded by [`MAX_DEPTH`]).
fn measure(node: &Node) -> (usize, usize) {
    match &node.value {
        Value::Scalar(_) => (1, 1),
        Value::Seq(items) => items.iter().fold((1, 1), |(n, d), c| {
            let (cn, cd) = measure(c);
            (n + cn, d.max(cd + 1))
        }),
        Value::Map(entries) => entries.iter().fold((1, 1), |(n, d), e| {
            let (kn, kd) = measure(&e.key);
            let (vn, vd) = measure(&e.value);
            (n + kn + vn, d.max(kd.max(vd) + 1))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;

    fn load_str(text: &str) -> Stream {
        let file = Arc::new(SourceFile::in_memory("t.yaml", Format::Kubernetes, text));
        load(&file)
    }

    fn slice<'a>(text: &'a str, n: &Node) -> &'a str {
        &text[n.span.start..n.span.end]
    }

    #[test]
    fn spans_point_at_values() {
        let text = "a: 1\nb:\n  c: \"héllo\"\n  d: [x, y]\n";
        let s = load_str(text);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let doc = &s.docs[0];
        assert_eq!(slice(text, doc.get("a").unwrap()), "1");
        let c = doc.at(&["b", "c"]).unwrap();
        assert_eq!(c.as_str(), Some("héllo"));
        assert_eq!(slice(text, c), "\"héllo\"");
        let d = doc.at(&["b", "d"]).unwrap().as_seq().unwrap();
        assert_eq!(slice(text, &d[1]), "y");
        assert_eq!(slice(text, &doc.entry("b").unwrap().key), "b");
    }

    #[test]
    fn a_clipped_block_at_the_end_of_a_file_without_a_line_break_has_none() {
        for (text, want) in [
            ("a: |\n  x\n  y", "x\ny"),
            ("a: |\n  x\n  y\n", "x\ny\n"),
            ("a: >2 # c\n  x\n  y", "x y"),
            ("a: |-\n  x", "x"),
            ("a: |\n  x\nb: 1", "x\n"),
        ] {
            let s = load_str(text);
            assert!(s.errors.is_empty(), "{text:?}: {:?}", s.errors);
            assert_eq!(s.docs[0].get("a").unwrap().as_str(), Some(want), "{text:?}");
        }
    }

    #[test]
    fn local_tags_are_kept_by_span() {
        let text = "a: !reset null\nb: !override\n  - 1\nc: !!str 5\nd: !reset {x: 1}\n";
        let s = load_str(text);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let doc = &s.docs[0];
        let tag_of = |key: &str| {
            let span = doc.get(key).unwrap().span;
            s.tags
                .iter()
                .find(|(at, _)| *at == span)
                .map(|(_, t)| t.as_str())
        };
        assert_eq!(tag_of("a"), Some("!reset"));
        assert_eq!(tag_of("b"), Some("!override"));
        assert_eq!(tag_of("c"), None);
        assert_eq!(tag_of("d"), Some("!reset"));
        assert_eq!(s.tags.len(), 3);
    }

    #[test]
    fn multi_document_and_empty_documents() {
        let s = load_str("---\n# only a comment\n---\nkind: A\n---\nkind: B\n...\n");
        assert!(s.errors.is_empty());
        let kinds: Vec<_> = s
            .docs
            .iter()
            .filter_map(|d| d.get("kind")?.as_str())
            .collect();
        assert_eq!(kinds, ["A", "B"]);
    }

    #[test]
    fn merge_keys_and_aliases() {
        let text = "base: &b\n  x: 1\n  y: 2\nsvc:\n  <<: *b\n  y: 3\nlist: [*b]\n";
        let s = load_str(text);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let svc = s.docs[0].get("svc").unwrap();
        assert_eq!(svc.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(svc.get("y").unwrap().as_i64(), Some(3));
        // A merged value still points at where it was written.
        assert_eq!(svc.get("x").unwrap().span.start, text.find('1').unwrap());
        let list = s.docs[0].get("list").unwrap().as_seq().unwrap();
        assert_eq!(list[0].get("y").unwrap().as_i64(), Some(2));
    }

    #[test]
    fn duplicate_keys_are_reported_at_the_second() {
        let text = "a: 1\nb: 2\na: 3\n";
        let s = load_str(text);
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].span.start, 10);
        assert!(
            s.errors[0].message.contains("line 1"),
            "{}",
            s.errors[0].message
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let text = "a:\n\tb: 1\n";
        let s = load_str(text);
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        let e = &s.errors[0];
        assert!(e.span.start <= text.len());
        let s = load_str("a: [1, 2\nb: 3\n");
        assert_eq!(s.errors.len(), 1);
    }

    #[test]
    fn quoted_scalars_end_at_their_closing_quote() {
        let text = "a: \"x\\\"y\"   # pinned\nb: 'it''s' #c\nc: \"multi\n  line\"  #c\nd: [\"e\"  , 'f' # c\n  ]\n";
        let s = load_str(text);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let d = &s.docs[0];
        assert_eq!(slice(text, d.get("a").unwrap()), "\"x\\\"y\"");
        assert_eq!(slice(text, d.get("b").unwrap()), "'it''s'");
        assert_eq!(slice(text, d.get("c").unwrap()), "\"multi\n  line\"");
        let list = d.get("d").unwrap().as_seq().unwrap();
        assert_eq!(slice(text, &list[0]), "\"e\"");
        assert_eq!(slice(text, &list[1]), "'f'");
        assert_eq!(quoted_end("\"open", 0), None);
        assert_eq!(quoted_end("plain", 0), None);
    }

    #[test]
    fn flow_closer_at_the_key_indentation_is_accepted_as_go_yaml_does() {
        let text = "svc:\n  a:\n    command: [\n      \"start\",\n      \"x\"\n    ]\n    ports:\n      - 80\n";
        let s = load_str(text);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let cmd = s.docs[0]
            .at(&["svc", "a", "command"])
            .unwrap()
            .as_seq()
            .unwrap();
        assert_eq!(slice(text, &cmd[1]), "\"x\"");
        let port = &s.docs[0]
            .at(&["svc", "a", "ports"])
            .unwrap()
            .as_seq()
            .unwrap()[0];
        assert_eq!(slice(text, port), "80");
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            text.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        let start = std::time::Instant::now();
        let s = load_str(&text);
        assert!(start.elapsed().as_secs() < 2);
        assert_eq!(s.errors.len(), 1);
        assert!(
            s.errors[0].message.contains("alias"),
            "{}",
            s.errors[0].message
        );
        assert_eq!(
            &text[s.errors[0].span.start..s.errors[0].span.end],
            "*e",
            "located at the alias that crossed the budget (e is 66k nodes; the second copy crosses 100k)"
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        // Flow collections hit the parser's own recursion limit first; either way the file
        // stops with one located error.
        let text = "[".repeat(10_000);
        let s = load_str(&text);
        assert_eq!(s.errors.len(), 1);
        let m = &s.errors[0].message;
        assert!(m.contains("deeper") || m.contains("recursion limit"), "{m}");
        let text = (0..400)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect::<String>();
        let s = load_str(&text);
        assert!(s.errors[0].message.contains("deeper"));
    }

    #[test]
    fn scalars_are_typed_by_style() {
        let s = load_str("a: 5000\nb: \"5000\"\nc: true\nd: 'true'\ne:\nf: ~\n");
        let d = &s.docs[0];
        assert_eq!(d.get("a").unwrap().as_i64(), Some(5000));
        assert_eq!(d.get("b").unwrap().as_i64(), None);
        assert_eq!(d.get("b").unwrap().as_str(), Some("5000"));
        assert_eq!(d.get("c").unwrap().as_bool(), Some(true));
        assert_eq!(d.get("d").unwrap().as_bool(), None);
        assert!(d.get("e").unwrap().is_null());
        assert!(d.get("f").unwrap().is_null());
    }

    #[test]
    fn every_prefix_loads_without_panic() {
        let text =
            "x: &a {k: [1, 2]}\ny:\n  <<: *a\n  z: |\n    block\n  w: \"q\\u00e9\"\n---\n- *a\n";
        for i in 0..=text.len() {
            if text.is_char_boundary(i) {
                let s = load_str(&text[..i]);
                for e in &s.errors {
                    assert!(e.span.end <= i);
                }
            }
        }
    }
}
