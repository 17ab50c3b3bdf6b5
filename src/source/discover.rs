//! Discovery: turns the paths a user gave into the list of files to check.
//!
//! Directories are walked with the `ignore` crate (the walker behind ripgrep), so `.gitignore`,
//! `.ignore` and git's exclude files are honoured — also outside a git checkout, since a
//! downloaded tarball deserves the same treatment as a clone. Hidden directories are walked
//! (`.devcontainer/Dockerfile` is real infrastructure) except `.git` itself. Symbolic links are
//! not followed, so a link loop cannot trap the walk. Files found in directories are kept only
//! when they are regular files whose name says they are a format plumbline reads (a FIFO or a
//! device named `Dockerfile` is passed over, as a link is); a file named on the command line
//! is always checked, whatever its name, and refused if it is not a regular file.
//!
//! The walker opens every `.gitignore` and `.ignore` it meets (and those of the root's
//! parents), and opening a FIFO waits until something writes to it: a directory whose ignore
//! file is not a regular file is not walked, and an error says why.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

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
        let blocked = std::fs::canonicalize(root)
            .ok()
            .and_then(|abs| abs.ancestors().find_map(blocking_ignore_file));
        if let Some(file) = blocked {
            errors.push(not_walked(root, &file));
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
        // What the walk's threads find: files to check, and paths that could not be walked
        // (a directory passed over because of its ignore file among them).
        let shared: Arc<Mutex<(Vec<Candidate>, Vec<DiscoveryError>)>> = Arc::default();
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .overrides(overrides)
            .filter_entry({
                let shared = Arc::clone(&shared);
                move |e| {
                    if e.file_name() == ".git" {
                        return false;
                    }
                    // Runs before the walker reads the directory's ignore files.
                    if e.file_type().is_some_and(|t| t.is_dir())
                        && let Some(file) = blocking_ignore_file(e.path())
                    {
                        lock(&shared).1.push(not_walked(e.path(), &file));
                        return false;
                    }
                    true
                }
            })
            // The walk runs on as many threads as the run (`--threads`); what the threads
            // find is sorted below, so the order is the same whatever they did.
            .threads(rayon::current_num_threads())
            .build_parallel();
        walker.run(|| {
            let shared = Arc::clone(&shared);
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
                            lock(&shared).0.push(c);
                        }
                    }
                    Err(e) => {
                        let path = match &e {
                            ignore::Error::WithPath { path, .. } => path.clone(),
                            _ => root.clone(),
                        };
                        lock(&shared).1.push(DiscoveryError {
                            path,
                            message: e.to_string(),
                        });
                    }
                }
                WalkState::Continue
            })
        });
        let (f, e) = std::mem::take(&mut *lock(&shared));
        found.extend(f);
        errors.extend(e);
    }
    // A file named twice (`check . Dockerfile`, `./a` and `a`) is read once.
    let mut keyed: Vec<(PathBuf, Candidate)> = found
        .into_iter()
        .map(|c| (super::absolute(&c.path), c))
        .collect();
    keyed.sort();
    keyed.dedup_by(|a, b| a.0 == b.0);
    errors.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    (keyed.into_iter().map(|(_, c)| c).collect(), errors)
}

/// The ignore file of `dir` the walker would open that is not a regular file (a FIFO, a
/// socket, a device, or a link to one), if any.
fn blocking_ignore_file(dir: &Path) -> Option<PathBuf> {
    [".gitignore", ".ignore", ".git/info/exclude"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir()))
}

fn not_walked(dir: &Path, file: &Path) -> DiscoveryError {
    DiscoveryError {
        path: dir.to_path_buf(),
        message: format!(
            "{} was not walked: its ignore file {} is not a regular file (a FIFO or a device, \
             which would block the walk)",
            dir.display(),
            file.display()
        ),
    }
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

/// The `--exclude` globs of a walk, to apply to files reached otherwise than by walking: the
/// rest of a unit only partly walked (a chart's `values.yaml` when `Chart.yaml` was found)
/// must not bring back a file the user excluded.
pub struct Excludes {
    /// Each directory root (absolute) with its globs.
    roots: Vec<(PathBuf, ignore::overrides::Override)>,
}

impl Excludes {
    pub fn new(paths: &[PathBuf], excludes: &[String]) -> Excludes {
        if excludes.is_empty() {
            return Excludes { roots: Vec::new() };
        }
        let roots = paths
            .iter()
            .filter(|p| p.is_dir())
            .filter_map(|p| {
                let abs = super::normalize(&super::absolute(p));
                Some((abs.clone(), build_overrides(&abs, excludes).ok()?))
            })
            .collect();
        Excludes { roots }
    }

    /// Whether `path`, or a directory above it below a walked root, matches an exclude.
    pub fn excludes(&self, path: &Path) -> bool {
        let abs = super::normalize(&super::absolute(path));
        self.roots.iter().any(|(root, ov)| {
            abs.starts_with(root)
                && abs
                    .ancestors()
                    .take_while(|a| a.starts_with(root) && a != root)
                    .enumerate()
                    .any(|(i, a)| ov.matched(a, i > 0).is_ignore())
        })
    }
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
        push_name(&mut s, comp.as_os_str());
    }
    if s.is_empty() { ".".into() } else { s }
}

/// Appends a path component as text. Bytes that are not UTF-8 are written as `\xFF`
/// escapes rather than replaced, so `a\xFF/` and `a\xFE/` stay two paths (replacement
/// characters made them one).
fn push_name(s: &mut String, name: &std::ffi::OsStr) {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        for chunk in name.as_bytes().utf8_chunks() {
            s.push_str(chunk.valid());
            for b in chunk.invalid() {
                s.push_str(&format!("\\x{b:02X}"));
            }
        }
    }
    #[cfg(not(unix))]
    s.push_str(&name.to_string_lossy());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `discover` on another thread, failing instead of hanging if it blocks.
    fn discover_within(paths: Vec<PathBuf>) -> (Vec<Candidate>, Vec<DiscoveryError>) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(discover(&paths, &[])));
        rx.recv_timeout(std::time::Duration::from_secs(20))
            .expect("discovery blocked")
    }

    #[test]
    fn a_file_named_twice_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/Dockerfile"), "FROM x\n").unwrap();
        let (found, errors) = discover_within(vec![
            root.to_path_buf(),
            root.join("a/Dockerfile"),
            root.join("./a/./Dockerfile"),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[cfg(unix)]
    #[test]
    fn fifos_are_passed_over_and_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mkfifo = |rel: &str| {
            let ok = std::process::Command::new("mkfifo")
                .arg(root.join(rel))
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "mkfifo {rel}");
        };
        for d in ["a", "b", "c/sub"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("a/Dockerfile"), "FROM x\n").unwrap();
        // A FIFO with a checked name, and FIFOs as ignore files (the walker opens those).
        mkfifo("b/Dockerfile");
        mkfifo("c/.gitignore");
        std::fs::write(root.join("c/sub/Dockerfile"), "FROM x\n").unwrap();
        let (found, errors) = discover_within(vec![root.to_path_buf()]);
        let found: Vec<_> = found
            .iter()
            .map(|c| c.path.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        assert_eq!(found, [PathBuf::from("a/Dockerfile")]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, root.join("c"));
        assert!(
            errors[0].message.contains(".gitignore"),
            "{}",
            errors[0].message
        );
        // The same when the FIFO is the root's own ignore file.
        mkfifo("a/.ignore");
        let (found, errors) = discover_within(vec![root.join("a")]);
        assert!(found.is_empty());
        assert!(
            errors[0].message.contains(".ignore"),
            "{}",
            errors[0].message
        );
    }

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
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let a = display_path(Path::new(std::ffi::OsStr::from_bytes(b"a\xff/x.tf")), cwd);
            let b = display_path(Path::new(std::ffi::OsStr::from_bytes(b"a\xfe/x.tf")), cwd);
            assert_eq!(a, "a\\xFF/x.tf");
            assert_ne!(a, b);
        }
    }
}
