//! The Dockerfile parser: text in, [`Dockerfile`] out, with a byte span for every keyword, flag,
//! argument, heredoc and comment.
//!
//! Why by hand: no maintained Rust crate keeps byte spans for every word through line
//! continuations, heredocs and the `# escape=` directive. The `dockerfile-parser` crate is
//! pest-based, predates heredocs and loses the positions of continuations and of comment lines
//! inside instructions; BuildKit's parser, the reference, is Go. The grammar is small and
//! line-oriented, so a hand-written parser that follows BuildKit's rules is short and lets us
//! recover from every error instead of stopping at the first.
//!
//! It works in three layers:
//!
//! 1. **Physical lines**, split at `\n`, `\r\n` and lone `\r`.
//! 2. **Logical instructions**: a line ending in the escape character (trailing blanks allowed)
//!    continues on the next line; comment lines and blank lines met inside a continuation are
//!    dropped, as BuildKit does. The pieces are copied into one logical string and recorded in
//!    an [`OffsetMap`], so any logical range maps back to a source span. Heredoc bodies
//!    (`RUN <<EOF`) follow the logical line and are read line by line up to their terminator.
//! 3. **Arguments**: the keyword, leading `--flags`, then the per-instruction payload, read
//!    from the logical string (JSON exec form, shell words, `KEY=value` pairs …).
//!
//! Parsing never fails and never panics: anything that cannot be read becomes a located
//! [`ParseError`] and parsing resumes at the next line. Every step is a single forward scan, so
//! the time is linear in the input (plus what the shell tokenizer spends on `RUN` bodies).

use std::collections::HashMap;

use super::vars::{Vars, substitute};
use super::{
    ArgDecl, CommandLine, Copy, Directive, Dockerfile, ExposedPort, Flag, From, Healthcheck,
    Heredoc, ImageRef, Instruction, InstructionKind, KeyValue, Run, Stage, Word,
};
use crate::parse::ParseError;
use crate::parse::shell::{ShellScript, parse_script};
use crate::parse::text::OffsetMap;
use crate::source::Span;

/// Parses a Dockerfile. `text` must not start with a byte-order mark (the caller strips it).
pub fn parse(text: &str) -> Dockerfile {
    let mut parser = Parser::new(text);
    parser.directives();
    while parser.pos < parser.lines.len() {
        parser.statement();
    }
    parser.finish()
}

/// One physical line: `start..end` is its content, `next` the start of the following line
/// (after the line break, if any).
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

fn split_lines(text: &str) -> Vec<Line> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let next = match bytes[i] {
            b'\n' => i + 1,
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => i + 2,
            b'\r' => i + 1,
            _ => {
                i += 1;
                continue;
            }
        };
        lines.push(Line {
            start,
            end: i,
            next,
        });
        start = next;
        i = next;
    }
    if start < bytes.len() {
        lines.push(Line {
            start,
            end: bytes.len(),
            next: bytes.len(),
        });
    }
    lines
}

/// A logical instruction line: physical pieces joined, with the map back to the source.
#[derive(Debug, Default)]
struct Logical {
    text: String,
    /// `(logical_start, source_start, len)` of each piece, the same as recorded in `map`; kept
    /// so that [`Logical::map_from`] can build maps for a suffix of the text.
    pieces: Vec<(usize, usize, usize)>,
    map: OffsetMap,
    /// Source offset just past the last non-blank byte of the last physical line read.
    src_end: usize,
}

impl Logical {
    fn push(&mut self, source_start: usize, piece: &str) {
        let logical_start = self.text.len();
        self.pieces.push((logical_start, source_start, piece.len()));
        self.map.push(logical_start, source_start, piece.len());
        self.text.push_str(piece);
    }

    fn span(&self, start: usize, end: usize) -> Span {
        self.map.span(start, end)
    }

    fn raw(&self, tok: Tok) -> &str {
        &self.text[tok.start..tok.end]
    }

    /// The word `tok` with quotes and escapes removed, spanning its raw source.
    fn word(&self, tok: Tok, escape: char) -> Word {
        Word {
            text: unquote(self.raw(tok), escape),
            span: self.span(tok.start, tok.end),
        }
    }

    /// An offset map for `text[from..]`, with logical offsets relative to `from` (what
    /// `parse_script` expects for a suffix of the line).
    fn map_from(&self, from: usize) -> OffsetMap {
        let mut map = OffsetMap::new();
        for &(l, s, len) in &self.pieces {
            if l + len <= from {
                continue;
            }
            let skip = from.saturating_sub(l);
            map.push(l + skip - from, s + skip, len - skip);
        }
        map
    }
}

/// A word of a logical line, as a byte range of `Logical::text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tok {
    start: usize,
    end: usize,
}

/// The arguments of one instruction, shared by the per-keyword readers.
struct Args<'l> {
    lg: &'l Logical,
    keyword: &'l str,
    keyword_span: Span,
    /// The words after the flags.
    words: Vec<Tok>,
    /// Logical range of the rest (after the flags, trailing blanks excluded).
    start: usize,
    end: usize,
}

impl Args<'_> {
    fn rest(&self) -> &str {
        &self.lg.text[self.start..self.end]
    }

    fn rest_span(&self) -> Span {
        self.lg.span(self.start, self.end)
    }
}

struct Parser<'a> {
    text: &'a str,
    lines: Vec<Line>,
    /// Index of the next physical line to read.
    pos: usize,
    escape: char,
    doc: Dockerfile,
    /// Global `ARG` values for `FROM` substitution: `None` when declared without a value.
    global_values: Vars,
    /// "Only ARG may precede FROM" errors, reported only if the file has a `FROM` at all.
    before_from: Vec<ParseError>,
    /// Stage names (lower-cased) to their index in `doc.stages`, for `FROM <stage>`.
    stage_names: HashMap<String, usize>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            lines: split_lines(text),
            pos: 0,
            escape: '\\',
            doc: Dockerfile {
                escape: '\\',
                ..Dockerfile::default()
            },
            global_values: HashMap::new(),
            before_from: Vec::new(),
            stage_names: HashMap::new(),
        }
    }

    fn error(&mut self, message: impl Into<String>, span: Span) {
        self.doc.errors.push(ParseError::new(message, span));
    }

    fn line_text(&self, line: Line) -> &'a str {
        &self.text[line.start..line.end]
    }

    /// Reads the parser directives at the top of the file. As in BuildKit, the first line that
    /// is not a known directive (a blank line, another comment, an instruction) ends them.
    fn directives(&mut self) {
        while let Some(&line) = self.lines.get(self.pos) {
            let content = self.line_text(line);
            let Some((name, value_start, value_end)) = directive_parts(content) else {
                break;
            };
            let name = name.to_ascii_lowercase();
            if !matches!(name.as_str(), "syntax" | "escape" | "check") {
                break;
            }
            self.pos += 1;
            let span = Span::new(line.start, line.start + content.trim_end().len());
            if self.doc.directives.iter().any(|d| d.name == name) {
                self.error(
                    format!("only one `{name}` parser directive can be used"),
                    span,
                );
                continue;
            }
            let value = Word {
                text: content[value_start..value_end].to_string(),
                span: Span::new(line.start + value_start, line.start + value_end),
            };
            if name == "escape" {
                match value.text.as_str() {
                    "\\" => self.escape = '\\',
                    "`" => self.escape = '`',
                    other => {
                        let message =
                            format!("invalid escape character `{other}`: use `\\` or `` ` ``");
                        self.error(message, value.span);
                    }
                }
            }
            self.doc.directives.push(Directive { name, value, span });
        }
        self.doc.escape = self.escape;
    }

    /// Reads what starts at line `self.pos`: a blank line, a comment or an instruction.
    fn statement(&mut self) {
        let line = self.lines[self.pos];
        let content = self.line_text(line);
        let trimmed = content.trim_start();
        let at = line.start + (content.len() - trimmed.len());
        if trimmed.is_empty() {
            self.pos += 1;
            return;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            self.pos += 1;
            self.doc.comments.push(Word {
                text: comment.trim().to_string(),
                span: Span::new(at, line.start + content.trim_end().len()),
            });
            return;
        }
        let logical = self.read_logical(at);
        match self.instruction(&logical, 0, false) {
            Some(instruction) => self.add(instruction),
            None => {
                let shown: String = trimmed
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(40)
                    .collect();
                let span = Span::new(at, line.start + content.trim_end().len());
                self.error(
                    format!("expected a Dockerfile instruction, found `{shown}`"),
                    span,
                );
            }
        }
    }

    /// Joins the instruction starting at source offset `at` (on line `self.pos`) with its
    /// continuation lines, and moves `self.pos` past them.
    fn read_logical(&mut self, at: usize) -> Logical {
        let mut logical = Logical::default();
        let mut piece_start = at;
        while let Some(&line) = self.lines.get(self.pos) {
            self.pos += 1;
            let piece = &self.text[piece_start..line.end];
            logical.src_end = piece_start + piece.trim_end().len();
            let Some(kept) = strip_continuation(piece, self.escape) else {
                logical.push(piece_start, piece);
                break;
            };
            logical.push(piece_start, kept);
            // Blank lines and comment lines inside a continuation are dropped.
            while let Some(&next) = self.lines.get(self.pos) {
                let t = self.line_text(next).trim_start();
                if !t.is_empty() && !t.starts_with('#') {
                    break;
                }
                self.pos += 1;
            }
            if let Some(next) = self.lines.get(self.pos) {
                piece_start = next.start;
            }
        }
        logical
    }

    /// Parses the instruction whose keyword starts at `at` in `lg`, reading any heredoc bodies
    /// from the lines that follow. `None` when `at` does not start with a keyword-like word.
    /// `nested` is set for an `ONBUILD` trigger.
    fn instruction(&mut self, lg: &Logical, at: usize, nested: bool) -> Option<Instruction> {
        let text = lg.text.as_str();
        let keyword_end = at + keyword_len(&text[at..])?;
        let keyword = text[at..keyword_end].to_ascii_uppercase();
        let keyword_span = lg.span(at, keyword_end);
        let end = text.trim_end().len().max(keyword_end);

        let (words, open_quote) = split_words(&text[keyword_end..end], keyword_end, self.escape);
        let takes_flags = matches!(
            keyword.as_str(),
            "FROM" | "RUN" | "COPY" | "ADD" | "HEALTHCHECK"
        );
        let n_flags = if takes_flags {
            words.iter().take_while(|&&t| is_flag(lg.raw(t))).count()
        } else {
            0
        };
        let flags = words[..n_flags]
            .iter()
            .map(|&t| flag(lg, t, self.escape))
            .collect();
        let args = Args {
            lg,
            keyword: &keyword,
            keyword_span,
            words: words[n_flags..].to_vec(),
            start: words.get(n_flags).map_or(end, |t| t.start),
            end,
        };

        // Heredocs: only on RUN, COPY and ADD, and not in JSON form (as BuildKit).
        let mut heredocs = Vec::new();
        let mut markers = Vec::new();
        let mut scripts = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") && json_array(args.rest()).is_none() {
            for &tok in &args.words {
                if let Some(marker) = heredoc_marker(lg.raw(tok)) {
                    let (heredoc, script) = self.read_heredoc(lg, tok, marker);
                    heredocs.push(heredoc);
                    scripts.push(script);
                    markers.push(tok);
                }
            }
        }

        let kind = match keyword.as_str() {
            "FROM" => self.from(&args),
            "RUN" => InstructionKind::Run(Run {
                command: self.run_command(&args, &markers, &heredocs, &scripts),
            }),
            "CMD" => InstructionKind::Cmd(command_line(lg, args.start, end)),
            "ENTRYPOINT" => InstructionKind::Entrypoint(command_line(lg, args.start, end)),
            "HEALTHCHECK" => self.healthcheck(&args),
            "EXPOSE" => self.expose(&args),
            "USER" => self.user(&args),
            "ENV" => InstructionKind::Env(self.key_values(&args)),
            "LABEL" => InstructionKind::Label(self.key_values(&args)),
            "ARG" => self.arg(&args),
            "COPY" => InstructionKind::Copy(self.copy(&args)),
            "ADD" => InstructionKind::Add(self.copy(&args)),
            "WORKDIR" | "STOPSIGNAL" => match self.single(&args) {
                Some(word) if keyword == "WORKDIR" => InstructionKind::Workdir(word),
                Some(word) => InstructionKind::StopSignal(word),
                None => InstructionKind::Unknown,
            },
            // Free text, not processed by the shell lexer in Docker: kept as written.
            "MAINTAINER" if args.start < end => InstructionKind::Maintainer(Word {
                text: args.rest().to_string(),
                span: args.rest_span(),
            }),
            "SHELL" => self.shell(&args),
            "VOLUME" => self.volume(&args),
            "ONBUILD" if nested => {
                self.error(
                    "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                    keyword_span,
                );
                InstructionKind::Unknown
            }
            "ONBUILD" => self.onbuild(&args),
            "MAINTAINER" => {
                self.missing(&args);
                InstructionKind::Unknown
            }
            _ => {
                self.error(format!("unknown instruction `{keyword}`"), keyword_span);
                InstructionKind::Unknown
            }
        };

        // BuildKit reads the arguments of these with its word lexer, which refuses a quote
        // left open; shell forms are read by the shell, which refuses it too.
        let lexed = match keyword.as_str() {
            "FROM" | "ENV" | "LABEL" | "ARG" | "USER" | "WORKDIR" | "STOPSIGNAL" | "EXPOSE" => true,
            "COPY" | "ADD" | "VOLUME" => json_array(args.rest()).is_none(),
            _ => false,
        };
        if lexed && let Some((at, quote)) = open_quote {
            self.error(
                format!("unterminated `{quote}` quote"),
                lg.span(at, at + quote.len_utf8()),
            );
        }
        if let Some(problem) = shell_problem(&kind) {
            self.doc.errors.push(problem.clone());
        }

        let mut span = Span::new(keyword_span.start, lg.src_end.max(keyword_span.end));
        if let Some(last) = heredocs.last() {
            span.end = span.end.max(last.span.end);
        }
        if let InstructionKind::Onbuild(trigger) = &kind {
            span.end = span.end.max(trigger.span.end);
        }
        Some(Instruction {
            rest: Word {
                text: args.rest().to_string(),
                span: args.rest_span(),
            },
            keyword,
            keyword_span,
            span,
            flags,
            heredocs,
            kind,
        })
    }

    /// Records the instruction, its stage and, before the first `FROM`, global `ARG`s.
    fn add(&mut self, instruction: Instruction) {
        let index = self.doc.instructions.len();
        match &instruction.kind {
            InstructionKind::From(from) => {
                let name = from.alias.as_ref().map(|a| a.text.clone());
                if let Some(alias) = &from.alias
                    && self
                        .stage_names
                        .insert(alias.text.clone(), self.doc.stages.len())
                        .is_some()
                {
                    let (message, span) =
                        (format!("duplicate stage name `{}`", alias.text), alias.span);
                    self.error(message, span);
                }
                self.doc.stages.push(Stage {
                    from: index,
                    instructions: vec![index],
                    name,
                });
            }
            kind => match self.doc.stages.last_mut() {
                Some(stage) => stage.instructions.push(index),
                None => match kind {
                    InstructionKind::Arg(decls) => {
                        for decl in decls {
                            let value = decl
                                .default
                                .as_ref()
                                .and_then(|d| substitute(&d.text, &self.global_values));
                            match value {
                                Some(v) => {
                                    self.global_values.insert(decl.name.text.clone(), Some(v));
                                }
                                // A later `ARG X` keeps an earlier value; an unresolvable
                                // default leaves it unknown.
                                None if decl.default.is_none() => {
                                    self.global_values
                                        .entry(decl.name.text.clone())
                                        .or_insert(None);
                                }
                                None => {
                                    self.global_values.insert(decl.name.text.clone(), None);
                                }
                            }
                        }
                        self.doc.global_args.extend(decls.iter().cloned());
                    }
                    InstructionKind::Unknown => {}
                    _ => self.before_from.push(ParseError::new(
                        format!(
                            "`{}` before the first FROM: only ARG may precede FROM",
                            instruction.keyword
                        ),
                        instruction.keyword_span,
                    )),
                },
            },
        }
        self.doc.instructions.push(instruction);
    }

    fn finish(mut self) -> Dockerfile {
        if self.doc.stages.is_empty() {
            if let Some(first) = self.doc.instructions.first() {
                let span = first.keyword_span;
                self.error("no FROM instruction: not a Dockerfile?", span);
            }
        } else {
            self.doc.errors.append(&mut self.before_from);
        }
        self.doc.errors.sort_by_key(|e| (e.span.start, e.span.end));
        self.doc
    }

    /// Reads the body of the heredoc opened by `tok` from the lines after the instruction.
    /// Returns it with the body as a shell would read it (see [`BodyScript`]).
    fn read_heredoc(&mut self, lg: &Logical, tok: Tok, marker: Marker) -> (Heredoc, BodyScript) {
        let marker_span = lg.span(tok.start, tok.end);
        let body_start = self
            .lines
            .get(self.pos)
            .map_or(self.text.len(), |l| l.start);
        let mut text = String::new();
        let mut script = BodyScript::default();
        let mut terminator = None;
        let mut last_end = marker_span.end;
        while let Some(&line) = self.lines.get(self.pos) {
            self.pos += 1;
            let content = self.line_text(line);
            let kept = if marker.strip_tabs {
                content.trim_start_matches('\t')
            } else {
                content
            };
            if kept == marker.delimiter {
                terminator = Some(line);
                break;
            }
            let kept_start = line.end - kept.len();
            text.push_str(kept);
            // An odd number of trailing backslashes: a shell line continuation.
            let continued = (kept.len() - kept.trim_end_matches('\\').len()) % 2 == 1;
            let script_piece = if continued {
                &kept[..kept.len() - 1]
            } else {
                kept
            };
            script
                .map
                .push(script.text.len(), kept_start, script_piece.len());
            script.text.push_str(script_piece);
            if line.next > line.end {
                text.push('\n');
                if !continued {
                    script.text.push('\n');
                }
            }
            last_end = line.end;
        }
        let (body_end, end) = match terminator {
            Some(t) => (t.start, t.end),
            None => {
                let message = format!(
                    "unterminated heredoc: no line `{}` closes it",
                    marker.delimiter
                );
                self.error(message, marker_span);
                (self.text.len(), last_end)
            }
        };
        let heredoc = Heredoc {
            delimiter: marker.delimiter,
            strip_tabs: marker.strip_tabs,
            quoted: marker.quoted,
            body: Word {
                text,
                span: Span::new(body_start, body_end.max(body_start)),
            },
            span: Span::new(marker_span.start, end.max(marker_span.end)),
        };
        (heredoc, script)
    }

    fn missing(&mut self, args: &Args) {
        let message = format!("{} requires at least one argument", args.keyword);
        self.error(message, args.keyword_span);
    }

    fn from(&mut self, args: &Args) -> InstructionKind {
        let lg = args.lg;
        let Some(&first) = args.words.first() else {
            self.error("FROM requires an image", args.keyword_span);
            let at = Span::new(args.keyword_span.end, args.keyword_span.end);
            return InstructionKind::From(From {
                image: Word {
                    text: String::new(),
                    span: at,
                },
                resolved: None,
                reference: None,
                alias: None,
                base_stage: None,
            });
        };
        let image = lg.word(first, self.escape);
        let alias = match args.words[1..] {
            [] => None,
            [as_kw, name] if lg.raw(as_kw).eq_ignore_ascii_case("as") => Some(name),
            _ => {
                let span = args.rest_span();
                self.error("FROM takes an image and optionally `AS name`", span);
                // Still take the name in `FROM image AS name junk`.
                match args.words[1..] {
                    [as_kw, name, ..] if lg.raw(as_kw).eq_ignore_ascii_case("as") => Some(name),
                    _ => None,
                }
            }
        }
        .map(|tok| {
            let word = lg.word(tok, self.escape);
            Word {
                text: word.text.to_ascii_lowercase(),
                span: word.span,
            }
        });
        let resolved = substitute(&image.text, &self.global_values);
        let reference = resolved.as_deref().and_then(ImageRef::parse);
        let base_stage = resolved
            .as_deref()
            .and_then(|r| self.stage_names.get(&r.to_ascii_lowercase()).copied());
        InstructionKind::From(From {
            image,
            resolved,
            reference,
            alias,
            base_stage,
        })
    }

    /// The command of a `RUN`. With heredocs: `RUN <<EOF` alone runs the body as the script
    /// (unless a shebang names another interpreter); `RUN python3 <<EOF` parses the line, with
    /// the markers blanked so the shell tokenizer does not look for their bodies; and when the
    /// line feeds its one heredoc to a shell (`RUN <<EOF bash`), the body's commands follow.
    fn run_command(
        &mut self,
        args: &Args,
        markers: &[Tok],
        heredocs: &[Heredoc],
        scripts: &[BodyScript],
    ) -> CommandLine {
        if args.start >= args.end {
            self.error("RUN requires a command", args.keyword_span);
        }
        if markers.is_empty() {
            return command_line(args.lg, args.start, args.end);
        }
        let body = heredocs.first().zip(scripts.first());
        if markers.len() == args.words.len()
            && let Some((first, script)) = body
        {
            return CommandLine::Shell(heredoc_script(first, script));
        }
        let mut line = args.rest().to_string();
        for m in markers {
            let (s, e) = (m.start - args.start, m.end - args.start);
            line.replace_range(s..e, &" ".repeat(e - s));
        }
        let mut line_script = parse_script(&line, &args.lg.map_from(args.start));
        let feeds_shell = line_script.commands.iter().any(|c| {
            matches!(c.program(), Some("sh" | "bash" | "dash" | "ash"))
                && c.args().iter().all(|a| a.text.starts_with('-'))
        });
        if heredocs.len() == 1
            && feeds_shell
            && let Some((first, script)) = body
        {
            let body = heredoc_script(first, script);
            line_script.commands.extend(body.commands);
            line_script.problem = line_script.problem.or(body.problem);
        }
        CommandLine::Shell(line_script)
    }

    fn healthcheck(&mut self, args: &Args) -> InstructionKind {
        let lg = args.lg;
        let mut check = Healthcheck {
            none: false,
            command: None,
        };
        match args.words.first().map(|&t| lg.raw(t)) {
            Some(w) if w.eq_ignore_ascii_case("NONE") => {
                check.none = true;
                if args.words.len() > 1 {
                    let span = args.rest_span();
                    self.error("HEALTHCHECK NONE takes no arguments", span);
                }
            }
            Some(w) if w.eq_ignore_ascii_case("CMD") => {
                let start = args.words.get(1).map_or(args.end, |t| t.start);
                if start >= args.end {
                    self.error("HEALTHCHECK CMD requires a command", args.keyword_span);
                }
                check.command = Some(command_line(lg, start, args.end));
            }
            _ => self.error(
                "HEALTHCHECK requires `NONE` or `CMD command`",
                args.keyword_span,
            ),
        }
        InstructionKind::Healthcheck(check)
    }

    fn expose(&mut self, args: &Args) -> InstructionKind {
        if args.words.is_empty() {
            self.missing(args);
        }
        let ports = args
            .words
            .iter()
            .map(|&t| exposed_port(args.lg.word(t, self.escape)))
            .collect();
        InstructionKind::Expose(ports)
    }

    fn user(&mut self, args: &Args) -> InstructionKind {
        let lg = args.lg;
        let Some(&tok) = args.words.first() else {
            self.missing(args);
            return InstructionKind::Unknown;
        };
        if args.words.len() > 1 {
            let span = args.rest_span();
            self.error("USER takes exactly one argument: user[:group]", span);
        }
        let raw = lg.raw(tok);
        let part = |start: usize, end: usize| Word {
            text: unquote(&lg.text[start..end], self.escape),
            span: lg.span(start, end),
        };
        match raw.find(':') {
            Some(colon) => InstructionKind::User {
                user: part(tok.start, tok.start + colon),
                group: Some(part(tok.start + colon + 1, tok.end)),
            },
            None => InstructionKind::User {
                user: part(tok.start, tok.end),
                group: None,
            },
        }
    }

    /// `ENV`/`LABEL` pairs: `K=V K2="v 2"`, or the legacy `K value with spaces` (one pair whose
    /// value is the rest of the line).
    fn key_values(&mut self, args: &Args) -> Vec<KeyValue> {
        let lg = args.lg;
        let Some(&first) = args.words.first() else {
            self.missing(args);
            return Vec::new();
        };
        if !lg.raw(first).contains('=') {
            let key = lg.word(first, self.escape);
            let Some(value_start) = args.words.get(1).map(|t| t.start) else {
                let message = format!(
                    "{} `{}` needs a value: `{0} KEY=value`",
                    args.keyword, key.text
                );
                self.error(message, key.span);
                let span = key.span;
                return vec![KeyValue {
                    key,
                    value: None,
                    span,
                }];
            };
            let value = Word {
                text: unquote(&lg.text[value_start..args.end], self.escape),
                span: lg.span(value_start, args.end),
            };
            return vec![KeyValue {
                key,
                value: Some(value),
                span: lg.span(first.start, args.end),
            }];
        }
        let mut pairs = Vec::with_capacity(args.words.len());
        for &tok in &args.words {
            let span = lg.span(tok.start, tok.end);
            match lg.raw(tok).split_once('=') {
                Some((k, _)) => {
                    let eq = tok.start + k.len();
                    let key = Word {
                        text: unquote(k, self.escape),
                        span: lg.span(tok.start, eq),
                    };
                    if key.text.is_empty() {
                        self.error(format!("{} names can not be blank", args.keyword), span);
                    }
                    let value = lg.word(
                        Tok {
                            start: eq + 1,
                            end: tok.end,
                        },
                        self.escape,
                    );
                    pairs.push(KeyValue {
                        key,
                        value: Some(value),
                        span,
                    });
                }
                None => {
                    let message = format!("`{}` is not of the form name=value", lg.raw(tok));
                    self.error(message, span);
                    let key = lg.word(tok, self.escape);
                    pairs.push(KeyValue {
                        key,
                        value: None,
                        span,
                    });
                }
            }
        }
        pairs
    }

    fn arg(&mut self, args: &Args) -> InstructionKind {
        let lg = args.lg;
        if args.words.is_empty() {
            self.missing(args);
        }
        let mut decls = Vec::with_capacity(args.words.len());
        for &tok in &args.words {
            let span = lg.span(tok.start, tok.end);
            let (name, default) = match lg.raw(tok).split_once('=') {
                Some((n, _)) => {
                    let eq = tok.start + n.len();
                    let name = lg.word(
                        Tok {
                            start: tok.start,
                            end: eq,
                        },
                        self.escape,
                    );
                    let default = lg.word(
                        Tok {
                            start: eq + 1,
                            end: tok.end,
                        },
                        self.escape,
                    );
                    (name, Some(default))
                }
                None => (lg.word(tok, self.escape), None),
            };
            if name.text.is_empty() {
                self.error("ARG names can not be blank", span);
            }
            decls.push(ArgDecl {
                name,
                default,
                span,
            });
        }
        InstructionKind::Arg(decls)
    }

    fn copy(&mut self, args: &Args) -> Copy {
        let lg = args.lg;
        let (mut sources, json) = match json_array(args.rest()) {
            Some(elements) => (json_words(lg, args.start, elements), true),
            None => (
                args.words
                    .iter()
                    .map(|&t| lg.word(t, self.escape))
                    .collect(),
                false,
            ),
        };
        if sources.len() < 2 {
            let message = format!(
                "{} requires at least two arguments: source(s) and destination",
                args.keyword
            );
            self.error(message, args.keyword_span);
            return Copy {
                sources,
                dest: None,
                json,
            };
        }
        let dest = sources.pop();
        Copy {
            sources,
            dest,
            json,
        }
    }

    /// The rest as one unquoted word (`WORKDIR`, `STOPSIGNAL`).
    fn single(&mut self, args: &Args) -> Option<Word> {
        if args.start >= args.end {
            self.missing(args);
            return None;
        }
        Some(Word {
            text: unquote(args.rest(), self.escape),
            span: args.rest_span(),
        })
    }

    fn shell(&mut self, args: &Args) -> InstructionKind {
        match json_array(args.rest()) {
            Some(elements) if !elements.is_empty() => {
                InstructionKind::Shell(json_words(args.lg, args.start, elements))
            }
            _ => {
                let message =
                    "SHELL requires a JSON array of strings, e.g. `SHELL [\"/bin/sh\", \"-c\"]`";
                self.error(message, args.keyword_span);
                InstructionKind::Shell(Vec::new())
            }
        }
    }

    fn volume(&mut self, args: &Args) -> InstructionKind {
        let words: Vec<Word> = match json_array(args.rest()) {
            Some(elements) => json_words(args.lg, args.start, elements),
            None => args
                .words
                .iter()
                .map(|&t| args.lg.word(t, self.escape))
                .collect(),
        };
        if words.is_empty() {
            self.missing(args);
        }
        InstructionKind::Volume(words)
    }

    fn onbuild(&mut self, args: &Args) -> InstructionKind {
        let Some(&first) = args.words.first() else {
            self.error("ONBUILD requires an instruction", args.keyword_span);
            return InstructionKind::Unknown;
        };
        let Some(trigger) = self.instruction(args.lg, first.start, true) else {
            let span = args.rest_span();
            self.error("ONBUILD requires an instruction", span);
            return InstructionKind::Unknown;
        };
        if matches!(trigger.keyword.as_str(), "FROM" | "MAINTAINER") {
            let message = format!("{} isn't allowed as an ONBUILD trigger", trigger.keyword);
            self.error(message, trigger.keyword_span);
        }
        InstructionKind::Onbuild(Box::new(trigger))
    }
}

/// Splits a parser directive line `# name = value` into its name and the byte range of its
/// value (BuildKit: `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`).
fn directive_parts(line: &str) -> Option<(&str, usize, usize)> {
    let after_hash = line.strip_prefix('#')?.trim_start();
    let name_len = after_hash
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(after_hash.len());
    let name = &after_hash[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = after_hash[name_len..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let value_start = line.len() - value.len();
    let value_end = line.trim_end().len();
    (value_end > value_start).then_some((name, value_start, value_end))
}

/// The piece of a line before its continuation mark, when the line ends with the escape
/// character (blanks after it are tolerated).
fn strip_continuation(piece: &str, escape: char) -> Option<&str> {
    piece.trim_end_matches([' ', '\t']).strip_suffix(escape)
}

/// The length of the keyword at the start of `s`: an ASCII identifier followed by whitespace
/// or the end. `None` when the line does not start like an instruction.
fn keyword_len(s: &str) -> Option<usize> {
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let n = s
        .bytes()
        .take_while(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .count();
    match s[n..].chars().next() {
        None => Some(n),
        Some(c) if c.is_whitespace() => Some(n),
        Some(_) => None,
    }
}

/// Why the shell would refuse a command of `kind` (an unterminated quote), or why it was
/// only split at blanks.
fn shell_problem(kind: &InstructionKind) -> Option<&ParseError> {
    let command = match kind {
        InstructionKind::Run(run) => Some(&run.command),
        InstructionKind::Cmd(c) | InstructionKind::Entrypoint(c) => Some(c),
        InstructionKind::Healthcheck(h) => h.command.as_ref(),
        _ => None,
    };
    match command {
        Some(CommandLine::Shell(script)) => script.problem.as_ref(),
        _ => None,
    }
}

/// Splits `s` into words at unquoted whitespace; quotes and escaped characters stay inside a
/// word. Offsets are shifted by `base`. Also returns the offset and character of a quote
/// still open at the end.
fn split_words(s: &str, base: usize, escape: char) -> (Vec<Tok>, Option<(usize, char)>) {
    let mut toks = Vec::new();
    let mut open_quote = None;
    let mut chars = s.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut end = s.len();
        let mut quote = None;
        while let Some((i, c)) = chars.next() {
            match quote {
                Some((q, _)) if c == q => quote = None,
                Some(('"', _)) if c == escape => {
                    chars.next();
                }
                Some(_) => {}
                None if c.is_whitespace() => {
                    end = i;
                    break;
                }
                None if c == escape => {
                    chars.next();
                }
                None if c == '"' || c == '\'' => quote = Some((c, i)),
                None => {}
            }
        }
        if let Some((q, at)) = quote {
            open_quote = Some((base + at, q));
        }
        toks.push(Tok {
            start: base + start,
            end: base + end,
        });
    }
    (toks, open_quote)
}

/// Removes Dockerfile quoting from a word: single quotes keep everything literally, double
/// quotes let the escape character escape `"`, `$` and itself, and outside quotes the escape
/// character escapes any character. Variables are not expanded.
fn unquote(raw: &str, escape: char) -> String {
    if !raw.contains(['"', '\'', escape]) {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut quote = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == escape => match chars.peek() {
                Some(&n) if n == '"' || n == '$' || n == escape => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push(c),
            },
            Some(_) => out.push(c),
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == escape => out.extend(chars.next()),
            None => out.push(c),
        }
    }
    out
}

fn is_flag(raw: &str) -> bool {
    raw.strip_prefix("--")
        .is_some_and(|name| name.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// A `--name[=value]` word (already known to be a flag).
fn flag(lg: &Logical, tok: Tok, escape: char) -> Flag {
    let body = &lg.raw(tok)[2..];
    let span = lg.span(tok.start, tok.end);
    match body.split_once('=') {
        Some((name, _)) => {
            let value_start = tok.start + 2 + name.len() + 1;
            Flag {
                name: name.to_string(),
                value: Some(lg.word(
                    Tok {
                        start: value_start,
                        end: tok.end,
                    },
                    escape,
                )),
                span,
            }
        }
        None => Flag {
            name: body.to_string(),
            value: None,
            span,
        },
    }
}

/// A heredoc body as a shell reads it: tab-stripped like the body, and with backslash-newline
/// line continuations joined (the shell tokenizer expects the joined text, as for `RUN` lines).
#[derive(Debug, Default)]
struct BodyScript {
    text: String,
    map: OffsetMap,
}

/// A heredoc marker found on an instruction line.
struct Marker {
    delimiter: String,
    strip_tabs: bool,
    quoted: bool,
}

/// Recognises a heredoc marker word as BuildKit does (`^(\d*)<<(-?)([^<]*)$`, the delimiter
/// unquoted when it starts with a quote). `<<<` (a here-string) and quoted words like `"<<EOF"`
/// do not match.
fn heredoc_marker(raw: &str) -> Option<Marker> {
    let rest = raw
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .strip_prefix("<<")?;
    let (strip_tabs, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return None;
    }
    let quoted = rest.starts_with(['"', '\'']);
    let delimiter = if quoted {
        unquote(rest, '\\')
    } else {
        rest.to_string()
    };
    (!delimiter.is_empty()).then_some(Marker {
        delimiter,
        strip_tabs,
        quoted,
    })
}

/// The commands of a heredoc body run as a script; none when a shebang names another
/// interpreter.
fn heredoc_script(heredoc: &Heredoc, script: &BodyScript) -> ShellScript {
    if runs_in_shell(&heredoc.body.text) {
        parse_script(&script.text, &script.map)
    } else {
        ShellScript::default()
    }
}

/// Whether a heredoc body is a shell script: no shebang, or one naming a POSIX shell.
fn runs_in_shell(body: &str) -> bool {
    let Some(shebang) = body.strip_prefix("#!") else {
        return true;
    };
    let first_line = shebang.lines().next().unwrap_or("");
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let mut parts = first_line.split_whitespace();
    let mut program = parts.next().map(base);
    if program.as_deref() == Some("env") {
        program = parts.find(|p| !p.starts_with('-')).map(base);
    }
    matches!(program.as_deref(), Some("sh" | "bash" | "dash" | "ash"))
}

/// The exec (JSON) or shell form of a command in `lg.text[start..end]`.
fn command_line(lg: &Logical, start: usize, end: usize) -> CommandLine {
    let text = &lg.text[start..end];
    match json_array(text) {
        Some(elements) => CommandLine::Exec(json_words(lg, start, elements)),
        None => CommandLine::Shell(parse_script(text, &lg.map_from(start))),
    }
}

fn json_words(lg: &Logical, base: usize, elements: Vec<(usize, usize, String)>) -> Vec<Word> {
    elements
        .into_iter()
        .map(|(s, e, text)| Word {
            text,
            span: lg.span(base + s, base + e),
        })
        .collect()
}

/// Parses `s` as a JSON array of strings, as Docker decides between exec and shell form.
/// Returns each element's byte range in `s` (quotes included) and its decoded value.
fn json_array(s: &str) -> Option<Vec<(usize, usize, String)>> {
    let b = s.as_bytes();
    let skip_ws = |mut i: usize| {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    };
    let mut i = skip_ws(0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(i + 1);
    let mut elements = Vec::new();
    if b.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let (value, end) = json_string(s, i)?;
            elements.push((i, end, value));
            i = skip_ws(end);
            match b.get(i) {
                Some(b',') => i = skip_ws(i + 1),
                Some(b']') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (skip_ws(i) == b.len()).then_some(elements)
}

/// Decodes the JSON string whose opening quote is at `start`; returns it and the offset just
/// past its closing quote. Lone surrogates become U+FFFD, as Go's decoder does.
fn json_string(s: &str, start: usize) -> Option<(String, usize)> {
    let body = &s[start + 1..];
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, start + 1 + i + 1)),
            '\\' => {
                let escaped = match chars.next()?.1 {
                    c @ ('"' | '\\' | '/') => c,
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let unit = hex4(&mut chars)?;
                        if (0xD800..0xDC00).contains(&unit) {
                            let mut ahead = chars.clone();
                            let low = match (ahead.next(), ahead.next()) {
                                (Some((_, '\\')), Some((_, 'u'))) => hex4(&mut ahead),
                                _ => None,
                            };
                            match low {
                                Some(low @ 0xDC00..0xE000) => {
                                    chars = ahead;
                                    char::from_u32(
                                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00),
                                    )
                                    .unwrap_or('\u{FFFD}')
                                }
                                _ => '\u{FFFD}',
                            }
                        } else {
                            char::from_u32(unit).unwrap_or('\u{FFFD}')
                        }
                    }
                    _ => return None,
                };
                out.push(escaped);
            }
            c if (c as u32) < 0x20 => return None,
            c => out.push(c),
        }
    }
    None
}

fn hex4(chars: &mut std::str::CharIndices) -> Option<u32> {
    (0..4).try_fold(0u32, |acc, _| {
        Some(acc * 16 + chars.next()?.1.to_digit(16)?)
    })
}

/// `EXPOSE` words: `80`, `80/tcp`, `53/udp`, `8000-8010`, `${PORT}`.
fn exposed_port(word: Word) -> ExposedPort {
    let (ports, protocol) = match word.text.split_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (word.text.as_str(), "tcp".to_string()),
    };
    let (port, end_port) = match ports.split_once('-') {
        Some((a, b)) => match (a.parse::<u16>(), b.parse::<u16>()) {
            (Ok(a), Ok(b)) => (Some(a), Some(b)),
            _ => (None, None),
        },
        None => {
            let p = ports.parse::<u16>().ok();
            (p, p)
        }
    };
    ExposedPort {
        word,
        port,
        end_port,
        protocol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str, span: Span) -> &str {
        &text[span.start..span.end]
    }

    fn one(text: &str) -> Instruction {
        let d = parse(text);
        assert!(d.errors.is_empty(), "unexpected errors: {:?}", d.errors);
        d.instructions.into_iter().last().expect("an instruction")
    }

    fn words(ws: &[Word]) -> Vec<&str> {
        ws.iter().map(|w| w.text.as_str()).collect()
    }

    fn commands(cl: &CommandLine) -> Vec<Vec<String>> {
        cl.commands()
            .iter()
            .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
            .collect()
    }

    fn run_command(ins: &Instruction) -> &CommandLine {
        match &ins.kind {
            InstructionKind::Run(run) => &run.command,
            other => panic!("not a RUN: {other:?}"),
        }
    }

    #[test]
    fn continuation_drops_comment_and_blank_lines() {
        let text = "FROM alpine\nRUN a \\\n# note\n\n  && b\nUSER x\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.instructions.len(), 3);
        let run = &d.instructions[1];
        assert_eq!(run.rest.text, "a   && b");
        assert_eq!(src(text, run.span), "RUN a \\\n# note\n\n  && b");
        assert_eq!(commands(run_command(run)), vec![vec!["a"], vec!["b"]]);
        // Comments inside an instruction are not comments of the file.
        assert!(d.comments.is_empty());
    }

    #[test]
    fn word_span_on_continuation_line() {
        let text = "FROM alpine\nRUN apt-get update \\\n    && apt-get install -y \\\n       curl \\\n  \n";
        let d = parse(text);
        let cmds = run_command(&d.instructions[1]).commands();
        let curl = &cmds[1].words[3];
        assert_eq!(curl.text, "curl");
        assert_eq!(src(text, curl.span), "curl");
        let run = &d.instructions[1];
        assert_eq!(
            src(text, run.rest.span),
            "apt-get update \\\n    && apt-get install -y \\\n       curl"
        );
        assert!(src(text, run.span).ends_with("curl \\"));
    }

    #[test]
    fn escape_directive_backtick() {
        let text = "# escape=`\r\nFROM mcr.microsoft.com/windows/servercore\r\nRUN dir C:\\ `\r\n  && echo done\r\nWORKDIR C:\\app\\\r\nCOPY a.txt C:\\dst\\\r\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.escape, '`');
        assert_eq!(d.directives.len(), 1);
        assert_eq!(d.directives[0].name, "escape");
        assert_eq!(src(text, d.directives[0].value.span), "`");
        assert_eq!(d.instructions[1].rest.text, "dir C:\\   && echo done");
        // A trailing backslash is literal with the backtick escape: no continuation.
        match &d.instructions[2].kind {
            InstructionKind::Workdir(w) => assert_eq!(w.text, "C:\\app\\"),
            other => panic!("{other:?}"),
        }
        match &d.instructions[3].kind {
            InstructionKind::Copy(c) => assert_eq!(c.dest.as_ref().unwrap().text, "C:\\dst\\"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn directives_only_at_top() {
        let text =
            "# Syntax = docker/dockerfile:1\n# check=skip=all\n# escape=`\n\n# escape=`\nFROM a\n";
        let d = parse(text);
        let names: Vec<_> = d.directives.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["syntax", "check", "escape"]);
        assert_eq!(d.directives[0].value.text, "docker/dockerfile:1");
        assert_eq!(d.directives[1].value.text, "skip=all");
        assert_eq!(d.comments.len(), 1);
        assert_eq!(d.comments[0].text, "escape=`");

        // A plain comment first: what follows is a comment, not a directive.
        let d = parse("# hello\n# escape=`\nFROM a\n");
        assert!(d.directives.is_empty());
        assert_eq!(d.escape, '\\');
        assert_eq!(d.comments.len(), 2);

        let d = parse("# escape=x\nFROM a\n");
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.escape, '\\');
    }

    #[test]
    fn comments_have_spans() {
        let text = "FROM a\n  # hello world  \nRUN x\n";
        let d = parse(text);
        assert_eq!(d.comments.len(), 1);
        assert_eq!(d.comments[0].text, "hello world");
        assert_eq!(src(text, d.comments[0].span), "# hello world");
    }

    #[test]
    fn crlf_and_lone_cr() {
        for nl in ["\r\n", "\r"] {
            let text = format!(
                "FROM alpine AS base{nl}RUN echo a \\{nl}  && echo b{nl}# c{nl}USER app{nl}\
                 RUN <<EOF{nl}apk add x{nl}EOF{nl}"
            );
            let d = parse(&text);
            assert!(d.errors.is_empty(), "{nl:?}: {:?}", d.errors);
            assert_eq!(d.instructions.len(), 4);
            assert_eq!(d.instructions[1].rest.text, "echo a   && echo b");
            assert_eq!(
                src(&text, d.instructions[1].span),
                format!("RUN echo a \\{nl}  && echo b")
            );
            assert_eq!(d.comments[0].text, "c");
            match &d.instructions[2].kind {
                InstructionKind::User { user, group } => {
                    assert_eq!(src(&text, user.span), "app");
                    assert!(group.is_none());
                }
                other => panic!("{other:?}"),
            }
            let heredoc = &d.instructions[3];
            assert_eq!(heredoc.heredocs[0].body.text, "apk add x\n");
            assert_eq!(
                src(&text, heredoc.span),
                format!("RUN <<EOF{nl}apk add x{nl}EOF")
            );
            let cmds = run_command(heredoc).commands();
            assert_eq!(src(&text, cmds[0].words[2].span), "x");
        }
    }

    #[test]
    fn heredoc_run_body_is_the_script() {
        let text = "FROM alpine\nRUN <<EOF\napk update\napk add git\nEOF\nUSER x\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let run = &d.instructions[1];
        assert_eq!(run.heredocs.len(), 1);
        let h = &run.heredocs[0];
        assert_eq!(h.delimiter, "EOF");
        assert!(!h.strip_tabs && !h.quoted);
        assert_eq!(h.body.text, "apk update\napk add git\n");
        assert_eq!(src(text, h.body.span), "apk update\napk add git\n");
        assert_eq!(src(text, h.span), "<<EOF\napk update\napk add git\nEOF");
        assert_eq!(
            src(text, run.span),
            "RUN <<EOF\napk update\napk add git\nEOF"
        );
        let cl = run_command(run);
        assert_eq!(
            commands(cl),
            vec![vec!["apk", "update"], vec!["apk", "add", "git"]]
        );
        let git = &cl.commands()[1].words[2];
        assert_eq!(src(text, git.span), "git");
        assert_eq!(d.instructions[2].keyword, "USER");
    }

    #[test]
    fn heredoc_run_with_interpreter_and_shebang() {
        let text = "FROM a\nRUN python3 <<'PY' > /out\nimport os\nPY\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nRUN <<EOF\n#!/bin/bash\nset -e\nEOF\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let py = &d.instructions[1];
        assert!(py.heredocs[0].quoted);
        assert_eq!(py.heredocs[0].delimiter, "PY");
        assert_eq!(commands(run_command(py)), vec![vec!["python3"]]);
        assert!(run_command(&d.instructions[2]).commands().is_empty());
        assert_eq!(
            commands(run_command(&d.instructions[3])),
            vec![vec!["set", "-e"]]
        );

        // A body fed to a shell on the command line runs too.
        let text = "FROM a\nRUN <<EOT bash -e\n    apt-get install -y \\\n        git\nEOT\n";
        let run = one(text);
        let cl = run_command(&run);
        assert_eq!(
            commands(cl),
            vec![vec!["bash", "-e"], vec!["apt-get", "install", "-y", "git"]]
        );
        assert_eq!(src(text, cl.commands()[1].words[3].span), "git");
    }

    #[test]
    fn heredoc_copy_several_and_strip_tabs() {
        let text =
            "FROM a\nCOPY <<a.txt <<-\"b.txt\" /dst/\nhello\na.txt\n\tworld\n\tb.txt\nRUN x\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let copy = &d.instructions[1];
        assert_eq!(copy.heredocs.len(), 2);
        assert_eq!(copy.heredocs[0].delimiter, "a.txt");
        assert_eq!(copy.heredocs[0].body.text, "hello\n");
        let b = &copy.heredocs[1];
        assert_eq!(b.delimiter, "b.txt");
        assert!(b.strip_tabs && b.quoted);
        assert_eq!(b.body.text, "world\n");
        assert_eq!(src(text, b.body.span), "\tworld\n");
        assert_eq!(
            src(text, b.span),
            "<<-\"b.txt\" /dst/\nhello\na.txt\n\tworld\n\tb.txt"
        );
        assert!(src(text, copy.span).ends_with("\tb.txt"));
        match &copy.kind {
            InstructionKind::Copy(c) => {
                assert_eq!(words(&c.sources), ["<<a.txt", "<<-b.txt"]);
                assert_eq!(c.dest.as_ref().unwrap().text, "/dst/");
                assert!(!c.json);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.instructions[2].keyword, "RUN");
    }

    #[test]
    fn heredoc_unterminated_and_non_markers() {
        let text = "FROM a\nRUN cat <<EOF\nline\n";
        let d = parse(text);
        assert_eq!(d.errors.len(), 1);
        assert_eq!(src(text, d.errors[0].span), "<<EOF");
        let h = &d.instructions[1].heredocs[0];
        assert_eq!(h.body.text, "line\n");
        assert_eq!(src(text, d.instructions[1].span), "RUN cat <<EOF\nline");

        // Quoted `<<`, here-strings and JSON form open no heredoc.
        let d = parse("FROM a\nRUN echo \"<<EOF\" && cat <<<x\nRUN [\"cat\", \"<<EOF\"]\nUSER u\n");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert!(d.instructions.iter().all(|i| i.heredocs.is_empty()));
        assert_eq!(d.instructions.len(), 4);
    }

    #[test]
    fn json_and_shell_forms() {
        let text = "FROM a\nCMD [\"node\", \\\n  \"app.js\", \"a\\u00e9\\n\"]\nENTRYPOINT [\"x\" oops]\nSHELL [\"pwsh\", \"-c\"]\nVOLUME [\"/data\"]\nVOLUME /a /b\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        match &d.instructions[1].kind {
            InstructionKind::Cmd(CommandLine::Exec(ws)) => {
                assert_eq!(words(ws), ["node", "app.js", "aé\n"]);
                assert_eq!(src(text, ws[1].span), "\"app.js\"");
            }
            other => panic!("{other:?}"),
        }
        // Not a JSON array of strings: shell form, as Docker does.
        match &d.instructions[2].kind {
            InstructionKind::Entrypoint(CommandLine::Shell(s)) => assert_eq!(s.commands.len(), 1),
            other => panic!("{other:?}"),
        }
        match &d.instructions[3].kind {
            InstructionKind::Shell(ws) => assert_eq!(words(ws), ["pwsh", "-c"]),
            other => panic!("{other:?}"),
        }
        match (&d.instructions[4].kind, &d.instructions[5].kind) {
            (InstructionKind::Volume(a), InstructionKind::Volume(b)) => {
                assert_eq!(words(a), ["/data"]);
                assert_eq!(words(b), ["/a", "/b"]);
            }
            other => panic!("{other:?}"),
        }
        let d = parse("FROM a\nSHELL /bin/sh -c\n");
        assert_eq!(d.errors.len(), 1);
    }

    #[test]
    fn from_with_global_args() {
        let text = "ARG PY=3.12\nARG BASE=\"python:${PY}-slim\"\nARG REG\nFROM ${BASE} AS Build\nFROM ${REG:-docker.io}/lib/app:${TAG-1.0}\nFROM $REG/app\nFROM alpine${NOPE:+x}\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.global_args.len(), 3);
        assert_eq!(
            d.global_args[1].default.as_ref().unwrap().text,
            "python:${PY}-slim"
        );
        let from = |i: usize| match &d.instructions[i].kind {
            InstructionKind::From(f) => f.clone(),
            other => panic!("{other:?}"),
        };
        let f = from(3);
        assert_eq!(f.image.text, "${BASE}");
        assert_eq!(f.resolved.as_deref(), Some("python:3.12-slim"));
        assert_eq!(
            f.reference.as_ref().unwrap().tag.as_deref(),
            Some("3.12-slim")
        );
        assert_eq!(f.alias.as_ref().unwrap().text, "build");
        assert_eq!(src(text, f.alias.unwrap().span), "Build");
        let f = from(4);
        assert_eq!(f.resolved.as_deref(), Some("docker.io/lib/app:1.0"));
        assert_eq!(f.reference.unwrap().registry.as_deref(), Some("docker.io"));
        // REG has no value: unresolved.
        let f = from(5);
        assert_eq!(f.resolved, None);
        assert_eq!(f.reference, None);
        assert_eq!(from(6).resolved.as_deref(), Some("alpine"));
        assert_eq!(d.stages.len(), 4);
        assert_eq!(d.stages[0].name.as_deref(), Some("build"));
    }

    #[test]
    fn multi_stage() {
        let text = "FROM golang:1.22 AS builder\nRUN go build\nFROM builder AS test\nFROM alpine\nCOPY --from=builder --chown=app:app /out /app\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.stages.len(), 3);
        assert_eq!(d.stages[0].instructions, vec![0, 1]);
        assert_eq!(d.stages[2].instructions, vec![3, 4]);
        assert_eq!(d.from_of(&d.stages[1]).unwrap().base_stage, Some(0));
        assert_eq!(d.from_of(&d.stages[2]).unwrap().base_stage, None);
        // Stage names are kept lower-cased, so lookups need no case folding.
        assert!(
            d.stages
                .iter()
                .any(|s| s.name.as_deref() == Some("builder"))
        );
        let dup = parse("FROM a AS x\nFROM b AS X\n");
        assert_eq!(dup.errors[0].message, "duplicate stage name `x`");
        let copy = &d.instructions[4];
        let from = copy.flag("from").unwrap();
        assert_eq!(from.value.as_ref().unwrap().text, "builder");
        assert_eq!(src(text, from.span), "--from=builder");
        assert_eq!(src(text, from.value.as_ref().unwrap().span), "builder");
        assert_eq!(
            copy.flag("chown").unwrap().value.as_ref().unwrap().text,
            "app:app"
        );
        assert_eq!(copy.rest.text, "/out /app");
        match &copy.kind {
            InstructionKind::Copy(c) => {
                assert_eq!(words(&c.sources), ["/out"]);
                assert_eq!(c.dest.as_ref().unwrap().text, "/app");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_with_spans() {
        let text = "FROM --platform=$BUILDPLATFORM golang AS b\nRUN --mount=type=secret,id=x \\\n    --network=none cat /run/secrets/x\nADD --checksum=\"sha256:abc\" --link https://x/y.tgz /y.tgz\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let from = &d.instructions[0];
        let platform = from.flag("platform").unwrap();
        assert_eq!(platform.value.as_ref().unwrap().text, "$BUILDPLATFORM");
        assert_eq!(src(text, platform.span), "--platform=$BUILDPLATFORM");
        let run = &d.instructions[1];
        assert_eq!(run.flags.len(), 2);
        let mount = run.flag("mount").unwrap();
        assert_eq!(mount.value.as_ref().unwrap().text, "type=secret,id=x");
        assert_eq!(src(text, mount.span), "--mount=type=secret,id=x");
        let network = run.flag("network").unwrap();
        assert_eq!(src(text, network.span), "--network=none");
        assert_eq!(src(text, run.rest.span), "cat /run/secrets/x");
        let add = &d.instructions[2];
        let checksum = add.flag("checksum").unwrap();
        assert_eq!(checksum.value.as_ref().unwrap().text, "sha256:abc");
        assert_eq!(
            src(text, checksum.value.as_ref().unwrap().span),
            "\"sha256:abc\""
        );
        let link = add.flag("link").unwrap();
        assert!(link.value.is_none());
        assert_eq!(src(text, link.span), "--link");
    }

    #[test]
    fn onbuild() {
        let text =
            "FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nONBUILD copy . /app\nONBUILD ONBUILD RUN x\n";
        let d = parse(text);
        let trigger = |i: usize| match &d.instructions[i].kind {
            InstructionKind::Onbuild(t) => t.clone(),
            other => panic!("{other:?}"),
        };
        let run = trigger(1);
        assert_eq!(run.keyword, "RUN");
        assert_eq!(src(text, run.keyword_span), "RUN");
        assert_eq!(run.heredocs[0].body.text, "echo hi\n");
        assert_eq!(commands(run_command(&run)), vec![vec!["echo", "hi"]]);
        assert_eq!(
            src(text, d.instructions[1].span),
            "ONBUILD RUN <<EOF\necho hi\nEOF"
        );
        let copy = trigger(2);
        assert_eq!(copy.keyword, "COPY");
        assert_eq!(src(text, copy.span), "copy . /app");
        // Chained ONBUILD is an error, but does not nest further.
        assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
        assert_eq!(trigger(3).kind, InstructionKind::Unknown);
    }

    #[test]
    fn healthcheck() {
        let text = "FROM a\nHEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/ || exit 1\nHEALTHCHECK NONE\nHEALTHCHECK CMD [\"/bin/check\"]\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let hc = &d.instructions[1];
        assert_eq!(
            src(text, hc.flag("interval").unwrap().span),
            "--interval=30s"
        );
        match &hc.kind {
            InstructionKind::Healthcheck(h) => {
                assert!(!h.none);
                let cmds = commands(h.command.as_ref().unwrap());
                assert_eq!(
                    cmds,
                    vec![vec!["curl", "-f", "http://localhost/"], vec!["exit", "1"]]
                );
            }
            other => panic!("{other:?}"),
        }
        match &d.instructions[2].kind {
            InstructionKind::Healthcheck(h) => assert!(h.none && h.command.is_none()),
            other => panic!("{other:?}"),
        }
        match &d.instructions[3].kind {
            InstructionKind::Healthcheck(Healthcheck {
                command: Some(CommandLine::Exec(ws)),
                ..
            }) => {
                assert_eq!(words(ws), ["/bin/check"]);
            }
            other => panic!("{other:?}"),
        }
        let d = parse("FROM a\nHEALTHCHECK --interval=5s\n");
        assert_eq!(d.errors.len(), 1);
    }

    #[test]
    fn expose_forms() {
        let text = "FROM a\nEXPOSE 80 443/TCP 53/udp 8000-8010 ${PORT}\n";
        let ins = one(text);
        let InstructionKind::Expose(ports) = &ins.kind else {
            panic!("{:?}", ins.kind)
        };
        let got: Vec<_> = ports
            .iter()
            .map(|p| (p.port, p.end_port, p.protocol.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Some(80), Some(80), "tcp"),
                (Some(443), Some(443), "tcp"),
                (Some(53), Some(53), "udp"),
                (Some(8000), Some(8010), "tcp"),
                (None, None, "tcp"),
            ]
        );
        assert_eq!(src(text, ports[2].word.span), "53/udp");
    }

    #[test]
    fn user_with_group() {
        let text = "FROM a\nUSER app:staff\n";
        let ins = one(text);
        let InstructionKind::User { user, group } = &ins.kind else {
            panic!("{:?}", ins.kind)
        };
        assert_eq!(user.text, "app");
        assert_eq!(src(text, user.span), "app");
        assert_eq!(src(text, group.as_ref().unwrap().span), "staff");
    }

    #[test]
    fn env_both_forms_and_labels() {
        let text = "FROM a\nENV A=1 B=\"two words\" C=x\\ y \\\n    D=''\nENV LEGACY value with  spaces\nLABEL org.opencontainers.image.title=\"My app\" version=1\nARG X Y=2\n";
        let d = parse(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let InstructionKind::Env(pairs) = &d.instructions[1].kind else {
            panic!()
        };
        let kv: Vec<_> = pairs
            .iter()
            .map(|p| (p.key.text.as_str(), p.value.as_ref().unwrap().text.as_str()))
            .collect();
        assert_eq!(
            kv,
            [("A", "1"), ("B", "two words"), ("C", "x y"), ("D", "")]
        );
        assert_eq!(src(text, pairs[1].span), "B=\"two words\"");
        assert_eq!(
            src(text, pairs[1].value.as_ref().unwrap().span),
            "\"two words\""
        );
        assert_eq!(src(text, pairs[3].key.span), "D");
        let InstructionKind::Env(pairs) = &d.instructions[2].kind else {
            panic!()
        };
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].key.text, "LEGACY");
        assert_eq!(pairs[0].value.as_ref().unwrap().text, "value with  spaces");
        assert_eq!(src(text, pairs[0].span), "LEGACY value with  spaces");
        let InstructionKind::Label(labels) = &d.instructions[3].kind else {
            panic!()
        };
        assert_eq!(labels[0].value.as_ref().unwrap().text, "My app");
        let InstructionKind::Arg(args) = &d.instructions[4].kind else {
            panic!()
        };
        assert_eq!(args[0].name.text, "X");
        assert!(args[0].default.is_none());
        assert_eq!(args[1].default.as_ref().unwrap().text, "2");

        let d = parse("FROM a\nENV ONLYKEY\nLABEL a=b c\n");
        assert_eq!(d.errors.len(), 2, "{:?}", d.errors);
    }

    #[test]
    fn unknown_instruction() {
        let text = "FROM a\nfoo bar\nRUN x\n";
        let d = parse(text);
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.errors[0].message, "unknown instruction `FOO`");
        assert_eq!(src(text, d.errors[0].span), "foo");
        assert_eq!(d.instructions[1].kind, InstructionKind::Unknown);
        assert_eq!(d.instructions[2].keyword, "RUN");
    }

    #[test]
    fn missing_arguments_are_errors() {
        let text = "FROM\nCOPY\nUSER\nWORKDIR\nRUN\nEXPOSE\nONBUILD\nCOPY onlyone\n";
        let d = parse(text);
        assert_eq!(d.errors.len(), 8, "{:?}", d.errors);
        assert_eq!(d.instructions.len(), 8);
        assert_eq!(d.stages.len(), 1);
        assert_eq!(src(text, d.errors[1].span), "COPY");
    }

    #[test]
    fn not_a_dockerfile() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n";
        let d = parse(text);
        assert_eq!(d.errors.len(), 4);
        assert_eq!(src(text, d.errors[0].span), "apiVersion: v1");
        assert_eq!(src(text, d.errors[3].span), "name: x");
        assert!(d.instructions.is_empty());

        let d = parse("{\"a\": 1}\n");
        assert_eq!(d.errors.len(), 1);

        // Instructions but no FROM: one error at the first instruction.
        let text = "RUN echo\nUSER x\n";
        let d = parse(text);
        assert_eq!(d.errors.len(), 1);
        assert_eq!(
            d.errors[0].message,
            "no FROM instruction: not a Dockerfile?"
        );
        assert_eq!(src(text, d.errors[0].span), "RUN");
    }

    #[test]
    fn only_arg_before_from() {
        let d = parse("ARG A=1\nRUN x\nFROM a\n");
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.global_args.len(), 1);
        assert!(d.stages[0].instructions == vec![2]);
    }

    #[test]
    fn empty_and_comment_only() {
        for text in [
            "",
            "\n\n",
            "# just a comment\n",
            "# syntax=docker/dockerfile:1\n",
        ] {
            let d = parse(text);
            assert!(d.errors.is_empty(), "{text:?}: {:?}", d.errors);
            assert!(d.instructions.is_empty());
        }
    }

    #[test]
    fn json_edge_cases() {
        assert_eq!(json_array(" [ ] ").map(|v| v.len()), Some(0));
        let v = json_array("[\"\\ud83d\\ude00\", \"\\ud800\"]").unwrap();
        assert_eq!(v[0].2, "😀");
        assert_eq!(v[1].2, "\u{FFFD}");
        for bad in [
            "[",
            "[\"a\",]",
            "[1]",
            "[\"a\"] x",
            "[\"\\x\"]",
            "[\"a\tb\"]",
            "[\"\\u12\"]",
        ] {
            assert!(json_array(bad).is_none(), "{bad}");
        }
    }

    /// Every span of the document, for bounds checks.
    fn all_spans(d: &Dockerfile) -> Vec<Span> {
        fn word_spans(ws: &[Word], out: &mut Vec<Span>) {
            out.extend(ws.iter().map(|w| w.span));
        }
        fn instruction_spans(i: &Instruction, out: &mut Vec<Span>) {
            out.extend([i.span, i.keyword_span, i.rest.span]);
            for f in &i.flags {
                out.push(f.span);
                out.extend(f.value.iter().map(|v| v.span));
            }
            for h in &i.heredocs {
                out.extend([h.span, h.body.span]);
            }
            let cl = |c: &CommandLine, out: &mut Vec<Span>| {
                for cmd in c.commands() {
                    word_spans(&cmd.words, out);
                }
            };
            match &i.kind {
                InstructionKind::From(f) => {
                    out.push(f.image.span);
                    out.extend(f.alias.iter().map(|a| a.span));
                }
                InstructionKind::Run(r) => cl(&r.command, out),
                InstructionKind::Cmd(c) | InstructionKind::Entrypoint(c) => cl(c, out),
                InstructionKind::Healthcheck(h) => {
                    if let Some(c) = &h.command {
                        cl(c, out);
                    }
                }
                InstructionKind::Expose(ps) => out.extend(ps.iter().map(|p| p.word.span)),
                InstructionKind::User { user, group } => {
                    out.push(user.span);
                    out.extend(group.iter().map(|g| g.span));
                }
                InstructionKind::Env(kvs) | InstructionKind::Label(kvs) => {
                    for kv in kvs {
                        out.extend([kv.span, kv.key.span]);
                        out.extend(kv.value.iter().map(|v| v.span));
                    }
                }
                InstructionKind::Arg(args) => {
                    for a in args {
                        out.extend([a.span, a.name.span]);
                        out.extend(a.default.iter().map(|v| v.span));
                    }
                }
                InstructionKind::Copy(c) | InstructionKind::Add(c) => {
                    word_spans(&c.sources, out);
                    out.extend(c.dest.iter().map(|w| w.span));
                }
                InstructionKind::Shell(ws) | InstructionKind::Volume(ws) => word_spans(ws, out),
                InstructionKind::Workdir(w)
                | InstructionKind::StopSignal(w)
                | InstructionKind::Maintainer(w) => out.push(w.span),
                InstructionKind::Onbuild(t) => instruction_spans(t, out),
                InstructionKind::Unknown => {}
            }
        }
        let mut out = Vec::new();
        for i in &d.instructions {
            instruction_spans(i, &mut out);
        }
        word_spans(&d.comments, &mut out);
        for dir in &d.directives {
            out.extend([dir.span, dir.value.span]);
        }
        out.extend(d.errors.iter().map(|e| e.span));
        out
    }

    fn assert_spans_valid(text: &str, d: &Dockerfile) {
        for s in all_spans(d) {
            assert!(
                s.start <= s.end && s.end <= text.len(),
                "{s:?} out of bounds in {text:?}"
            );
            assert!(
                text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                "{s:?} not on char boundaries in {text:?}"
            );
        }
    }

    const TRICKY: &str = "# syntax=docker/dockerfile:1\r\n# escape=\\\nARG BASE=\"alpine:3.19\"\nFROM --platform=$BUILDPLATFORM ${BASE:-x} AS Bü\n\
        RUN --mount=type=cache,target=/c \\\n  # cömment\n\n  apk add \"a b\" 'c' \\\r  && echo ${X} \\ \nCOPY <<-É <<\"two\" /dst/\n\té\n\tÉ\nx\ntwo\n\
        RUN [\"a\", \"\\u00e9\", \\\n \"c\"]\nENV K=\"v é\" L=w\\ x\nENV OLD vàl ue\nHEALTHCHECK --interval=1s CMD [\"x\"]\n\
        ONBUILD RUN <<EOF\nécho\nEOF\nEXPOSE 80/udp 1-2\nUSER ü:g\nLABEL a=\"b\nvolume [\"/v\"\nfoo\n{ \"json\": true }\nRUN cat <<EOF";

    #[test]
    fn every_prefix_parses_with_valid_spans() {
        for (i, _) in TRICKY
            .char_indices()
            .chain(std::iter::once((TRICKY.len(), ' ')))
        {
            let text = &TRICKY[..i];
            let d = parse(text);
            assert_spans_valid(text, &d);
        }
        // Also every suffix, so parsing starts mid-construct.
        for (i, _) in TRICKY.char_indices() {
            let text = &TRICKY[i..];
            assert_spans_valid(text, &parse(text));
        }
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let long = "RUN ".to_string() + &"a\\\n".repeat(20_000);
        let many_markers = "FROM a\nCOPY ".to_string() + &"<<E ".repeat(5_000) + "/d\n";
        let nested = "FROM a\nRUN ".to_string() + &"ONBUILD ".repeat(5_000);
        let onbuilds = "ONBUILD ".repeat(5_000);
        let braces = "ARG A=".to_string() + &"${B:-".repeat(10_000) + "\nFROM $A\n";
        for text in [
            long.as_str(),
            &many_markers,
            &nested,
            &onbuilds,
            &braces,
            "\\",
            "\r\r\n\n\r",
            "FROM a\nRUN \\",
            "FROM a\nRUN <<",
            "FROM a\nRUN <<-\n",
            "FROM a\nRUN [\"\\",
            "\u{0}\u{FFFD}\u{10FFFF}",
        ] {
            let d = parse(text);
            assert_spans_valid(text, &d);
        }
    }

    #[test]
    fn unterminated_quotes_are_located_errors() {
        for (text, quoted) in [
            ("FROM \"alpine:3.19\n", "\""),
            ("FROM alpine\nENV A=\"x y\nUSER 1\n", "\""),
            ("FROM alpine\nLABEL a='x\n", "'"),
            ("FROM alpine\nCOPY a \"b /x\n", "\""),
            ("FROM alpine\nRUN echo \"unterminated\nUSER 1\n", "\""),
            ("FROM alpine\nCMD echo 'it\n", "'"),
            ("FROM alpine\nRUN <<EOF\necho \"x\nEOF\n", "\""),
        ] {
            let d = parse(text);
            assert_eq!(d.errors.len(), 1, "{text:?}: {:?}", d.errors);
            let e = &d.errors[0];
            assert!(
                e.message.contains("unterminated"),
                "{text:?}: {}",
                e.message
            );
            assert_eq!(src(text, e.span), quoted, "{text:?}");
        }
        // Balanced quotes, quotes in JSON form and escaped quotes are fine.
        for text in [
            "FROM alpine\nENV A=\"it's\" B='say \"hi\"'\n",
            "FROM alpine\nRUN echo \\\" && echo \"a\\\"b\"\n",
            "FROM alpine\nCMD [\"echo\", \"it's\"]\n",
        ] {
            assert!(
                parse(text).errors.is_empty(),
                "{text:?}: {:?}",
                parse(text).errors
            );
        }
    }

    #[test]
    fn deeply_nested_expansions_do_not_overflow_the_stack() {
        let text = format!(
            "FROM alpine\nRUN echo {}x{} && pip install flask\n",
            "$(".repeat(10_000),
            ")".repeat(10_000)
        );
        let d = parse(&text);
        assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
        assert!(d.errors[0].message.contains("nested deeper"));
        assert!(
            commands(run_command(&d.instructions[1]))
                .iter()
                .any(|c| c[0] == "pip")
        );
    }
}
