//! Kubernetes manifests: workloads' containers (as [`workload::Container`]), Services and
//! Secrets, read from a multi-document YAML stream.

use std::sync::Arc;

use crate::parse::workload::Container;
use crate::parse::{ParseError, yaml};
use crate::source::SourceFile;

/// What one manifest file declares.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub containers: Vec<Container>,
    pub errors: Vec<ParseError>,
}

/// Reads the documents of one file (already loaded as YAML).
pub fn build(_file: &Arc<SourceFile>, _docs: &[yaml::Node]) -> Manifests {
    Manifests::default()
}
