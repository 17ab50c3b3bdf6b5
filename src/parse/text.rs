//! Text helpers shared by parsers: words with their spans, and mapping offsets in a rebuilt
//! ("logical") string back to the source it was rebuilt from.

use crate::source::Span;

/// A piece of text with its source span. `text` is the meaningful value: for a quoted
/// argument the quotes are removed and escapes resolved; `span` always covers the raw source
/// (quotes included).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

/// Maps byte offsets in a logical string (for example a Dockerfile instruction with its line
/// continuations removed) back to byte offsets in the source text.
///
/// The logical string is built from pieces copied verbatim from the source; each piece is
/// recorded with [`OffsetMap::push`]. Offsets inside a piece map linearly; an offset at the end
/// of a piece maps to the end of that piece in the source (not the start of the next one), so
/// a span ending at a continuation does not swallow it.
#[derive(Debug, Clone, Default)]
pub struct OffsetMap {
    /// `(logical_start, source_start, len)` for each copied piece, in order.
    pieces: Vec<(usize, usize, usize)>,
}

impl OffsetMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `len` bytes copied from `source_start` now start at `logical_start`.
    pub fn push(&mut self, logical_start: usize, source_start: usize, len: usize) {
        if len > 0 {
            self.pieces.push((logical_start, source_start, len));
        }
    }

    /// The source offset of a logical start position (a position where something begins).
    pub fn start(&self, logical: usize) -> usize {
        let i = self
            .pieces
            .partition_point(|&(l, _, len)| l + len <= logical);
        match self.pieces.get(i) {
            Some(&(l, s, _)) if logical >= l => s + (logical - l),
            Some(&(_, s, _)) => s,
            None => self.pieces.last().map_or(logical, |&(_, s, len)| s + len),
        }
    }

    /// The source offset of a logical end position (a position where something ends).
    pub fn end(&self, logical: usize) -> usize {
        let i = self.pieces.partition_point(|&(l, _, _)| l < logical);
        match i.checked_sub(1).and_then(|j| self.pieces.get(j)) {
            Some(&(l, s, len)) => s + (logical - l).min(len),
            None => self.pieces.first().map_or(logical, |&(_, s, _)| s),
        }
    }

    pub fn span(&self, logical_start: usize, logical_end: usize) -> crate::source::Span {
        let start = self.start(logical_start);
        let end = self.end(logical_end).max(start);
        crate::source::Span::new(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_across_joined_pieces() {
        // Source "ab \\\n  cd": logical "ab   cd" from pieces "ab " (0..3) and "  cd" (5..9).
        let mut m = OffsetMap::new();
        m.push(0, 0, 3);
        m.push(3, 5, 4);
        assert_eq!(m.start(0), 0);
        assert_eq!(m.start(3), 5);
        assert_eq!(m.start(5), 7);
        assert_eq!(m.end(3), 3);
        assert_eq!(m.end(7), 9);
        assert_eq!(m.span(5, 7), crate::source::Span::new(7, 9));
        assert_eq!(m.span(0, 7), crate::source::Span::new(0, 9));
    }
}
