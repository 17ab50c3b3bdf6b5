//! PIN051 terraform-required-version-missing: a module that declares its providers (a
//! `terraform` block) or configures one (a `provider` block) but says nowhere in its
//! directory which Terraform versions it works with (`required_version`).
//!
//! Directories with only resources (documentation snippets, fragments) are left alone: they
//! are not meant to be run as they stand.

use crate::rules::terraform::module;
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformRequiredVersionMissing;

impl Rule for TerraformRequiredVersionMissing {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(m) = module(ctx) else { return };
        if m.settings.iter().any(|s| s.required_version.is_some()) {
            return;
        }
        let at = match (m.settings.first(), m.providers.first()) {
            (Some(s), _) => &s.at,
            (None, Some(p)) => &p.kind.at,
            (None, None) => return,
        };
        sink.report_at(
            at,
            "This module does not say which Terraform versions it supports: add `required_version` to its `terraform` block",
        );
    }
}
