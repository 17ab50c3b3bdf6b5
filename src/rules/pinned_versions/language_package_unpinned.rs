//! PIN003 language-package-unpinned: `pip`, `npm`/`yarn`/`pnpm`, `gem` and `go install`
//! without versions. Installs driven by a lock or requirements file (`pip install -r`,
//! `npm ci`, a bare `npm install`, `yarn install`) are pinned by that file and not findings.

use crate::model::dockerfile::runs;
use crate::parse::dockerfile::Word;
use crate::parse::shell::SimpleCommand;
use crate::rules::docker::{dockerfile, operands, subcommand};
use crate::rules::pinned_versions::{list, plural};
use crate::rules::{FileContext, Rule, Sink};

pub struct LanguagePackageUnpinned;

const PIP_WITH_VALUE: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--upgrade-strategy",
    "--platform",
    "--python-version",
    "--only-binary",
    "--no-binary",
    "--trusted-host",
    "--cache-dir",
    "--src",
    "--log",
    "--progress-bar",
    "--global-option",
    "--config-settings",
    "-C",
    "--timeout",
    "--retries",
    "--proxy",
    "--cert",
    "--client-cert",
    "--root-user-action",
    "--implementation",
    "--abi",
    "--python",
];
const NPM_WITH_VALUE: &[&str] = &[
    "--prefix",
    "--registry",
    "--cache",
    "-w",
    "--workspace",
    "--omit",
    "--include",
    "--tag",
    "--loglevel",
    "--userconfig",
    "--location",
];

impl Rule for LanguagePackageUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        // One finding per `RUN` and tool: pinning one instruction's packages is one edit,
        // however many install commands it chains (`pip install -U pip && pip install x`).
        for (_, commands) in runs(df) {
            let mut found: Vec<(String, Vec<&Word>, &'static str, Vec<crate::source::Span>)> =
                Vec::new();
            for cmd in &commands {
                let Some((tool, unpinned, example)) = unpinned_of(cmd) else {
                    continue;
                };
                let Some(first) = unpinned.first().map(|w| w.span) else {
                    continue;
                };
                match found.iter_mut().find(|(t, ..)| *t == tool) {
                    Some((_, all, _, again)) => {
                        all.extend(unpinned);
                        again.push(first);
                    }
                    None => found.push((tool, unpinned, example, Vec::new())),
                }
            }
            for (tool, unpinned, example, again) in found {
                let related = again
                    .iter()
                    .map(|s| sink.related_here(*s, format!("`{tool}` again in this `RUN`")))
                    .collect();
                sink.report(
                    unpinned[0].span,
                    format!(
                        "`{tool}` installs {} without a pinned version: {} (pin like `{example}`, or install from a lock file)",
                        plural(unpinned.len(), "package"),
                        list(&unpinned)
                    ),
                )
                .related = related;
            }
        }
    }
}

/// The tool as shown, its unpinned packages, and an example of a pin.
fn unpinned_of(cmd: &SimpleCommand) -> Option<(String, Vec<&Word>, &'static str)> {
    let program = cmd.program()?;
    let args = cmd.args();
    // `python -m pip install …`, `uv pip install …`
    let (pip_args, pip_name): (&[Word], String) =
        if matches!(program, "pip" | "pip3") || program.starts_with("pip3.") {
            (args, program.to_string())
        } else if program.starts_with("python")
            && args.len() >= 2
            && args[0].text == "-m"
            && args[1].text == "pip"
        {
            (&args[2..], format!("{program} -m pip"))
        } else if program == "uv" && args.first().is_some_and(|a| a.text == "pip") {
            (&args[1..], "uv pip".to_string())
        } else {
            (&[], String::new())
        };
    if !pip_name.is_empty() {
        return pip(pip_args).map(|u| (format!("{pip_name} install"), u, "flask==3.0.3"));
    }
    match program {
        "npm" | "pnpm" | "yarn" => {
            node(program, args).map(|(sub, u)| (format!("{program} {sub}"), u, "typescript@5.4.5"))
        }
        "gem" => gem(args).map(|u| ("gem install".to_string(), u, "bundler:2.5.6")),
        "go" => go(args).map(|u| {
            (
                "go install".to_string(),
                u,
                "golang.org/x/tools/gopls@v0.15.3",
            )
        }),
        _ => None,
    }
}

fn pip(args: &[Word]) -> Option<Vec<&Word>> {
    let sub = subcommand(args, PIP_WITH_VALUE)?;
    if args[sub].text != "install" {
        return None;
    }
    let rest = &args[sub + 1..];
    // Requirements and constraints files pin what they list.
    if rest.iter().any(|w| {
        matches!(
            w.text.as_str(),
            "-r" | "--requirement" | "-c" | "--constraint" | "-e" | "--editable"
        ) || w.text.starts_with("--requirement=")
            || w.text.starts_with("--constraint=")
    }) {
        return None;
    }
    let packages = operands(args, sub + 1, PIP_WITH_VALUE)
        .into_iter()
        .filter(|w| {
            let t = w.text.as_str();
            let local = t.starts_with('.')
                || t.contains('/')
                || t.ends_with(".whl")
                || t.ends_with(".tar.gz")
                || t.ends_with(".zip")
                || t.contains("://");
            // `==` and `===` pin; `@ url` is a direct reference.
            let pinned = t.contains("==") || t.contains('@');
            !local && !pinned
        })
        .collect();
    Some(packages)
}

fn node<'a>(program: &str, args: &'a [Word]) -> Option<(String, Vec<&'a Word>)> {
    let sub = subcommand(args, NPM_WITH_VALUE)?;
    let mut sub_name = args[sub].text.clone();
    let mut start = sub + 1;
    // `yarn global add pkg`
    if program == "yarn" && sub_name == "global" {
        let next = args.get(sub + 1)?;
        sub_name = format!("global {}", next.text);
        start = sub + 2;
        if next.text != "add" {
            return None;
        }
    } else {
        let installs = match program {
            "npm" => matches!(
                sub_name.as_str(),
                "install" | "i" | "add" | "isntall" | "in"
            ),
            _ => sub_name == "add",
        };
        if !installs {
            return None;
        }
    }
    let packages = operands(args, start, NPM_WITH_VALUE)
        .into_iter()
        .filter(|w| {
            let t = w.text.as_str();
            let local = t.starts_with('.')
                || t.starts_with('/')
                || t.ends_with(".tgz")
                || t.contains("://")
                || t.starts_with("git+")
                || t.starts_with("file:");
            !local && !npm_pinned(t)
        })
        .collect();
    Some((sub_name, packages))
}

/// `pkg@1.2.3` or `@scope/pkg@1.2.3` with an exact version (no range, no dist-tag).
fn npm_pinned(spec: &str) -> bool {
    let body = spec.strip_prefix('@').unwrap_or(spec);
    let Some((_, version)) = body.split_once('@') else {
        return false;
    };
    version.starts_with(|c: char| c.is_ascii_digit())
        && !version.contains(['^', '~', '>', '<', '*', '|', ' '])
        && !version.contains(".x")
}

fn gem(args: &[Word]) -> Option<Vec<&Word>> {
    let sub = subcommand(args, &[])?;
    if args[sub].text != "install" {
        return None;
    }
    let rest = &args[sub + 1..];
    if rest.iter().any(|w| {
        matches!(w.text.as_str(), "-v" | "--version" | "-g" | "--file")
            || w.text.starts_with("--version=")
    }) {
        return None;
    }
    Some(
        operands(
            args,
            sub + 1,
            &[
                "--source",
                "-s",
                "--install-dir",
                "-i",
                "--bindir",
                "-n",
                "--platform",
            ],
        )
        .into_iter()
        .filter(|w| {
            let t = w.text.as_str();
            !t.contains(':') && !t.ends_with(".gem")
        })
        .collect(),
    )
}

fn go(args: &[Word]) -> Option<Vec<&Word>> {
    let sub = subcommand(args, &[])?;
    if args[sub].text != "install" {
        return None;
    }
    Some(
        operands(
            args,
            sub + 1,
            &[
                "-o", "-ldflags", "-tags", "-gcflags", "-mod", "-modfile", "-p",
            ],
        )
        .into_iter()
        .filter(|w| {
            let t = w.text.as_str();
            // A package path without `@version` installs from the current module (pinned
            // by go.mod); `@latest` and a missing version on a remote path float.
            let remote = t.contains('.') && !t.starts_with('.') && !t.starts_with('/');
            let floats = match t.rsplit_once('@') {
                Some((_, v)) => v == "latest" || v == "master" || v == "main" || v.is_empty(),
                None => false,
            };
            remote && floats
        })
        .collect(),
    )
}
