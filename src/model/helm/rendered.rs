//! One environment of a chart, rendered ([`crate::render::helm`]): the Kubernetes objects
//! `helm template` would print, read into the same model as manifests (no Helm-specific copy
//! of a Kubernetes rule), each container marked with the environment. Every value points at
//! the values line (or `--set` entry, or template literal) it came from; `written_by` names
//! the template action that printed it, for related locations.

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::kubernetes::{self, Manifests};
use crate::render::Environment;
use crate::render::helm::{Diagnostic, RenderedEnv, WrittenBy};
use crate::source::SourceFile;

/// A chart rendered in one environment.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The chart's directory.
    pub dir: PathBuf,
    /// The chart's name (`Chart.yaml` `name`).
    pub chart: String,
    pub environment: Environment,
    /// The names of every environment the chart is rendered in (this one included): whether
    /// one is production is the project's call (rules about resources check only production
    /// when there is one).
    pub chart_environments: Vec<String>,
    /// What the environment deploys; every container carries [`Self::environment`].
    pub manifests: Manifests,
    /// Value origins with the template actions that printed them.
    pub written_by: Vec<WrittenBy>,
    /// Template errors, `required` values nobody gave, limits — each at its place.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads one rendered environment into the model.
pub fn read(
    dir: PathBuf,
    chart: String,
    chart_file: &Arc<SourceFile>,
    env: RenderedEnv,
    chart_environments: Vec<String>,
) -> Rendered {
    let docs: Vec<_> = env.documents.into_iter().map(|d| d.node).collect();
    let mut manifests = kubernetes::build(chart_file, &docs);
    for c in &mut manifests.containers {
        c.environment = Some(env.environment.clone());
    }
    Rendered {
        dir,
        chart,
        environment: env.environment,
        chart_environments,
        manifests,
        written_by: env.written_by,
        diagnostics: env.diagnostics,
    }
}

impl Rendered {
    /// Re-decides whether the environment is production (a project's `.plumbline.toml` may
    /// name its own), for the environment and every container.
    pub fn set_production(&mut self, production: bool) {
        self.environment.production = production;
        for c in &mut self.manifests.containers {
            if let Some(e) = &mut c.environment {
                e.production = production;
            }
        }
    }
}
