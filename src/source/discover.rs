//! Discovery: turns the paths a user gave into the list of files to check.
//!
//! Directories are walked with the `ignore` crate (the walker behind ripgrep), so `.gitignore`,
//! `.ignore` and git's exclude files are honoured — also outside a git checkout, since a
//! downloaded tarball deserves the same treatment as a clone. Hidden directories are walked
//! (`.devcontainer/Dockerfile` is real infrastructure) except `.git` itself. Symbolic links are
//! not followed, so a link loop cannot trap the walk. Files found in directories are kept only
//! when their name says they are a format plumbline reads; a file named on the command line is
//! always checked, whatever its name.

use std::path::{Path, PathBuf};

use std::sync::{Mutex, MutexGuard};

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

use super::Format;
use super::detect;

/// A file chosen for checking.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    /// The format by name; `None` only for an explicit file whose name says nothing.
    pub format: Option<Format>,
}

/// A path that could not be walked: it does not exist, or a directory could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryError {
    pub path: PathBuf,
    pub message: String,
}

/// Walks `paths` and returns the files to check, sorted and without duplicates, and the paths
/// that could not be read.
pub fn discover(paths: &[PathBuf], excludes: &[String]) -> (Vec<Candidate>, Vec<DiscoveryError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                errors.push(DiscoveryError {
                    path: root.clone(),
                    message: format!("cannot read {}: {}", root.display(), io_reason(&e)),
                });
                continue;
            }
        };
        if !meta.is_dir() {
            found.push(Candidate {
                path: root.clone(),
                format: detect::by_name(root),
            });
            continue;
        }
        let overrides = match build_overrides(root, excludes) {
            Ok(o) => o,
            Err(message) => {
                errors.push(DiscoveryError {
                    path: root.clone(),
                    message,
                });
                continue;
            }
        };
        // The walk runs on as many threads as the run (`--threads`); what each thread finds
        // is sorted below, so the order is the same whatever the threads did.
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .overrides(overrides)
            .filter_entry(|e| e.file_name() != ".git")
            .threads(rayon::current_num_threads())
            .build_parallel();
        let shared = Mutex::new((Vec::new(), Vec::new()));
        walker.run(|| {
            let shared = &shared;
            let root = root.clone();
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        if entry.file_type().is_some_and(|t| t.is_file())
                            && let Some(format) = detect::by_name(entry.path())
                        {
                            let c = Candidate {
                                path: entry.into_path(),
                                format: Some(format),
                            };
                            lock(shared).0.push(c);
                        }
                    }
                    Err(e) => {
                        let path = match &e {
                            ignore::Error::WithPath { path, .. } => path.clone(),
                            _ => root.clone(),
                        };
                        lock(shared).1.push(DiscoveryError {
                            path,
                            message: e.to_string(),
                        });
                    }
                }
                WalkState::Continue
            })
        });
        let (f, e) = shared.into_inner().unwrap_or_else(|p| p.into_inner());
        found.extend(f);
        errors.extend(e);
    }
    found.sort();
    found.dedup_by(|a, b| a.path == b.path);
    errors.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    (found, errors)
}

/// A poisoned lock still holds good data here: pushes cannot leave a `Vec` half-written.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn build_overrides(
    root: &Path,
    excludes: &[String],
) -> Result<ignore::overrides::Override, String> {
    let mut builder = OverrideBuilder::new(root);
    for glob in excludes {
        builder
            .add(&format!("!{glob}"))
            .map_err(|e| format!("invalid --exclude glob `{glob}`: {e}"))?;
    }
    builder.build().map_err(|e| e.to_string())
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// The path as the user should see it: relative to the working directory when it lies below
/// it, always with `/` separators.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let rel = if path.is_absolute() {
        path.strip_prefix(cwd).unwrap_or(path)
    } else {
        path
    };
    let mut s = String::new();
    for comp in rel.components() {
        use std::path::Component;
        match comp {
            Component::CurDir => continue,
            Component::RootDir => {
                s.push('/');
                continue;
            }
            _ => {}
        }
        if !s.is_empty() && !s.ends_with('/') {
            s.push('/');
        }
        s.push_str(&comp.as_os_str().to_string_lossy());
    }
    if s.is_empty() { ".".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_relative_with_slashes() {
        let cwd = Path::new("/repo");
        assert_eq!(
            display_path(Path::new("/repo/a/Dockerfile"), cwd),
            "a/Dockerfile"
        );
        assert_eq!(
            display_path(Path::new("./a/./Dockerfile"), cwd),
            "a/Dockerfile"
        );
        assert_eq!(
            display_path(Path::new("/elsewhere/Dockerfile"), cwd),
            "/elsewhere/Dockerfile"
        );
    }
}
