//! Findings: what a rule reports. A finding knows nothing about output formats; the emitters
//! in `crate::report` each turn the same findings into their format.

use serde::Serialize;

use crate::rules::RuleMeta;
use crate::source::Span;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// The families every rule belongs to: the five policy families, and `suppressions` for
/// findings about ignore comments. The strings are stable: they appear in every
/// output format and in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Family {
    #[serde(rename = "pinned-versions")]
    PinnedVersions,
    #[serde(rename = "non-root")]
    NonRoot,
    #[serde(rename = "probe-port-alignment")]
    ProbePortAlignment,
    #[serde(rename = "secrets")]
    Secrets,
    #[serde(rename = "resource-limits")]
    ResourceLimits,
    /// Findings about plumbline's own ignore comments (`SUP*`).
    #[serde(rename = "suppressions")]
    Suppressions,
}

impl Family {
    pub const ALL: [Family; 6] = [
        Family::PinnedVersions,
        Family::NonRoot,
        Family::ProbePortAlignment,
        Family::Secrets,
        Family::ResourceLimits,
        Family::Suppressions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::PinnedVersions => "pinned-versions",
            Family::NonRoot => "non-root",
            Family::ProbePortAlignment => "probe-port-alignment",
            Family::Secrets => "secrets",
            Family::ResourceLimits => "resource-limits",
            Family::Suppressions => "suppressions",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A place in a file (the name findings have always used for [`Origin`]).
pub use crate::source::Origin as Location;

/// Another place that explains a finding (the layer it disagrees with, the stage it copies
/// from).
#[derive(Debug, Clone)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    /// The severity in force for this run.
    pub severity: Severity,
    /// Names the concrete values (`EXPOSE 5000` vs `containerPort: 8080`); never holds a
    /// secret in full (see [`mask_secret`]).
    pub message: String,
    pub location: Location,
    pub related: Vec<Related>,
    /// Byte ranges in the primary file that hold secret values: emitters that show source
    /// text mask them.
    pub secrets: Vec<Span>,
    /// Stable across unrelated edits: rule, path and the normalised flagged text (secrets
    /// masked), not the line number. Set by the engine.
    pub fingerprint: String,
}

impl Finding {
    /// A finding of `rule` at its default severity, with no related locations yet.
    pub fn new(rule: &'static RuleMeta, location: Location, message: String) -> Finding {
        Finding {
            rule,
            severity: rule.severity,
            message,
            location,
            related: Vec::new(),
            secrets: Vec::new(),
            fingerprint: String::new(),
        }
    }
}

/// Shows a secret as its first few characters followed by a mask, never in full.
pub fn mask_secret(value: &str) -> String {
    let shown: String = value
        .chars()
        .take(if value.chars().count() > 8 { 4 } else { 1 })
        .collect();
    format!("{shown}****")
}

/// Replaces the characters of every secret span in `text` (a slice of the file starting at
/// byte `base`) with `*`, keeping a short prefix and the byte length, so spans stay aligned.
pub fn redact(text: &str, base: usize, secrets: &[Span]) -> String {
    if secrets.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let at = base + i;
        let inside = secrets
            .iter()
            .find(|s| at >= s.start && at < s.end)
            .map(|s| at - s.start);
        match inside {
            // Keep up to four leading characters visible, as mask_secret does.
            Some(off) if off >= 4 || c.is_whitespace() => {
                for _ in 0..c.len_utf8() {
                    out.push('*');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_show_the_whole_secret() {
        assert_eq!(mask_secret("hunter2"), "h****");
        assert_eq!(mask_secret("ghp_abcdefghijklmnop"), "ghp_****");
        let line = "ENV PASSWORD=supersecret";
        assert_eq!(
            redact(line, 100, &[Span::new(113, 124)]),
            "ENV PASSWORD=supe*******"
        );
        assert_eq!(redact(line, 0, &[]), line);
    }
}
