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
    /// The project of each layer (by index): the repository or Compose root it belongs to,
    /// for comparisons that hold within one project only.
    pub projects: Vec<std::path::PathBuf>,
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

    /// The graph as one environment deploys it: the layers of that environment and the layers
    /// that hold in every environment (a Dockerfile, a plain manifest), with the services,
    /// links and ambiguities among them. Layer indexes are renumbered.
    pub fn in_environment(&self, name: &str) -> Graph {
        let keep: Vec<Option<usize>> = {
            let mut next = 0;
            self.layers
                .iter()
                .map(|l| {
                    (l.environment.as_deref().is_none_or(|e| e == name)).then(|| {
                        next += 1;
                        next - 1
                    })
                })
                .collect()
        };
        let layers = self
            .layers
            .iter()
            .zip(&keep)
            .filter(|(_, k)| k.is_some())
            .map(|(l, _)| l.clone())
            .collect();
        let projects = self
            .projects
            .iter()
            .zip(&keep)
            .filter(|(_, k)| k.is_some())
            .map(|(p, _)| p.clone())
            .collect();
        let services = self
            .services
            .iter()
            .filter_map(|s| {
                let layers: Vec<usize> = s.layers.iter().filter_map(|i| keep[*i]).collect();
                (!layers.is_empty()).then(|| Service {
                    name: s.name.clone(),
                    layers,
                })
            })
            .collect();
        let links = self
            .links
            .iter()
            .filter_map(|l| {
                Some(Link {
                    a: keep[l.a]?,
                    b: keep[l.b]?,
                    reason: l.reason.clone(),
                })
            })
            .collect();
        let ambiguous = self
            .ambiguous
            .iter()
            .filter_map(|a| {
                let candidates: Vec<usize> = a.candidates.iter().filter_map(|c| keep[*c]).collect();
                Some(Ambiguity {
                    layer: keep[a.layer]?,
                    candidates,
                    reason: a.reason.clone(),
                })
            })
            .collect();
        Graph {
            layers,
            projects,
            services,
            links,
            ambiguous,
        }
    }

    /// Whether two layers belong to one project.
    pub fn same_project(&self, a: usize, b: usize) -> bool {
        match (self.projects.get(a), self.projects.get(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
    }

    /// Every environment a layer of the graph is in, sorted.
    pub fn environments(&self) -> Vec<&str> {
        let mut envs: Vec<&str> = self
            .layers
            .iter()
            .filter_map(|l| l.environment.as_deref())
            .collect();
        envs.sort_unstable();
        envs.dedup();
        envs
    }
}
