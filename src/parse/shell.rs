//! Shell in `RUN`, `CMD`, `ENTRYPOINT` and `HEALTHCHECK`: split into simple commands with words
//! and spans, so that rules see `apt-get install -y curl` as a command with arguments rather
//! than matching text.
//!
//! Tokenising is done by `brush-parser`, the POSIX/bash tokenizer of the brush shell: it is
//! maintained, handles quoting, `$(…)`, backquotes, arithmetic, here-documents and every bash
//! operator, and reports a source position for each token — which the older `conch-parser`
//! (unmaintained since 2019) and tree-sitter-bash (a C library and a concrete syntax tree we
//! would have to walk for the same result) do not give as directly. We use its tokenizer and
//! not its full parser: a linter must read scripts that a shell would reject (half-written
//! `if`, a stray `fi`) and still see the commands in them, and splitting a token stream at
//! control operators never fails. When even tokenising fails (an unterminated quote), we fall
//! back to splitting at blanks, so rules still see the words, and an unterminated quote is
//! reported ([`ShellScript::problem`]): the shell would reject the command.
//!
//! The tokenizer recurses once per nested `$(`, `${` or `$[`, without a limit of its own, so
//! 10,000 of them overflow the stack: text nested deeper than [`MAX_NESTING`] is not handed
//! to it (a cheap scan decides) but split at blanks, and reported.
//!
//! What this does not do: expand variables, look inside `$(…)` command substitutions, or
//! follow functions. Rules treat a word they cannot read literally as unknown.

use crate::parse::ParseError;
use crate::parse::text::{OffsetMap, Word};

/// Deepest nesting of `$(…)`, `${…}`, `$[…]` and `<(…)`/`>(…)` handed to the tokenizer.
pub const MAX_NESTING: usize = 64;

/// A script split into simple commands, in order of appearance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShellScript {
    pub commands: Vec<SimpleCommand>,
    /// Why the script was only split at blanks, when the shell would reject it (an
    /// unterminated quote) or it is nested too deeply to tokenize; located in the source.
    pub problem: Option<ParseError>,
}

/// One simple command: `[VAR=value ...] name args... [redirections]`, with reserved words that
/// only introduce it (`then`, `do`, `!`, `{` …) removed. Redirection targets are not in `words`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleCommand {
    pub words: Vec<Word>,
}

impl SimpleCommand {
    /// The index of the command name: the first word that is not a `VAR=value` assignment.
    fn name_index(&self) -> Option<usize> {
        self.words.iter().position(|w| !is_assignment(&w.text))
    }

    /// The command name, e.g. `apt-get`; for `/usr/bin/pip3` the whole path is kept (see
    /// [`SimpleCommand::program`]).
    pub fn name(&self) -> Option<&Word> {
        self.name_index().map(|i| &self.words[i])
    }

    /// The program's base name: `/usr/local/bin/pip3` → `pip3`.
    pub fn program(&self) -> Option<&str> {
        self.name()
            .map(|w| w.text.rsplit('/').next().unwrap_or(&w.text))
    }

    /// The arguments after the command name.
    pub fn args(&self) -> &[Word] {
        match self.name_index() {
            Some(i) => &self.words[i + 1..],
            None => &[],
        }
    }

    /// The command with a leading privilege or wrapper command removed: `sudo -E apt-get …`,
    /// `env X=1 pip …`, `nice …`, `xargs …` → the command they run.
    pub fn unwrapped(&self) -> SimpleCommand {
        let Some(i) = self.name_index() else {
            return self.clone();
        };
        let prog = self.program().unwrap_or("");
        if !matches!(
            prog,
            "sudo" | "env" | "nice" | "nohup" | "time" | "exec" | "command"
        ) {
            return self.clone();
        }
        // Skip the wrapper's own options and assignments.
        let mut j = i + 1;
        while j < self.words.len() {
            let t = &self.words[j].text;
            if t.starts_with('-') || is_assignment(t) {
                // `sudo -u user cmd`: options with a separate value.
                if prog == "sudo" && matches!(t.as_str(), "-u" | "-g" | "-C" | "-h" | "-p") {
                    j += 1;
                }
                j += 1;
            } else {
                break;
            }
        }
        SimpleCommand {
            words: self.words[j.min(self.words.len())..].to_vec(),
        }
    }
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().enumerate().all(|(i, c)| {
                    c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
                })
        }
        None => false,
    }
}

/// Reserved words that may stand before a command without being its name.
const LEADING_RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time",
];

/// Operators that end a simple command.
fn is_separator(op: &str) -> bool {
    matches!(
        op,
        "&&" | "||" | ";" | ";;" | "|" | "|&" | "&" | "(" | ")" | "\n" | ";&" | ";;&"
    )
}

/// Splits `logical` (shell text whose offsets map to the source through `map`) into simple
/// commands.
pub fn parse_script(logical: &str, map: &OffsetMap) -> ShellScript {
    let options = brush_parser::TokenizerOptions {
        enable_extended_globbing: false,
        posix_mode: false,
        sh_mode: false,
    };
    if let Some(at) = too_deep(logical) {
        let mut script = fallback(logical, map);
        script.problem = Some(ParseError::new(
            format!(
                "shell expansions nested deeper than {MAX_NESTING} levels; the command was \
                 read word by word"
            ),
            map.span(at, at + 2),
        ));
        return script;
    }
    match brush_parser::uncached_tokenize_str(logical, &options) {
        Ok(tokens) => from_tokens(logical, &tokens, map),
        Err(e) => {
            let mut script = fallback(logical, map);
            script.problem = unterminated(&e, logical, map);
            script
        }
    }
}

/// The offset of the `$(`, `${`, `$[`, `<(` or `>(` that opens a level past [`MAX_NESTING`],
/// if any. Plain brackets nest without counting (the tokenizer loops over them), and quoted
/// text is skipped as the shell would read it.
fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    // One entry per open bracket: whether it opened an expansion, and whether it was opened
    // inside double quotes (an expansion starts a new quoting context, which ends with it).
    let mut open: Vec<(bool, bool)> = Vec::new();
    let mut depth = 0;
    let mut in_double = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'\'' if !in_double => match bytes[i + 1..].iter().position(|&c| c == b'\'') {
                Some(n) => i += n + 1,
                None => return None,
            },
            b'"' => in_double = !in_double,
            b @ (b'$' | b'<' | b'>')
                if matches!(
                    (b, bytes.get(i + 1)),
                    (b'$', Some(b'(' | b'{' | b'[')) | (b'<' | b'>', Some(b'('))
                ) && (b == b'$' || !in_double) =>
            {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
                open.push((true, in_double));
                in_double = false;
                i += 1;
            }
            b'(' | b'{' | b'[' if !in_double => open.push((false, false)),
            b')' | b'}' | b']' if !in_double => {
                if let Some((expansion, was_in_double)) = open.pop()
                    && expansion
                {
                    depth -= 1;
                    in_double = was_in_double;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The located complaint for a tokenizer error the shell would also refuse: a quote left
/// open. Other tokenizer errors (constructs it does not know) are not reported.
fn unterminated(
    e: &brush_parser::TokenizerError,
    logical: &str,
    map: &OffsetMap,
) -> Option<ParseError> {
    use brush_parser::TokenizerError as E;
    let (quote, pos) = match e {
        E::UnterminatedSingleQuote(p) => ("`'` quote", p),
        E::UnterminatedDoubleQuote(p) => ("`\"` quote", p),
        E::UnterminatedBackquote(p) => ("backquote", p),
        E::UnterminatedAnsiCQuote(p) => ("`$'` quote", p),
        _ => return None,
    };
    // Positions are character indexes.
    let start = logical
        .char_indices()
        .nth(pos.index)
        .map_or(logical.len(), |(b, _)| b);
    let end = start + logical[start..].chars().next().map_or(0, char::len_utf8);
    Some(ParseError::new(
        format!("unterminated {quote}: the shell will reject this command"),
        map.span(start, end),
    ))
}

fn from_tokens(logical: &str, tokens: &[brush_parser::Token], map: &OffsetMap) -> ShellScript {
    // brush reports character indexes; rules and spans need byte offsets.
    let byte_of: Option<Vec<usize>> = (!logical.is_ascii()).then(|| {
        logical
            .char_indices()
            .map(|(b, _)| b)
            .chain(std::iter::once(logical.len()))
            .collect()
    });
    let to_byte = |ci: usize| match &byte_of {
        Some(v) => v.get(ci).copied().unwrap_or(logical.len()),
        None => ci.min(logical.len()),
    };

    let mut script = ShellScript::default();
    let mut current = SimpleCommand::default();
    let mut skip_next_word = false;
    for token in tokens {
        match token {
            brush_parser::Token::Operator(op, _) if is_separator(op) => {
                finish(&mut script, &mut current);
                skip_next_word = false;
            }
            brush_parser::Token::Operator(_, loc) => {
                // A redirection: the next word is its target, not an argument, and a number
                // written against it (`2>&1`) is its file descriptor.
                let op_start = map.start(to_byte(loc.start.index));
                if current.words.last().is_some_and(|w| {
                    w.span.end == op_start
                        && !w.text.is_empty()
                        && w.text.bytes().all(|b| b.is_ascii_digit())
                }) {
                    current.words.pop();
                }
                skip_next_word = true;
            }
            brush_parser::Token::Word(raw, loc) => {
                if skip_next_word {
                    skip_next_word = false;
                    continue;
                }
                let start = to_byte(loc.start.index);
                let end = to_byte(loc.end.index).max(start);
                let raw_text = logical.get(start..end).unwrap_or(raw);
                if current.words.is_empty() && LEADING_RESERVED.contains(&raw_text) {
                    continue;
                }
                current.words.push(Word {
                    text: unquote(raw_text),
                    span: map.span(start, end),
                });
            }
        }
    }
    finish(&mut script, &mut current);
    script
}

fn finish(script: &mut ShellScript, current: &mut SimpleCommand) {
    // Closing reserved words carry no command.
    while current
        .words
        .last()
        .is_some_and(|w| matches!(w.text.as_str(), "fi" | "done" | "}" | "esac"))
    {
        current.words.pop();
    }
    if !current.words.is_empty() {
        script.commands.push(std::mem::take(current));
    }
}

/// Splits at blanks and at the common control operators: used only when the tokenizer gives up.
fn fallback(logical: &str, map: &OffsetMap) -> ShellScript {
    let mut script = ShellScript::default();
    let mut current = SimpleCommand::default();
    let mut start = None;
    let bytes = logical.as_bytes();
    let mut i = 0;
    while i <= bytes.len() {
        let blank = i == bytes.len() || bytes[i].is_ascii_whitespace();
        match (blank, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                let raw = &logical[s..i];
                if matches!(raw, "&&" | "||" | ";" | "|") {
                    finish(&mut script, &mut current);
                } else {
                    let raw_trimmed = raw.trim_end_matches(';');
                    current.words.push(Word {
                        text: unquote(raw_trimmed),
                        span: map.span(s, s + raw_trimmed.len()),
                    });
                    if raw.ends_with(';') {
                        finish(&mut script, &mut current);
                    }
                }
                start = None;
            }
            _ => {}
        }
        i += 1;
    }
    finish(&mut script, &mut current);
    script
}

/// Removes shell quoting: single quotes keep everything literally, double quotes keep all but
/// `\` before `$`, `` ` ``, `"`, `\` and newline; a backslash outside quotes escapes the next
/// character.
pub fn unquote(raw: &str) -> String {
    if !raw.contains(['\'', '"', '\\']) {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut in_single = false;
    let mut in_double = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' if !in_double => in_single = !in_single,
            '"' if !in_single => in_double = !in_double,
            '\\' if !in_single => match chars.peek() {
                Some(&n) if !in_double || matches!(n, '$' | '`' | '"' | '\\' | '\n') => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(text: &str) -> OffsetMap {
        let mut m = OffsetMap::new();
        m.push(0, 0, text.len());
        m
    }

    fn names(script: &ShellScript) -> Vec<Vec<String>> {
        script
            .commands
            .iter()
            .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
            .collect()
    }

    #[test]
    fn splits_at_control_operators_and_keeps_spans() {
        let text = "apt-get update && apt-get install -y curl=7.88 || true; (cd /x | tee y) && echo \"a b\" > out";
        let s = parse_script(text, &identity(text));
        assert_eq!(
            names(&s),
            vec![
                vec!["apt-get", "update"],
                vec!["apt-get", "install", "-y", "curl=7.88"],
                vec!["true"],
                vec!["cd", "/x"],
                vec!["tee", "y"],
                vec!["echo", "a b"],
            ]
        );
        let curl = &s.commands[1].words[3];
        assert_eq!(&text[curl.span.start..curl.span.end], "curl=7.88");
        let quoted = &s.commands[5].words[1];
        assert_eq!(&text[quoted.span.start..quoted.span.end], "\"a b\"");
    }

    #[test]
    fn file_descriptors_of_redirections_are_not_arguments() {
        let text = "apt-get install -s pkg > /dev/null 2>&1 3< in";
        let s = parse_script(text, &identity(text));
        assert_eq!(names(&s), vec![vec!["apt-get", "install", "-s", "pkg"]]);
    }

    #[test]
    fn strips_reserved_words_and_assignments() {
        let text =
            "if [ -f x ]; then DEBIAN_FRONTEND=noninteractive sudo -E apt-get install -y vim; fi";
        let s = parse_script(text, &identity(text));
        let cmd = &s.commands[1];
        assert_eq!(cmd.program(), Some("sudo"));
        let inner = cmd.unwrapped();
        assert_eq!(inner.program(), Some("apt-get"));
        assert_eq!(inner.args()[0].text, "install");
        assert_eq!(s.commands.len(), 2);
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let text = "echo héllo && pip install flask";
        let s = parse_script(text, &identity(text));
        let flask = &s.commands[1].words[2];
        assert_eq!(&text[flask.span.start..flask.span.end], "flask");
    }

    #[test]
    fn unterminated_quote_falls_back_to_words() {
        let text = "echo 'oops && pip install flask";
        let s = parse_script(text, &identity(text));
        assert!(s.commands.iter().any(|c| c.program() == Some("pip")));
    }

    #[test]
    fn unterminated_quotes_are_located_problems() {
        for (text, quote, at) in [
            ("echo 'oops && pip install flask", "'", 5),
            ("echo \"a\" \"b && true", "\"", 9),
        ] {
            let s = parse_script(text, &identity(text));
            let p = s.problem.expect(text);
            assert!(
                p.message.contains(&format!("`{quote}` quote")),
                "{}",
                p.message
            );
            assert_eq!(p.span.start, at, "{text}");
        }
        let ok = "echo \"it's\" 'a \"b\"' # it's a comment";
        assert_eq!(parse_script(ok, &identity(ok)).problem, None);
    }

    #[test]
    fn deep_expansions_are_split_at_blanks_not_tokenized() {
        // 10,000 nested `$(` overflowed the stack inside the tokenizer.
        for (open, close) in [
            ("$(", ")"),
            ("${A:-", "}"),
            ("\"$(echo ", ")\""),
            ("$[", "]"),
        ] {
            let text = format!(
                "echo {}x{} && pip install flask",
                open.repeat(10_000),
                close.repeat(10_000)
            );
            let s = parse_script(&text, &identity(&text));
            let p = s.problem.expect(open);
            assert!(p.message.contains("nested deeper"), "{}", p.message);
            assert!(
                s.commands.iter().any(|c| c.program() == Some("pip")),
                "{open}"
            );
        }
        // At the limit, and with many plain brackets, the tokenizer still reads it.
        let text = format!(
            "echo {}x{}",
            "$(".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        assert_eq!(parse_script(&text, &identity(&text)).problem, None);
        let text = format!("echo $(( {}1{} ))", "(".repeat(500), ")".repeat(500));
        assert_eq!(too_deep(&text), None);
        assert_eq!(too_deep("echo '$($($(' \"$(a)\""), None);
    }

    #[test]
    fn unquotes_like_a_shell() {
        assert_eq!(unquote(r#""it's" 'a\b' \$x"#), r"it's a\b $x");
    }
}
