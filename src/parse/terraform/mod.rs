//! Terraform syntax: one `.tf` or `.tfvars` file parsed with hcl-edit (which keeps spans,
//! see [`hcl`]) into typed blocks and expressions. Files are combined into modules, and
//! variables resolved, by [`crate::render::terraform`].

pub mod hcl;

use std::sync::Arc;

pub use hcl::{Attribute, Block, Body, Expr, Node, Piece, Step};

use crate::parse::ParseError;
use crate::source::SourceFile;

/// One file as parsed on its own: what could be read, and its syntax errors.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub body: Body,
    pub errors: Vec<ParseError>,
}

/// Parses a `.tf` or `.tfvars` file. Never fails: a syntax error is located, and the
/// top-level blocks that parse on their own are kept.
pub fn parse(file: &Arc<SourceFile>) -> Parsed {
    let parsed = hcl::parse(&file.text);
    Parsed {
        body: hcl::convert(file, &parsed.body),
        errors: parsed.errors,
    }
}
