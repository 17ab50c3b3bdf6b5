//! The documented limits of a run: how large a file may be, and how many findings one file
//! reports.

use std::sync::Arc;

use crate::finding::Finding;
use crate::source::{ErrorKind, FileError, Span};

/// The documented limits of one run. Each one, when hit, is reported as a located
/// [`ErrorKind::Limit`] error naming the limit and how to raise it; nothing is dropped
/// silently. The limits inside parsers (YAML alias expansion and nesting, Bicep and Terraform
/// nesting) are fixed and listed in the README with these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Files larger than this are not read (`--max-file-size`): no infrastructure file is this
    /// big, and reading one would only cost memory.
    pub file_bytes: u64,
    /// Findings reported per file (`--max-findings-per-file`); `None` reports them all (a
    /// baseline records every finding).
    pub findings_per_file: Option<usize>,
}

/// The default of [`Limits::file_bytes`]: 10 MiB.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// The default of [`Limits::findings_per_file`].
pub const MAX_FINDINGS_PER_FILE: usize = 1000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: MAX_FILE_BYTES,
            findings_per_file: Some(MAX_FINDINGS_PER_FILE),
        }
    }
}

/// Keeps the first `max` findings of each file (findings are sorted by file), and says for
/// each file over the limit how many more there were, located at the first one left out.
pub(super) fn limit_findings(findings: &mut Vec<Finding>, max: usize) -> Vec<FileError> {
    let mut errors = Vec::new();
    let mut kept = Vec::with_capacity(findings.len());
    let mut rest = std::mem::take(findings).into_iter().peekable();
    while let Some(first) = rest.peek() {
        let file = Arc::clone(&first.location.file);
        let mut n = 0;
        let mut dropped: Option<(Span, usize)> = None;
        while let Some(f) = rest.next_if(|g| g.location.file.display_path == file.display_path) {
            n += 1;
            if n <= max {
                kept.push(f);
            } else if let Some((_, count)) = &mut dropped {
                *count += 1;
            } else {
                dropped = Some((f.location.span, 1));
            }
        }
        if let Some((span, count)) = dropped {
            let path = file.display_path.clone();
            errors.push(FileError {
                kind: ErrorKind::Limit,
                message: format!(
                    "{count} more findings in {path} were not reported: the limit is {max} per \
                     file (`--max-findings-per-file`, 0 for no limit)"
                ),
                path,
                location: Some((file, span)),
            });
        }
    }
    *findings = kept;
    errors
}
