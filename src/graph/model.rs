//! The service graph: the services (layers linked as one), why they were linked, and the
//! links left undecided. The layers themselves, and the facts each states, are
//! [`crate::model::layer`].

use crate::model::layer::{Layer, LayerKind};

/// Layers linked as one service.
#[derive(Debug, Clone)]
pub struct Service {
    /// The most telling name: a Compose service name, a Helm component, a Dockerfile
    /// directory, in that order of preference.
    pub name: String,
    /// Indexes into [`Graph::layers`], in build order (Dockerfile first).
    pub layers: Vec<usize>,
}

/// Why two layers are the same service.
#[derive(Debug, Clone)]
pub struct Link {
    pub a: usize,
    pub b: usize,
    pub reason: String,
}

/// Candidates left unlinked because the evidence named more than one.
#[derive(Debug, Clone)]
pub struct Ambiguity {
    pub layer: usize,
    pub candidates: Vec<usize>,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub layers: Vec<Layer>,
    pub services: Vec<Service>,
    pub links: Vec<Link>,
    pub ambiguous: Vec<Ambiguity>,
}

impl Graph {
    /// The one Dockerfile that builds a service's image: `None` when there is none, or more
    /// than one (cross-file rules do not arbitrate between two Dockerfiles).
    pub fn image_of<'a>(&'a self, s: &'a Service) -> Option<&'a Layer> {
        let mut dockerfiles = self
            .layers_of(s)
            .map(|(_, l)| l)
            .filter(|l| l.kind == LayerKind::Dockerfile);
        let first = dockerfiles.next()?;
        dockerfiles.next().is_none().then_some(first)
    }

    /// The layers of a service.
    pub fn layers_of<'a>(&'a self, s: &'a Service) -> impl Iterator<Item = (usize, &'a Layer)> {
        s.layers.iter().map(|i| (*i, &self.layers[*i]))
    }
}
