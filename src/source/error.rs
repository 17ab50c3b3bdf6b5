//! Problems with files that are not findings: a file that could not be read, parsed or
//! checked in full. Every stage reports them with the same shape.

use std::sync::Arc;

use super::{SourceFile, Span};

/// Why a file could not be checked (fully).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The path could not be read: it does not exist, permission, not a regular file.
    Io,
    /// The file was read but is not valid input: not text, or not valid for its format
    /// (then what could be read was checked).
    Parse,
    /// A limit of [`Limits`](crate::engine::Limits) was hit: a file too large to read, or more
    /// findings in one file than are reported.
    Limit,
    /// plumbline itself failed on this file (a bug: a panic, contained to the file).
    Internal,
    /// Said once, at its place, and not a failure: part of the input was left unchecked
    /// (a remote Kustomize resource, which is never fetched) or is probably not what was meant
    /// (a patch whose target selects nothing). Does not change the exit status.
    Note,
}

impl ErrorKind {
    /// Whether the error means a file could not be checked as asked (every kind but a note).
    pub fn fails(&self) -> bool {
        *self != ErrorKind::Note
    }
}

/// A located problem that is not a finding: a file that could not be read or parsed.
#[derive(Debug, Clone)]
pub struct FileError {
    pub kind: ErrorKind,
    pub path: String,
    /// The file and span when the error has a location inside a file.
    pub location: Option<(Arc<SourceFile>, Span)>,
    pub message: String,
}
