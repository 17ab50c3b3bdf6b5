//! The outcome of a run: the findings that stand, the files that could not be checked in
//! full, and what was counted on the way. The engine produces it; the report formats read it.

use crate::baseline::Stats;
use crate::catalogue::RuleMeta;
use crate::finding::Finding;
use crate::graph::Graph;
use crate::source::{FileError, Format};

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
}
