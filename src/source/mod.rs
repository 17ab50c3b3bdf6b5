//! Source files: every read and write of the file system, what was read, where it came from,
//! and how byte offsets map to lines and columns.
//!
//! Owns discovery (which files to read, honouring `.gitignore` and excludes), format detection
//! (by name, then by content), reading and decoding within limits ([`read`]), the side files
//! checked files depend on ([`side`]), the rest of a partly named unit ([`siblings`]), project
//! markers ([`project`]), file access for renderers ([`files`]) and the files plumbline
//! writes ([`mod@write`]). It never interprets a file's contents beyond deciding its format: no
//! other stage touches the disk (`tests/architecture.rs`).

pub mod detect;
pub mod discover;
mod error;
pub mod files;
pub mod project;
pub mod read;
pub mod siblings;
pub mod side;
pub mod write;

pub use error::{ErrorKind, FileError};

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub use detect::Format;

/// A half-open byte range `start..end` into a [`SourceFile`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A path made absolute against the working directory (without touching the file system);
/// the path as given when that is impossible.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A path with `.` and `..` components folded away, without touching the file system
/// (`using '../main.bicep'`).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Where a value was written: a file and a span in it. Parsed documents keep one for every
/// value a rule may report, so a finding can point into whichever file set the value (a
/// Compose override, a Helm values overlay).
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<SourceFile>,
    pub span: Span,
}

impl Origin {
    pub fn new(file: &Arc<SourceFile>, span: Span) -> Self {
        Self {
            file: Arc::clone(file),
            span,
        }
    }

    pub fn start(&self) -> LineCol {
        self.file.line_col(self.span.start)
    }

    /// The position just after the last character of the span (end-exclusive, 1-based
    /// columns), as SARIF's `endColumn` expects.
    pub fn end(&self) -> LineCol {
        self.file.line_col(self.span.end)
    }

    /// The text of the span.
    pub fn text(&self) -> &str {
        self.file.slice(self.span)
    }
}

/// A 1-based line and column; the column counts Unicode scalar values, as SARIF's
/// `unicodeCodePoints` column kind does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One file as read: its path as the user should see it, its text, and a lazily built index
/// of line starts (most files yield no finding, so most never need it).
#[derive(Debug)]
pub struct SourceFile {
    /// The path shown to the user: relative to the working directory where possible, with `/`.
    pub display_path: String,
    /// The path used to read the file.
    pub path: PathBuf,
    pub format: Format,
    pub text: String,
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: PathBuf, display_path: String, format: Format, text: String) -> Self {
        Self {
            display_path,
            path,
            format,
            text,
            line_starts: OnceLock::new(),
        }
    }

    /// Builds a file from memory (tests, fuzzing, stdin).
    pub fn in_memory(name: &str, format: Format, text: impl Into<String>) -> Self {
        Self::new(PathBuf::from(name), name.to_string(), format, text.into())
    }

    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let bytes = self.text.as_bytes();
            let mut starts = vec![0];
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'\n' => starts.push(i + 1),
                    // A lone CR ends a line too (old Mac line endings); CRLF counts once.
                    b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                    _ => {}
                }
                i += 1;
            }
            starts
        })
    }

    /// Clamps an offset into the text and onto a character boundary.
    pub fn clamp(&self, offset: usize) -> usize {
        let mut o = offset.min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.clamp(offset);
        let starts = self.line_starts();
        let line_idx = match starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = starts[line_idx];
        let column = self.text[line_start..offset].chars().count() + 1;
        LineCol {
            line: line_idx + 1,
            column,
        }
    }

    /// The byte range of the 1-based line `line`, without its line ending; an empty span at
    /// the end of the text for a line that does not exist.
    pub fn line_span(&self, line: usize) -> Span {
        let starts = self.line_starts();
        let Some(&start) = starts.get(line.wrapping_sub(1)) else {
            return Span::new(self.text.len(), self.text.len());
        };
        let end = starts.get(line).copied().unwrap_or(self.text.len());
        let content = self.text[start..end].trim_end_matches(['\n', '\r']);
        Span::new(start, start + content.len())
    }

    /// The text of the 1-based line `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        self.slice(self.line_span(line))
    }

    pub fn slice(&self, span: Span) -> &str {
        let start = self.clamp(span.start);
        let end = self.clamp(span.end).max(start);
        &self.text[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_and_all_line_endings() {
        let f = SourceFile::in_memory("x", Format::Dockerfile, "ab\r\ncé d\rx\ny");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(4), LineCol { line: 2, column: 1 });
        // 'd' sits after the two-byte 'é' and a space: byte 8, column 4.
        assert_eq!(f.line_col(8), LineCol { line: 2, column: 4 });
        assert_eq!(f.line_col(10), LineCol { line: 3, column: 1 });
        assert_eq!(f.line_col(12), LineCol { line: 4, column: 1 });
        assert_eq!(f.line_text(2), "cé d");
        assert_eq!(f.line_text(9), "");
        assert_eq!(f.line_span(2), Span::new(4, 9));
        assert_eq!(f.line_span(9), Span::new(f.text.len(), f.text.len()));
        // Offsets past the end or inside a character are clamped, never a panic.
        assert_eq!(f.line_col(1000).line, 4);
        assert_eq!(f.line_col(6).column, 2);
    }
}
