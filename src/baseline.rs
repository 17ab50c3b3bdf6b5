//! Baselines: adopt plumbline on a large repository without fixing everything first.
//! `plumbline baseline` records today's findings by fingerprint; `plumbline check --baseline`
//! then reports only findings that are not in it, and says how many entries matched and how
//! many are stale (fixed since, so they can be dropped by recording the baseline again).
//!
//! Fingerprints are the engine's: rule, path and the normalised flagged text and its lines,
//! not line numbers, so findings keep matching when unrelated lines move.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// The file `plumbline baseline` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version; 1.
    pub version: u32,
    pub entries: Vec<Entry>,
}

/// One recorded finding. Only `fingerprint` is matched; the rest makes the file reviewable.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
    pub message: String,
}

/// What applying a baseline did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Findings of this run that the baseline holds (and so were not reported).
    pub matched: usize,
    /// Baseline entries that matched no finding.
    pub stale: usize,
}

/// The largest baseline read: a million findings' fingerprints, far more than any real one.
pub const MAX_BASELINE_BYTES: u64 = 256 << 20;

impl Baseline {
    pub fn of(findings: &[Finding]) -> Baseline {
        Baseline {
            version: 1,
            entries: findings
                .iter()
                .map(|f| Entry {
                    fingerprint: f.fingerprint.clone(),
                    rule: f.rule.id.clone(),
                    path: f.location.file.display_path.clone(),
                    message: f.message.clone(),
                })
                .collect(),
        }
    }

    /// Reads a baseline file (at most [`MAX_BASELINE_BYTES`]); the error names the file and,
    /// for bad JSON, the line.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = crate::source::read::read_text(path, "the baseline", MAX_BASELINE_BYTES)?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a plumbline baseline: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if b.version != 1 {
            return Err(format!(
                "{}: baseline version {} is not supported (expected 1)",
                path.display(),
                b.version
            ));
        }
        Ok(b)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Sets apart the findings the baseline holds (each entry matches at most one finding):
    /// returns the findings to report, the baselined ones (for SARIF, which shows them as
    /// suppressed), and the counts. Both lists keep the order they came in.
    pub fn apply(&self, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Finding>, Stats) {
        let mut left: HashMap<&str, usize> = HashMap::new();
        for e in &self.entries {
            *left.entry(e.fingerprint.as_str()).or_insert(0) += 1;
        }
        let (mut kept, mut matched) = (Vec::with_capacity(findings.len()), Vec::new());
        for f in findings {
            match left.get_mut(f.fingerprint.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    matched.push(f);
                }
                _ => kept.push(f),
            }
        }
        let stale = left.values().sum();
        let stats = Stats {
            matched: matched.len(),
            stale,
        };
        (kept, matched, stats)
    }
}
