//! The service graph: the layers that describe one service (a Dockerfile, a Compose service,
//! a Kubernetes/Helm/Terraform/Bicep container; [`crate::model::layer`]) linked into services
//! with the reason for each link, so cross-file rules can check that a service's layers
//! agree.
//!
//! - [`model`]: services, links, ambiguities;
//! - [`link`]: which layers are one service (and which are left ambiguous).
//!
//! Reads the model only: no files, no rules, no output (`plumbline graph`'s output is
//! [`crate::report::graph`]).

pub mod link;
pub mod model;

pub use model::{Graph, Service};
