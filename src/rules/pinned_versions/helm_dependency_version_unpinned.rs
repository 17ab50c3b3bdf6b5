//! PIN030 helm-dependency-version-unpinned: a `Chart.yaml` dependency whose `version` is a
//! range (or missing), so `helm dependency update` may fetch a different chart tomorrow.

use crate::model::Document;
use crate::rules::{FileContext, Rule, Sink};

pub struct HelmDependencyVersionUnpinned;

impl Rule for HelmDependencyVersionUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Document::HelmChart(chart) = ctx.doc else {
            return;
        };
        for dep in &chart.dependencies {
            let name = dep.name.as_ref().map_or("?", |n| n.value.as_str());
            // Without a repository (or with `file://`) the chart is vendored beside this one
            // and its content is what the checkout holds: nothing is fetched.
            let fetched = dep.repository.as_ref().is_some_and(|r| {
                let r = r.value.trim();
                !r.is_empty() && !r.starts_with("file://")
            });
            if !fetched {
                continue;
            }
            match &dep.version {
                None => {
                    let at = dep.name.as_ref().map_or(&dep.at, |n| &n.at);
                    sink.report_at(
                        at,
                        format!(
                            "Dependency `{name}` has no `version`: any version of the chart may be fetched"
                        ),
                    );
                }
                Some(v) if is_range(&v.value) => {
                    sink.report_at(
                        &v.at,
                        format!(
                            "Dependency `{name}` accepts any version matching `{}`: pin the exact version you tested (for example `{}`)",
                            v.value.trim(),
                            example_pin(&v.value)
                        ),
                    );
                }
                Some(_) => {}
            }
        }
    }
}

/// Whether a Helm version constraint admits more than one version. Helm reads constraints
/// with Masterminds/semver, where only a full `X.Y.Z` (optionally `v`/`=`-prefixed, with a
/// pre-release or build suffix) is exact; a partial `1.2` means `~1.2`, and `^`, `~`, `>`,
/// `<`, `*`, `x`, hyphen ranges and `||` are ranges. A templated value is unknown, not a range.
pub fn is_range(constraint: &str) -> bool {
    let c = constraint.trim();
    if c.is_empty() {
        return true;
    }
    if c.contains("{{") || c.contains("${") {
        return false;
    }
    let v = c.strip_prefix('=').unwrap_or(c).trim_start();
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    let exact = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && !v.contains(' ')
        && !v.contains("||");
    !exact
}

/// A concrete version to suggest: the constraint's lowest bound with wildcards as `0`.
fn example_pin(constraint: &str) -> String {
    let digits: Vec<String> = constraint
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .find(|p| p.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or("1.0.0")
        .split('.')
        .map(|p| {
            if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() {
                p.to_string()
            } else {
                "0".to_string()
            }
        })
        .chain(std::iter::repeat_n("0".to_string(), 3))
        .take(3)
        .collect();
    digits.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        for r in [
            "^1.2.0",
            "~1.2",
            ">=1",
            "1.x",
            "*",
            "1.2 - 1.4",
            "1.2.3 || 2.0.0",
            "7.x.x",
            "1.2",
            "",
            ">1.2.3 <2",
            "1.42.*",
        ] {
            assert!(is_range(r), "{r}");
        }
        for exact in [
            "1.2.3",
            "v1.2.3",
            "=1.2.3",
            "1.2.3-rc.1",
            "0.0.0",
            "1.2.3+build.5",
        ] {
            assert!(!is_range(exact), "{exact}");
        }
        assert!(!is_range("{{ .Values.v }}"));
        assert_eq!(example_pin("7.x.x"), "7.0.0");
        assert_eq!(example_pin("^1.2"), "1.2.0");
        assert_eq!(example_pin(">=16.x.x"), "16.0.0");
    }
}
