//! Orchestration of a run, in the order of the stages (see `src/lib.rs`): read the files
//! ([`crate::source`]), then parse, render, model and check each unit in one parallel pass,
//! link the service graph and run the cross-file rules, and produce one sorted, fingerprinted
//! [`Report`]. Output is identical whatever the number of threads: every parallel step
//! collects into per-file vectors that are sorted before anything is reported.
//!
//! - `gather`: discovery, reading, units completed from their siblings, side files;
//! - [`units`]: files grouped into units and each built into its document;
//! - `kustomize`: the Kustomize roots of a run and the files they consume;
//! - `run`: the run itself, from the checks to the sorted report;
//! - `fingerprint`: what identifies a finding across edits;
//! - [`limits`]: the documented limits of a run;
//! - `pool`: the thread pool.
//!
//! The engine decides nothing about formats or findings and formats nothing.

mod contexts;
mod fingerprint;
mod gather;
mod kustomize;
pub mod limits;
mod pool;
mod run;
pub mod units;

use std::path::PathBuf;
use std::sync::Arc;

pub use crate::outcome::Report;
pub use crate::source::{ErrorKind, FileError};
pub use limits::{Limits, MAX_FILE_BYTES, MAX_FINDINGS_PER_FILE};
pub use pool::{WORKER_STACK_BYTES, set_threads};

use crate::source::{SourceFile, Span};

/// What to check and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// Globs (gitignore syntax) of paths to leave out of directory walks.
    pub excludes: Vec<String>,
    /// Opt-in rules to turn on, by id or name.
    pub enable: Vec<String>,
    /// The directory paths are shown relative to (normally the working directory).
    pub cwd: PathBuf,
    /// Report ignore comments that suppress nothing (`SUP002`).
    pub report_unused_ignores: bool,
    /// Findings recorded here are not reported.
    pub baseline: Option<crate::baseline::Baseline>,
    /// The one config to use (`--config`); otherwise each file's nearest `.plumbline.toml`.
    pub config: Option<PathBuf>,
    /// How much one file may hold.
    pub limits: Limits,
    /// Build the service graph and keep it in the report, running no rule
    /// (`plumbline graph`): the same path as a check, so both see the same services.
    pub graph_only: bool,
    /// Files named in `paths` are checked in context (a changed-files run, as pre-commit
    /// makes): the project each is in is read too, so cross-file and per-environment findings
    /// are those of a whole-project run, and the report keeps the findings whose location or
    /// related location is a named file.
    pub context: bool,
    /// A file's text given instead of read from disk (`check - --stdin-filename PATH`, an
    /// editor's unsaved buffer): the path, which decides the format and the unit and need
    /// not exist, and the bytes. The rest of its unit and project is read from disk.
    pub stdin: Option<(PathBuf, Vec<u8>)>,
}

/// The ids of the opt-in rules turned on from the command line, or the name that matched no
/// rule.
pub fn enabled_rules(enable: &[String]) -> Result<Vec<&'static str>, String> {
    enable
        .iter()
        .map(|name| {
            crate::catalogue::meta(name)
                .map(|m| m.id.as_str())
                .ok_or_else(|| format!("unknown rule `{name}` (see `plumbline rules`)"))
        })
        .collect()
}

/// Runs a check. Errors in individual files are part of the report; only invalid options
/// (an unknown rule, a broken config file) fail the whole run.
pub fn check(opts: &Options) -> Result<Report, String> {
    pool::in_pool(|| run::run(opts, gather::Input::Disk))
}

/// Checks files given with their contents instead of read from `opts.paths` (the fuzzer's
/// whole-pipeline target; an editor's unsaved buffers). Each is decoded, detected by its
/// name and content, parsed, assembled with the others and checked exactly as a file read
/// from disk; configs and side files are still looked up beside the paths.
pub fn check_sources(opts: &Options, sources: Vec<(PathBuf, Vec<u8>)>) -> Result<Report, String> {
    pool::in_pool(|| run::run(opts, gather::Input::Memory(sources)))
}

/// A file read for a run, with its parse when it was needed early (`.bicepparam`).
pub type Loaded = (Arc<SourceFile>, Option<crate::parse::Parsed>);

/// The report of a bug contained to one file.
fn internal(file: &Arc<SourceFile>, message: &str) -> FileError {
    FileError {
        kind: ErrorKind::Internal,
        path: file.display_path.clone(),
        location: Some((Arc::clone(file), Span::new(0, 0))),
        message: format!(
            "internal error on {}: {message} (plumbline has a bug; please report it with this file)",
            file.display_path
        ),
    }
}
