//! The SARIF 2.1.0 format, as code-scanning services (GitHub, GitLab, Azure DevOps) read it.
//! This module owns the mapping from plumbline's model to SARIF: one run, every rule that ran
//! as a `reportingDescriptor`, one result per finding with a stable partial fingerprint, and
//! file errors as tool execution notifications (the run itself still succeeded).
//!
//! Paths are relative to `%SRCROOT%`: the working directory at write time, or the directory
//! given with `--sarif-root` when the scan runs elsewhere than the repository root (code
//! scanning resolves paths against the repository root). A path outside it becomes a
//! `file://` URI of its own. Columns count Unicode code points. `automationDetails.id` is
//! `plumbline/`, so code scanning keeps plumbline's alerts in a category of their own.
//!
//! Findings an ignore comment or the baseline holds are results too, each with a `suppressions`
//! entry (`inSource`, with the comment's reason and place; `external` for the baseline), so code
//! scanning shows them as suppressed instead of forgetting them; a result without the key is not
//! suppressed. This is the only format that shows them. Results come in the report's order, the
//! suppressed merged in by [`crate::finding::order`]. A finding's environments are in its
//! result's `properties.environments`, when it has any.

use std::io;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::catalogue::RuleMeta;
use crate::engine::{ErrorKind, FileError, Report};
use crate::finding::{Finding, Location, Related, Severity};
use crate::outcome::{Suppressed, Suppression};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");
const SRCROOT: &str = "%SRCROOT%";
/// The most results GitHub code scanning accepts in one run: a larger run is rejected whole.
pub const MAX_RESULTS: usize = 25_000;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails,
    invocations: Vec<Invocation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BaseIds>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Message<'a> {
    Borrowed(Text<'a>),
    Owned { text: String },
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: Message<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation<'a>>,
    descriptor: Descriptor,
}

#[derive(Serialize)]
struct Descriptor {
    id: &'static str,
}

#[derive(Serialize)]
struct BaseIds {
    #[serde(rename = "%SRCROOT%")]
    srcroot: Uri,
}

#[derive(Serialize)]
struct Uri {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: Vec<SarifLocation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
    partial_fingerprints: Fingerprints<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties<'a>>,
}

/// A result's property bag: the environments its finding holds in (Helm overlays, Kustomize
/// roots, Compose variants), when it is deployed per environment.
#[derive(Serialize)]
struct ResultProperties<'a> {
    environments: &'a [String],
}

#[derive(Serialize)]
struct SarifSuppression<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<SarifLocation<'a>>,
}

/// What the baseline's suppressions say: all plumbline knows of why.
const BASELINED: &str =
    "In the baseline given with --baseline: recorded before this run, not reported as new";

#[derive(Serialize)]
struct Fingerprints<'a> {
    #[serde(rename = "plumbline/v1")]
    v1: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rule(meta: &RuleMeta) -> Rule<'_> {
    let mut tags = vec![meta.family.as_str()];
    if meta.security_severity.is_some() {
        tags.push("security");
    }
    Rule {
        id: &meta.id,
        name: &meta.name,
        short_description: Text { text: &meta.title },
        full_description: Text {
            text: meta.what.trim(),
        },
        help: Help {
            text: format!("{}\n\nFix: {}", meta.why_short.trim(), meta.fix.trim()),
            markdown: meta.markdown(),
        },
        help_uri: meta.help_uri(),
        default_configuration: Configuration {
            level: level(meta.severity),
        },
        properties: RuleProperties {
            tags,
            security_severity: meta.security_severity.map(security_severity),
            precision: "high",
        },
    }
}

/// SARIF consumers read `security-severity` as a string holding a number in 0.0–10.0.
fn security_severity(score: f32) -> String {
    let score = if score.is_finite() {
        score.clamp(0.0, 10.0)
    } else {
        0.0
    };
    format!("{score:.1}")
}

/// Where `%SRCROOT%` is when it is not the working directory: display paths (relative to
/// `cwd`) are made relative to `root`.
struct Rebase {
    cwd: std::path::PathBuf,
    root: std::path::PathBuf,
}

fn artifact_in(display_path: &str, rebase: Option<&Rebase>) -> ArtifactLocation {
    let Some(rb) = rebase else {
        return artifact(display_path);
    };
    let abs = match absolute_path(display_path) {
        Some(_) => std::path::PathBuf::from(display_path),
        None => rb.cwd.join(display_path),
    };
    match abs.strip_prefix(&rb.root) {
        Ok(rel) => artifact(&native_to_slashes(&rel.to_string_lossy())),
        Err(_) => artifact(&abs.to_string_lossy()),
    }
}

/// A file path as a SARIF artifact location: relative to `%SRCROOT%`, or an absolute
/// `file://` URI for paths outside the working directory.
fn artifact(display_path: &str) -> ArtifactLocation {
    if let Some(abs) = absolute_path(display_path) {
        ArtifactLocation {
            uri: format!("file://{}", encode_path(&abs, true)),
            uri_base_id: None,
        }
    } else {
        let rel = display_path.trim_start_matches("./");
        ArtifactLocation {
            uri: encode_path(rel, false),
            uri_base_id: Some(SRCROOT),
        }
    }
}

/// `\` is a separator only on Windows; on Unix it is a character of a file name
/// (`\x.dockerfile`), and is percent-encoded like any other.
fn native_to_slashes(path: &str) -> String {
    if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_string()
    }
}

/// The path with a leading `/` when `display_path` is absolute, with `/` separators. Which
/// paths are absolute is the platform's rule: `/x` everywhere, and on Windows only `C:/x`,
/// `C:\x` and `//server/share` — on Linux a directory may be named `C:`, and `C:/Dockerfile`
/// is then a relative path like any other.
fn absolute_path(display_path: &str) -> Option<String> {
    let p = native_to_slashes(display_path);
    let bytes = p.as_bytes();
    if p.starts_with('/') {
        Some(p)
    } else if cfg!(windows)
        && bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes[2] == b'/'
    {
        Some(format!("/{p}"))
    } else {
        None
    }
}

/// Percent-encodes a path for a URI: everything but unreserved characters, `/` and a few
/// sub-delimiters. `:` is kept only in absolute paths (drive letters); in a relative
/// reference it would read as a scheme.
fn encode_path(path: &str, absolute: bool) -> String {
    encode_bytes(path.as_bytes(), absolute)
}

fn encode_bytes(bytes: &[u8], keep_colon: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
            || (keep_colon && b == b':');
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `file:///<cwd>/`, percent-encoded; `None` when the working directory is unknown.
fn srcroot_uri(cwd: &Path) -> Option<String> {
    #[cfg(unix)]
    let path = {
        use std::os::unix::ffi::OsStrExt;
        encode_bytes(cwd.as_os_str().as_bytes(), true)
    };
    #[cfg(not(unix))]
    let path = {
        let s = cwd.to_string_lossy().replace('\\', "/");
        let s = s.strip_prefix("//?/").unwrap_or(&s).to_string();
        encode_bytes(absolute_path(&s)?.as_bytes(), true)
    };
    if !path.starts_with('/') {
        return None;
    }
    let sep = if path.ends_with('/') { "" } else { "/" };
    Some(format!("file://{path}{sep}"))
}

fn region(loc: &Location) -> Region {
    let (start, end) = (loc.start(), loc.end());
    let end = if (end.line, end.column) < (start.line, start.column) {
        start
    } else {
        end
    };
    Region {
        start_line: start.line,
        start_column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

fn physical(loc: &Location, rb: Option<&Rebase>) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact_in(&loc.file.display_path, rb),
        region: Some(region(loc)),
    }
}

fn related<'a>(i: usize, r: &'a Related, rb: Option<&Rebase>) -> SarifLocation<'a> {
    SarifLocation {
        id: Some(i + 1),
        physical_location: physical(&r.location, rb),
        message: Some(Text { text: &r.message }),
    }
}

/// One result to write: a finding, and what holds it when it is suppressed.
#[derive(Clone, Copy)]
struct Entry<'a> {
    finding: &'a Finding,
    by: Option<&'a Suppression>,
}

/// The reported findings in the report's order, with the suppressed merged in by
/// [`crate::finding::order`] (both lists come sorted from the engine; a list that is not, as
/// in a report built by hand, keeps its own order).
fn entries(report: &Report) -> Vec<Entry<'_>> {
    let mut out = Vec::with_capacity(report.findings.len() + report.suppressed_findings.len());
    let mut live = report.findings.iter().peekable();
    let mut held = report.suppressed_findings.iter().peekable();
    loop {
        let take_held = match (live.peek(), held.peek()) {
            (None, None) => break,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some(f), Some(s)) => crate::finding::order(&s.finding, f).is_lt(),
        };
        out.push(if take_held {
            let Suppressed { finding, by } = held.next().expect("peeked");
            Entry {
                finding,
                by: Some(by),
            }
        } else {
            Entry {
                finding: live.next().expect("peeked"),
                by: None,
            }
        });
    }
    out
}

fn suppression<'a>(by: &'a Suppression, rb: Option<&Rebase>) -> SarifSuppression<'a> {
    match by {
        Suppression::Comment { at, reason } => SarifSuppression {
            kind: "inSource",
            justification: reason.as_deref(),
            location: Some(SarifLocation {
                id: None,
                physical_location: physical(at, rb),
                message: None,
            }),
        },
        Suppression::Baseline => SarifSuppression {
            kind: "external",
            justification: Some(BASELINED),
            location: None,
        },
    }
}

fn result<'a>(e: Entry<'a>, rules: &[&RuleMeta], rb: Option<&Rebase>) -> SarifResult<'a> {
    let f = e.finding;
    SarifResult {
        rule_id: &f.rule.id,
        rule_index: rules.iter().position(|m| m.id == f.rule.id),
        level: level(f.severity),
        message: Text { text: &f.message },
        locations: vec![SarifLocation {
            id: None,
            physical_location: physical(&f.location, rb),
            message: None,
        }],
        related_locations: f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| related(i, r, rb))
            .collect(),
        partial_fingerprints: Fingerprints { v1: &f.fingerprint },
        suppressions: e.by.map(|by| suppression(by, rb)).into_iter().collect(),
        properties: (!f.environments.is_empty()).then_some(ResultProperties {
            environments: &f.environments,
        }),
    }
}

fn notification<'a>(e: &'a FileError, rb: Option<&Rebase>) -> Notification<'a> {
    let mut locations = Vec::new();
    let region = e.location.as_ref().map(|(file, span)| {
        region(&Location {
            file: Arc::clone(file),
            span: *span,
        })
    });
    let path = e
        .location
        .as_ref()
        .map_or(e.path.as_str(), |(file, _)| file.display_path.as_str());
    if !path.is_empty() {
        locations.push(SarifLocation {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: artifact_in(path, rb),
                region,
            },
            message: None,
        });
    }
    Notification {
        level: if e.kind.fails() { "error" } else { "note" },
        message: Message::Borrowed(Text { text: &e.message }),
        locations,
        descriptor: Descriptor {
            id: match e.kind {
                ErrorKind::Io => "io-error",
                ErrorKind::Parse => "parse-error",
                ErrorKind::Limit => "limit-reached",
                ErrorKind::Internal => "internal-error",
                ErrorKind::Note => "not-checked",
            },
        },
    }
}

pub(super) fn write(
    report: &Report,
    sarif_root: Option<&Path>,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    // Rules a finding refers to but that are missing from `report.rules` (a caller that
    // built the report by hand) are still described, after the ones that ran.
    let mut rules: Vec<&RuleMeta> = report.rules.to_vec();
    let entries = entries(report);
    for e in &entries {
        if !rules.iter().any(|m| m.id == e.finding.rule.id) {
            rules.push(e.finding.rule);
        }
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let rebase = sarif_root.map(|root| Rebase {
        cwd: cwd.clone(),
        // Canonical, so `..` and symbolic links compare equal to the working directory.
        root: crate::source::write::canonical(root),
    });
    let rb = rebase.as_ref();
    let (kept, capped) = cap(&entries, MAX_RESULTS);
    let base = srcroot_uri(rb.map_or(cwd.as_path(), |r| r.root.as_path()));
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "plumbline",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: rules.iter().map(|m| rule(m)).collect(),
                },
            },
            automation_details: AutomationDetails { id: "plumbline/" },
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: report
                    .errors
                    .iter()
                    .map(|e| notification(e, rb))
                    .chain(capped)
                    .chain(no_files(report))
                    .collect(),
            }],
            original_uri_base_ids: base.map(|uri| BaseIds {
                srcroot: Uri { uri },
            }),
            column_kind: "unicodeCodePoints",
            results: kept.into_iter().map(|e| result(e, &rules, rb)).collect(),
        }],
    };
    super::escape::write_json(&log, out)
}

/// At most `max` results: the reported findings first, the most severe first (then in report
/// order), then the suppressed the same way; and the notification that says what was left out,
/// if anything was.
fn cap<'a>(entries: &[Entry<'a>], max: usize) -> (Vec<Entry<'a>>, Option<Notification<'static>>) {
    if entries.len() <= max {
        return (entries.to_vec(), None);
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| {
        (
            entries[i].by.is_some(),
            std::cmp::Reverse(entries[i].finding.severity),
            i,
        )
    });
    let mut keep = vec![false; entries.len()];
    for &i in &order[..max] {
        keep[i] = true;
    }
    let mut kept = Vec::with_capacity(max);
    let (mut by_level, mut by_rule) = ([0usize; 3], std::collections::BTreeMap::new());
    let mut suppressed = 0;
    for (e, k) in entries.iter().zip(keep) {
        let f = e.finding;
        if k {
            kept.push(*e);
        } else {
            by_level[match f.severity {
                Severity::Error => 0,
                Severity::Warning => 1,
                Severity::Info => 2,
            }] += 1;
            *by_rule.entry(f.rule.id.as_str()).or_insert(0usize) += 1;
            suppressed += usize::from(e.by.is_some());
        }
    }
    let left = entries.len() - max;
    let levels: Vec<String> = [
        ("error", by_level[0]),
        ("warning", by_level[1]),
        ("note", by_level[2]),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(l, n)| format!("{n} {l}{}", if *n == 1 { "" } else { "s" }))
    .collect();
    let rules: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let held = match suppressed {
        0 => String::new(),
        n => format!("; {n} of them suppressed, which no other format lists"),
    };
    let text = format!(
        "{left} of {} results were left out of this run: GitHub code scanning rejects a run with more than {max} results. Kept the most severe; left out {} (by rule: {}){held}. `--format json` lists every finding.",
        entries.len(),
        levels.join(", "),
        rules.join(", ")
    );
    let note = Notification {
        level: "warning",
        message: Message::Owned { text },
        locations: Vec::new(),
        descriptor: Descriptor {
            id: "results-capped",
        },
    };
    (kept, Some(note))
}

/// The notification of a run that checked no file: a gate must not pass on nothing without
/// saying so.
fn no_files(report: &Report) -> Option<Notification<'static>> {
    (report.files_checked == 0).then(|| Notification {
        level: "warning",
        message: Message::Owned {
            text: super::NO_FILES.to_string(),
        },
        locations: Vec::new(),
        descriptor: Descriptor {
            id: "no-files-checked",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        let a = artifact("deploy/my app/Dockerfile");
        assert_eq!(a.uri, "deploy/my%20app/Dockerfile");
        assert_eq!(a.uri_base_id, Some(SRCROOT));
        assert_eq!(artifact("a:b/c#d").uri, "a%3Ab/c%23d");
        let abs = artifact("/srv/x y/Dockerfile");
        assert_eq!(abs.uri, "file:///srv/x%20y/Dockerfile");
        assert_eq!(abs.uri_base_id, None);
        if cfg!(windows) {
            assert_eq!(artifact("C:/w/Dockerfile").uri, "file:///C:/w/Dockerfile");
        } else {
            // A directory named `C:` and a file named `\x.dockerfile` are relative on Unix.
            let c = artifact("C:/Dockerfile");
            assert_eq!(
                (c.uri.as_str(), c.uri_base_id),
                ("C%3A/Dockerfile", Some(SRCROOT))
            );
            let b = artifact("\\x.dockerfile");
            assert_eq!(
                (b.uri.as_str(), b.uri_base_id),
                ("%5Cx.dockerfile", Some(SRCROOT))
            );
        }
        assert_eq!(artifact("café").uri, "caf%C3%A9");
        assert_eq!(
            srcroot_uri(Path::new("/home/me/my repo")).as_deref(),
            Some("file:///home/me/my%20repo/")
        );
        assert_eq!(srcroot_uri(Path::new("/")).as_deref(), Some("file:///"));
    }

    #[test]
    fn results_past_the_cap_are_left_out_most_severe_kept_and_said() {
        use crate::source::{Format, SourceFile, Span};
        let file = Arc::new(SourceFile::in_memory(
            "Dockerfile",
            Format::Dockerfile,
            "FROM a\n",
        ));
        let meta = |id: &str| crate::catalogue::meta(id).unwrap();
        let mut findings = Vec::new();
        for (i, id) in ["ROOT001", "PIN001", "ROOT001", "PIN001"]
            .iter()
            .enumerate()
        {
            let mut f = Finding::new(
                meta(id),
                Location::new(&file, Span::new(i, i + 1)),
                format!("f{i}"),
            );
            f.severity = if *id == "PIN001" {
                Severity::Error
            } else {
                Severity::Warning
            };
            findings.push(f);
        }
        let entries: Vec<Entry> = findings
            .iter()
            .map(|finding| Entry { finding, by: None })
            .collect();
        let (kept, note) = cap(&entries, 3);
        let kept: Vec<&str> = kept.iter().map(|e| e.finding.message.as_str()).collect();
        // Both errors and the first warning, in report order.
        assert_eq!(kept, ["f0", "f1", "f3"]);
        let Some(Notification {
            message: Message::Owned { text },
            ..
        }) = note
        else {
            panic!("no notification");
        };
        assert!(text.starts_with("1 of 4 results were left out"), "{text}");
        assert!(
            text.contains("left out 1 warning (by rule: ROOT001 1)"),
            "{text}"
        );
        let (all, none) = cap(&entries, 4);
        assert_eq!((all.len(), none.is_none()), (4, true));

        // Suppressed results go after every reported one, whatever their severity.
        let held = Suppression::Baseline;
        let mut entries = entries;
        entries[1].by = Some(&held);
        let (kept, note) = cap(&entries, 3);
        let kept: Vec<&str> = kept.iter().map(|e| e.finding.message.as_str()).collect();
        assert_eq!(kept, ["f0", "f2", "f3"]);
        let Some(Notification {
            message: Message::Owned { text },
            ..
        }) = note
        else {
            panic!("no notification");
        };
        assert!(
            text.contains("left out 1 error (by rule: PIN001 1); 1 of them suppressed"),
            "{text}"
        );
    }

    #[test]
    fn security_severity_is_a_one_decimal_string() {
        assert_eq!(security_severity(7.5), "7.5");
        assert_eq!(security_severity(9.0), "9.0");
        assert_eq!(security_severity(f32::NAN), "0.0");
        assert_eq!(security_severity(42.0), "10.0");
    }
}
