//! plumbline: a policy linter for infrastructure-as-code that checks one service across every
//! file format it is described in.
//!
//! The data flows one way: files → documents → findings → reports.
//! - [`source`]: discovery, format detection, files with line/column indexes;
//! - [`parse`]: one parser per format, every value with its span;
//! - [`render`]: what is deployed per environment (Kustomize roots built), origins kept;
//! - [`graph`]: one service across every file, its layers linked with reasons;
//! - [`rules`]: the rule registry, its catalogue (docs) and the rules, by family;
//! - [`engine`]: runs it all in parallel and sorts the outcome;
//! - [`guard`]: a panic costs one file, never the run;
//! - [`suppress`]: inline ignore comments;
//! - [`report`]: output formats over one finding type.

pub mod baseline;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod engine;
pub mod finding;
#[doc(hidden)]
pub mod fuzz;
pub mod graph;
pub mod guard;
pub mod model;
pub mod outcome;
pub mod parse;
pub mod render;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;

pub use engine::{Options, Report, check};
