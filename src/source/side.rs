//! Side files: files a checked file depends on without being checked itself — the `.env`
//! beside a Compose file, the `.dockerignore` of a build context, the `.terraform.lock.hcl`
//! of a module, the `.git` of a checkout. They are read here, once and in parallel, before any
//! unit is built, so that later stages ask this table instead of the file system.
//!
//! A side file that cannot be read (missing, not a regular file, too large, not UTF-8) is
//! simply absent: it is context, not input, and its absence is what the rules that use it
//! report on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// The largest side file read (a `.env` or `.dockerignore` of this size is not real).
pub const MAX_SIDE_FILE_BYTES: u64 = 1 << 20;

/// What was found at a side path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    /// A regular file, read as UTF-8.
    Text(String),
    /// Something exists there that is not read (a directory such as `.git`, or a file that
    /// could not be read as text).
    Present,
}

/// The side files of a run, by normalized absolute path.
#[derive(Debug, Default)]
pub struct SideFiles {
    found: HashMap<PathBuf, Found>,
}

impl SideFiles {
    /// Looks at every path (in parallel): regular files are read as text (up to
    /// [`MAX_SIDE_FILE_BYTES`]); anything else that exists is only noted. FIFOs, sockets and
    /// devices are never opened (reading one could block forever).
    pub fn read(paths: impl IntoIterator<Item = PathBuf>) -> SideFiles {
        let mut wanted: Vec<PathBuf> = paths.into_iter().map(|p| key(&p)).collect();
        wanted.sort();
        wanted.dedup();
        let found = wanted
            .into_par_iter()
            .filter_map(|p| {
                let meta = std::fs::metadata(&p).ok()?;
                let found = if meta.is_file() && meta.len() <= MAX_SIDE_FILE_BYTES {
                    std::fs::read_to_string(&p)
                        .map(Found::Text)
                        .unwrap_or(Found::Present)
                } else {
                    Found::Present
                };
                Some((p, found))
            })
            .collect();
        SideFiles { found }
    }

    /// A table given in memory (tests, and runs on in-memory sources, which have none).
    pub fn from_texts(texts: impl IntoIterator<Item = (PathBuf, String)>) -> SideFiles {
        SideFiles {
            found: texts
                .into_iter()
                .map(|(p, t)| (key(&p), Found::Text(t)))
                .collect(),
        }
    }

    /// The text of a side file, when it is a readable regular file.
    pub fn text(&self, path: &Path) -> Option<&str> {
        match self.found.get(&key(path))? {
            Found::Text(t) => Some(t),
            Found::Present => None,
        }
    }

    /// Whether anything exists at `path` (a file or a directory).
    pub fn exists(&self, path: &Path) -> bool {
        self.found.contains_key(&key(path))
    }
}

/// Side files are looked up by absolute path, however the path was written.
fn key(path: &Path) -> PathBuf {
    super::normalize(&super::absolute(path))
}

/// The `.dockerignore` files that may apply to a Dockerfile, preferred first: BuildKit reads
/// `<name>.dockerignore` beside a Dockerfile before the plain `.dockerignore`.
pub fn dockerignore_candidates(dockerfile: &Path) -> Vec<PathBuf> {
    let dir = dockerfile.parent().unwrap_or(Path::new(""));
    let mut candidates = Vec::with_capacity(2);
    if let Some(name) = dockerfile.file_name() {
        let mut specific = name.to_os_string();
        specific.push(".dockerignore");
        candidates.push(dir.join(specific));
    }
    candidates.push(dir.join(".dockerignore"));
    candidates
}

/// The `.env` Compose reads variables from: beside the Compose file.
pub fn compose_env(compose_file: &Path) -> PathBuf {
    compose_file.parent().unwrap_or(Path::new("")).join(".env")
}

/// The dependency lock file of the Terraform module in `dir`.
pub fn terraform_lock(dir: &Path) -> PathBuf {
    dir.join(".terraform.lock.hcl")
}

/// The `.git` of a directory (a checkout's root).
pub fn git_dir(dir: &Path) -> PathBuf {
    dir.join(".git")
}
