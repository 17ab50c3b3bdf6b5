//! Kustomize in a run: which kustomization files are roots (each an environment, built as one
//! unit), and which files the roots consume (bases, patches, generator inputs, components),
//! which are then checked through the roots that use them rather than on their own.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Loaded;
use crate::render::kustomize::{self, Build, Files, Options};
use crate::source::files::DiskFiles;
use crate::source::{ErrorKind, FileError, Format, SourceFile, absolute, normalize, project};

/// The Kustomize roots of a run and the files they consume, by normalized absolute path.
#[derive(Default)]
pub struct Roots {
    /// Each root's kustomization file → the directory nothing above which is read.
    roots: HashMap<PathBuf, PathBuf>,
    consumed: HashSet<PathBuf>,
    /// Each root's resource manifests (its own and its bases'), for a root that cannot be built.
    resources: HashMap<PathBuf, Vec<PathBuf>>,
    /// Chart directories `helmCharts` entries render: their files are checked through the
    /// roots.
    charts: Vec<PathBuf>,
    /// Files that are Kustomize configuration rather than manifests: patches, generator inputs,
    /// transformer configurations.
    config: HashSet<PathBuf>,
    /// What planning found: kustomizations that cannot be read, Components no root uses.
    pub diagnostics: Vec<kustomize::Diagnostic>,
}

impl Roots {
    /// Finds the roots among the run's kustomization files (reading what they include, through
    /// `files`). Kustomizations are grouped by repository, so nothing is read outside the
    /// repository of the kustomization that names it.
    pub fn plan(loaded: &[Loaded], files: &RunFiles, scan_roots: &[PathBuf]) -> Roots {
        let mut by_repo: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
        for (f, _) in loaded {
            if f.format == Format::Kustomization {
                let path = key(&f.path);
                let repo = repository_of(&path, scan_roots);
                by_repo.entry(repo).or_default().push(path);
            }
        }
        let mut out = Roots::default();
        let mut repos: Vec<_> = by_repo.into_iter().collect();
        repos.sort();
        for (repo, mut kfiles) in repos {
            kfiles.sort();
            let plan = kustomize::plan(files, &kfiles, &Options::new(&repo));
            for root in &plan.roots {
                out.roots.insert(key(&root.file), repo.clone());
            }
            for u in &plan.uses {
                if u.role == kustomize::Role::HelmChart {
                    out.charts.push(key(&u.path));
                    continue;
                }
                out.consumed.insert(key(&u.path));
                if matches!(
                    u.role,
                    kustomize::Role::Patch
                        | kustomize::Role::GeneratorInput
                        | kustomize::Role::TransformerConfig
                ) {
                    out.config.insert(key(&u.path));
                }
                if u.role == kustomize::Role::Resource
                    && let Some(root) = plan.roots.get(u.root)
                {
                    out.resources
                        .entry(key(&root.file))
                        .or_default()
                        .push(key(&u.path));
                }
            }
            out.diagnostics.extend(plan.diagnostics);
        }
        // A root is built, not consumed, even where another root's plan touched it.
        for r in out.roots.keys() {
            out.consumed.remove(r);
        }
        out
    }

    /// The repository root to build `file` within, when it is a root.
    pub fn root(&self, file: &Path) -> Option<&Path> {
        self.roots.get(&key(file)).map(PathBuf::as_path)
    }

    /// The run's files with the Kustomize configuration among them (patches, generator inputs)
    /// read as what it is, [`Format::Kustomization`], whatever its content looked like: a
    /// finding in a patch is a finding in Kustomize.
    pub fn retype(&self, loaded: &mut [Loaded]) {
        if self.config.is_empty() {
            return;
        }
        for (f, _) in loaded.iter_mut() {
            if f.format != Format::Kustomization && self.config.contains(&key(&f.path)) {
                *f = Arc::new(SourceFile::new(
                    f.path.clone(),
                    f.display_path.clone(),
                    Format::Kustomization,
                    f.text.clone(),
                ));
            }
        }
    }

    /// Whether `file` is used by a root (a base, a patch, an input), and so checked through it.
    pub fn consumes(&self, file: &Path) -> bool {
        if self.consumed.is_empty() && self.charts.is_empty() {
            return false;
        }
        let file = key(file);
        self.consumed.contains(&file) || self.charts.iter().any(|d| file.starts_with(d))
    }
}

/// Builds the root whose kustomization is `file`, reading nothing outside `repo`.
pub fn build(files: &RunFiles, file: &Path, repo: &Path) -> Build {
    let file = key(file);
    let dir = file.parent().unwrap_or(Path::new("/"));
    let mut opts = Options::new(repo);
    opts.helm = Some(&kustomize::HelmCharts);
    kustomize::build(files, dir, &opts)
}

/// The documents of the manifests the root of kustomization `file` names as resources (its
/// bases' included), as written: what is checked of a root that could not be built.
pub fn resources_as_written(
    roots: &Roots,
    files: &RunFiles,
    file: &Path,
) -> Vec<crate::parse::yaml::Node> {
    let mut seen = HashSet::new();
    let mut docs = Vec::new();
    for path in roots.resources.get(&key(file)).into_iter().flatten() {
        if seen.insert(path)
            && let Ok(f) = files.read(path)
        {
            docs.extend(crate::parse::yaml::load(&f).docs);
        }
    }
    docs
}

fn key(path: &Path) -> PathBuf {
    normalize(&absolute(path))
}

/// The repository a kustomization is in; outside any, the scan root it was found under (or
/// its own directory), so that a tree without `.git` still cannot be left.
fn repository_of(file: &Path, scan_roots: &[PathBuf]) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("/"));
    if let Some(repo) = project::repository_root(dir) {
        return repo;
    }
    scan_roots
        .iter()
        .map(|r| key(r))
        .map(|r| if r == file { dir.to_path_buf() } else { r })
        .filter(|r| file.starts_with(r))
        .min_by_key(|r| r.components().count())
        .unwrap_or_else(|| dir.to_path_buf())
}

/// The files a run's Kustomize builds read: those the run already read (the same text, the
/// same [`SourceFile`], so findings, suppressions and frames agree), else the disk with the
/// run's limits.
pub struct RunFiles {
    loaded: HashMap<PathBuf, Arc<SourceFile>>,
    disk: DiskFiles,
}

impl RunFiles {
    pub fn new(loaded: &[Loaded], max_bytes: u64, cwd: &Path) -> RunFiles {
        RunFiles {
            loaded: loaded
                .iter()
                .map(|(f, _)| (key(&f.path), Arc::clone(f)))
                .collect(),
            disk: DiskFiles::new(max_bytes, cwd),
        }
    }

    /// Whether the run read `path` itself (it was not excluded, ignored or left out).
    pub fn is_loaded(&self, path: &Path) -> bool {
        self.loaded.contains_key(&key(path))
    }
}

impl Files for RunFiles {
    fn read(&self, path: &Path) -> Result<Arc<SourceFile>, String> {
        match self.loaded.get(&key(path)) {
            Some(f) => Ok(Arc::clone(f)),
            None => self.disk.read(path),
        }
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.disk.is_dir(path)
    }

    fn exists(&self, path: &Path) -> bool {
        self.loaded.contains_key(&key(path)) || self.disk.exists(path)
    }

    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        self.disk.list(dir)
    }

    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        match self.loaded.get(&key(path)) {
            Some(f) => Ok(f.text.clone().into_bytes()),
            None => self.disk.read_bytes(path),
        }
    }
}

/// A Kustomize build's diagnostic as a run's error, at its place.
pub fn error(d: &kustomize::Diagnostic, cwd: &Path) -> FileError {
    located(d.severity, &d.message, &d.at, cwd)
}

/// A renderer's diagnostic (Kustomize or Helm) as a run's error, at its place.
/// Paths in its message (the renderers' wording names them) are shown as every other path
/// is: relative to the working directory.
pub fn located(
    severity: crate::render::Severity,
    message: &str,
    at: &crate::source::Origin,
    cwd: &Path,
) -> FileError {
    use crate::render::Severity;
    let kind = match severity {
        Severity::Error => ErrorKind::Parse,
        Severity::Limit => ErrorKind::Limit,
        Severity::NotChecked | Severity::Warning => ErrorKind::Note,
    };
    FileError {
        kind,
        path: at.file.display_path.clone(),
        location: Some((Arc::clone(&at.file), at.span)),
        message: relative_paths(message, cwd),
    }
}

/// `message` with the working directory's absolute path cut from the paths it names.
fn relative_paths(message: &str, cwd: &Path) -> String {
    let cwd = key(cwd);
    let prefix = format!("{}/", cwd.display());
    if cwd.parent().is_none() || !message.contains(&prefix) {
        return message.to_string();
    }
    message.replace(&prefix, "")
}
