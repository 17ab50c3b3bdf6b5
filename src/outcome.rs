//! The outcome of a run: the findings that stand, the findings an ignore comment or the
//! baseline holds (kept apart, for SARIF), the files that could not be checked in full, and what
//! was counted on the way. The engine produces it; the report formats read it.

use crate::baseline::Stats;
use crate::catalogue::RuleMeta;
use crate::finding::{Finding, Location};
use crate::graph::Graph;
use crate::source::{FileError, Format, Origin};

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
    pub files_checked: usize,
    /// Findings removed by ignore comments.
    pub suppressed: usize,
    /// What the baseline did, when one was given.
    pub baseline: Option<Stats>,
    /// The findings an ignore comment or the baseline holds, apart from [`Report::findings`]
    /// and in the same order: they count for nothing (the exit status, the summaries and every
    /// format but SARIF read only `findings`, `suppressed` and `baseline`). SARIF shows them
    /// with their suppression, so code scanning closes their alerts instead of losing them.
    /// The rules' config and a changed-files run select them as they select findings.
    pub suppressed_findings: Vec<Suppressed>,
    /// Each file checked (display path) with the format it was read as, in path order.
    pub checked: Vec<(String, Format)>,
    /// The rules that ran, in id order.
    pub rules: Vec<&'static RuleMeta>,
    /// The service graph of the run, when it was asked for (`plumbline graph`).
    pub graph: Option<Graph>,
    /// Every secret span any rule flagged in this run, whether its finding was reported,
    /// suppressed, filtered out by config, baselined or cut by the per-file limit: a frame
    /// around another finding may show the line, and it must be masked there too.
    pub secret_spans: Vec<Origin>,
}

/// A finding the run found and does not report, and what holds it.
#[derive(Debug, Clone)]
pub struct Suppressed {
    pub finding: Finding,
    pub by: Suppression,
}

/// What holds a [`Suppressed`] finding.
#[derive(Debug, Clone)]
pub enum Suppression {
    /// An ignore comment in the source (`plumbline: ignore[…]`, `hadolint ignore=…`).
    Comment {
        /// The comment.
        at: Location,
        /// The reason written after the brackets; hadolint's syntax has none.
        reason: Option<String>,
    },
    /// An entry of the baseline given with `--baseline`.
    Baseline,
}

/// The secret spans of `findings` (see [`Report::secret_spans`]), by file and position,
/// each once.
pub fn secret_spans(findings: &[Finding]) -> Vec<Origin> {
    let mut out: Vec<Origin> = findings
        .iter()
        .flat_map(|f| f.secrets.iter().map(|s| Origin::new(&f.location.file, *s)))
        .collect();
    out.sort_by(|a, b| (&a.file.display_path, a.span).cmp(&(&b.file.display_path, b.span)));
    out.dedup_by(|a, b| a.file.display_path == b.file.display_path && a.span == b.span);
    out
}
