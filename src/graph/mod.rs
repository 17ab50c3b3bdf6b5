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

/// Builds and links the graph of a run's documents.
pub fn build(files: &[(Arc<SourceFile>, Document)]) -> Graph {
    link::link(build::layers(files))
}
