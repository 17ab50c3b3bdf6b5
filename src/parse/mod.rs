//! Parsers: one module per format, each turning a [`SourceFile`] into a typed document whose
//! values keep their spans. Parsers never fail as a whole and never panic on any input: what
//! cannot be read becomes a located [`ParseError`], and what can be read is kept.

pub mod assemble;
pub mod bicep;
pub mod compose;
pub mod dockerfile;
pub mod helm;
pub mod kubernetes;
pub mod shell;
pub mod terraform;
pub mod text;
pub mod workload;
pub mod yaml;

use std::sync::Arc;

use crate::source::{Format, Origin, SourceFile, Span};

/// A value of a typed document and where it was written (which may be another file of the
/// document: a Compose override, a Helm values overlay).
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub at: Origin,
}

impl<T> Spanned<T> {
    pub fn new(value: T, at: Origin) -> Self {
        Self { value, at }
    }
}

/// A problem found while parsing, located in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

impl ParseError {
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Self {
            message: message.into(),
            span,
        }
    }
}

/// What a file turned into once the files that belong together (a Compose file and its
/// overrides, a Helm chart's files) were assembled.
#[derive(Debug, Clone)]
pub enum Document {
    Dockerfile(dockerfile::Dockerfile),
    /// A Compose base file (or a lone override), holding the merged project.
    Compose(compose::Project),
    Kubernetes(kubernetes::Manifests),
    /// A chart's `Chart.yaml`, holding the whole chart.
    HelmChart(helm::Chart),
    /// A Bicep template, with the values of the `.bicepparam` files that use it.
    Bicep(bicep::Document),
    /// A Terraform module, on the first `.tf` file of its directory (in path order).
    Terraform(terraform::Module),
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
            Document::Compose(p) => &p.errors,
            Document::Kubernetes(m) => &m.errors,
            Document::HelmChart(c) => &c.errors,
            Document::Bicep(b) => &b.errors,
            Document::Terraform(m) => &m.errors,
            Document::Part { errors } => errors,
            Document::Crashed { .. } => &[],
        }
    }

    /// The workload containers a Kubernetes manifest, a Helm chart (every environment) or a
    /// Terraform module's `kubernetes_*` resources declare.
    pub fn containers(&self) -> &[workload::Container] {
        match self {
            Document::Kubernetes(m) => &m.containers,
            Document::HelmChart(c) => &c.containers,
            Document::Terraform(m) => &m.containers,
            _ => &[],
        }
    }
}

/// A file parsed on its own, before assembly.
#[derive(Debug, Clone)]
pub enum Parsed {
    Dockerfile(dockerfile::Dockerfile),
    Yaml(yaml::Stream),
    /// A Helm template: read as text by the chart, never as YAML; with the Go template
    /// syntax errors Helm would stop at (an action left open).
    Template(Vec<ParseError>),
    /// Read but left alone (YAML that is none of our formats).
    Ignored,
    Bicep(bicep::Parsed),
    Terraform(terraform::Parsed),
}

/// Parses one file according to its format.
pub fn parse(file: &Arc<SourceFile>) -> Parsed {
    match file.format {
        Format::Dockerfile => Parsed::Dockerfile(dockerfile::parse(&file.text)),
        Format::Compose | Format::Kubernetes | Format::HelmChart | Format::HelmValues => {
            Parsed::Yaml(yaml::load(file))
        }
        Format::HelmTemplate => Parsed::Template(
            helm::templates::syntax_error(&file.text)
                .into_iter()
                .collect(),
        ),
        Format::OtherYaml => Parsed::Ignored,
        Format::Bicep | Format::BicepParams => Parsed::Bicep(bicep::parse(file)),
        Format::Terraform | Format::TerraformVars => Parsed::Terraform(terraform::parse(file)),
    }
}
