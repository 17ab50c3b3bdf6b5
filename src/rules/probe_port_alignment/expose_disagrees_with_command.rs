//! PORT003 expose-disagrees-with-command: the final image's `CMD`/`ENTRYPOINT` visibly binds a
//! port (`--bind 0.0.0.0:8000`, `--port 8000`, `-p 8000`, `--urls http://+:8000`,
//! `-Dserver.port=8000`) that the image does not `EXPOSE`.

use crate::model::dockerfile::{exposed_ports, final_with_vars};
use crate::parse::dockerfile::substitute;
use crate::parse::dockerfile::{CommandLine, InstructionKind, Word};
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct ExposeDisagreesWithCommand;

/// Options whose value is a port, or `host:port`, or a URL, for any program.
const PORT_OPTIONS: &[&str] = &[
    "--bind",
    "--port",
    "--listen",
    "--http-port",
    "--server.port",
    "--urls",
    "--address",
    "--addr",
    "--http",
];

/// Short options mean a port only for the servers that define them that way: `-b` is a
/// buffer size to uwsgi, and `-p` is a path, a profile or a password to many tools.
const SHORT_PORT_OPTIONS: &[(&str, &[&str])] = &[
    ("-b", &["gunicorn", "hypercorn", "daphne"]),
    (
        "-p",
        &[
            "flask",
            "rails",
            "puma",
            "http-server",
            "serve",
            "json-server",
            "live-server",
            "hugo",
            "daphne",
            "php",
        ],
    ),
];

/// Whether `option` names a port for a command made of `words`.
fn is_port_option(option: &str, words: &[&Word]) -> bool {
    PORT_OPTIONS.contains(&option)
        || SHORT_PORT_OPTIONS.iter().any(|(short, programs)| {
            *short == option
                && words.iter().any(|w| {
                    let base = w.text.rsplit('/').next().unwrap_or(&w.text);
                    programs.contains(&base)
                })
        })
}

/// The port in an option value: `8000`, `0.0.0.0:8000`, `:8000`, `http://+:8000`.
fn port_of(value: &str) -> Option<u16> {
    let value = value.split(';').next()?.trim();
    let after_scheme = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = after_scheme.split('/').next()?;
    let port = match authority.rsplit_once(':') {
        Some((_, p)) => p,
        None => authority,
    };
    port.parse::<u16>().ok().filter(|p| *p > 0)
}

impl Rule for ExposeDisagreesWithCommand {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        let (instructions, vars) = final_with_vars(df);
        let Some(exposed) = exposed_ports(&instructions, &vars) else {
            return;
        };
        if exposed.is_empty() {
            return;
        }
        // Only the CMD and ENTRYPOINT in force (the last of each) start the service.
        let mut commands: Vec<&CommandLine> = Vec::new();
        for want in ["ENTRYPOINT", "CMD"] {
            if let Some(ins) = instructions.iter().rev().find(|i| i.keyword == want) {
                match &ins.kind {
                    InstructionKind::Cmd(c) | InstructionKind::Entrypoint(c) => commands.push(c),
                    _ => {}
                }
            }
        }
        let mut binds: Vec<(u16, &Word)> = Vec::new();
        for command in commands {
            let words: Vec<&Word> = match command {
                CommandLine::Exec(w) => w.iter().collect(),
                CommandLine::Shell(s) => s.commands.iter().flat_map(|c| c.words.iter()).collect(),
            };
            for (i, word) in words.iter().enumerate() {
                let Some(text) = substitute(&word.text, &vars) else {
                    continue;
                };
                // `--port=8000`, `-Dserver.port=8000`
                let inline = text
                    .split_once('=')
                    .filter(|(k, _)| is_port_option(k, &words) || *k == "-Dserver.port")
                    .map(|(_, v)| v.to_string());
                let value = match inline {
                    Some(v) => Some(v),
                    None if is_port_option(&text, &words) => {
                        words.get(i + 1).and_then(|w| substitute(&w.text, &vars))
                    }
                    None => None,
                };
                let Some(port) = value.as_deref().and_then(port_of) else {
                    continue;
                };
                let at = if inline_value(&text) {
                    word
                } else {
                    words.get(i + 1).copied().unwrap_or(word)
                };
                binds.push((port, at));
            }
        }
        for (port, word) in binds {
            if exposed.iter().any(|(p, _)| *p == port) {
                continue;
            }
            let mut declared: Vec<String> = exposed.iter().map(|(p, _)| p.to_string()).collect();
            declared.dedup();
            let related = exposed
                .first()
                .map(|(_, e)| {
                    sink.related_here(
                        e.word.span,
                        format!("`EXPOSE {}` declared here", e.word.text),
                    )
                })
                .into_iter()
                .collect();
            sink.report(
                word.span,
                format!(
                    "The command listens on port {port}, but the image exposes {}",
                    declared.join(", ")
                ),
            )
            .related = related;
        }
    }
}

fn inline_value(text: &str) -> bool {
    text.contains('=')
}

#[cfg(test)]
mod tests {
    use super::port_of;

    #[test]
    fn reads_ports_from_option_values() {
        assert_eq!(port_of("8000"), Some(8000));
        assert_eq!(port_of("0.0.0.0:8000"), Some(8000));
        assert_eq!(port_of(":8000"), Some(8000));
        assert_eq!(port_of("http://+:5000"), Some(5000));
        assert_eq!(port_of("http://0.0.0.0:80;https://0.0.0.0:443"), Some(80));
        assert_eq!(port_of("unix:/tmp/s.sock"), None);
        assert_eq!(port_of("app:main"), None);
    }
}
