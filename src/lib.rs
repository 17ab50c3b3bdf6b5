//! plumbline: a policy linter for infrastructure-as-code that checks one service across every
//! file format it is described in, as each environment deploys it.
//!
//! Data flows one way, one stage per folder; a stage imports only from the stages before it
//! (`tests/architecture.rs` checks this, and that only `source` touches the file system):
//!
//! ```text
//! source ──► parse ──► render ──► model ──► graph ──► rules ──► engine ──► report
//! files,     syntax,   what is    typed     services  per unit   one run:   human, json,
//! side       spans     deployed   facts     linked    and per    check,     sarif, github,
//! files                per env,   with      across    graph      suppress,  junit, compact
//!                      origins    origins   files                fingerprint
//! ```
//!
//! - [`source`]: discovery, reading and decoding with limits, side files, project markers,
//!   writes; spans and line/column indexes;
//! - [`parse`]: one parser per format, pure functions of text, every value with its span;
//! - [`render`]: what is deployed per environment (Compose variants merged, Helm values
//!   layered, Kustomize roots built, Terraform and Bicep values resolved), origins kept;
//! - [`model`]: the typed facts rules and the graph read (workloads, containers, images,
//!   ports, probes, users, resources, env, secrets, service layers);
//! - [`catalogue`], [`finding`], [`config`]: rule identities and documentation, findings,
//!   `.plumbline.toml`;
//! - [`graph`]: one service across every file, its layers linked with reasons;
//! - [`rules`]: the registry (generated from the catalogue) and the rules, by family;
//! - [`suppress`], [`baseline`], [`outcome`]: inline ignores, baselines, the report of a run;
//! - [`engine`]: runs it all in parallel and sorts the outcome;
//! - [`report`]: output formats over one finding type;
//! - [`guard`]: a panic costs one file, never the run.

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
