//! Azure Bicep syntax: templates (`*.bicep`) and parameter files (`*.bicepparam`), parsed with
//! spans. A template with its parameter files, and values resolved through them, is
//! [`crate::render::bicep`].
//!
//! # Why a parser of our own
//!
//! The one maintained grammar crate, `tree-sitter-bicep` 1.1.0 (December 2024, C sources built
//! with `cc`, plus the `tree-sitter` runtime), was measured on the 452 Bicep files of
//! `../shared/corpus` (399 `.bicep`, 53 `.bicepparam`): 104 of them (23%) came back with
//! error nodes, on syntax that current templates use everywhere — `resourceInput<'T@v'>`
//! types, the `!` non-null assertion, `...` spread, `import { x } from`, `.bicepparam`
//! `param` lines. Its error recovery would have let us keep the rest of those files, but rules
//! would then silently miss what sits in the error nodes, and the grammar lags the language.
//! Bicep's grammar is small and regular (a dozen statement forms, one expression grammar with
//! newline-separated objects and arrays), so a hand-written lexer ([`lexer`]) and
//! recursive-descent parser ([`syntax`]) cover it in about a thousand lines, with exact byte
//! spans on every node, located errors, per-statement recovery (a bad statement is reported and
//! skipped to the next line), a hard nesting limit ([`syntax::MAX_DEPTH`]) and no C toolchain.
//! It reads the whole corpus without an error; type expressions are kept as text because no
//! rule needs their structure.

pub mod lexer;
pub mod syntax;

use std::sync::Arc;

use crate::parse::ParseError;
use crate::source::{Format, SourceFile};
use syntax::{Statement, StmtKind};

/// One file as parsed on its own.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// For a `.bicepparam` file: the template its `using` names, as written.
    pub using: Option<String>,
    pub errors: Vec<ParseError>,
    pub statements: Vec<Statement>,
}

/// Parses a `.bicep` or `.bicepparam` file.
pub fn parse(file: &Arc<SourceFile>) -> Parsed {
    let mut errors = Vec::new();
    let statements = syntax::parse_program(&file.text, &mut errors);
    let using = (file.format == Format::BicepParams)
        .then(|| {
            statements.iter().find_map(|s| match &s.kind {
                StmtKind::Using(Some((path, _))) => Some(path.clone()),
                _ => None,
            })
        })
        .flatten();
    Parsed {
        using,
        errors,
        statements,
    }
}
