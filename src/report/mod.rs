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
//! the emitters never iterate hash maps) and none prints a secret in full: rule messages are
//! masked when they are made, and the only format that shows source text (human) redacts the
//! spans in [`Finding::secrets`](crate::finding::Finding::secrets) first.

mod compact;
mod github;
pub mod graph;
mod human;
mod json;
mod junit;
mod sarif;
pub mod statistics;

use std::fmt;
use std::io;
use std::str::FromStr;

use crate::engine::{ErrorKind, Report};
use crate::finding::{Family, Severity};

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
}

/// Writes `report` to `out` in `format`.
pub fn write(
    report: &Report,
    format: OutputFormat,
    opts: &ReportOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Human => human::write(report, opts, out),
        OutputFormat::Json => json::write(report, out),
        OutputFormat::Sarif => sarif::write(report, opts.sarif_root.as_deref(), out),
        OutputFormat::Github => github::write(report, out),
        OutputFormat::Junit => junit::write(report, out),
        OutputFormat::Compact => compact::write(report, out),
    }
}

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
