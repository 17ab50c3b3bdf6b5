//! Escaping: nothing that came from a file (a path, a key, a value quoted in a message) reaches
//! an output able to act on whoever reads it.
//!
//! The readers are terminals (ESC and OSC sequences, C1 controls such as U+009B which some
//! terminals read as CSI, bidi overrides that reorder what is shown), GitHub Actions (which
//! executes any output line that begins with `::`), and XML and JSON parsers. So:
//!
//! - text formats ([`inline`]) replace every control character, line break and bidi control
//!   with U+FFFD: a name holding a newline cannot start a line of its own;
//! - JSON and SARIF ([`JsonFormatter`]) keep the data exact but write those characters as
//!   `\uXXXX` escapes, so no raw control character is in the document either;
//! - JUnit XML replaces them, and the characters XML 1.0 cannot hold at all (U+FFFE, U+FFFF),
//!   with U+FFFD (see `junit.rs`).

use std::borrow::Cow;
use std::io;

/// Whether `c` must not reach an output raw: C0 and C1 controls and DEL (tab, newline and
/// carriage return included: callers that keep line breaks handle them first), the Unicode
/// line and paragraph separators, bidi formatting characters, and the noncharacters U+FFFE
/// and U+FFFF (not allowed in XML).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FFFE}'
                | '\u{FFFF}'
        )
}

/// What replaces an unsafe character in text outputs.
pub const REPLACEMENT: char = '\u{FFFD}';

/// `s` for a text output: every unsafe character (line breaks and tabs too) replaced with
/// U+FFFD, so it stays on its line and cannot drive the terminal.
pub fn inline(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if is_unsafe(c) { REPLACEMENT } else { c })
            .collect(),
    )
}

/// A serde_json formatter (pretty-printed) that writes unsafe characters as `\uXXXX`
/// escapes; serde_json escapes only C0 controls itself.
pub struct JsonFormatter(serde_json::ser::PrettyFormatter<'static>);

impl JsonFormatter {
    pub fn new() -> JsonFormatter {
        JsonFormatter(serde_json::ser::PrettyFormatter::new())
    }
}

impl Default for JsonFormatter {
    fn default() -> Self {
        JsonFormatter::new()
    }
}

impl serde_json::ser::Formatter for JsonFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut at = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[at..i])?;
                // Every unsafe character is in the Basic Multilingual Plane.
                write!(writer, "\\u{:04x}", c as u32)?;
                at = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[at..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes `value` as pretty JSON through [`JsonFormatter`], then a newline.
pub fn write_json<T: serde::Serialize + ?Sized>(
    value: &T,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, JsonFormatter::new());
    value.serialize(&mut ser).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stays_on_its_line_and_off_the_terminal() {
        assert_eq!(inline("a\n::error::x"), "a\u{FFFD}::error::x");
        assert_eq!(
            inline("\x1b]0;t\x07\u{9b}2J\u{202E}"),
            "\u{FFFD}]0;t\u{FFFD}\u{FFFD}2J\u{FFFD}"
        );
        assert!(matches!(inline("plain café"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw() {
        let mut out = Vec::new();
        write_json(
            &serde_json::json!({"k": "a\u{9b}b\u{202E}c\u{FFFF}\n"}),
            &mut out,
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains(r#""a\u009bb\u202ec\uffff\n""#), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["k"], "a\u{9b}b\u{202E}c\u{FFFF}\n");
    }
}
