//! The JSON format: plumbline's own document, versioned (`"version": 1`) and stable. Keys come
//! out in a fixed order because every object is a struct; lines and columns are 1-based,
//! columns count Unicode scalar values and `end_column` is exclusive. This module owns that
//! shape; adding a key is a compatible change, renaming or removing one needs a new version.

use std::io;

use serde::Serialize;

use super::{Counts, error_kind};
use crate::engine::{FileError, Report};
use crate::finding::{Family, Finding, Location, Related, Severity};

/// The document's schema version.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    /// Things a reader must know about the run as a whole (it checked no file); absent when
    /// there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notices: Vec<&'static str>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    name: &'a str,
    family: Family,
    severity: Severity,
    message: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    related: Vec<JsonRelated<'a>>,
    fingerprint: &'a str,
    /// The environments the finding holds in (Helm overlays, Kustomize roots, Compose
    /// variants), in the order met; always present, empty when the file is not deployed per
    /// environment.
    environments: &'a [String],
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files_checked: usize,
    findings: usize,
    /// Findings removed by ignore comments (the findings themselves are only in SARIF).
    suppressed: usize,
    /// Present when a baseline was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<crate::baseline::Stats>,
    errors: usize,
    by_severity: BySeverity,
    by_family: ByFamily,
    /// Rule id → number of findings, for the rules that have any.
    by_rule: std::collections::BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct BySeverity {
    error: usize,
    warning: usize,
    info: usize,
}

/// Every family, always present (0 when none), in [`Family::ALL`] order: serialised by hand
/// as an ordered map so a new family appears without touching this file.
struct ByFamily(Counts);

impl Serialize for ByFamily {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(Family::ALL.len()))?;
        for family in Family::ALL {
            map.serialize_entry(family.as_str(), &self.0.family(family))?;
        }
        map.end()
    }
}

/// The 1-based start line/column and exclusive end line/column of a location.
fn range(loc: &Location) -> (usize, usize, usize, usize) {
    let (start, end) = (loc.start(), loc.end());
    // A reversed span (end before start) is a rule bug; never emit a range that ends first.
    let end = if (end.line, end.column) < (start.line, start.column) {
        start
    } else {
        end
    };
    (start.line, start.column, end.line, end.column)
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    let (line, column, end_line, end_column) = range(&f.location);
    JsonFinding {
        rule: &f.rule.id,
        name: &f.rule.name,
        family: f.rule.family,
        severity: f.severity,
        message: &f.message,
        path: &f.location.file.display_path,
        line,
        column,
        end_line,
        end_column,
        related: f.related.iter().map(related).collect(),
        fingerprint: &f.fingerprint,
        environments: &f.environments,
    }
}

fn related(r: &Related) -> JsonRelated<'_> {
    let (line, column, end_line, end_column) = range(&r.location);
    JsonRelated {
        path: &r.location.file.display_path,
        line,
        column,
        end_line,
        end_column,
        message: &r.message,
    }
}

fn error(e: &FileError) -> JsonError<'_> {
    let at = e
        .location
        .as_ref()
        .map(|(file, span)| file.line_col(span.start));
    JsonError {
        path: &e.path,
        line: at.map(|p| p.line),
        column: at.map(|p| p.column),
        message: &e.message,
        kind: error_kind(&e.kind),
    }
}

pub(super) fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let counts = Counts::of(report);
    let doc = Document {
        version: VERSION,
        tool: Tool {
            name: "plumbline",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report.findings.iter().map(finding).collect(),
        errors: report.errors.iter().map(error).collect(),
        notices: if report.files_checked == 0 {
            vec![super::NO_FILES]
        } else {
            Vec::new()
        },
        summary: Summary {
            files_checked: report.files_checked,
            findings: report.findings.len(),
            suppressed: report.suppressed,
            baseline: report.baseline,
            errors: report.errors.len(),
            by_severity: BySeverity {
                error: counts.error,
                warning: counts.warning,
                info: counts.info,
            },
            by_family: ByFamily(counts),
            by_rule: super::statistics::by_rule(report)
                .into_iter()
                .map(|c| (c.rule.id.as_str(), c.count))
                .collect(),
        },
    };
    super::escape::write_json(&doc, out)
}
