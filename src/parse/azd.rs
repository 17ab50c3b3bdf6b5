//! The Azure Developer CLI's `azure.yaml`: the services azd builds and deploys. Each names its
//! source folder (`project`), how its image is built (`docker.path`, `docker.context`, both
//! relative to `project`) and where it runs (`host`: `containerapp`, `aks`, `appservice`,
//! `function`, `staticwebapp`). That is the best evidence there is that a Dockerfile and the
//! container app or AKS workload of the infrastructure are one service.
//!
//! <https://learn.microsoft.com/azure/developer/azure-developer-cli/azd-schema>

use std::sync::Arc;

use crate::parse::{ParseError, Spanned, yaml};
use crate::source::{Origin, SourceFile};

/// An `azure.yaml`.
#[derive(Debug, Clone, Default)]
pub struct Project {
    pub services: Vec<Service>,
    /// `infra.path` (default `infra`).
    pub infra: Option<Spanned<String>>,
    pub errors: Vec<ParseError>,
}

/// One entry of `services:`.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: Spanned<String>,
    /// `project`: the service's folder, relative to `azure.yaml`.
    pub project: Option<Spanned<String>>,
    /// `host`.
    pub host: Option<Spanned<String>>,
    /// `language` (`docker` for a prebuilt container).
    pub language: Option<Spanned<String>>,
    /// `docker.path`: the Dockerfile, relative to `project` (azd's default: `./Dockerfile`).
    pub dockerfile: Option<Spanned<String>>,
    /// `docker.context`: the build context, relative to `project` (default: `project`).
    pub context: Option<Spanned<String>>,
    /// `image`: a prebuilt image deployed as is.
    pub image: Option<Spanned<String>>,
    /// The service's entry.
    pub at: Origin,
}

impl Service {
    /// Whether azd builds a container image for it (a container host, or `docker:` given).
    pub fn builds_image(&self) -> bool {
        self.image.is_none()
            && (self.dockerfile.is_some()
                || self.context.is_some()
                || self
                    .host
                    .as_ref()
                    .is_some_and(|h| matches!(h.value.as_str(), "containerapp" | "aks")))
    }
}

fn text(node: Option<&yaml::Node>) -> Option<Spanned<String>> {
    let n = node?;
    Some(Spanned::new(n.as_str()?.to_string(), n.origin()))
}

/// Reads an `azure.yaml` (its first document).
pub fn read(_file: &Arc<SourceFile>, docs: &[yaml::Node]) -> Project {
    let mut project = Project::default();
    let Some(doc) = docs.first() else {
        return project;
    };
    project.infra = text(doc.at(&["infra", "path"]));
    for (name, entry) in doc
        .get("services")
        .map(|s| s.entries())
        .into_iter()
        .flatten()
    {
        let s = &entry.value;
        if s.as_map().is_none() {
            project.errors.push(ParseError::new(
                format!("azd service `{name}` must be a mapping"),
                s.span,
            ));
            continue;
        }
        project.services.push(Service {
            name: Spanned::new(name.to_string(), entry.key.origin()),
            project: text(s.get("project")),
            host: text(s.get("host")),
            language: text(s.get("language")),
            dockerfile: text(s.at(&["docker", "path"])),
            context: text(s.at(&["docker", "context"])),
            image: text(s.get("image")),
            at: entry.key.origin(),
        });
    }
    project
}
