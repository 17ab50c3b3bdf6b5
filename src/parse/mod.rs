//! Parsers: one module per format, each turning a [`SourceFile`] into a typed document whose
//! values keep their spans. Parsers never fail as a whole and never panic on any input: what
//! cannot be read becomes a located [`ParseError`], and what can be read is kept.

pub mod dockerfile;
pub mod shell;
pub mod text;

use crate::source::{Format, SourceFile, Span};

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

/// What a file turned into.
#[derive(Debug, Clone)]
pub enum Document {
    Dockerfile(dockerfile::Dockerfile),
}

impl Document {
    pub fn errors(&self) -> &[ParseError] {
        match self {
            Document::Dockerfile(d) => &d.errors,
        }
    }
}

/// Parses a file according to its format.
pub fn parse(file: &SourceFile) -> Document {
    match file.format {
        Format::Dockerfile => Document::Dockerfile(dockerfile::parse(&file.text)),
    }
}
