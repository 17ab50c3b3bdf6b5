//! PIN050 terraform-provider-unpinned: a `required_providers` entry with no `version`
//! constraint, or (in a root module without a `.terraform.lock.hcl`) one with only a lower
//! bound (`>= 3.0`), so `terraform init` takes whatever release is newest, across major
//! versions.

use crate::render::terraform::{Module, Value};
use crate::rules::terraform::module;
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformProviderUnpinned;

impl Rule for TerraformProviderUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(m) = module(ctx) else { return };
        for s in &m.settings {
            for p in &s.required_providers {
                let name = &p.name.value;
                let Some(version) = &p.version else {
                    sink.report_at(
                        &p.name.at,
                        format!(
                            "Provider `{name}` has no `version` constraint, so `terraform init` installs whatever release is newest"
                        ),
                    );
                    continue;
                };
                let r = m.resolve(version);
                let Value::Str(text) = &r.value else { continue };
                if only_lower_bound(text) && is_unlocked_root(m) {
                    sink.report_at(
                        &r.at,
                        format!(
                            "Provider `{name}` is constrained only from below (`{text}`), so a new major release is installed without a commit"
                        ),
                    );
                }
            }
        }
    }
}

/// A root module (it configures a provider or a backend) without a dependency lock file
/// beside it. A reusable module should state only a minimum and leave the upper bound to the
/// root module that uses it; a lock file pins the exact release.
fn is_unlocked_root(m: &Module) -> bool {
    let root = !m.providers.is_empty() || m.settings.iter().any(|s| s.backend.is_some());
    root && !m.lock_file
}

/// Whether every part of a version constraint is a lower bound (`>=`, `>`) or an exclusion
/// (`!=`): nothing limits how new a release may be.
pub(crate) fn only_lower_bound(constraint: &str) -> bool {
    let parts: Vec<&str> = constraint
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    !parts.is_empty()
        && parts
            .iter()
            .all(|p| p.starts_with('>') || p.starts_with("!="))
        && parts.iter().any(|p| p.starts_with('>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bounds() {
        for yes in [">= 3.0", ">3", ">= 1.0, != 1.2.0"] {
            assert!(only_lower_bound(yes), "{yes}");
        }
        for no in ["~> 3.0", ">= 3.0, < 4.0", "3.1.0", "= 3.1.0", "", "!= 1.0"] {
            assert!(!only_lower_bound(no), "{no}");
        }
    }
}
