//! Projects: which directory a file belongs to, from the markers on disk (`.git`,
//! `.plumbline.toml`, azd's `azure.yaml`, Compose files). Read once per directory. Also where
//! the repository ends for the upward search of `.plumbline.toml` ([`config_search_ends_at`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Format, absolute, detect, normalize};

/// Whether the upward search for a `.plumbline.toml` stops at `dir` (after looking in it):
/// at the repository root, the nearest directory holding `.git` (a directory, or the file of
/// a worktree or submodule), and failing that at the file-system boundary (a mount point),
/// or at `/`. A config above the checkout is not the repository's: one planted in a parent
/// directory with `exclude = ["**"]` made a gate pass on nothing.
pub fn config_search_ends_at(dir: &Path) -> bool {
    if std::fs::symlink_metadata(dir.join(".git")).is_ok() {
        return true;
    }
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => !same_file_system(dir, parent),
        _ => true,
    }
}

/// Whether two directories are on one file system (always true where that cannot be told).
fn same_file_system(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev(),
            _ => true,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}

/// The project of each file, for the service graph's name-based links: two services named
/// `db` in two projects of one monorepo are not one service. A project is the nearest
/// directory above the file (up to the scan root) that holds `.git`, `.plumbline.toml` or an
/// azd `azure.yaml`;
/// failing that, the outermost one that holds a Compose file; failing that, the first
/// directory below the scan root. The flag says whether the project was marked (by a
/// repository marker or a Compose file) rather than inferred from the layout.
pub fn projects(files: &[&Path], roots: &[PathBuf]) -> Vec<(PathBuf, bool)> {
    // A set: every file named on the command line is a root, and each directory above each
    // file is looked up (a list made 193 Dockerfiles named one by one cost 300,000 path
    // comparisons, a third of their check).
    let roots: std::collections::HashSet<PathBuf> =
        roots.iter().map(|r| normalize(&absolute(r))).collect();
    // Per directory: whether it marks a repository (`.git`, `.plumbline.toml`), and whether
    // it holds a Compose file.
    let mut seen: HashMap<PathBuf, (bool, bool)> = HashMap::new();
    let mut marks = |dir: &Path| -> (bool, bool) {
        *seen.entry(dir.to_path_buf()).or_insert_with(|| {
            // An azd project's `azure.yaml` sits at the root of everything it deploys.
            let repo = dir.join(".git").exists()
                || dir.join(".plumbline.toml").is_file()
                || dir.join("azure.yaml").is_file()
                || dir.join("azure.yml").is_file();
            let compose = std::fs::read_dir(dir).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| detect::by_name(Path::new(n)) == Some(Format::Compose))
                })
            });
            (repo, compose)
        })
    };
    files
        .iter()
        .map(|f| {
            let file = normalize(&absolute(f));
            let mut dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
            // The outermost directory with a Compose file: a per-service dev Compose file
            // (`src/api/docker-compose.yml`) does not split a repository whose root has one.
            let mut outermost_compose: Option<PathBuf> = None;
            loop {
                let (repo, compose) = marks(&dir);
                if repo {
                    return (dir, true);
                }
                if compose {
                    outermost_compose = Some(dir.clone());
                }
                let at_root = roots.contains(&dir);
                match dir.parent() {
                    Some(p) if !at_root => dir = p.to_path_buf(),
                    _ => {
                        return match outermost_compose {
                            Some(c) => (c, true),
                            // Unmarked up to the scan root: the first directory below it,
                            // so the trees side by side under a root are not one project.
                            None => {
                                let below = file
                                    .strip_prefix(&dir)
                                    .ok()
                                    .and_then(|rel| rel.components().next())
                                    .filter(|_| file.parent() != Some(dir.as_path()));
                                (below.map_or(dir.clone(), |c| dir.join(c)), false)
                            }
                        };
                    }
                }
            }
        })
        .collect()
}

/// The repository a directory is in: the nearest directory at or above it that holds `.git`
/// (a directory, or the file a worktree or submodule has). `None` outside any repository.
pub fn repository_root(dir: &Path) -> Option<PathBuf> {
    let dir = normalize(&absolute(dir));
    dir.ancestors()
        .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
        .map(Path::to_path_buf)
}

/// The projects a changed-files run must read so that the named files are checked in
/// context: for each named file (not directory) below a project marker (`.git`,
/// `.plumbline.toml`, `azure.yaml`, or a Compose file above it), that project's directory,
/// searched no higher than `ceiling` (the working directory, when the file is below it). A
/// file with no marker above it has no project to read. `buffer` is a file named whose text
/// was given (standard input), which need not exist on disk.
pub fn context_roots(paths: &[PathBuf], ceiling: &Path, buffer: Option<&Path>) -> Vec<PathBuf> {
    let files: Vec<&Path> = paths
        .iter()
        .filter(|p| buffer == Some(p.as_path()) || std::fs::metadata(p).is_ok_and(|m| m.is_file()))
        .map(PathBuf::as_path)
        .collect();
    if files.is_empty() {
        return Vec::new();
    }
    let ceiling = normalize(&absolute(ceiling));
    let mut roots: Vec<PathBuf> = files
        .iter()
        .zip(projects(&files, std::slice::from_ref(&ceiling)))
        .filter(|(_, (_, marked))| *marked)
        .map(|(_, (dir, _))| dir)
        .collect();
    roots.sort();
    roots.dedup();
    // A project inside another is read with it.
    let outer = roots.clone();
    roots.retain(|r| !outer.iter().any(|o| o != r && r.starts_with(o)));
    roots
}
