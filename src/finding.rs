//! Findings: what a rule reports. A finding knows nothing about output formats; the emitters
//! in `crate::report` each turn the same findings into their format.

pub use crate::catalogue::{Family, RuleMeta, Severity};
use crate::source::Span;

/// A place in a file (the name findings have always used for [`Origin`](crate::source::Origin)).
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
    /// secret in full (see [`mask_secret`]), nor a huge value (see [`shorten_message`]).
    pub message: String,
    pub location: Location,
    pub related: Vec<Related>,
    /// Byte ranges in the primary file that hold secret values: emitters that show source
    /// text mask them.
    pub secrets: Vec<Span>,
    /// Stable across unrelated edits: rule, path and the normalised flagged text (secrets
    /// masked), not the line number. Set by the engine.
    pub fingerprint: String,
    /// The environments the finding holds in (a Helm values overlay, a Kustomize root), in the
    /// order they were met; empty when the file is not deployed per environment. One problem
    /// shared by several environments is one finding naming them all.
    pub environments: Vec<String>,
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
            environments: Vec::new(),
        }
    }
}

/// Merges findings that differ only by environment (the same rule, place and message, found
/// in several Helm environments or through several Kustomize roots) into one that names every
/// environment and keeps every related location and secret span; then says the environments at
/// the end of the message: "… (environment: prod)", "… (environments: default, staging)".
pub fn merge_environments(findings: &mut Vec<Finding>) {
    use std::collections::HashMap;
    let mut first: HashMap<(&'static str, String, usize, usize, String), usize> = HashMap::new();
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in std::mem::take(findings) {
        if f.environments.is_empty() {
            kept.push(f);
            continue;
        }
        let key = (
            f.rule.id.as_str(),
            f.location.file.display_path.clone(),
            f.location.span.start,
            f.location.span.end,
            f.message.clone(),
        );
        match first.get(&key) {
            Some(&i) => {
                let into = &mut kept[i];
                for e in f.environments {
                    if !into.environments.contains(&e) {
                        into.environments.push(e);
                    }
                }
                for r in f.related {
                    let seen = into.related.iter().any(|x| {
                        x.message == r.message
                            && x.location.span == r.location.span
                            && x.location.file.path == r.location.file.path
                    });
                    if !seen {
                        into.related.push(r);
                    }
                }
                for s in f.secrets {
                    if !into.secrets.contains(&s) {
                        into.secrets.push(s);
                    }
                }
            }
            None => {
                first.insert(key, kept.len());
                kept.push(f);
            }
        }
    }
    for f in &mut kept {
        match f.environments.as_slice() {
            [] => {}
            [one] => f.message = format!("{} (environment: {one})", f.message),
            many => f.message = format!("{} (environments: {})", f.message, many.join(", ")),
        }
    }
    *findings = kept;
}

/// Deterministic order: path, position, rule, message.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(order);
}

/// The order of [`sort`], for lists that hold findings among other things.
pub fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    (
        &a.location.file.display_path,
        a.location.span.start,
        a.location.span.end,
        &a.rule.id,
        &a.message,
    )
        .cmp(&(
            &b.location.file.display_path,
            b.location.span.start,
            b.location.span.end,
            &b.rule.id,
            &b.message,
        ))
}

/// Longest text a message quotes in full between backquotes: long enough for any real image
/// reference with its digest, or a release URL (the corpus's longest is 130 characters).
pub const MAX_QUOTED_CHARS: usize = 400;
/// Longest message kept whole.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A message with every quoted value (between backquotes) longer than [`MAX_QUOTED_CHARS`]
/// cut to its start and end around an ellipsis, and the whole cut after
/// [`MAX_MESSAGE_CHARS`]: a 1 MB image name in a `FROM` line must not be copied into every
/// output format. `None` when nothing needs cutting.
pub fn shorten_message(message: &str) -> Option<String> {
    if message.len() <= MAX_QUOTED_CHARS {
        return None;
    }
    let mut out = String::with_capacity(message.len().min(MAX_MESSAGE_CHARS * 2));
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let n = part.chars().count();
        if i % 2 == 1 && n > MAX_QUOTED_CHARS {
            let head = MAX_QUOTED_CHARS * 2 / 3;
            let tail = MAX_QUOTED_CHARS - head - 1;
            out.extend(part.chars().take(head));
            out.push('…');
            out.extend(part.chars().skip(n - tail));
        } else {
            out.push_str(part);
        }
    }
    if out.chars().count() > MAX_MESSAGE_CHARS {
        out = out.chars().take(MAX_MESSAGE_CHARS - 1).collect();
        out.push('…');
    }
    (out != message).then_some(out)
}

/// Shows a secret as its first few characters followed by a fixed mask, never in full nor its
/// length: four characters of a secret longer than 8 (often a format's prefix: `ghp_`,
/// `AKIA`), one of a shorter one. Messages and frames use the same mask for the same secret.
pub fn mask_secret(value: &str) -> String {
    let shown: String = value
        .chars()
        .take(if value.chars().count() > 8 { 4 } else { 1 })
        .collect();
    format!("{shown}****")
}

/// Replaces the characters of every secret span in `text` (a slice of the file starting at
/// byte `base`) with `*`, keeping a short prefix and the byte length, so spans stay aligned.
/// Only fingerprints use it (they hash the result, so it never reaches an output, and changing
/// it would change every recorded baseline); what outputs show goes through the report's
/// redaction pass (`crate::report::redact`), whose masks do not give the length away.
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

    #[test]
    fn long_quoted_values_are_cut_in_messages() {
        let image = format!("{}:latest", "a".repeat(1 << 20));
        let m = format!("Base image `{image}` uses the `latest` tag");
        let short = shorten_message(&m).expect("cut");
        assert!(short.starts_with("Base image `aaaa"), "{short}");
        assert!(
            short.ends_with("a:latest` uses the `latest` tag"),
            "{short}"
        );
        assert!(short.contains('…'));
        assert!(
            short.chars().count() < MAX_QUOTED_CHARS + 60,
            "{}",
            short.len()
        );
        // Short values, and long messages of short values, stay as they are.
        assert_eq!(shorten_message("Service `web` has no memory limit"), None);
        let many = "`x` ".repeat(100);
        assert_eq!(shorten_message(&many), None);
        // Past the message limit, the whole is cut.
        let long = "word ".repeat(1000);
        assert_eq!(
            shorten_message(&long).unwrap().chars().count(),
            MAX_MESSAGE_CHARS
        );
    }
}
