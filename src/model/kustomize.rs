//! One Kustomize root, built ([`crate::render::kustomize`]): the Kubernetes objects its
//! environment deploys, read into the same model as manifests, each container marked with the
//! environment, and what the build replaced (for related locations) or could not do.

use std::path::PathBuf;

use crate::model::kubernetes::{self, Manifests};
use crate::model::workload::Removed;
use crate::render::Environment;
use crate::render::kustomize::{Build, Diagnostic, Replaced};

/// A built Kustomize root.
#[derive(Debug, Clone)]
pub struct Kustomized {
    /// The root's directory.
    pub dir: PathBuf,
    /// The environment the root deploys (`overlays/prod` → `prod`).
    pub environment: Environment,
    /// What it deploys, as manifests; every container carries [`Self::environment`].
    pub manifests: Manifests,
    /// Values an overlay set in place of a base's: a finding on the overlay names the base.
    pub replaced: Vec<Replaced>,
    /// Errors, limits and parts not checked, each at its place.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads a built root into the model. `production` decides whether its environment is one.
pub fn read(build: Build, production: bool) -> Kustomized {
    let environment = Environment {
        name: build.environment.clone(),
        production,
    };
    let mut manifests = match &build.kustomization {
        Some(file) => kubernetes::build(file, &build.objects),
        None => Manifests::default(),
    };
    for c in &mut manifests.containers {
        c.environment = Some(environment.clone());
        for r in &build.replaced {
            let Some(key) = &r.removed else { continue };
            let inside = r.old.file.path == c.at.file.path
                && r.old.span.start >= c.at.span.start
                && r.old.span.end <= c.at.span.end;
            if inside {
                c.removed.push(Removed {
                    key: key.clone(),
                    at: r.new.clone(),
                    was: r.old.clone(),
                });
            }
        }
    }
    Kustomized {
        dir: build.dir,
        environment,
        manifests,
        replaced: build.replaced,
        diagnostics: build.diagnostics,
    }
}

impl Kustomized {
    /// Re-decides whether the environment is production (a project's `.plumbline.toml` may
    /// name its own), for the root and every container.
    pub fn set_production(&mut self, production: bool) {
        self.environment.production = production;
        for c in &mut self.manifests.containers {
            if let Some(e) = &mut c.environment {
                e.production = production;
            }
        }
    }
}
