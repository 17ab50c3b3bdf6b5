//! The Go template engine of the Helm renderer (`plumbline::render::helm::template`), tested
//! on its own: 519 differential cases against Helm 3.17.3 (outputs cached in
//! `fixtures/helm_cases.json`, refreshed when Helm is installed), provenance through every
//! function family, engine semantics and limits, random templates, and the inventory of the
//! functions corpus charts call. Charts as a whole are compared with `helm template` by
//! `tests/helm_oracle.rs`.

mod api_example;
mod common;
mod diff;
mod engine;
mod fuzz;
mod inventory;
#[path = "../oracles/mod.rs"]
mod oracles;
mod provenance;
