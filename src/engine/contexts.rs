//! Build contexts: the directory each Dockerfile is built from, which decides the
//! `.dockerignore` that applies (BuildKit reads `<Dockerfile>.dockerignore` beside the
//! Dockerfile, else `.dockerignore` at the context's root) and whether `.git` is in it.
//!
//! Evidence, strongest first:
//! 1. a Compose `build:` (`context`, `dockerfile` relative to it) or an azd service
//!    (`project`, `docker.context` and `docker.path` relative to it) that builds the Dockerfile;
//! 2. a `.dockerignore` beside the Dockerfile (it is built from its own directory);
//! 3. the nearest directory above it that holds a `.dockerignore` and that the Dockerfile's
//!    `COPY`/`ADD` sources are written relative to (`COPY src/Services/Basket/…` in
//!    `src/Services/Basket/Basket.API/Dockerfile` is built from the directory holding `src/`);
//! 4. else its own directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Loaded;
use crate::model::Document;
use crate::parse::dockerfile::InstructionKind;
use crate::parse::yaml;
use crate::source::side::{self, SideFiles};
use crate::source::{Format, absolute, normalize};

/// How many directories above a Dockerfile are considered as its context.
const MAX_ANCESTORS: usize = 8;

/// The build contexts named for Dockerfiles by the run's Compose and azd files.
#[derive(Debug, Default)]
pub struct Contexts {
    /// Dockerfile (normalized absolute path) → its contexts (same form), in the order met.
    named: HashMap<PathBuf, Vec<PathBuf>>,
}

/// A Dockerfile's build context, decided.
#[derive(Debug, Clone)]
pub struct Context {
    pub dir: PathBuf,
}

impl Contexts {
    /// Reads the `build:` of every Compose service and the `docker` of every azd service.
    pub fn collect(loaded: &[Loaded]) -> Contexts {
        let mut c = Contexts::default();
        for (file, _) in loaded {
            match file.format {
                Format::Compose => c.compose(file),
                Format::Azd => c.azd(file),
                _ => {}
            }
        }
        c
    }

    fn add(&mut self, dockerfile: PathBuf, context: PathBuf) {
        let list = self.named.entry(key(&dockerfile)).or_default();
        let context = key(&context);
        if !list.contains(&context) {
            list.push(context);
        }
    }

    fn compose(&mut self, file: &std::sync::Arc<crate::source::SourceFile>) {
        let stream = yaml::load(file);
        let Some(services) = stream.docs.first().and_then(|d| d.get("services")) else {
            return;
        };
        for (_, entry) in services.entries() {
            let Some(build) = entry.value.get("build") else {
                continue;
            };
            let (context, dockerfile) = match build.as_str() {
                Some(ctx) => (Some(ctx), None),
                None => (
                    build.get("context").and_then(yaml::Node::as_str),
                    build.get("dockerfile").and_then(yaml::Node::as_str),
                ),
            };
            let context = context.unwrap_or(".");
            if [context, dockerfile.unwrap_or("")]
                .iter()
                .any(|t| t.contains('$') || t.contains("://"))
            {
                continue;
            }
            let dir = file.dir().join(context);
            let df = dir.join(dockerfile.unwrap_or("Dockerfile"));
            self.add(df, dir);
        }
    }

    fn azd(&mut self, file: &std::sync::Arc<crate::source::SourceFile>) {
        let stream = yaml::load(file);
        let project = crate::parse::azd::read(file, &stream.docs);
        for s in &project.services {
            if !s.builds_image() {
                continue;
            }
            let base = file
                .dir()
                .join(s.project.as_ref().map_or(".", |p| p.value.as_str()));
            let df = base.join(
                s.dockerfile
                    .as_ref()
                    .map_or("Dockerfile", |d| d.value.as_str()),
            );
            let dir = base.join(s.context.as_ref().map_or(".", |c| c.value.as_str()));
            self.add(df, dir);
        }
    }

    /// The side files a Dockerfile's possible contexts need read: their `.dockerignore` and
    /// `.git`, for every context named and every directory above it (bounded).
    pub fn side_paths(&self, dockerfile: &Path) -> Vec<PathBuf> {
        let mut out = side::dockerignore_candidates(dockerfile);
        out.push(side::git_dir(dockerfile.parent().unwrap_or(Path::new(""))));
        for ctx in self.named.get(&key(dockerfile)).into_iter().flatten() {
            out.push(ctx.join(".dockerignore"));
            out.push(side::git_dir(ctx));
        }
        for dir in dockerfile
            .parent()
            .into_iter()
            .flat_map(Path::ancestors)
            .skip(1)
            .take(MAX_ANCESTORS)
        {
            if dir.as_os_str().is_empty() {
                break;
            }
            out.push(dir.join(".dockerignore"));
            out.push(side::git_dir(dir));
        }
        out
    }

    /// The context a Dockerfile is built from (see the module doc).
    pub fn of(&self, dockerfile: &Path, doc: &Document, side: &SideFiles) -> Context {
        let own = dockerfile.parent().unwrap_or(Path::new("")).to_path_buf();
        if let Some(first) = self.named.get(&key(dockerfile)).and_then(|c| c.first()) {
            return Context { dir: first.clone() };
        }
        if side.exists(&own.join(".dockerignore")) {
            return Context { dir: own };
        }
        let sources = copy_sources(doc);
        for dir in own.ancestors().skip(1).take(MAX_ANCESTORS) {
            if dir.as_os_str().is_empty() || !side.exists(&dir.join(".dockerignore")) {
                continue;
            }
            let Ok(rel) = own.strip_prefix(dir) else {
                continue;
            };
            let Some(first) = rel.components().next() else {
                continue;
            };
            let first = first.as_os_str().to_string_lossy();
            if sources
                .iter()
                .any(|s| s.trim_start_matches("./").split('/').next() == Some(first.as_ref()))
            {
                return Context {
                    dir: dir.to_path_buf(),
                };
            }
        }
        Context { dir: own }
    }
}

/// The `COPY`/`ADD` sources of a Dockerfile that come from the build context (not another
/// stage, not a URL).
fn copy_sources(doc: &Document) -> Vec<String> {
    let Document::Dockerfile(df) = doc else {
        return Vec::new();
    };
    df.instructions
        .iter()
        .filter(|i| i.flag("from").is_none())
        .filter_map(|i| match &i.kind {
            InstructionKind::Copy(c) | InstructionKind::Add(c) => Some(c),
            _ => None,
        })
        .flat_map(|c| c.sources.iter().map(|w| w.text.clone()))
        .filter(|s| !s.contains("://") && !s.starts_with('/') && !matches!(s.as_str(), "." | "./"))
        .collect()
}

fn key(path: &Path) -> PathBuf {
    normalize(&absolute(path))
}
