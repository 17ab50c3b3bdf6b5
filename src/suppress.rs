//! Inline suppressions: `plumbline: ignore[RULE,…] reason` comments, and hadolint's own
//! `# hadolint ignore=DL3006` so teams moving from hadolint keep their ignores.
//!
//! A comment is recognised after any of the comment markers of the formats we read (`#` for
//! Dockerfile, YAML and HCL; `//`, `/*` for Bicep; `{{/*` in Helm templates). It applies to:
//!
//! - findings on its own line (a trailing comment), or
//! - findings on the statement just below it: the comment may be part of a block of comment
//!   lines directly above the statement, and in a Dockerfile the statement is the whole
//!   instruction, continuation lines included;
//! - every finding in the file, for `plumbline: ignore-file[RULE,…] reason`.
//!
//! The reason is required: an ignore without one still applies, but is itself an error
//! (`SUP001`), so a gate cannot be passed by muting a finding without saying why. An ignore
//! naming no known rule is `SUP003`. An ignore that suppresses nothing is `SUP002` when unused
//! ignores are reported (on in CI), so stale ignores do not pile up.
//!
//! Suppression is the engine's last step before fingerprinting; rules never see comments.
//! Suppressed findings are not dropped: they are handed back with the comment that holds them
//! and its reason, for the one format that shows them (SARIF's `suppressions`).

use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::catalogue::RuleMeta;
use crate::finding::{Finding, Location};
use crate::outcome::{Suppressed, Suppression};
use crate::source::{Format, SourceFile, Span};

/// The rules this module reports; they have catalogue entries and fixtures like every rule,
/// but no [`crate::rules::Rule`] implementation, since only the engine sees what was suppressed.
pub const RULE_IDS: [&str; 3] = ["SUP001", "SUP002", "SUP003"];

static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:#|//|/\*)[ \t]*plumbline:[ \t]*(ignore-file|ignore)[ \t]*\[([^\]\n]*)\]([^\n]*)",
    )
    .expect("compiles")
});
static HADOLINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"#[ \t]*hadolint[ \t]+(global[ \t]+)?ignore=([A-Za-z0-9, \t]+)").expect("compiles")
});

/// One ignore comment.
#[derive(Debug, Clone)]
pub struct Ignore {
    pub at: Location,
    /// 1-based line of the comment.
    pub line: usize,
    pub file_level: bool,
    /// Resolved rule ids.
    pub rules: Vec<&'static str>,
    /// Names in the brackets that match no rule.
    pub unknown: Vec<String>,
    pub reason: Option<String>,
    /// hadolint's syntax: needs no reason, and names hadolint codes.
    pub hadolint: bool,
    used: bool,
}

/// The ignores written in a file.
pub fn scan(file: &Arc<SourceFile>) -> Vec<Ignore> {
    let text = file.text.as_str();
    // Fast path: most files have no directive at all.
    if !text.contains("plumbline:") && !text.contains("hadolint") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in DIRECTIVE.captures_iter(text) {
        let (Some(whole), Some(kind), Some(list), Some(rest)) =
            (c.get(0), c.get(1), c.get(2), c.get(3))
        else {
            continue;
        };
        let (rules, unknown) = resolve(list.as_str().split(','), |name| {
            crate::catalogue::meta(name).map(|m| m.id.as_str())
        });
        let reason = clean_reason(rest.as_str());
        let span = Span::new(whole.start(), list.end() + 1);
        out.push(Ignore {
            at: Location::new(file, span),
            line: file.line_col(whole.start()).line,
            file_level: kind.as_str() == "ignore-file",
            rules,
            unknown,
            reason,
            hadolint: false,
            used: false,
        });
    }
    if file.format == Format::Dockerfile {
        for c in HADOLINT.captures_iter(text) {
            let (Some(whole), Some(list)) = (c.get(0), c.get(2)) else {
                continue;
            };
            let (rules, _unknown) = resolve(list.as_str().split(','), |code| {
                crate::catalogue::all()
                    .iter()
                    .find(|m| m.hadolint.iter().any(|h| h.eq_ignore_ascii_case(code)))
                    .map(|m| m.id.as_str())
            });
            // hadolint codes plumbline does not implement are not ours to judge.
            if rules.is_empty() {
                continue;
            }
            out.push(Ignore {
                at: Location::new(file, Span::new(whole.start(), whole.end())),
                line: file.line_col(whole.start()).line,
                file_level: c.get(1).is_some(),
                rules,
                unknown: Vec::new(),
                reason: None,
                hadolint: true,
                used: false,
            });
        }
    }
    out
}

fn resolve<'a>(
    names: impl Iterator<Item = &'a str>,
    lookup: impl Fn(&str) -> Option<&'static str>,
) -> (Vec<&'static str>, Vec<String>) {
    let mut rules = Vec::new();
    let mut unknown = Vec::new();
    for name in names.map(str::trim).filter(|n| !n.is_empty()) {
        match lookup(name) {
            Some(id) if !rules.contains(&id) => rules.push(id),
            Some(_) => {}
            None => unknown.push(name.to_string()),
        }
    }
    (rules, unknown)
}

/// The reason after the brackets, without separators and the comment's closing marker.
fn clean_reason(rest: &str) -> Option<String> {
    let r = rest
        .trim()
        .trim_end_matches("}}")
        .trim_end_matches('-')
        .trim_end()
        .trim_end_matches("*/")
        .trim()
        .trim_start_matches(['-', ':', '—'])
        .trim();
    (!r.is_empty()).then(|| r.to_string())
}

/// What suppression did to a run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub kept: Vec<Finding>,
    /// How many findings ignore comments removed.
    pub suppressed: usize,
    /// Those findings, in the order they came, each with the comment that holds it.
    pub silenced: Vec<Suppressed>,
}

/// Sets suppressed findings apart and adds the findings about the ignores themselves.
///
/// `active` are the rules that ran: an ignore of a rule that did not run is not unused.
pub fn apply(
    findings: Vec<Finding>,
    files: &[Arc<SourceFile>],
    active: &[&'static RuleMeta],
    report_unused: bool,
) -> Outcome {
    use rayon::prelude::*;
    // Every file's text is scanned for ignore comments: in parallel, it is all of the text.
    let mut by_file: std::collections::HashMap<&str, (Arc<SourceFile>, Vec<Ignore>)> = files
        .par_iter()
        .map(|f| (f.display_path.as_str(), (Arc::clone(f), scan(f))))
        .filter(|(_, (_, ignores))| !ignores.is_empty())
        .collect();
    let mut outcome = Outcome::default();
    for f in findings {
        let hit = by_file
            .get_mut(f.location.file.display_path.as_str())
            .and_then(|(file, ignores)| {
                let lines = candidate_lines(file, f.location.span.start);
                ignores.iter_mut().find(|i| {
                    i.rules.contains(&f.rule.id.as_str())
                        && (i.file_level || lines.contains(&i.line))
                })
            });
        match hit {
            Some(ignore) => {
                ignore.used = true;
                outcome.suppressed += 1;
                // A reason is a comment line, as long as its writer made it: cut like messages.
                let reason = ignore
                    .reason
                    .as_deref()
                    .map(|r| crate::finding::shorten_message(r).unwrap_or_else(|| r.to_string()));
                outcome.silenced.push(Suppressed {
                    finding: f,
                    by: Suppression::Comment {
                        at: ignore.at.clone(),
                        reason,
                    },
                });
            }
            None => outcome.kept.push(f),
        }
    }

    let meta =
        |id: &str| crate::catalogue::meta(id).filter(|m| active.iter().any(|a| a.id == m.id));
    let mut keys: Vec<&&str> = by_file.keys().collect();
    keys.sort();
    let mut extra = Vec::new();
    for key in keys {
        let (_, ignores) = &by_file[*key];
        for i in ignores {
            if let (Some(m), false, None) = (meta("SUP001"), i.hadolint, &i.reason) {
                extra.push(finding(
                    m,
                    &i.at,
                    "This ignore gives no reason: write why after the brackets (`ignore[ID] reason`)"
                        .to_string(),
                ));
            }
            if let (Some(m), false) = (meta("SUP003"), i.unknown.is_empty()) {
                extra.push(finding(
                    m,
                    &i.at,
                    format!(
                        "This ignore names no known rule: {} (see `plumbline rules`)",
                        i.unknown
                            .iter()
                            .map(|u| format!("`{u}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            let ran = i.rules.iter().any(|r| active.iter().any(|a| a.id == *r));
            if let (Some(m), true, false, true) = (meta("SUP002"), report_unused, i.used, ran) {
                extra.push(finding(
                    m,
                    &i.at,
                    format!(
                        "This ignore of {} suppresses nothing: remove it",
                        i.rules.join(", ")
                    ),
                ));
            }
        }
    }
    outcome.kept.extend(extra);
    outcome
}

fn finding(meta: &'static RuleMeta, at: &Location, message: String) -> Finding {
    Finding::new(meta, at.clone(), message)
}

/// The comment lines that may carry an ignore for a finding at `offset`: its own line and
/// the block of comment lines directly above its statement (for a Dockerfile, the start of
/// the instruction the line continues).
fn candidate_lines(file: &SourceFile, offset: usize) -> Vec<usize> {
    let own = file.line_col(offset).line;
    let mut lines = vec![own];
    let mut start = own;
    if file.format == Format::Dockerfile {
        while start > 1 {
            let prev = file.line_text(start - 1).trim_end();
            if prev.ends_with('\\')
                || prev.ends_with('`')
                || is_comment(prev) && start > 2 && {
                    let before = file.line_text(start - 2).trim_end();
                    before.ends_with('\\') || before.ends_with('`')
                }
            {
                start -= 1;
                lines.push(start);
            } else {
                break;
            }
        }
    }
    let mut above = start;
    while above > 1 && is_comment(file.line_text(above - 1)) {
        above -= 1;
        lines.push(above);
    }
    lines
}

fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') || t.starts_with("//") || t.starts_with("/*") || t.starts_with("{{/*")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, format: Format, text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile::in_memory(name, format, text))
    }

    #[test]
    fn directives_in_every_comment_syntax() {
        let f = file(
            "x.yaml",
            Format::Kubernetes,
            "a: 1 # plumbline: ignore[PIN001] pinned by renovate\n\
             // plumbline: ignore[base-image-unpinned, NOPE01] -- legacy\n\
             {{/* plumbline: ignore-file[ROOT001] */}}\n",
        );
        let ig = scan(&f);
        assert_eq!(ig.len(), 3);
        assert_eq!(ig[0].rules, ["PIN001"]);
        assert_eq!(ig[0].reason.as_deref(), Some("pinned by renovate"));
        assert_eq!(ig[0].line, 1);
        assert_eq!(ig[1].unknown, ["NOPE01"]);
        assert_eq!(ig[1].reason.as_deref(), Some("legacy"));
        assert!(ig[2].file_level);
        assert_eq!(ig[2].reason, None);
    }

    #[test]
    fn hadolint_ignores_map_to_our_rules_in_dockerfiles_only() {
        let text = "# hadolint ignore=DL3006,DL9999\nFROM alpine\n";
        let ig = scan(&file("Dockerfile", Format::Dockerfile, text));
        assert_eq!(ig.len(), 1);
        assert_eq!(ig[0].rules, ["PIN001"]);
        assert!(scan(&file("a.yaml", Format::Kubernetes, text)).is_empty());
    }

    #[test]
    fn suppressed_findings_are_handed_back_with_their_comment_and_reason() {
        let text = "# plumbline: ignore[PIN001] rebuilt nightly\nFROM alpine\n# hadolint ignore=DL3006\nFROM node\nFROM python\n";
        let f = file("Dockerfile", Format::Dockerfile, text);
        let pin = crate::catalogue::meta("PIN001").unwrap();
        let at = |needle: &str| {
            let start = text.find(needle).unwrap();
            Location::new(&f, Span::new(start, start + needle.len()))
        };
        let findings = ["alpine", "node", "python"]
            .map(|image| Finding::new(pin, at(image), format!("`{image}` has no tag")))
            .to_vec();
        let active: Vec<&'static RuleMeta> = crate::catalogue::all().iter().collect();
        let out = apply(findings, &[Arc::clone(&f)], &active, false);
        assert_eq!(out.suppressed, 2);
        assert_eq!(out.silenced.len(), 2);
        let kept: Vec<&str> = out.kept.iter().map(|k| k.message.as_str()).collect();
        assert_eq!(kept, ["`python` has no tag"]);
        let held: Vec<(&str, usize, Option<&str>)> = out
            .silenced
            .iter()
            .map(|s| match &s.by {
                Suppression::Comment { at, reason } => (
                    s.finding.message.as_str(),
                    at.start().line,
                    reason.as_deref(),
                ),
                Suppression::Baseline => panic!("no baseline here"),
            })
            .collect();
        assert_eq!(
            held,
            [
                ("`alpine` has no tag", 1, Some("rebuilt nightly")),
                ("`node` has no tag", 3, None),
            ]
        );
    }

    #[test]
    fn a_comment_above_a_continued_instruction_covers_all_its_lines() {
        let text = "FROM a:1\n# plumbline: ignore[PIN002] vendor mirror\n# another comment\nRUN apt-get install \\\n    # inline comment\n    curl\n";
        let f = file("Dockerfile", Format::Dockerfile, text);
        let curl = text.find("curl").unwrap();
        let lines = candidate_lines(&f, curl);
        assert!(lines.contains(&2), "{lines:?}");
    }
}
