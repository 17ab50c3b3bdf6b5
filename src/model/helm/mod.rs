//! Helm charts: `Chart.yaml` and the values files as written, and each environment as the
//! chart renders it.
//!
//! - [`Chart`] (on `Chart.yaml`): the chart's metadata, dependencies and values files, each
//!   environment's merged values ([`crate::render::helm::values`]) — what rules about the
//!   chart as written read (unpinned dependencies, literal secrets in values files).
//! - [`rendered::Rendered`]: one environment rendered by [`crate::render::helm`], read into
//!   the Kubernetes model, so the container, Service and Secret rules read a chart exactly as
//!   they read manifests.
//!
//! A chart with no templates deploys nothing, as `helm template` prints nothing for it; a
//! values file that belongs to no chart is not a deployment and is only checked for its own
//! syntax.

pub mod rendered;

use std::sync::Arc;

use crate::parse::{ParseError, Spanned, yaml};
use crate::source::SourceFile;

pub use crate::render::helm::{EnvValues, ValuesFile};

/// The files of one chart as written (`Chart.yaml` and the values files), with their
/// documents. Templates are read by the renderer, never as YAML.
#[derive(Debug, Clone)]
pub struct ChartFiles {
    /// The chart directory.
    pub root: std::path::PathBuf,
    /// `Chart.yaml` and its documents.
    pub chart: Option<(Arc<SourceFile>, Vec<yaml::Node>)>,
    /// `values.yaml` and its overlays, in path order.
    pub values: Vec<(Arc<SourceFile>, Vec<yaml::Node>)>,
}

/// A chart dependency (`Chart.yaml` `dependencies[]`).
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The chart's name in its repository.
    pub name: Option<Spanned<String>>,
    /// The version constraint (`1.2.3`, `^1.2.0`, `7.x.x`); `None` when not given.
    pub version: Option<Spanned<String>>,
    /// Where it is fetched from (`https://…`, `oci://…`, `@alias`, `file://…`); `None`
    /// for a chart vendored under `charts/`.
    pub repository: Option<Spanned<String>>,
    /// The values path that enables it (`redis.enabled`).
    pub condition: Option<Spanned<String>>,
    /// The dependency's entry.
    pub at: crate::source::Origin,
}

/// A chart as written.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// `Chart.yaml` `name`.
    pub name: Option<Spanned<String>>,
    /// `Chart.yaml` `version` (the chart's own version).
    pub version: Option<Spanned<String>>,
    /// `Chart.yaml` `appVersion`, which templates often use as the default image tag.
    pub app_version: Option<Spanned<String>>,
    /// `Chart.yaml` `dependencies`.
    pub dependencies: Vec<Dependency>,
    /// Each values file on its own (base and overlays), as written.
    pub values_files: Vec<ValuesFile>,
    /// The merged values of each environment, `default` first.
    pub environments: Vec<EnvValues>,
    /// Problems of `Chart.yaml` (filled in by assembly). Templates never give YAML errors;
    /// a template's Go syntax errors stay with the template's own file.
    pub errors: Vec<ParseError>,
    /// Problems of the chart as the renderer loads it (a subchart that cannot be read, a
    /// dependency that is not vendored), the same in every environment.
    pub diagnostics: Vec<crate::render::helm::Diagnostic>,
}

fn spanned(node: Option<&yaml::Node>) -> Option<Spanned<String>> {
    let n = node?;
    Some(Spanned::new(n.as_str()?.to_string(), n.origin()))
}

impl Chart {
    /// Re-decides which environments are production (a project's `.plumbline.toml` may name
    /// its own).
    pub fn set_production(&mut self, is_production: impl Fn(&str) -> bool) {
        for e in &mut self.environments {
            e.environment.production = is_production(&e.environment.name);
        }
    }
}

/// Reads a chart as written from its files. Never fails: what cannot be read is left out.
pub fn build(files: &ChartFiles) -> Chart {
    let Some((chart_file, chart_docs)) = &files.chart else {
        return Chart::default();
    };
    let meta = chart_docs.first();
    let get = |k: &str| meta.and_then(|m| m.get(k));
    let dependencies: Vec<Dependency> = get("dependencies")
        .and_then(yaml::Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|d| d.as_map().is_some())
        .map(|d| Dependency {
            name: spanned(d.get("name")),
            version: spanned(d.get("version")),
            repository: spanned(d.get("repository")),
            condition: spanned(d.get("condition")),
            at: d.origin(),
        })
        .collect();
    let (values_files, environments) = crate::render::helm::environments(chart_file, &files.values);
    Chart {
        name: spanned(get("name")),
        version: spanned(get("version")),
        app_version: spanned(get("appVersion")),
        dependencies,
        values_files,
        environments,
        errors: Vec::new(),
        diagnostics: Vec::new(),
    }
}
