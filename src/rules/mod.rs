//! Rules: the registry, and the context they read.
//!
//! A rule is one file under its family's folder, named after the rule; build.rs declares it
//! and registers it from its catalogue entry (`rules/<ID>.toml` at the repository root: id,
//! name, family, default severity, documentation). It reads one unit's document from
//! [`crate::model`] (and, for cross-file rules, the service graph) and yields findings through
//! a [`Sink`]. Rules never parse, print or touch the file system. A test fails when a rule
//! lacks its catalogue entry, docs page or fixtures, or lists a format it has no fixture for.

pub mod bicep;
pub mod compose;
pub mod docker;
pub mod non_root;
pub mod pinned_versions;
pub mod probe_port_alignment;
pub mod resource_limits;
pub mod secrets;
pub mod terraform;
pub mod workload;

use std::sync::Arc;

pub use crate::catalogue::RuleMeta;

use crate::finding::{Finding, Location, Related};
use crate::model::Document;
use crate::source::{SourceFile, Span};

/// What a rule sees of one file.
pub struct FileContext<'a> {
    pub file: &'a Arc<SourceFile>,
    pub doc: &'a Document,
    /// For a Dockerfile: the `.dockerignore` that applies to its build context, if any.
    pub dockerignore: Option<&'a crate::parse::dockerignore::Dockerignore>,
    /// For a Dockerfile: whether its directory (the build context we assume) holds `.git`,
    /// i.e. is the root of a checkout whose history a `COPY . .` would ship.
    pub context_has_git: bool,
    /// For a Dockerfile: the directory it is built from (its Compose or azd build context,
    /// else as its `.dockerignore` and `COPY` sources imply), as shown to the user.
    pub build_context: Option<String>,
    /// The `.plumbline.toml` governing the file (rule settings such as the tag precision).
    pub config: &'a crate::config::Config,
}

/// Collects a rule's findings for one file.
pub struct Sink<'a> {
    meta: &'static RuleMeta,
    file: &'a Arc<SourceFile>,
    findings: Vec<Finding>,
}

impl<'a> Sink<'a> {
    pub fn new(meta: &'static RuleMeta, file: &'a Arc<SourceFile>) -> Self {
        Self {
            meta,
            file,
            findings: Vec::new(),
        }
    }

    /// Reports a finding at `span` of the current file and returns it for adding related
    /// locations or secret spans.
    pub fn report(&mut self, span: Span, message: impl Into<String>) -> &mut Finding {
        self.findings.push(Finding::new(
            self.meta,
            Location {
                file: Arc::clone(self.file),
                span,
            },
            message.into(),
        ));
        self.findings.last_mut().expect("just pushed")
    }

    /// Reports a finding at a value's origin, which may be in another file of the document
    /// (a Compose override, a Helm values overlay).
    pub fn report_at(&mut self, at: &Location, message: impl Into<String>) -> &mut Finding {
        self.findings
            .push(Finding::new(self.meta, at.clone(), message.into()));
        self.findings.last_mut().expect("just pushed")
    }

    /// How many findings the rule has reported so far.
    pub fn len(&self) -> usize {
        self.findings.len()
    }

    /// Whether the rule has reported nothing so far.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// The findings reported after the first `n`, to add to them.
    pub fn since(&mut self, n: usize) -> &mut [Finding] {
        let n = n.min(self.findings.len());
        &mut self.findings[n..]
    }

    /// A related location anywhere.
    pub fn related(&self, at: &Location, message: impl Into<String>) -> Related {
        Related {
            location: at.clone(),
            message: message.into(),
        }
    }

    /// A related location in the current file.
    pub fn related_here(&self, span: Span, message: impl Into<String>) -> Related {
        Related {
            location: Location {
                file: Arc::clone(self.file),
                span,
            },
            message: message.into(),
        }
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

/// One check. An implementation is a unit struct named after its rule, in a file named after
/// it (`base-image-unpinned` is `BaseImageUnpinned` in `pinned_versions/base_image_unpinned.rs`),
/// which build.rs registers under the id its `rules/<ID>.toml` gives. A rule reads one
/// document at a time (`check_file`), or the service graph of the whole run (`check_graph`,
/// for rules that compare a service's layers across files), or both.
pub trait Rule: Send + Sync {
    /// Checks one parsed file.
    fn check_file(&self, _ctx: &FileContext<'_>, _sink: &mut Sink<'_>) {}

    /// Checks the services of the run, each linked across its files.
    fn check_graph(&self, _graph: &crate::graph::Graph, _sink: &mut GraphSink) {}
}

/// Collects a cross-file rule's findings: each at the layer that disagrees, with the layers
/// it disagrees with as related locations.
pub struct GraphSink {
    meta: &'static RuleMeta,
    findings: Vec<Finding>,
}

impl GraphSink {
    pub fn new(meta: &'static RuleMeta) -> Self {
        Self {
            meta,
            findings: Vec::new(),
        }
    }

    pub fn report_at(&mut self, at: &Location, message: impl Into<String>) -> &mut Finding {
        self.findings
            .push(Finding::new(self.meta, at.clone(), message.into()));
        self.findings.last_mut().expect("just pushed")
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

include!(concat!(env!("OUT_DIR"), "/rules/registry.rs"));

/// Every rule implemented in Rust, by id, in id order. The suppression rules (`SUP*`) are the
/// engine's ([`crate::suppress`]).
pub fn registry() -> &'static [(&'static str, &'static dyn Rule)] {
    REGISTRY
}

/// The rule implementation for an id.
pub fn rule(id: &str) -> Option<&'static dyn Rule> {
    REGISTRY
        .binary_search_by(|(i, _)| (*i).cmp(id))
        .ok()
        .map(|at| REGISTRY[at].1)
}
