//! The first step of a run: discover the files (or take them from memory), read them in
//! parallel, complete the units only partly named, and read the side files they depend on.

use std::collections::HashSet;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use super::Loaded;
use super::contexts::Contexts;
use super::kustomize::{Roots, RunFiles};
use super::units;
use super::{Options, internal};
use crate::config::Resolver;
use crate::guard;
use crate::parse;
use crate::source::side::{self, SideFiles};
use crate::source::{
    ErrorKind, FileError, SourceFile, absolute, detect, discover, normalize, project, read,
};

/// Where the files of a run come from.
pub(super) enum Input {
    /// `opts.paths`, discovered and read from disk.
    Disk,
    /// Files given with their contents (see [`super::check_sources`]).
    Memory(Vec<(PathBuf, Vec<u8>)>),
}

/// What was read for a run.
pub(super) struct Gathered {
    pub loaded: Vec<Loaded>,
    pub errors: Vec<FileError>,
    pub side: SideFiles,
    /// What Kustomize builds read: the run's files, else the disk.
    pub files: RunFiles,
    /// The Kustomize roots among the run's kustomization files, and what they consume.
    pub kustomize: Roots,
    /// The build contexts Compose and azd name for Dockerfiles.
    pub contexts: Contexts,
    /// In a changed-files run ([`Options::context`]): the files named, by normalized absolute
    /// path, and the directories read around them.
    pub named: Option<(HashSet<PathBuf>, Vec<PathBuf>)>,
}

/// Discovers and reads the files of a run (in parallel), with the errors met on the way.
pub(super) fn gather(
    opts: &Options,
    configs: &mut Resolver,
    input: Input,
) -> Result<Gathered, String> {
    let mut errors: Vec<FileError> = Vec::new();
    let mut loaded = Vec::new();
    let mut named = None;
    let mut push = |items: Vec<Result<Loaded, FileError>>, loaded: &mut Vec<Loaded>| {
        for item in items {
            match item {
                Ok(x) => loaded.push(x),
                Err(e) => errors.push(e),
            }
        }
    };
    match input {
        Input::Disk => {
            // A changed-files run reads the projects of the files it names (see `Options`).
            let extra = if opts.context {
                project::context_roots(
                    &opts.paths,
                    &opts.cwd,
                    opts.stdin.as_ref().map(|(p, _)| p.as_path()),
                )
            } else {
                Vec::new()
            };
            if !extra.is_empty() {
                named = Some((opts.paths.iter().map(|p| key(p)).collect(), extra.clone()));
            }
            let walk: Vec<PathBuf> = opts.paths.iter().cloned().chain(extra).collect();
            let (mut candidates, mut walk_errors) = discover::discover(&walk, &opts.excludes);
            // The buffer given on standard input is checked whether or not its path exists.
            let buffer = opts.stdin.as_ref().map(|(p, bytes)| (key(p), p, bytes));
            if let Some((at, path, _)) = &buffer {
                walk_errors.retain(|e| key(&e.path) != *at);
                if !candidates.iter().any(|c| key(&c.path) == *at) {
                    candidates.push(discover::Candidate {
                        path: (*path).clone(),
                        format: detect::by_name(path),
                    });
                }
            }
            let mut kept = Vec::with_capacity(candidates.len());
            for c in candidates {
                let config = configs.for_file(&c.path)?;
                if !config.excludes(&absolute(&c.path), false) {
                    kept.push((c.path, c.format));
                }
            }
            push(
                walk_errors
                    .into_iter()
                    .map(|e| {
                        Err(FileError {
                            kind: ErrorKind::Io,
                            path: discover::display_path(&e.path, &opts.cwd),
                            location: None,
                            message: e.message,
                        })
                    })
                    .collect(),
                &mut loaded,
            );
            // Read and parse every file in parallel, then the rest of any unit only partly
            // named (a chart of which only values were given).
            let read = |paths: Vec<(PathBuf, Option<detect::Format>)>| {
                paths
                    .par_iter()
                    .map(|(p, f)| {
                        let file = match &buffer {
                            Some((at, _, bytes)) if key(p) == *at => {
                                let display = discover::display_path(p, &opts.cwd);
                                read::from_bytes(p, display, bytes, *f)?
                            }
                            _ => read::read(p, *f, &opts.cwd, opts.limits.file_bytes)?,
                        };
                        parse_early(file)
                    })
                    .collect()
            };
            // A file already tried and refused (unreadable, binary, too large) is missing
            // from `loaded` too, but is not read again: its error is reported once.
            let tried: HashSet<PathBuf> = kept.iter().map(|(p, _)| absolute(p)).collect();
            push(read(kept), &mut loaded);
            // The rest of a unit, less what `--exclude` or a config's `exclude` leaves out.
            let excludes = discover::Excludes::new(&opts.paths, &opts.excludes);
            let mut siblings: Vec<PathBuf> = Vec::new();
            for p in units::missing_siblings(&loaded) {
                if tried.contains(&absolute(&p)) || excludes.excludes(&p) {
                    continue;
                }
                if !configs.for_file(&p)?.excludes(&absolute(&p), false) {
                    siblings.push(p);
                }
            }
            if !siblings.is_empty() {
                let more = siblings
                    .into_iter()
                    .map(|p| {
                        let f = detect::by_name(&p);
                        (p, f)
                    })
                    .collect();
                push(read(more), &mut loaded);
            }
        }
        Input::Memory(sources) => {
            let items = sources
                .par_iter()
                .map(|(path, bytes)| {
                    let display = discover::display_path(path, &opts.cwd);
                    if bytes.len() as u64 > opts.limits.file_bytes {
                        return Err(read::too_large(
                            display,
                            bytes.len() as u64,
                            opts.limits.file_bytes,
                        ));
                    }
                    parse_early(read::from_bytes(path, display, bytes, None)?)
                })
                .collect();
            push(items, &mut loaded);
        }
    }
    // Files given in memory have their side files read from disk, as the rest of their
    // context is (configs): an editor's buffer is checked with its directory's `.env`.
    let contexts = Contexts::collect(&loaded);
    let side = SideFiles::read(loaded.iter().flat_map(|(f, _)| side_paths(f, &contexts)));
    let files = RunFiles::new(&loaded, opts.limits.file_bytes, &opts.cwd);
    let kustomize = Roots::plan(&loaded, &files, &opts.paths);
    // Patches found by the walk are Kustomize files: read again through the retyped files.
    let mut loaded = loaded;
    kustomize.retype(&mut loaded);
    let files = RunFiles::new(&loaded, opts.limits.file_bytes, &opts.cwd);
    errors.extend(
        kustomize
            .diagnostics
            .iter()
            .map(|d| super::kustomize::error(d, &opts.cwd)),
    );
    Ok(Gathered {
        loaded,
        errors,
        side,
        files,
        kustomize,
        contexts,
        named,
    })
}

/// Parses now the few files whose content decides their unit (the others are parsed with
/// their unit, [`units::Unit::build`]); a panic in the parser costs this file only.
fn parse_early(file: Arc<SourceFile>) -> Result<Loaded, FileError> {
    if !units::parsed_early(file.format) {
        return Ok((file, None));
    }
    let parsed = guard::guarded(|| parse::parse(&file))
        .map_err(|m| internal(&file, &format!("while parsing: {m}")))?;
    Ok((file, Some(parsed)))
}

/// The side files a file depends on: a Compose file's `.env`, a Terraform module's lock
/// file, the `.dockerignore` and `.git` of the directories a Dockerfile may be built from.
fn side_paths(file: &SourceFile, contexts: &Contexts) -> Vec<PathBuf> {
    use detect::Format;
    match file.format {
        Format::Compose => vec![side::compose_env(&file.path)],
        Format::Terraform | Format::TerraformVars => vec![side::terraform_lock(file.dir())],
        Format::Dockerfile => contexts.side_paths(&file.path),
        _ => Vec::new(),
    }
}

fn key(path: &Path) -> PathBuf {
    normalize(&absolute(path))
}
