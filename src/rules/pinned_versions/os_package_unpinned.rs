//! PIN002 os-package-unpinned: `apt-get`/`apt`/`apk`/`yum`/`dnf`/`microdnf`/`zypper` installs
//! without a version for each package.

use crate::model::dockerfile::runs;
use crate::parse::dockerfile::Word;
use crate::parse::shell::SimpleCommand;
use crate::rules::docker::{dockerfile, operands, subcommand};
use crate::rules::pinned_versions::{list, plural};
use crate::rules::{FileContext, Rule, Sink};
use crate::source::Span;

pub struct OsPackageUnpinned;

/// How one package manager installs and pins.
struct Manager {
    programs: &'static [&'static str],
    install: &'static [&'static str],
    /// Options that take a separate value, before or after the subcommand.
    with_value: &'static [&'static str],
    pinned: fn(&str) -> bool,
    example: &'static str,
}

const MANAGERS: &[Manager] = &[
    Manager {
        programs: &["apt-get", "apt"],
        install: &["install"],
        with_value: &["-o", "-t", "--target-release", "-c", "--config-file"],
        // `pkg=1.2.3`; a local `.deb` is a file, not a repository package.
        pinned: |p| p.contains('=') || p.ends_with(".deb"),
        example: "curl=7.88.1-10+deb12u5",
    },
    Manager {
        programs: &["apk"],
        install: &["add"],
        with_value: &[
            "--virtual",
            "-t",
            "--repository",
            "-X",
            "--root",
            "-p",
            "--arch",
            "--keys-dir",
        ],
        // `pkg=1.2.3-r0` or `pkg~=1.2`; a local `.apk` is a file.
        pinned: |p| p.contains('=') || p.ends_with(".apk"),
        example: "curl=8.5.0-r0",
    },
    Manager {
        programs: &["yum", "dnf", "microdnf", "tdnf"],
        install: &["install"],
        with_value: &[
            "-x",
            "--exclude",
            "--setopt",
            "--releasever",
            "--installroot",
            "--enablerepo",
            "--disablerepo",
            "-c",
            "--config",
        ],
        // `pkg-1.2.3`, `pkg-1.2.3-1.el9`, `pkg = 1.2`; a local `.rpm` or a URL is a file.
        pinned: |p| {
            p.ends_with(".rpm")
                || p.contains('=')
                || p.char_indices()
                    .any(|(i, c)| c == '-' && p[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        },
        example: "curl-7.76.1",
    },
    Manager {
        programs: &["zypper"],
        install: &["install", "in"],
        with_value: &["-r", "--repo", "--from", "-t", "--type"],
        pinned: |p| p.contains(['=', '<', '>']) || p.ends_with(".rpm"),
        example: "curl=8.0.1",
    },
];

impl Rule for OsPackageUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        // One finding per `RUN` and package manager: pinning the packages of one instruction
        // is one edit, however many install commands it chains.
        for (_, commands) in runs(df) {
            let mut found: Vec<(String, &Manager, Vec<&Word>, Vec<Span>)> = Vec::new();
            for cmd in &commands {
                let Some((shown, manager, unpinned)) = unpinned_of(cmd) else {
                    continue;
                };
                match found.iter_mut().find(|(s, ..)| *s == shown) {
                    Some((_, _, all, again)) => {
                        again.push(unpinned[0].span);
                        all.extend(unpinned);
                    }
                    None => found.push((shown, manager, unpinned, Vec::new())),
                }
            }
            for (shown, manager, unpinned, again) in found {
                let related = again
                    .iter()
                    .map(|s| sink.related_here(*s, format!("`{shown}` again in this `RUN`")))
                    .collect();
                sink.report(
                    unpinned[0].span,
                    format!(
                        "`{shown}` installs {} without a version: {} (pin like `{}`)",
                        plural(unpinned.len(), "package"),
                        list(&unpinned),
                        manager.example
                    ),
                )
                .related = related;
            }
        }
    }
}

/// An install command's program and subcommand as shown (`apt-get install`), its package
/// manager and the packages it installs without a version.
fn unpinned_of(cmd: &SimpleCommand) -> Option<(String, &'static Manager, Vec<&Word>)> {
    let program = cmd.program()?;
    let manager = MANAGERS.iter().find(|m| m.programs.contains(&program))?;
    let args = cmd.args();
    let sub = subcommand(args, manager.with_value)?;
    if !manager.install.contains(&args[sub].text.as_str()) {
        return None;
    }
    // A simulation installs nothing (`apt-get install -s pkg` probes availability).
    if args.iter().any(|a| {
        matches!(
            a.text.as_str(),
            "-s" | "--simulate" | "--dry-run" | "--just-print" | "--no-act" | "--assumeno"
        )
    }) {
        return None;
    }
    let unpinned: Vec<&Word> = operands(args, sub + 1, manager.with_value)
        .into_iter()
        .filter(|w| {
            let t = w.text.as_str();
            !t.contains('/') && !t.starts_with('@') && !(manager.pinned)(t)
        })
        .collect();
    (!unpinned.is_empty()).then(|| (format!("{program} {}", args[sub].text), manager, unpinned))
}
