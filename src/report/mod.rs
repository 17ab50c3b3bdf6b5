//! Output formats: one [`Report`] in, text out. This module owns how findings and file errors
//! are shown to people and machines; nothing here decides what is a finding or how a run ends
//! (the exit status is the caller's).
//!
//! - [`OutputFormat::Human`] (`human.rs`): code frames drawn by miette over a small, redacted
//!   window of each file, then a one-line summary;
//! - [`OutputFormat::Json`] (`json.rs`): plumbline's own stable JSON document (`"version": 1`);
//! - [`OutputFormat::Sarif`] (`sarif.rs`): SARIF 2.1.0 for code-scanning services;
//! - [`OutputFormat::Github`] (`github.rs`): GitHub Actions workflow commands (annotations);
//! - [`OutputFormat::Junit`] (`junit.rs`): JUnit XML for CI test reports;
//! - [`OutputFormat::Compact`] (`compact.rs`): `path:line:col: severity [RULE] message`;
//! - [`graph`]: `plumbline graph` as text, JSON or Graphviz DOT;
//! - [`statistics`]: `check --statistics`, the number of findings per rule.
//!
//! Every format is deterministic for a given report (the engine sorts findings and errors;
//! the emitters never iterate hash maps). Two passes stand between a report and every output
//! (the six formats, the baseline file, the graph): [`redact`] masks every secret the run
//! knows of or the detectors find, in messages and in source lines, and [`escape`] keeps what
//! came from a file from acting on a terminal, a CI runner or a parser.

mod compact;
pub mod escape;
mod github;
pub mod graph;
mod human;
mod json;
mod junit;
pub mod redact;
mod sarif;
pub mod statistics;

use std::fmt;
use std::io;
use std::str::FromStr;

use crate::engine::{ErrorKind, Report};
use crate::finding::{Family, Severity};
use crate::outcome::{Suppressed, Suppression};

/// The output formats `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Code frames and a summary, for people.
    #[default]
    Human,
    /// plumbline's JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow commands: annotations on a pull request.
    Github,
    /// JUnit XML, for CI test reports.
    Junit,
    /// One line per finding: `path:line:col: severity [RULE] message`.
    Compact,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 6] = [
        OutputFormat::Human,
        OutputFormat::Json,
        OutputFormat::Sarif,
        OutputFormat::Github,
        OutputFormat::Junit,
        OutputFormat::Compact,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Human => "human",
            OutputFormat::Json => "json",
            OutputFormat::Sarif => "sarif",
            OutputFormat::Github => "github",
            OutputFormat::Junit => "junit",
            OutputFormat::Compact => "compact",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutputFormat {
    type Err = String;

    /// Parses a format name (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown output format `{s}` (expected human, json, sarif, github, junit or compact)"))
    }
}

/// How to write a report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// ANSI colours in the human format. The caller decides (terminal, `NO_COLOR`, flags);
    /// the machine formats never use colour.
    pub color: bool,
    /// The severity at or above which the run fails (`None`: never). Only changes the wording
    /// of the human summary.
    pub fail_on: Option<Severity>,
    /// SARIF: the directory `%SRCROOT%` stands for, when not the working directory.
    pub sarif_root: Option<std::path::PathBuf>,
    /// GitHub: the caller writes [`github_step_summary`] to `$GITHUB_STEP_SUMMARY` (the
    /// summary line then points there).
    pub github_step_summary: bool,
}

/// Writes `report` to `out` in `format`, through the redaction pass.
pub fn write(
    report: &Report,
    format: OutputFormat,
    opts: &ReportOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let redactor = redact::Redactor::of(report);
    let report = &redacted(report, &redactor);
    match format {
        OutputFormat::Human => human::write(report, &redactor, opts, out),
        OutputFormat::Json => json::write(report, out),
        OutputFormat::Sarif => sarif::write(report, opts.sarif_root.as_deref(), out),
        OutputFormat::Github => github::write(report, opts, out),
        OutputFormat::Junit => junit::write(report, out),
        OutputFormat::Compact => compact::write(report, out),
    }
}

/// Text for standard error that may quote files (a config's or a baseline's parse error
/// names its keys and values, and the config may be a stranger's): secrets the detectors
/// find masked, control characters replaced, so it cannot start a workflow command line.
pub fn safe_text(s: &str) -> String {
    escape::inline(&redact::Redactor::detectors_only().text(s)).into_owned()
}

/// `plumbline: path: message` for each error of `report` (what `plumbline graph` prints on
/// standard error), redacted and escaped like every output.
pub fn write_error_lines(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let r = redact::Redactor::of(report);
    for e in &report.errors {
        writeln!(
            out,
            "plumbline: {}: {}",
            escape::inline(&e.path),
            escape::inline(&r.text(&e.message))
        )?;
    }
    Ok(())
}

/// The job summary for `$GITHUB_STEP_SUMMARY`: every finding and file error of `report` as a
/// Markdown table, through the redaction pass.
pub fn github_step_summary(report: &Report) -> String {
    let redactor = redact::Redactor::of(report);
    github::step_summary(&redacted(report, &redactor))
}

/// The baseline file of `report` (`plumbline baseline`), its messages through the redaction
/// pass.
pub fn baseline_json(report: &Report) -> (crate::baseline::Baseline, String) {
    let redactor = redact::Redactor::of(report);
    let mut b = crate::baseline::Baseline::of(&report.findings);
    for e in &mut b.entries {
        e.message = redactor.string(&e.message);
    }
    let mut out = Vec::new();
    let _ = escape::write_json(&b, &mut out);
    (b, String::from_utf8(out).unwrap_or_default())
}

/// A copy of `report` whose messages (findings, suppressed findings and their reasons, related
/// locations, errors) and environment names are redacted; the formats read only this copy.
/// Paths are left as they are: they locate files.
fn redacted(report: &Report, r: &redact::Redactor) -> Report {
    let finding = |f: &crate::finding::Finding| {
        let mut f = f.clone();
        f.message = r.string(&f.message);
        for rel in &mut f.related {
            rel.message = r.string(&rel.message);
        }
        // Environment names are labels taken from file and folder names (they show in the
        // message too), not places: masked like messages.
        for e in &mut f.environments {
            *e = r.string(e);
        }
        f
    };
    let findings = report.findings.iter().map(finding).collect();
    let suppressed_findings = report
        .suppressed_findings
        .iter()
        .map(|s| {
            let by = match &s.by {
                Suppression::Comment { at, reason } => Suppression::Comment {
                    at: at.clone(),
                    reason: reason.as_deref().map(|t| r.string(t)),
                },
                Suppression::Baseline => Suppression::Baseline,
            };
            Suppressed {
                finding: finding(&s.finding),
                by,
            }
        })
        .collect();
    let errors = report
        .errors
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.message = r.string(&e.message);
            e
        })
        .collect();
    Report {
        findings,
        errors,
        files_checked: report.files_checked,
        suppressed: report.suppressed,
        baseline: report.baseline,
        suppressed_findings,
        checked: report.checked.clone(),
        rules: report.rules.clone(),
        graph: None,
        secret_spans: report.secret_spans.clone(),
    }
}

/// What every format says when a run checked no file (every path excluded, or no file of a
/// format plumbline reads): a gate that passes on nothing must say so.
pub const NO_FILES: &str = "No file was checked: every path given was excluded or holds no file plumbline reads (Dockerfile, Compose, Kubernetes, Helm, Bicep, Terraform)";

/// The stable name of an error kind, as the JSON format's `kind` shows it.
fn error_kind(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Io => "io",
        ErrorKind::Parse => "parse",
        ErrorKind::Limit => "limit",
        ErrorKind::Internal => "internal",
        ErrorKind::Note => "note",
    }
}

/// Findings counted by severity and by family, shared by the summaries of every format.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    error: usize,
    warning: usize,
    info: usize,
    /// In [`Family::ALL`] order.
    family: [usize; Family::ALL.len()],
}

impl Counts {
    fn of(report: &Report) -> Counts {
        let mut c = Counts::default();
        for f in &report.findings {
            match f.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
            if let Some(i) = Family::ALL.iter().position(|x| *x == f.rule.family) {
                c.family[i] += 1;
            }
        }
        c
    }

    fn family(&self, family: Family) -> usize {
        Family::ALL
            .iter()
            .position(|x| *x == family)
            .map_or(0, |i| self.family[i])
    }

    /// Findings at or above `threshold`.
    fn at_least(&self, threshold: Severity) -> usize {
        match threshold {
            Severity::Info => self.error + self.warning + self.info,
            Severity::Warning => self.error + self.warning,
            Severity::Error => self.error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_print() {
        for f in OutputFormat::ALL {
            assert_eq!(f.as_str().parse::<OutputFormat>(), Ok(f));
            assert_eq!(f.to_string(), f.as_str());
        }
        assert_eq!("SARIF".parse::<OutputFormat>(), Ok(OutputFormat::Sarif));
        assert!("xml".parse::<OutputFormat>().is_err());
    }
}
