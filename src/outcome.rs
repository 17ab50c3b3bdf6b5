//! The outcome of a run: the findings that stand, the files that could not be checked in
//! full, and what was counted on the way. The engine produces it; the report formats read it.

use crate::baseline::Stats;
use crate::catalogue::RuleMeta;
use crate::finding::Finding;
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
