//! Kustomize, built in process with kustomize v5 semantics (as `kubectl kustomize` 1.31,
//! kustomize v5.4.2, builds), keeping the origin of every value.
//!
//! # What it does
//!
//! [`build`] reads a kustomization root through [`Files`] and returns its objects as YAML
//! trees ([`Build::objects`]) whose every node says where its value was set: a base
//! manifest's line when untouched, the patch's line when a patch set it, the `images:`
//! entry's `newTag`/`newName`/`digest` when the images transformer changed an image, the
//! `replicas:` entry, the generator literal or env-file line for generated data. When a
//! value replaced another, [`Build::replaced`] keeps the pair (new origin, replaced origin)
//! so that a finding on the overlay can name the base line as related.
//!
//! [`plan`] takes every kustomization file of a run and finds the **roots** (kustomizations
//! no other one includes) and, for each root, the **role** of every file it uses, so the
//! caller can stop checking patches and generator inputs as standalone manifests, check
//! base manifests through the roots that build them, and check a base that no overlay
//! includes as its own root.
//!
//! ```no_run
//! use std::path::{Path, PathBuf};
//! use plumbline::render::kustomize::{self, Options, Role};
//! use plumbline::source::files::DiskFiles;
//!
//! let files = DiskFiles::new(10 << 20, "/repo");
//! let opts = Options::new("/repo");
//! let found: Vec<PathBuf> = vec!["/repo/deploy/base/kustomization.yaml".into(),
//!                                "/repo/deploy/overlays/prod/kustomization.yaml".into()];
//! let plan = kustomize::plan(&files, &found, &opts);
//! for root in &plan.roots {
//!     let built = kustomize::build(&files, &root.dir, &opts);
//!     // built.objects: the manifests of environment `root.environment` ("prod");
//!     // built.replaced: (overlay origin, base origin) pairs for related locations;
//!     // built.diagnostics: located errors, limits and "not checked" notes.
//! }
//! // Files used only as patches or generator inputs are not manifests of their own:
//! let skip: Vec<&Path> = plan.uses.iter()
//!     .filter(|u| matches!(u.role, Role::Patch | Role::GeneratorInput))
//!     .map(|u| u.path.as_path()).collect();
//! ```
//!
//! # What it must not do
//!
//! No file I/O (everything is read through [`Files`]), no network (remote resources are
//! reported as not checked), no rule, no printing. It never panics on any input, and its
//! work is bounded ([`Limits`]): include depth, objects, patches, loaded kustomizations and
//! object size each stop a root with a located `limit` error, and the other roots still
//! build.
//!
//! # Loading rules
//!
//! As kustomize's default load restrictor (`LoadRestrictionsRootOnly`): a file a
//! kustomization reads (a resource file, a patch, a generator input) must be in or below the
//! kustomization's directory; a directory named in `resources`/`components` may be anywhere
//! (it is a kustomization root of its own) but a root that contains a root being built is a
//! cycle. Nothing is read outside [`Options::repo_root`].

mod build;
mod generators;
mod helm_charts;
mod json6902;
mod kustomization;
mod reader;
mod replacements;
mod resource;
mod select;
mod strategic_merge;
mod transformers;
mod vars;

#[cfg(test)]
pub(crate) mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::parse::yaml::Node;
pub use crate::source::files::Files;
use crate::source::{Origin, SourceFile};
pub use helm_charts::HelmCharts;

/// Renders one `helmCharts` entry for the builder (the Helm renderer lives elsewhere).
/// Without one, each entry is reported as "not checked: helmCharts needs the Helm renderer".
pub trait HelmRenderer: Sync {
    /// `dir` is the kustomization's directory, `chart` its `helmCharts` entry (`name`,
    /// `repo`, `version`, `releaseName`, `namespace`, `valuesInline`, `valuesFile`…) and
    /// `globals` its `helmGlobals` (`chartHome`). Returns the rendered manifests and notes on
    /// what was not checked, or why it could not render.
    fn render(
        &self,
        dir: &Path,
        chart: &Node,
        globals: Option<&Node>,
        files: &dyn Files,
    ) -> Result<HelmOutput, HelmFailure>;
}

/// What a `helmCharts` entry deploys.
#[derive(Debug, Default)]
pub struct HelmOutput {
    pub docs: Vec<Node>,
    /// Parts not checked (a `required` value nobody gives, a dependency not vendored).
    pub notes: Vec<(String, Origin)>,
}

/// Why a `helmCharts` entry was not rendered.
#[derive(Debug)]
pub enum HelmFailure {
    /// kustomize would fetch the chart (it is not under the chart home): a note, and the
    /// rest of the root is built.
    NotChecked(String),
    /// kustomize (or Helm) refuses it: the root fails, as `kustomize build` does.
    Invalid(String),
}

/// Bounds on the work of one build.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Nesting of kustomizations (resources, bases, components).
    pub depth: usize,
    /// Objects in one build.
    pub objects: usize,
    /// Patches (entries, and operations of JSON patches) applied in one build.
    pub patches: usize,
    /// Kustomization files loaded in one build (a base shared along many paths counts
    /// each time, as kustomize loads it each time).
    pub kustomizations: usize,
    /// Nodes in one object (JSON patch `copy` can double an object at each operation).
    pub object_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            depth: 30,
            objects: 100_000,
            patches: 10_000,
            kustomizations: 2_000,
            object_nodes: 1_000_000,
        }
    }
}

/// How to build.
pub struct Options<'a> {
    /// Nothing above this directory is read.
    pub repo_root: PathBuf,
    pub helm: Option<&'a dyn HelmRenderer>,
    pub limits: Limits,
}

impl Options<'_> {
    pub fn new(repo_root: impl Into<PathBuf>) -> Self {
        Self {
            repo_root: repo_root.into(),
            helm: None,
            limits: Limits::default(),
        }
    }
}

/// What a file is to a root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A kustomization file (the root's, or one it includes by `resources`/`bases`).
    Kustomization,
    /// A `kind: Component` kustomization named in `components`.
    Component,
    /// A manifest named in `resources`: its objects are part of what is deployed.
    Resource,
    /// A patch file (`patches[].path`, `patchesStrategicMerge`, `patchesJson6902`).
    Patch,
    /// A file or env file a ConfigMap or Secret generator reads.
    GeneratorInput,
    /// A transformer configuration or replacements file.
    TransformerConfig,
    /// The directory of a chart a `helmCharts` entry renders: its files are checked through
    /// the roots that render it.
    HelmChart,
}

/// One file a root uses.
#[derive(Debug, Clone)]
pub struct Use {
    pub path: PathBuf,
    pub role: Role,
    /// The entry that names it (absent for the root's own kustomization).
    pub at: Option<Origin>,
}

/// What went wrong or was left out, always at a place (shared with the Helm renderer).
pub use crate::render::Severity;

/// The kind of an error, to compare with kustomize's refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A file or directory that does not exist.
    Missing,
    /// YAML that cannot be read.
    Yaml,
    /// A field of a kustomization unknown or of the wrong type.
    Field,
    /// A patch (or `replicas`, `replacements`) that matches no object.
    NoMatch,
    /// Two objects with one id.
    Duplicate,
    /// A kustomization that includes itself.
    Cycle,
    /// A file outside what the load restrictor allows.
    Restricted,
    /// Any other invalid input.
    Invalid,
    /// A bound on the work.
    Limit,
    /// Not checked (remote, Helm, unsupported field).
    NotChecked,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub class: Class,
    pub message: String,
    pub at: Origin,
}

impl Diagnostic {
    pub(crate) fn error(class: Class, message: String, at: Origin) -> Self {
        let severity = if class == Class::Limit {
            Severity::Limit
        } else {
            Severity::Error
        };
        Self {
            severity,
            class,
            message,
            at,
        }
    }

    pub(crate) fn note(message: String, at: Origin) -> Self {
        Self {
            severity: Severity::NotChecked,
            class: Class::NotChecked,
            message,
            at,
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self.severity, Severity::Error | Severity::Limit)
    }
}

/// A value a transformer or patch set in place of another: `new` is where the new value was
/// written (the overlay line), `old` where the replaced one was (the base line).
#[derive(Debug, Clone)]
pub struct Replaced {
    /// What changed (`image`, `replicas`, `strategic merge patch`, `JSON patch replace
    /// /spec/…`, `namespace`, `label app`…).
    pub what: String,
    pub new: Origin,
    pub old: Origin,
    /// The value was removed, not replaced (a JSON patch `remove`, a strategic merge `null`
    /// or `$patch: delete`): `new` is the patch entry that removed it, and `key` the key it
    /// was under (`resources`).
    pub removed: Option<String>,
}

/// One root, built.
#[derive(Debug, Clone)]
pub struct Build {
    /// The root's directory.
    pub dir: PathBuf,
    /// Its kustomization file, when it could be read.
    pub kustomization: Option<Arc<SourceFile>>,
    /// The environment the root is ([`environment_name`]).
    pub environment: String,
    /// The objects, in kustomize's output order (its legacy kind order). Empty when the
    /// build failed: a root kustomize refuses deploys nothing.
    pub objects: Vec<Node>,
    pub replaced: Vec<Replaced>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every file the build read, with its role.
    pub uses: Vec<Use>,
}

impl Build {
    pub fn ok(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// A root found by [`plan`].
#[derive(Debug, Clone)]
pub struct Root {
    pub dir: PathBuf,
    pub file: PathBuf,
    pub environment: String,
}

/// A file used by a root, found by [`plan`].
#[derive(Debug, Clone)]
pub struct PlannedUse {
    pub path: PathBuf,
    pub role: Role,
    /// Index into [`Plan::roots`].
    pub root: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub roots: Vec<Root>,
    pub uses: Vec<PlannedUse>,
    /// Kustomization files that could not be read (they are roots of their own, and their
    /// build reports the same error).
    pub diagnostics: Vec<Diagnostic>,
}

/// The environment a root builds: its directory's name (`overlays/prod` → `prod`). A root
/// directly in a directory whose name says nothing about an environment (`kustomize`,
/// `deploy`, `base`, `k8s`, `kubernetes`, `manifests`, or a directory named like the
/// kustomization format itself) is the `default` environment, as a Helm chart's own
/// `values.yaml` is.
pub fn environment_name(dir: &Path) -> String {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.as_str() {
        ""
        | "."
        | "kustomize"
        | "kustomization"
        | "deploy"
        | "deployment"
        | "base"
        | "bases"
        | "k8s"
        | "kube"
        | "kubernetes"
        | "manifests"
        | "kubernetes-manifests" => "default".into(),
        _ => name,
    }
}

/// A built object (or any YAML tree) as data: plain scalars typed as YAML types them
/// (`8080` a number, `"8080"` a string), mappings with string keys. What the differential
/// test compares, and what kustomize's hash is computed over.
pub fn data(node: &Node) -> serde_json::Value {
    resource::to_json(node)
}

/// Builds the kustomization root in `dir`.
pub fn build(files: &dyn Files, dir: &Path, opts: &Options<'_>) -> Build {
    build::Builder::new(files, opts).run(dir)
}

/// Finds the roots among `kustomizations` (paths of kustomization files) and the role of
/// every file each root uses.
pub fn plan(files: &dyn Files, kustomizations: &[PathBuf], opts: &Options<'_>) -> Plan {
    build::plan(files, kustomizations, opts)
}
