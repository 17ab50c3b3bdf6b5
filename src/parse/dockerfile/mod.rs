//! The Dockerfile model: every instruction, flag and argument with its exact span.
//!
//! Written by hand for linting (see `parser.rs` for why no crate serves). The model keeps what
//! rules need and nothing they would have to re-parse: logical instructions (continuations
//! joined, comment lines inside them dropped, as BuildKit does), typed arguments per
//! instruction, heredocs, stages, and `RUN` bodies split into simple commands.
//!
//! Spans are byte ranges into the original file text, never into a joined or unescaped copy, so
//! a finding on a word points at that word even when the instruction spans several lines.

mod parser;
mod vars;

pub use parser::parse;
pub use vars::{Vars, substitute};

use crate::parse::ParseError;
use crate::parse::shell::ShellScript;
pub use crate::parse::text::Word;
use crate::source::Span;

/// A parsed Dockerfile. Parsing never fails as a whole: problems are collected in `errors`,
/// each located, and everything that could be read is kept.
#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    /// Parser directives from the top of the file (`# syntax=…`, `# escape=…`, `# check=…`).
    pub directives: Vec<Directive>,
    /// The escape character in force: `\` unless `# escape=` set it to a backtick.
    pub escape: char,
    pub instructions: Vec<Instruction>,
    /// Comments outside instructions, with spans (later used for inline suppressions).
    pub comments: Vec<Word>,
    /// Build stages in order; `stages[i].instructions` are indexes into `instructions`.
    pub stages: Vec<Stage>,
    /// `ARG`s declared before the first `FROM`, usable in `FROM` lines.
    pub global_args: Vec<ArgDecl>,
    pub errors: Vec<ParseError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased name: `syntax`, `escape`, `check`.
    pub name: String,
    pub value: Word,
    pub span: Span,
}

/// A `--name=value` (or bare `--name`) flag on an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Without the leading dashes, e.g. `platform`, `mount`, `from`, `chown`.
    pub name: String,
    pub value: Option<Word>,
    /// The whole flag, dashes included.
    pub span: Span,
}

/// One logical instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The keyword upper-cased (`RUN`), and its span as written.
    pub keyword: String,
    pub keyword_span: Span,
    /// From the keyword to the end of the last continuation line (and of any heredoc bodies),
    /// without the final line ending.
    pub span: Span,
    pub flags: Vec<Flag>,
    /// The arguments after the flags, as one piece: `text` is the logical text (continuations
    /// joined, comment lines dropped), `span` the source range it came from.
    pub rest: Word,
    pub heredocs: Vec<Heredoc>,
    pub kind: InstructionKind,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

/// A heredoc attached to an instruction: `<<EOF`, `<<-EOF`, `<<"EOF"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    /// `<<-`: leading tabs are stripped from the body.
    pub strip_tabs: bool,
    /// The delimiter was quoted, so the body is not expanded.
    pub quoted: bool,
    /// The body between the opening line and the terminator line (exclusive), with its span.
    pub body: Word,
    /// The whole heredoc from its `<<` marker on the instruction line to the end of the
    /// terminator line.
    pub span: Span,
}

/// The typed arguments of an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstructionKind {
    From(From),
    Run(Run),
    Cmd(CommandLine),
    Entrypoint(CommandLine),
    Healthcheck(Healthcheck),
    Expose(Vec<ExposedPort>),
    /// `USER name[:group]`: the user part and, when given, the group part.
    User {
        user: Word,
        group: Option<Word>,
    },
    Env(Vec<KeyValue>),
    Arg(Vec<ArgDecl>),
    Label(Vec<KeyValue>),
    /// `COPY` and `ADD`: `sources` then `dest` (heredoc sources appear as `<<EOF` words).
    Copy(Copy),
    Add(Copy),
    Workdir(Word),
    Shell(Vec<Word>),
    Volume(Vec<Word>),
    StopSignal(Word),
    Maintainer(Word),
    /// `ONBUILD <instruction>`: the trigger, parsed as an instruction of its own.
    Onbuild(Box<Instruction>),
    /// An instruction the parser does not know; also reported in `Dockerfile::errors`.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct From {
    /// The image as written (after the flags), e.g. `python:${PY_VERSION}-slim`.
    pub image: Word,
    /// The image with global `ARG` defaults substituted, when every variable could be
    /// resolved; `None` when some variable has no default.
    pub resolved: Option<String>,
    /// The parsed reference of `resolved` (or of `image` when it has no variables).
    pub reference: Option<ImageRef>,
    /// `AS name`: the stage name, lower-cased, with its span.
    pub alias: Option<Word>,
    /// Index of an earlier stage this `FROM` builds on (`FROM builder`), if any.
    pub base_stage: Option<usize>,
}

/// A parsed image reference: `[registry/]repository[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// E.g. `docker.io`, `mcr.microsoft.com`, `localhost:5000`; `None` for Docker Hub shorthand.
    pub registry: Option<String>,
    /// E.g. `library/python` is kept as written: `python`.
    pub repository: String,
    pub tag: Option<String>,
    /// E.g. `sha256:…`.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `[registry/]repository[:tag][@digest]`. Returns `None` for an empty string or one
    /// with whitespace.
    pub fn parse(s: &str) -> Option<ImageRef> {
        let s = s.trim();
        if s.is_empty() || s.contains(char::is_whitespace) {
            return None;
        }
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (s, None),
        };
        // A tag follows the last ':' that comes after the last '/', so a registry port
        // (`localhost:5000/app`) is not mistaken for a tag.
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (
                &name_tag[..last_slash + i],
                Some(name_tag[last_slash + i + 1..].to_string()),
            ),
            None => (name_tag, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first.to_string()), rest.to_string())
            }
            _ => (None, name.to_string()),
        };
        if repository.is_empty() {
            return None;
        }
        Some(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The name without tag and digest, with Docker Hub's registry and `library/` left out:
    /// `docker.io/library/redis:7` → `redis`, `ghcr.io/org/app:1` → `ghcr.io/org/app`.
    pub fn short_name(&self) -> String {
        match self.registry.as_deref() {
            None | Some("docker.io" | "index.docker.io" | "registry-1.docker.io") => self
                .repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_string(),
            Some(registry) => format!("{registry}/{}", self.repository),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub command: CommandLine,
}

/// The argument of `RUN`, `CMD`, `ENTRYPOINT` and `HEALTHCHECK CMD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// JSON (exec) form: `["executable", "arg"]`, each element with its span.
    Exec(Vec<Word>),
    /// Shell form, split into simple commands. For a `RUN <<EOF` whose command is only the
    /// heredoc, the script is the heredoc body.
    Shell(ShellScript),
}

impl CommandLine {
    /// All simple commands, for the exec form as a single command.
    pub fn commands(&self) -> Vec<crate::parse::shell::SimpleCommand> {
        match self {
            CommandLine::Exec(words) => vec![crate::parse::shell::SimpleCommand {
                words: words.clone(),
            }],
            CommandLine::Shell(script) => script.commands.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    /// `HEALTHCHECK NONE` disables a base image's check.
    pub none: bool,
    /// `--interval`, `--timeout`, `--start-period`, `--start-interval`, `--retries` are in
    /// the instruction's `flags`.
    pub command: Option<CommandLine>,
}

/// `EXPOSE 80`, `EXPOSE 80/tcp`, `EXPOSE 8000-8010/udp`, `EXPOSE ${PORT}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedPort {
    pub word: Word,
    /// The port (first of a range) when it is a literal number.
    pub port: Option<u16>,
    /// The last port of a range, equal to `port` for a single port.
    pub end_port: Option<u16>,
    /// `tcp` unless written otherwise, lower-cased.
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: Word,
    /// The value with quotes removed; `None` for the legacy `ENV KEY` without a value.
    pub value: Option<Word>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    pub name: Word,
    pub default: Option<Word>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub sources: Vec<Word>,
    pub dest: Option<Word>,
    /// Whether the arguments were written in JSON form.
    pub json: bool,
}

/// One build stage: a `FROM` and the instructions up to the next `FROM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Index of the stage's `FROM` in `Dockerfile::instructions`.
    pub from: usize,
    /// Indexes of every instruction of the stage, the `FROM` included.
    pub instructions: Vec<usize>,
    /// Lower-cased `AS` name.
    pub name: Option<String>,
}

impl Dockerfile {
    pub fn from_of(&self, stage: &Stage) -> Option<&From> {
        match &self.instructions.get(stage.from)?.kind {
            InstructionKind::From(f) => Some(f),
            _ => None,
        }
    }

    pub fn stage_instructions<'a>(
        &'a self,
        stage: &'a Stage,
    ) -> impl Iterator<Item = &'a Instruction> + 'a {
        stage
            .instructions
            .iter()
            .filter_map(|&i| self.instructions.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refs() {
        let r = ImageRef::parse("python:3.12-slim").unwrap();
        assert_eq!(
            (r.registry, r.repository.as_str(), r.tag.as_deref()),
            (None, "python", Some("3.12-slim"))
        );
        let r = ImageRef::parse("localhost:5000/team/app").unwrap();
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag, None);
        let r = ImageRef::parse("mcr.microsoft.com/dotnet/aspnet:8.0@sha256:abc").unwrap();
        assert_eq!(r.registry.as_deref(), Some("mcr.microsoft.com"));
        assert_eq!(r.repository, "dotnet/aspnet");
        assert_eq!(r.tag.as_deref(), Some("8.0"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        assert!(ImageRef::parse("").is_none());
        let short = |s: &str| ImageRef::parse(s).unwrap().short_name();
        assert_eq!(short("redis:7.2"), "redis");
        assert_eq!(short("docker.io/library/redis:7.2"), "redis");
        assert_eq!(short("docker.io/bitnami/redis"), "bitnami/redis");
        assert_eq!(
            short("localhost:5000/redis@sha256:abc"),
            "localhost:5000/redis"
        );
        assert!(ImageRef::parse("a b").is_none());
    }
}
