//! `check --statistics`: one line per rule with its number of findings, most first (as
//! `ruff --statistics` prints), or the same as a JSON array.

use std::io;

use crate::catalogue::RuleMeta;
use crate::engine::Report;
use crate::finding::Severity;

/// A rule with the number of its findings and the highest severity they were reported at.
pub struct RuleCount {
    pub rule: &'static RuleMeta,
    pub count: usize,
    pub severity: Severity,
}

/// The rules that have findings, most findings first, then by id.
pub fn by_rule(report: &Report) -> Vec<RuleCount> {
    let mut counts: Vec<RuleCount> = Vec::new();
    for f in &report.findings {
        match counts.iter_mut().find(|c| c.rule.id == f.rule.id) {
            Some(c) => {
                c.count += 1;
                c.severity = c.severity.max(f.severity);
            }
            None => counts.push(RuleCount {
                rule: f.rule,
                count: 1,
                severity: f.severity,
            }),
        }
    }
    counts.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.rule.id.cmp(&b.rule.id))
    });
    counts
}

/// Writes the statistics: aligned text lines `COUNT  ID  NAME  SEVERITY`, or a JSON array of
/// `{"code", "name", "severity", "count"}`.
pub fn write(report: &Report, json: bool, out: &mut dyn io::Write) -> io::Result<()> {
    let counts = by_rule(report);
    if json {
        let items: Vec<serde_json::Value> = counts
            .iter()
            .map(|c| {
                serde_json::json!({
                    "code": c.rule.id, "name": c.rule.name,
                    "severity": c.severity.as_str(), "count": c.count,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &items).map_err(io::Error::other)?;
        return out.write_all(b"\n");
    }
    let width = counts.first().map_or(1, |c| c.count.to_string().len());
    let name_width = counts.iter().map(|c| c.rule.name.len()).max().unwrap_or(0);
    for c in &counts {
        writeln!(
            out,
            "{:>width$}  {:<7} {:<name_width$}  {}",
            c.count,
            c.rule.id,
            c.rule.name,
            c.severity.as_str()
        )?;
    }
    Ok(())
}
