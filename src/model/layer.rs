//! Layers: every description of a service in one file (a Dockerfile, a Compose service, a
//! Kubernetes or Helm container, a Terraform or Bicep container…), and the facts each layer
//! states with where it states them. Built from documents by [`crate::model::layers`];
//! linked into services by [`crate::graph`].

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
    /// An Azure Developer CLI service (`azure.yaml`): which Dockerfile azd builds for it and
    /// under which name it deploys.
    Azd,
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
            LayerKind::Azd => "azd",
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
        if crate::model::workload::is_templated(text) {
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

/// A Compose `depends_on` entry.
#[derive(Debug, Clone)]
pub struct DependsOn {
    /// The service depended on.
    pub service: String,
    /// `service_started`, `service_healthy`, `service_completed_successfully`; `None` when
    /// the entry names no condition (a list item), which waits only for the start.
    pub condition: Option<String>,
    /// Where the condition is written.
    pub condition_at: Option<Origin>,
    /// The entry (the service's key or list item under `depends_on`).
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
    /// A health check turned off on purpose: `HEALTHCHECK NONE`, Compose `healthcheck:
    /// disable: true` (or `test: ["NONE"]`).
    pub health_off: Option<Origin>,
    /// Dockerfile: the first `EXPOSE` instruction of the final image.
    pub expose: Option<Origin>,
    /// Compose: the first `ports:` entry, when the service publishes ports on the host.
    pub publishes: Option<Origin>,
    /// Compose: the services this one waits for.
    pub depends_on: Vec<DependsOn>,
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
    /// The file whose document states the layer (a Compose base file for every service of
    /// its merged project, a chart's `Chart.yaml`): layers of one document see each other
    /// (a Compose `depends_on` names a service of the same document).
    pub document: String,
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
