//! Turning parsed files into what is deployed, per environment; each value keeps its origin;
//! never reads files, never runs rules, never prints.
//!
//! A renderer reads the files it needs through [`crate::source::files::Files`] (the disk in a
//! run, memory in tests) and returns [`crate::parse::yaml::Node`] trees whose every node
//! still says which file and span set its value.
//!
//! - [`kustomize`]: Kustomize roots built as `kubectl kustomize` (kustomize v5) builds them.

pub mod kustomize;
