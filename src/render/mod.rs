//! Rendering: turning parsed files into what is deployed, per environment, each value keeping
//! its origin — Compose overrides merged on their base, Helm values layered per environment,
//! Terraform and Bicep values resolved through variables and parameter files.
//!
//! Reads no files (side files come from [`crate::source`]), runs no rules, prints nothing.

pub mod bicep;
pub mod compose;
pub mod helm;
pub mod terraform;

/// A named environment: a Helm chart's `values.yaml` alone is `default`; each overlay
/// (`values.production.yaml`, `values-prod.yaml`) merged on top gives its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// Whether the name marks production (`prod`, `production`, `live`, `prd`).
    pub production: bool,
}
