//! The service graph: every layer that describes a service (Dockerfile, Compose service,
//! Kubernetes/Helm/Terraform container), linked into services with the reason for each link,
//! so cross-file rules can check that a service's layers agree.
//!
//! - `model.rs`: layers, facts with origins, services, links;
//! - `build.rs`: documents → layers;
//! - `link.rs`: which layers are one service (and which are left ambiguous);
//! - `render.rs`: `plumbline graph` as text, JSON or Graphviz DOT.

pub mod build;
pub mod link;
pub mod model;
pub mod render;

use std::sync::Arc;

pub use model::{Graph, Layer, LayerKind, Service};

use crate::parse::Document;
use crate::source::SourceFile;

/// Builds and links the graph of a run's documents, with the services stated in
/// `.plumbline.toml` files.
///
/// `roots` are the paths the run was given: name-based links stay within one project below
/// them (see `link.rs`).
pub fn build(
    files: &[(Arc<SourceFile>, Document)],
    explicit: &[link::Explicit],
    roots: &[std::path::PathBuf],
) -> Graph {
    link::link(build::layers(files), explicit, roots)
}

/// The explicit services of the configs in use, paths resolved against each config's
/// directory.
pub fn explicit_services(configs: &[Arc<crate::config::Config>]) -> Vec<link::Explicit> {
    let mut out = Vec::new();
    for c in configs {
        for (name, s) in &c.services {
            out.push(link::Explicit {
                name: name.clone(),
                config: c.path.display().to_string(),
                dockerfile: s.dockerfile.as_ref().map(|d| {
                    let p = c.dir.join(d);
                    crate::parse::assemble::normalize(&crate::source::absolute(&p))
                }),
                images: s
                    .images
                    .iter()
                    .filter_map(|i| model::ImageName::parse(i).map(|n| n.repository))
                    .collect(),
                compose: s.compose.clone(),
                helm: s.helm.clone(),
                kubernetes: s.kubernetes.clone(),
                terraform: s.terraform.clone(),
                not: s.not.clone(),
            });
        }
    }
    out.sort_by(|a, b| (&a.config, &a.name).cmp(&(&b.config, &b.name)));
    out.dedup_by(|a, b| a.config == b.config && a.name == b.name);
    out
}
