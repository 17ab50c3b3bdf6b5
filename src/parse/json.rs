//! JSON with spans, into the same [`Node`] tree the YAML loader builds, so that readers of
//! either walk one shape (`get`, `at`, `as_str`…) and every value keeps its place.
//!
//! Why not the YAML loader, since JSON is YAML 1.2: JSON is met inside other files (an ECS
//! `container_definitions` heredoc in a `.tf` file) and must be parsed over a byte range of
//! that file with its offsets kept, which saphyr cannot do without copying and re-basing;
//! JSON's errors should read as JSON's ("expected `,` or `}`"), not as YAML's; and ARM
//! templates are JSON with `//` and `/* */` comments (the ARM deployment engine and Bicep's
//! compiler accept them), which YAML refuses.
//!
//! Strings keep their decoded text (escapes resolved) and span the quoted token; numbers,
//! `true`, `false` and `null` are plain scalars, as the YAML loader types them. Nesting
//! deeper than [`MAX_DEPTH`] is a located error. A duplicate key is kept (the last one wins
//! for `get`, as JSON parsers do) and reported.

use std::sync::Arc;

use super::ParseError;
use super::yaml::{Entry, Node, Scalar, Value};
use crate::source::{SourceFile, Span};

/// Nesting deeper than this is refused, as the YAML loader refuses it.
pub const MAX_DEPTH: usize = 256;

/// One JSON value read from `file` (between `range.start` and `range.end`), and the errors
/// met. `None` when no value could be read at all.
pub fn parse_range(file: &Arc<SourceFile>, range: Span) -> (Option<Node>, Vec<ParseError>) {
    parse_with(file, range, false)
}

/// Like [`parse_range`], for JSON written in a Terraform template (a heredoc): a `${…}`
/// inside a string is kept as written, whatever quotes it holds (`"${var.a == "x" ? 1 : 2}"`).
pub fn parse_template_range(
    file: &Arc<SourceFile>,
    range: Span,
) -> (Option<Node>, Vec<ParseError>) {
    parse_with(file, range, true)
}

fn parse_with(
    file: &Arc<SourceFile>,
    range: Span,
    templates: bool,
) -> (Option<Node>, Vec<ParseError>) {
    let mut p = Parser {
        file,
        text: file.text.as_bytes(),
        pos: range.start,
        end: range.end.min(file.text.len()),
        errors: Vec::new(),
        templates,
    };
    p.skip_ws();
    let value = match p.value(0) {
        Ok(v) => {
            p.skip_ws();
            if p.pos < p.end {
                p.error("unexpected text after the JSON value", p.pos, p.end);
            }
            Some(v)
        }
        Err(()) => None,
    };
    (value, p.errors)
}

/// A whole file as one JSON value.
pub fn parse(file: &Arc<SourceFile>) -> (Option<Node>, Vec<ParseError>) {
    parse_range(file, Span::new(0, file.text.len()))
}

struct Parser<'a> {
    file: &'a Arc<SourceFile>,
    text: &'a [u8],
    pos: usize,
    end: usize,
    errors: Vec<ParseError>,
    /// `${…}` in strings is a Terraform interpolation, kept whole.
    templates: bool,
}

type PResult<T> = Result<T, ()>;

impl Parser<'_> {
    fn error(&mut self, message: impl Into<String>, start: usize, end: usize) {
        self.errors
            .push(ParseError::new(message, Span::new(start, end.max(start))));
    }

    fn fail<T>(&mut self, message: impl Into<String>) -> PResult<T> {
        let end = self.next_char_end();
        self.error(message, self.pos, end);
        Err(())
    }

    /// The end of the character at `pos` (for a one-character error span).
    fn next_char_end(&self) -> usize {
        if self.pos >= self.end {
            return self.pos;
        }
        let mut e = self.pos + 1;
        while e < self.end && !self.file.text.is_char_boundary(e) {
            e += 1;
        }
        e
    }

    fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.text[self.pos])
    }

    fn describe(&self) -> String {
        match self.peek() {
            None => "the end of the JSON".into(),
            Some(_) => {
                let end = self.next_char_end();
                format!("`{}`", &self.file.text[self.pos..end])
            }
        }
    }

    /// Whitespace and comments (`//` to the end of the line, `/* … */`).
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if self.text.get(self.pos + 1) == Some(&b'/') => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'/' if self.text.get(self.pos + 1) == Some(&b'*') => {
                    let start = self.pos;
                    self.pos += 2;
                    loop {
                        if self.pos + 1 >= self.end {
                            self.pos = self.end;
                            self.error("a comment is not closed with `*/`", start, start + 2);
                            return;
                        }
                        if self.text[self.pos] == b'*' && self.text[self.pos + 1] == b'/' {
                            self.pos += 2;
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn node(&self, value: Value, start: usize) -> Node {
        Node {
            value,
            span: Span::new(start, self.pos),
            file: Arc::clone(self.file),
        }
    }

    fn value(&mut self, depth: usize) -> PResult<Node> {
        if depth >= MAX_DEPTH {
            return self.fail(format!(
                "JSON nesting deeper than {MAX_DEPTH} levels; the value was not read further"
            ));
        }
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let text = self.string()?;
                Ok(self.node(Value::Scalar(Scalar { text, plain: false }), start))
            }
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                while self.peek().is_some_and(|c| {
                    c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E')
                }) {
                    self.pos += 1;
                }
                let text = self.file.text[start..self.pos].to_string();
                Ok(self.node(Value::Scalar(Scalar { text, plain: true }), start))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                    self.pos += 1;
                }
                let word = &self.file.text[start..self.pos];
                if !matches!(word, "true" | "false" | "null") {
                    self.pos = start;
                    return self.fail(format!(
                        "expected a JSON value, found `{word}` (strings are written in double quotes)"
                    ));
                }
                let text = word.to_string();
                Ok(self.node(Value::Scalar(Scalar { text, plain: true }), start))
            }
            _ => {
                let found = self.describe();
                self.fail(format!("expected a JSON value, found {found}"))
            }
        }
    }

    fn object(&mut self, depth: usize) -> PResult<Node> {
        let start = self.pos;
        self.pos += 1;
        let mut entries: Vec<Entry> = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            let key_start = self.pos;
            if self.peek() != Some(b'"') {
                let found = self.describe();
                return self.fail(format!("expected a key in double quotes, found {found}"));
            }
            let key = self.string()?;
            let key = self.node(
                Value::Scalar(Scalar {
                    text: key,
                    plain: false,
                }),
                key_start,
            );
            self.skip_ws();
            if self.peek() != Some(b':') {
                let found = self.describe();
                return self.fail(format!("expected `:` after a key, found {found}"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            if let Some(i) = entries.iter().position(|e| e.key.as_str() == key.as_str()) {
                let name = key.as_str().unwrap_or_default().to_string();
                self.error(
                    format!("duplicate key `{name}`; the last one is used"),
                    key.span.start,
                    key.span.end,
                );
                entries.remove(i);
            }
            entries.push(Entry { key, value });
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    // A trailing comma before `}` is accepted (ARM accepts it).
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    let found = self.describe();
                    return self.fail(format!("expected `,` or `}}`, found {found}"));
                }
            }
        }
        Ok(self.node(Value::Map(entries), start))
    }

    fn array(&mut self, depth: usize) -> PResult<Node> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') {
                self.pos += 1;
                break;
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    let found = self.describe();
                    return self.fail(format!("expected `,` or `]`, found {found}"));
                }
            }
        }
        Ok(self.node(Value::Seq(items), start))
    }

    /// Past a `${…}` at `pos`: braces balanced, strings inside it skipped.
    fn skip_interpolation(&mut self) {
        self.pos += 2;
        let mut depth = 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                b'"' => {
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        match c {
                            b'\\' => self.pos = (self.pos + 1).min(self.end),
                            b'"' => break,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// A string token at `pos`, decoded.
    fn string(&mut self) -> PResult<String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.error("a string is not closed with `\"`", start, start + 1);
                return Err(());
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    let esc = self.text.get(self.pos + 1).copied();
                    self.pos += 2;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let hex = |p: &Self, at: usize| {
                                p.file
                                    .text
                                    .get(at..at + 4)
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                            };
                            let Some(mut code) = hex(self, self.pos) else {
                                self.error(
                                    "a `\\u` escape needs four hex digits",
                                    self.pos - 2,
                                    self.pos,
                                );
                                return Err(());
                            };
                            self.pos += 4;
                            // A surrogate pair.
                            if (0xD800..0xDC00).contains(&code)
                                && self.text.get(self.pos) == Some(&b'\\')
                                && self.text.get(self.pos + 1) == Some(&b'u')
                                && let Some(low) = hex(self, self.pos + 2)
                                && (0xDC00..0xE000).contains(&low)
                            {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                                self.pos += 6;
                            }
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => {
                            self.error(
                                "unknown escape in a string",
                                self.pos - 2,
                                self.pos.min(self.end),
                            );
                            return Err(());
                        }
                    }
                }
                b'\n' => {
                    self.error(
                        "a string is not closed before the end of the line",
                        start,
                        self.pos,
                    );
                    return Err(());
                }
                b'$' if self.templates && self.text.get(self.pos + 1) == Some(&b'{') => {
                    let from = self.pos;
                    self.skip_interpolation();
                    out.push_str(&self.file.text[from..self.pos]);
                }
                _ => {
                    // Copy a run of plain characters at once (keeps UTF-8 whole).
                    let run_start = self.pos;
                    self.pos += 1;
                    while self
                        .peek()
                        .is_some_and(|c| !matches!(c, b'"' | b'\\' | b'\n' | b'$'))
                    {
                        self.pos += 1;
                    }
                    out.push_str(&self.file.text[run_start..self.pos]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;

    fn file(text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile::in_memory("t.json", Format::OtherYaml, text))
    }

    #[test]
    fn values_keep_their_spans() {
        let f = file(
            "{\n  // a comment\n  \"a\": [1, true, null, \"x\\u00e9\\n\"],\n  \"b\": {\"c\": -2.5e3},\n}\n",
        );
        let (v, errors) = parse(&f);
        assert!(errors.is_empty(), "{errors:?}");
        let v = v.unwrap();
        let a = v.get("a").unwrap().as_seq().unwrap();
        assert_eq!(a[0].as_i64(), Some(1));
        assert_eq!(a[1].as_bool(), Some(true));
        assert!(a[2].is_null());
        assert_eq!(a[3].as_str(), Some("xé\n"));
        assert_eq!(a[3].origin().text(), "\"x\\u00e9\\n\"");
        assert_eq!(v.at(&["b", "c"]).unwrap().as_str(), Some("-2.5e3"));
        // A quoted "true" stays a string.
        let (v, _) = parse(&file("{\"t\": \"true\"}"));
        assert_eq!(v.unwrap().get("t").unwrap().as_bool(), None);
    }

    #[test]
    fn a_range_of_another_file() {
        let text = "x = <<EOF\n[{\"image\": \"nginx\"}]\nEOF\n";
        let f = file(text);
        let start = text.find('[').unwrap();
        let end = text.rfind(']').unwrap() + 1;
        let (v, errors) = parse_range(&f, Span::new(start, end));
        assert!(errors.is_empty());
        let img = v.unwrap().as_seq().unwrap()[0]
            .get("image")
            .cloned()
            .unwrap();
        assert_eq!(img.origin().text(), "\"nginx\"");
    }

    #[test]
    fn errors_are_located_and_bounded() {
        for (text, message) in [
            ("{\"a\" 1}", "expected `:`"),
            ("[1 2]", "expected `,` or `]`"),
            ("{\"a\": yes}", "found `yes`"),
            ("\"abc", "not closed"),
            ("{\"a\": 1, \"a\": 2}", "duplicate key"),
            ("[1] 2", "unexpected text"),
            ("", "expected a JSON value"),
        ] {
            let (_, errors) = parse(&file(text));
            assert!(
                errors.iter().any(|e| e.message.contains(message)),
                "{text}: {errors:?}"
            );
            for e in &errors {
                assert!(e.span.end <= text.len());
            }
        }
        let deep = "[".repeat(1000);
        let (_, errors) = parse(&file(&deep));
        assert!(errors[0].message.contains("deeper than"));
    }

    #[test]
    fn every_prefix_is_safe() {
        let text = "{\"a\": [1, {\"b\": \"é\\u00e9\"}], /* c */ \"d\": null}";
        for end in 0..=text.len() {
            if text.is_char_boundary(end) {
                let f = file(&text[..end]);
                let (_, errors) = parse(&f);
                for e in errors {
                    assert!(e.span.end <= end);
                }
            }
        }
    }
}
