//! Fingerprints: what identifies a finding across edits (for baselines and code scanning).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rayon::prelude::*;

use crate::finding::Finding;
use crate::source::Span;

/// The fingerprints a run has given so far, by base hash: how many findings had each.
#[derive(Default)]
pub(super) struct Given(HashMap<String, usize>);

/// Gives each finding (sorted) its fingerprint. Equal texts in one file (the same `FROM node`
/// twice) get the same hash; the n-th of them gets `:n` appended, so each fingerprint is
/// unique and still line-independent. Counting goes on across calls with the same `given`:
/// findings fingerprinted after the reported ones (the suppressed) take no fingerprint a
/// reported finding has, and leave the reported ones' fingerprints as they would be alone.
pub(super) fn assign<'a>(given: &mut Given, findings: impl IntoIterator<Item = &'a mut Finding>) {
    let mut findings: Vec<&mut Finding> = findings.into_iter().collect();
    let bases: Vec<String> = findings.par_iter().map(|f| fingerprint(f)).collect();
    for (f, base) in findings.iter_mut().zip(bases) {
        let n = given.0.entry(base.clone()).or_insert(0);
        f.fingerprint = if *n == 0 { base } else { format!("{base}:{n}") };
        *n += 1;
    }
}

/// A fingerprint that survives unrelated edits: the rule, the path, the flagged text and the
/// rest of the lines it is on (its neighbourhood), with blanks folded and secrets masked —
/// not the line number. Moving a block, or editing other lines, keeps it; editing the
/// flagged line makes it a new finding, which is what a baseline should do.
fn fingerprint(f: &Finding) -> String {
    let file = &f.location.file;
    let span = f.location.span;
    let lines = Span::new(
        file.line_span(file.line_col(span.start).line).start,
        file.line_span(file.line_col(span.end).line)
            .end
            .max(span.end),
    );
    let flagged = crate::finding::redact(file.slice(span), span.start, &f.secrets);
    let around = crate::finding::redact(file.slice(lines), lines.start, &f.secrets);
    let fold = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut h = Fnv64::default();
    f.rule.id.hash(&mut h);
    file.display_path.hash(&mut h);
    fold(&flagged).hash(&mut h);
    fold(&around).hash(&mut h);
    format!("{:016x}", h.finish())
}

/// FNV-1a: a fixed, dependency-free hash, so fingerprints are the same on every platform and
/// release (std's `DefaultHasher` makes no such promise).
struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv64 {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
