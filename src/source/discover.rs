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

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;

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
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .overrides(overrides)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if !entry.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    if let Some(format) = detect::by_name(entry.path()) {
                        found.push(Candidate {
                            path: entry.into_path(),
                            format: Some(format),
                        });
                    }
                }
                Err(e) => {
                    let path = match &e {
                        ignore::Error::WithPath { path, .. } => path.clone(),
                        _ => root.clone(),
                    };
                    errors.push(DiscoveryError {
                        path,
                        message: e.to_string(),
                    });
                }
            }
        }
    }
    found.sort();
    found.dedup_by(|a, b| a.path == b.path);
    (found, errors)
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
