//! The Bicep lexer: turns text into tokens with byte spans. Newlines are tokens (they end
//! statements and separate object properties); comments are skipped. A string's interpolations
//! (`'${a}-${b}'`) are kept as the spans of their expressions, which the parser lexes again
//! on its own, so nesting (`'${f('x')}'`) needs no lexer modes.

use crate::parse::ParseError;
use crate::source::Span;

/// Deepest string-in-interpolation nesting the lexer follows before giving up.
const MAX_STRING_NESTING: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    /// A single-quoted string: its literal pieces (escapes decoded) and interpolations.
    Str(Vec<Piece>),
    /// A `'''multi-line'''` string: verbatim, no escapes, no interpolation.
    MultiStr(String),
    /// Digits, with an optional fraction (Bicep has only integers; the fraction is kept so
    /// that a stray `0.5` is a located error in the parser, not here).
    Number(String),
    Punct(&'static str),
    Newline,
    Eof,
}

/// A part of a single-quoted string.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Literal text with escapes decoded, and where it was written.
    Text(String, Span),
    /// `${ ... }`: the span of the expression inside the braces.
    Interp(Span),
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Punctuation, longest first so that `...` wins over `.` and `??` over `?`.
const PUNCTS: &[&str] = &[
    "...", "??", ".?", "==", "!=", "=~", "!~", "<=", ">=", "&&", "||", "=>", "::", "{", "}", "[",
    "]", "(", ")", ",", ":", ".", "?", "!", "=", "<", ">", "+", "-", "*", "/", "%", "@", "|", "&",
];

/// Lexes `text[range]` (offsets stay absolute, so spans point into the file).
pub fn lex(text: &str, range: Span, errors: &mut Vec<ParseError>) -> Vec<Token> {
    let bytes = text.as_bytes();
    let end = range.end.min(text.len());
    let mut i = range.start.min(end);
    let mut out = Vec::new();
    while i < end {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\n' => {
                out.push(Token {
                    tok: Tok::Newline,
                    span: Span::new(i, i + 1),
                });
                i += 1;
            }
            // `#disable-next-line rule` and other pragmas: read as comments.
            b'#' if text[..i]
                .rsplit('\n')
                .next()
                .is_some_and(|l| l.trim().is_empty()) =>
            {
                while i < end && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < end && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                match text.get(i + 2..end).and_then(|rest| rest.find("*/")) {
                    Some(off) => {
                        // A block comment spanning lines still ends the line it is on.
                        let inner = &text[i..i + 2 + off];
                        i += 2 + off + 2;
                        if inner.contains('\n') {
                            out.push(Token {
                                tok: Tok::Newline,
                                span: Span::new(i, i),
                            });
                        }
                    }
                    None => {
                        errors.push(ParseError::new(
                            "unterminated `/*` comment",
                            Span::new(start, start + 2),
                        ));
                        i = end;
                    }
                }
            }
            b'\'' if text.get(i..end).is_some_and(|s| s.starts_with("'''")) => {
                let start = i;
                match text.get(i + 3..end).and_then(|rest| rest.find("'''")) {
                    Some(off) => {
                        // `''''` closes with the extra quote inside the string.
                        let mut close = i + 3 + off;
                        while bytes.get(close + 3) == Some(&b'\'') && close + 3 < end {
                            close += 1;
                        }
                        let body = text.get(i + 3..close).unwrap_or_default();
                        // A newline right after the opening quotes is not part of the value.
                        let body = body
                            .strip_prefix("\r\n")
                            .or_else(|| body.strip_prefix('\n'))
                            .unwrap_or(body);
                        out.push(Token {
                            tok: Tok::MultiStr(body.to_string()),
                            span: Span::new(start, close + 3),
                        });
                        i = close + 3;
                    }
                    None => {
                        errors.push(ParseError::new(
                            "unterminated `'''` string",
                            Span::new(start, start + 3),
                        ));
                        i = end;
                    }
                }
            }
            b'\'' => {
                let (pieces, next) = string(text, i, end, 0, errors);
                out.push(Token {
                    tok: Tok::Str(pieces),
                    span: Span::new(i, next),
                });
                i = next;
            }
            b'0'..=b'9' => {
                let start = i;
                while i < end && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < end && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < end && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                out.push(Token {
                    tok: Tok::Number(text[start..i].to_string()),
                    span: Span::new(start, i),
                });
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < end && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Ident(text[start..i].to_string()),
                    span: Span::new(start, i),
                });
            }
            _ => {
                let rest = text.get(i..end).unwrap_or_default();
                if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
                    out.push(Token {
                        tok: Tok::Punct(p),
                        span: Span::new(i, i + p.len()),
                    });
                    i += p.len();
                } else {
                    let len = rest.chars().next().map_or(1, char::len_utf8);
                    errors.push(ParseError::new(
                        format!("unexpected character `{}`", &text[i..i + len]),
                        Span::new(i, i + len),
                    ));
                    i += len;
                }
            }
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(end, end),
    });
    out
}

/// Reads a single-quoted string starting at `start` (the quote); returns its pieces and the
/// offset after the closing quote. An unterminated string ends at the end of its line.
fn string(
    text: &str,
    start: usize,
    end: usize,
    nesting: usize,
    errors: &mut Vec<ParseError>,
) -> (Vec<Piece>, usize) {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut buf = String::new();
    let mut buf_start = start + 1;
    let mut i = start + 1;
    let flush = |buf: &mut String, pieces: &mut Vec<Piece>, from: usize, to: usize| {
        if !buf.is_empty() {
            pieces.push(Piece::Text(std::mem::take(buf), Span::new(from, to)));
        }
    };
    while i < end {
        match bytes[i] {
            b'\'' => {
                flush(&mut buf, &mut pieces, buf_start, i);
                return (pieces, i + 1);
            }
            b'\n' => break,
            b'\\' => {
                let next = text.get(i + 1..end).and_then(|s| s.chars().next());
                match next {
                    Some('n') => buf.push('\n'),
                    Some('r') => buf.push('\r'),
                    Some('t') => buf.push('\t'),
                    Some('\\') => buf.push('\\'),
                    Some('\'') => buf.push('\''),
                    Some('$') => buf.push('$'),
                    Some('u') if bytes.get(i + 2) == Some(&b'{') => {
                        let close = text
                            .get(i + 3..end)
                            .and_then(|s| s.find('}'))
                            .map(|o| i + 3 + o);
                        if let Some(close) = close {
                            let ch = u32::from_str_radix(&text[i + 3..close], 16)
                                .ok()
                                .and_then(char::from_u32);
                            buf.push(ch.unwrap_or('\u{fffd}'));
                            i = close + 1;
                            continue;
                        }
                        buf.push('u');
                    }
                    Some(c) => {
                        errors.push(ParseError::new(
                            format!("unknown escape `\\{c}` in a string"),
                            Span::new(i, i + 1 + c.len_utf8()),
                        ));
                        buf.push(c);
                    }
                    None => break,
                }
                i += 1 + next.map_or(0, char::len_utf8);
            }
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                flush(&mut buf, &mut pieces, buf_start, i);
                let inner = i + 2;
                let Some(close) = interpolation_end(text, inner, end, nesting, errors) else {
                    errors.push(ParseError::new(
                        "unterminated `${` in a string",
                        Span::new(i, i + 2),
                    ));
                    return (pieces, end);
                };
                pieces.push(Piece::Interp(Span::new(inner, close)));
                i = close + 1;
                buf_start = i;
            }
            _ => {
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                buf.push_str(&text[i..i + len]);
                i += len;
            }
        }
    }
    errors.push(ParseError::new(
        "unterminated string",
        Span::new(start, start + 1),
    ));
    flush(&mut buf, &mut pieces, buf_start, i);
    (pieces, i)
}

/// The offset of the `}` closing an interpolation whose expression starts at `start`.
fn interpolation_end(
    text: &str,
    start: usize,
    end: usize,
    nesting: usize,
    errors: &mut Vec<ParseError>,
) -> Option<usize> {
    if nesting >= MAX_STRING_NESTING {
        return None;
    }
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < end {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            b'\'' => {
                // A nested string: skip it whole (its own errors are reported when the
                // parser lexes the interpolation).
                let mut scratch = Vec::new();
                let (_, next) = string(text, i, end, nesting + 1, &mut scratch);
                if !scratch.is_empty() {
                    errors.extend(scratch.into_iter().take(1));
                    return None;
                }
                i = next;
                continue;
            }
            b'\n' => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let mut e = Vec::new();
        let t = lex(s, Span::new(0, s.len()), &mut e);
        assert!(e.is_empty(), "{e:?}");
        t.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn strings_and_interpolation() {
        let s = "'a-${b}-\\'c\\''";
        let t = toks(s);
        let Tok::Str(p) = &t[0] else { panic!() };
        assert_eq!(p.len(), 3);
        assert_eq!(p[0], Piece::Text("a-".into(), Span::new(1, 3)));
        assert_eq!(p[1], Piece::Interp(Span::new(5, 6)));
        assert!(matches!(&p[2], Piece::Text(t, _) if t == "-'c'"));
        // nested string inside an interpolation
        let t = toks("'${f('}')}x'");
        let Tok::Str(p) = &t[0] else { panic!() };
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn multiline_comments_numbers() {
        let t = toks("'''\nline ${x}\n''' // c\n/* a\nb */ 42 ...");
        assert_eq!(t[0], Tok::MultiStr("line ${x}\n".into()));
        assert_eq!(t[1], Tok::Newline);
        assert_eq!(t[2], Tok::Newline);
        assert_eq!(t[3], Tok::Number("42".into()));
        assert_eq!(t[4], Tok::Punct("..."));
    }

    #[test]
    fn errors_are_located() {
        let mut e = Vec::new();
        lex("'abc\nx", Span::new(0, 6), &mut e);
        assert_eq!(e[0].span, Span::new(0, 1));
        let mut e = Vec::new();
        lex("a # b", Span::new(0, 5), &mut e);
        assert_eq!(e[0].span, Span::new(2, 3));
    }
}
