//! The model: the typed facts rules and the service graph read, whatever format stated them —
//! workloads and their containers (images, ports, probes, users, resources, env), Kubernetes
//! Services and Secrets, Helm charts per environment, Bicep containers, the final stage of a
//! Dockerfile, and the layers of a service. Every fact keeps the [`Origin`] that set it.
//!
//! Built from what [`crate::parse`] read and [`crate::render`] assembled; never parses text
//! and never reads files.
//!
//! [`Origin`]: crate::source::Origin

pub mod bicep;
pub mod cloud;
pub mod dockerfile;
pub mod helm;
pub mod kubernetes;
pub mod kustomize;
pub mod layer;
pub mod layers;
pub mod quantity;
pub mod secret;
pub mod tag;
pub mod terraform;
pub mod workload;

use crate::parse::{ParseError, compose};

/// What a file turned into once the files that belong together (a Compose file and its
/// overrides, a Helm chart's files) were assembled.
#[derive(Debug, Clone)]
pub enum Document {
    Dockerfile(crate::parse::dockerfile::Dockerfile),
    /// A Compose base file (or a lone override), holding the merged project: one document per
    /// environment when the base has variants (`docker-compose.prod.yml` merged on it is
    /// `prod`; the base with its override is `default`), else one with no environment.
    Compose {
        project: compose::Project,
        environment: Option<crate::render::Environment>,
    },
    Kubernetes(kubernetes::Manifests),
    /// An Azure Developer CLI project (`azure.yaml`).
    Azd(crate::parse::azd::Project),
    /// A Kustomize root, built: on its kustomization file, holding what its environment
    /// deploys (objects whose values point into the files that set them).
    Kustomize(Box<kustomize::Kustomized>),
    /// A chart's `Chart.yaml`, holding the chart as written (dependencies, values files).
    HelmChart(helm::Chart),
    /// A chart rendered in one environment, on its `Chart.yaml`: what the environment
    /// deploys (objects whose values point into the values lines that set them).
    HelmRender(Box<helm::rendered::Rendered>),
    /// A Bicep template, with the values of the `.bicepparam` files that use it.
    Bicep(crate::render::bicep::Document),
    /// A Terraform module, on the first `.tf` file of its directory (in path order).
    Terraform(Box<terraform::Terraform>),
    /// A file read as part of another file's document (a Compose override, Helm values, a
    /// template): its findings come from that document; it keeps only its own errors.
    Part {
        errors: Vec<ParseError>,
    },
    /// A file whose document could not be built because plumbline failed on it (a panic,
    /// contained by [`crate::guard`]); the engine reports it as an internal error.
    Crashed {
        message: String,
    },
}

impl Document {
    pub fn errors(&self) -> &[ParseError] {
        match self {
            Document::Dockerfile(d) => &d.errors,
            Document::Compose { project, .. } => &project.errors,
            Document::Kubernetes(m) => &m.errors,
            Document::Azd(a) => &a.errors,
            Document::Kustomize(k) => &k.manifests.errors,
            Document::HelmChart(c) => &c.errors,
            Document::HelmRender(r) => &r.manifests.errors,
            Document::Bicep(b) => &b.errors,
            Document::Terraform(t) => &t.module.errors,
            Document::Part { errors } => errors,
            Document::Crashed { .. } => &[],
        }
    }

    /// The Kubernetes objects of a manifest file or a built Kustomize root.
    pub fn manifests(&self) -> Option<&kubernetes::Manifests> {
        match self {
            Document::Kubernetes(m) => Some(m),
            Document::Kustomize(k) => Some(&k.manifests),
            Document::HelmRender(r) => Some(&r.manifests),
            _ => None,
        }
    }

    /// The workload containers a Kubernetes manifest, a Helm chart (every environment) or a
    /// Terraform module's `kubernetes_*` resources declare.
    pub fn containers(&self) -> &[workload::Container] {
        match self {
            Document::Kubernetes(m) => &m.containers,
            Document::Kustomize(k) => &k.manifests.containers,
            Document::HelmRender(r) => &r.manifests.containers,
            Document::Terraform(m) => &m.containers,
            _ => &[],
        }
    }
}
