//! Placeholder: the parser is being written.
use super::Dockerfile;

pub fn parse(_text: &str) -> Dockerfile {
    Dockerfile { escape: '\\', ..Dockerfile::default() }
}
