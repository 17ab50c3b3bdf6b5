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
//! - [`helm`]: Helm charts rendered as `helm template` renders them, per environment;
//! - [`kustomize`]: Kustomize roots built as `kubectl kustomize` (kustomize v5) builds them;
//! - [`bicep`]: Bicep templates with their parameter files;
//! - [`terraform`]: Terraform modules with their variables.

pub mod bicep;
pub mod compose;
pub mod helm;
pub mod kustomize;
pub mod terraform;

/// How bad a renderer's diagnostic is (Kustomize and Helm alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// What is being rendered cannot be (the tool would refuse it too), or a part of it.
    Error,
    /// A bound on the work was reached; what is past it is not rendered.
    Limit,
    /// Part of it could not be checked (a remote resource, a dependency that is not
    /// vendored, a value only the deployer gives); the rest is rendered.
    NotChecked,
    /// Rendered, but probably not as meant.
    Warning,
}

/// A named environment: a Helm chart's `values.yaml` alone is `default`; each overlay
/// (`values.production.yaml`, `values-prod.yaml`) merged on top gives its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// Whether the name marks production (`prod`, `production`, `live`, `prd`).
    pub production: bool,
}
