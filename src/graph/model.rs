//! The service graph's model: every layer that describes a service (a Dockerfile, a Compose
//! service, a Kubernetes or Helm container, a Terraform container…), the facts each layer
//! states with where it states them, the services (layers linked as one) and why they were
//! linked.

use crate::source::Origin;

/// What kind of file a layer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LayerKind {
    Dockerfile,
    Compose,
    Kubernetes,
    Helm,
    Terraform,
    Bicep,
}

impl LayerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::Dockerfile => "dockerfile",
            LayerKind::Compose => "compose",
            LayerKind::Kubernetes => "kubernetes",
            LayerKind::Helm => "helm",
            LayerKind::Terraform => "terraform",
            LayerKind::Bicep => "bicep",
        }
    }

    /// Layers that run the image (everything but the Dockerfile that builds it).
    pub fn deploys(self) -> bool {
        self != LayerKind::Dockerfile
    }
}

/// An image reference: the repository path without registry and tag (`shop/api`), and the
/// tag or digest as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageName {
    pub fn parse(text: &str) -> Option<ImageName> {
        if crate::parse::workload::is_templated(text) {
            return None;
        }
        let r = crate::parse::dockerfile::ImageRef::parse(text)?;
        Some(ImageName {
            repository: r.repository.trim_start_matches("library/").to_string(),
            tag: r.tag,
            digest: r.digest,
        })
    }

    /// The last path segment (`api` of `shop/api`).
    pub fn last_segment(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }
}

/// A fact and where a layer states it.
#[derive(Debug, Clone)]
pub struct Fact<T> {
    pub value: T,
    pub at: Origin,
}

/// Ports as messages and listings show them: sorted, each once, `5000, 8080`.
pub fn port_list(ports: &[Fact<u16>]) -> String {
    let mut p: Vec<u16> = ports.iter().map(|f| f.value).collect();
    p.sort_unstable();
    p.dedup();
    p.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
}

/// A health check or probe.
#[derive(Debug, Clone)]
pub struct ProbeFact {
    /// `HEALTHCHECK`, `healthcheck`, `liveness`, `readiness`, `startup`.
    pub kind: &'static str,
    /// The port probed, when it is a number we can read.
    pub port: Option<u16>,
    /// The HTTP path probed, when known.
    pub path: Option<String>,
    pub at: Origin,
}

/// How a layer sets an environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvHandling {
    /// A value written in the file.
    Literal(String),
    /// Read from a secret store (`secretKeyRef`, a Key Vault reference, a `@secure()` param).
    Secret,
    /// Set from elsewhere (a variable, a ConfigMap, a field) or templated: unknown here.
    Reference,
}

#[derive(Debug, Clone)]
pub struct EnvFact {
    pub name: String,
    pub handling: EnvHandling,
    pub at: Origin,
}

/// One file's description of one service.
#[derive(Debug, Clone)]
pub struct Layer {
    pub kind: LayerKind,
    /// Readable: `Compose service api`, `Dockerfile services/api/Dockerfile`,
    /// `Helm container api` (the environment is in [`Layer::environment`]).
    pub label: String,
    /// Names this layer goes by, lower-cased (service, container, workload, component,
    /// directory of a Dockerfile).
    pub names: Vec<String>,
    /// For Helm layers, the environment.
    pub environment: Option<String>,
    /// The image this layer runs (deploy layers) or, for a Compose service with `build:`,
    /// the name it gives the image it builds.
    pub image: Option<Fact<ImageName>>,
    /// For a Compose service with `build:`: the Dockerfile it builds, as a path.
    pub builds: Option<Fact<std::path::PathBuf>>,
    /// Ports the layer declares the service listens on (`EXPOSE`, the container side of
    /// Compose `ports`/`expose`, `containerPort`).
    pub ports: Vec<Fact<u16>>,
    /// Whether `ports` could all be read (an `EXPOSE ${PORT}` without a value makes the
    /// set unknown).
    pub ports_known: bool,
    pub probes: Vec<ProbeFact>,
    /// Dockerfile: the final `USER`, as written (`None`: no `USER`, so the base's user).
    pub user: Option<Fact<String>>,
    /// Dockerfile: why the image runs as root, when it does (as ROOT001 decides).
    pub runs_as_root: Option<Fact<String>>,
    /// Compose: `user:` (overrides the image's `USER`).
    pub user_override: Option<Fact<String>>,
    /// Environment variables the layer sets.
    pub env: Vec<EnvFact>,
    /// The memory limit, in bytes, when the layer sets one we can read.
    pub memory_limit: Option<Fact<u64>>,
    /// Whether this layer deploys to production: a Helm production environment, Bicep and
    /// Terraform (infrastructure code is what production runs).
    pub production: bool,
    /// Deploy layers: effective `runAsNonRoot`.
    pub run_as_non_root: Option<Fact<bool>>,
    /// Deploy layers: effective `runAsUser`.
    pub run_as_user: Option<Fact<i64>>,
    /// The layer as a whole (the service key, the container mapping, the `FROM` line).
    pub at: Origin,
}

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

impl Layer {
    /// The label with the environment, for listings.
    pub fn title(&self) -> String {
        match &self.environment {
            Some(e) => format!("{} ({e})", self.label),
            None => self.label.clone(),
        }
    }
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
