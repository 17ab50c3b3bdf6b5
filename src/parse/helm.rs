//! Helm chart files as syntax: what makes Helm refuse a template before rendering it. The
//! chart itself (values layered per environment, templates rendered) is built by later
//! stages; this module only finds the Go template syntax errors of one file.

use crate::parse::ParseError;
use crate::source::Span;

/// The first error Go's template lexer stops at, which makes Helm refuse the whole chart: an
/// action `{{` never closed, a comment never closed, or a quoted string, raw string or
/// character constant left open inside an action (`}}` inside a string does not close the
/// action). Everything else is left to the partial render, which never fails.
pub fn syntax_error(text: &str) -> Option<ParseError> {
    let b = text.as_bytes();
    let error = |message: &str, at: usize, len: usize| {
        Some(ParseError::new(
            format!("{message} (Helm refuses the template)"),
            Span::new(at, at + len),
        ))
    };
    let mut pos = 0;
    while let Some(rel) = text.get(pos..).and_then(|t| t.find("{{")) {
        let open = pos + rel;
        let mut i = open + 2;
        // `{{- ` trims the text before the action.
        if b.get(i) == Some(&b'-') && b.get(i + 1).is_some_and(u8::is_ascii_whitespace) {
            i += 2;
        }
        if text[i..].starts_with("/*") {
            let Some(r) = text[i + 2..].find("*/") else {
                return error("unclosed comment: `/*` has no `*/`", i, 2);
            };
            let after = i + 2 + r + 2;
            let rest = &text[after..];
            let rest = rest.strip_prefix(" -").unwrap_or(rest);
            if !rest.starts_with("}}") {
                return error("comment ends before the closing `}}`", open, 2);
            }
            pos = text.len() - rest.len() + 2;
            continue;
        }
        loop {
            match b.get(i) {
                None => return error("unclosed action: this `{{` has no `}}`", open, 2),
                Some(b'}') if b.get(i + 1) == Some(&b'}') => {
                    pos = i + 2;
                    break;
                }
                Some(&q @ (b'"' | b'\'')) => {
                    let mut j = i + 1;
                    loop {
                        match b.get(j) {
                            None | Some(b'\n') if q == b'"' => {
                                return error("unterminated quoted string", i, 1);
                            }
                            None | Some(b'\n') => {
                                return error("unterminated character constant", i, 1);
                            }
                            Some(b'\\') => j += 2,
                            Some(&c) if c == q => break,
                            Some(_) => j += 1,
                        }
                    }
                    i = j + 1;
                }
                Some(b'`') => match text[i + 1..].find('`') {
                    Some(r) => i += r + 2,
                    None => return error("unterminated raw quoted string", i, 1),
                },
                Some(_) => i += 1,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_helm_would_stop_at() {
        for (text, message, at) in [
            ("a: {{ .Values.x\nb: 1\n", "unclosed action", "{{"),
            (
                "a: {{ .Values.x }}\nb: {{- .Values.y\n",
                "unclosed action",
                "{{",
            ),
            ("a: {{ \"x }}\n", "unterminated quoted string", "\""),
            (
                "a: {{ printf `x }}\n",
                "unterminated raw quoted string",
                "`",
            ),
            ("a: {{ 'x }}\n", "unterminated character constant", "'"),
            ("{{/* note\na: 1\n", "unclosed comment", "/*"),
            ("{{/* note */ .Values.x }}\n", "comment ends before", "{{"),
        ] {
            let e = syntax_error(text).unwrap_or_else(|| panic!("{text:?} accepted"));
            assert!(e.message.contains(message), "{text:?}: {}", e.message);
            assert_eq!(&text[e.span.start..e.span.end], at, "{text:?}");
        }
        for text in [
            "a: {{ \"}}\" }} {{ `{{` }} {{ '}' }}\n",
            "{{- /* a\n comment */ -}}\n{{/* b */}}\n",
            "a: {{ include \"x\"\n  . | nindent 2 }}\n",
            "a: {{ \"it's \\\"quoted\\\"\" }}\n",
            "no actions at all: { } }} here\n",
        ] {
            assert_eq!(syntax_error(text), None, "{text:?}");
        }
    }
}
