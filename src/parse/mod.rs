//! Parsers: one module per format, each turning a [`SourceFile`] into a typed document whose
//! values keep their spans. Parsers never fail as a whole and never panic on any input: what
//! cannot be read becomes a located [`ParseError`], and what can be read is kept.
//!
//! Pure functions of text: a parser reads no file (side files come from [`crate::source`]) and
//! knows nothing of environments, which [`crate::render`] assembles.

pub mod arm;
pub mod azd;
pub mod bicep;
pub mod compose;
pub mod dockerfile;
pub mod dockerignore;
pub mod helm;
pub mod json;
pub mod shell;
pub mod terraform;
pub mod text;
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
        Format::Compose
        | Format::Azd
        | Format::Kubernetes
        | Format::Kustomization
        | Format::HelmChart
        | Format::HelmValues => Parsed::Yaml(yaml::load(file)),
        Format::HelmTemplate => {
            Parsed::Template(helm::syntax_error(&file.text).into_iter().collect())
        }
        Format::OtherYaml => Parsed::Ignored,
        Format::Bicep | Format::BicepParams => Parsed::Bicep(bicep::parse(file)),
        Format::Terraform | Format::TerraformVars => Parsed::Terraform(terraform::parse(file)),
        Format::ArmTemplate | Format::ArmParameters => Parsed::Bicep(arm::parse(file)),
    }
}
