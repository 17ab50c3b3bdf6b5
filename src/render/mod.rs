//! Rendering: turning parsed files into what is deployed, per environment, each value keeping
//! its origin — Compose overrides merged on their base, Helm values layered per environment,
//! Kustomize roots built, Terraform and Bicep values resolved through variables and parameter
//! files.
//!
//! Reads no files: side files come from [`crate::source`], and a renderer that must read the
//! files it includes (Kustomize) reads them through [`crate::source::files::Files`] (the disk
//! in a run, memory in tests). Runs no rules, prints nothing.
//!
//! - [`compose`]: Compose files merged as `docker compose -f base -f override` merges them;
//! - [`helm`]: Helm values layered per environment;
//! - [`kustomize`]: Kustomize roots built as `kubectl kustomize` (kustomize v5) builds them;
//! - [`bicep`]: Bicep templates with their parameter files;
//! - [`terraform`]: Terraform modules with their variables.

pub mod bicep;
pub mod compose;
pub mod helm;
pub mod kustomize;
pub mod terraform;

/// A named environment: a Helm chart's `values.yaml` alone is `default`; each overlay
/// (`values.production.yaml`, `values-prod.yaml`) merged on top gives its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// Whether the name marks production (`prod`, `production`, `live`, `prd`).
    pub production: bool,
}
