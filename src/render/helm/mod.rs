//! Helm charts rendered in process as `helm template` (Helm 3.17.3) renders them, per
//! environment, every rendered value keeping the values-file line or template line it came
//! from.
//!
//! # What it does
//!
//! [`render`] loads a chart through [`Files`] as Helm loads it (`Chart.yaml` v1/v2,
//! `requirements.yaml`, `values.yaml`, `templates/`, the other files for `.Files` with
//! `.helmignore`, `crds/`, subcharts in `charts/` as directories and `.tgz` archives), and for
//! each [`EnvSpec`] computes the values as Helm does (`-f` files merged in order, `--set`,
//! dependency `condition`/`tags`/`alias`, `import-values`, `CoalesceValues` with `global`
//! copied down to subcharts), renders every template with our Go template engine
//! ([`template`]) and reads each output as YAML ([`RenderedDoc`]).
//!
//! Every node of a rendered document points at its **origin** ([`remap`]): a scalar at the
//! values-file node that set it (the overlay's line when the overlay won; a `--set` at its
//! `.plumbline.toml` entry; `appVersion` in `Chart.yaml`; a `.Files` file), else at the
//! template literal or text that wrote it, else at the template action; a mapping or a
//! sequence at where the template wrote its first key or item. [`RenderedEnv::written_by`]
//! pairs each value origin with the template action that printed it, so a finding on a
//! values line can name the template line as a related location.
//!
//! ```no_run
//! use std::path::Path;
//! use plumbline::render::helm::{self, Options};
//! use plumbline::source::files::DiskFiles;
//!
//! let files = DiskFiles::new(10 << 20, "/repo");
//! let chart = Path::new("/repo/deploy/chart");
//! let envs = helm::conventional_environments(&files, chart); // default + values-<env>.yaml
//! let out = helm::render(&files, chart, &envs, &Options::default());
//! for env in &out.environments {
//!     for doc in &env.documents {
//!         // doc.node: one manifest; its nodes' file/span point at values or template lines
//!     }
//!     // env.written_by: (values origin, template action) pairs for related locations
//!     // env.diagnostics: template errors at their line, `required` values not given…
//! }
//! ```
//!
//! # Choices, where `helm template` does otherwise
//!
//! - Helm stops at the first error; we report each at its place and go on: a template that
//!   does not parse or fails is one `Error` diagnostic (the other templates, environments and
//!   charts still render), `required` without a value renders as unknown with a `NotChecked`
//!   diagnostic naming the value and where it is required, a dependency missing from
//!   `charts/` (which makes `helm template` refuse the chart) is rendered without, with a
//!   `NotChecked` diagnostic at its `Chart.yaml` entry, a subchart that cannot be loaded is
//!   left out with an `Error`.
//! - Values only the install knows (random passwords, generated certificates, `now`, DNS,
//!   `lookup`) are unknown and print as [`template::UNKNOWN_TEXT`] (`⦃unknown⦄`); rules take a
//!   scalar holding it as templated, never as a literal.
//! - `.Release.Name` is `release-name` and `.Release.Namespace` `default`, as `helm template
//!   CHART` without a name gives them ([`Options`] changes both); `.Capabilities` are
//!   `helm template`'s defaults (Kubernetes v1.32.0 and its API versions), or what
//!   `--kube-version` and `--api-versions` make of them ([`capabilities`]).
//! - CRDs in `crds/` are not rendered, as `helm template` without `--include-crds` does
//!   ([`Options::include_crds`] adds them, as written). `NOTES.txt` is rendered (its errors
//!   count, and templates may change shared values) but is no document. Hooks and test pods
//!   are documents, as `helm template` prints them.
//! - `values.schema.json` is not checked, and a chart's `kubeVersion` that Kubernetes v1.32.0
//!   does not satisfy is an `Error` diagnostic, yet the chart is rendered.
//!
//! # What it must not do
//!
//! No file I/O but through [`Files`], no network, no rule, no printing; never panics on any
//! input, and bounds all work ([`Limits`]): files, bytes and archive sizes, subcharts and
//! their nesting, values nodes, template steps, recursion, range iterations and output.
//!
//! # Modules
//!
//! - [`values`]: values files per environment (`values.yaml` as `default`, each
//!   `values.<env>.yaml` / `values-<env>.yaml` overlay on top), merged as YAML trees (what
//!   the static chart reader in `model::helm` uses);
//! - [`template`]: the Go `text/template` engine with Sprig and Helm's functions, built for
//!   provenance (its module doc says why we wrote our own);
//! - `chart`, `archive`, `ignore`: loading; `coalesce`, `strvals`: values; `remap`: output
//!   to located YAML.

pub mod template;
pub mod values;

mod archive;
mod chart;
mod coalesce;
mod ignore;
mod remap;
mod strvals;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use values::{
    EnvValues, ValuesFile, environment_of, environments, is_example_name, lookup, merge, truthy,
};

use crate::parse::yaml::{self, Node};
use crate::render::{Environment, Severity};
use crate::source::files::Files;
use crate::source::{Origin, SourceFile, Span};

use self::coalesce::Budget;
use self::template::{ChartInput, Map, Mark, PreparedChart, RenderOptions, Value};

/// One environment to render: `helm template CHART -f values[0] -f values[1] … --set set[0] …`.
#[derive(Debug, Clone)]
pub struct EnvSpec {
    pub environment: Environment,
    /// Values files in `-f` order (a later file wins). A relative path is taken relative to
    /// the chart's directory.
    pub values: Vec<PathBuf>,
    /// `--set` assignments, applied after the files in order.
    pub set: Vec<SetValue>,
    /// Values written inside another file (a kustomization's `helmCharts[].valuesInline`),
    /// each applied as a `-f` file would be, after the first `after` files of `values`.
    pub inline: Vec<InlineValues>,
}

/// Values given as a YAML mapping inside another file: every value points at its line there.
#[derive(Debug, Clone)]
pub struct InlineValues {
    /// How many of [`EnvSpec::values`] come before it.
    pub after: usize,
    pub file: Arc<SourceFile>,
    /// The mapping's span in `file`.
    pub span: Span,
}

/// A `--set` assignment (`image.tag=1.2.3`) and where it was written (a `.plumbline.toml`
/// entry): every value it sets points there.
#[derive(Debug, Clone)]
pub struct SetValue {
    pub assignment: String,
    pub at: Origin,
}

/// Bounds on the work of one [`render`].
#[derive(Debug, Clone)]
pub struct Limits {
    /// Files in one chart tree (archives' entries included).
    pub files: usize,
    /// Bytes of one file (Helm's limit: 5 MiB).
    pub file_bytes: u64,
    /// Bytes of all files of a chart tree (Helm's limit for an archive: 100 MiB).
    pub total_bytes: u64,
    /// Bytes an archive may unpack to.
    pub archive_bytes: u64,
    /// Charts in one tree (the chart and every subchart).
    pub charts: usize,
    /// Nesting of subcharts.
    pub chart_depth: usize,
    /// Nesting of directories.
    pub depth: usize,
    /// Value nodes visited while computing one environment's values.
    pub value_nodes: u64,
    /// Bounds of each template execution (steps, recursion, range iterations, output).
    pub template: template::Limits,
    /// Output bytes of one environment, all templates together.
    pub output_bytes: usize,
    /// Documents of one environment.
    pub documents: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let template = template::Limits {
            max_output_bytes: 16 << 20,
            ..template::Limits::default()
        };
        Self {
            files: 10_000,
            file_bytes: 5 << 20,
            total_bytes: 100 << 20,
            archive_bytes: 100 << 20,
            charts: 500,
            chart_depth: 16,
            depth: 32,
            value_nodes: 5_000_000,
            template,
            output_bytes: 64 << 20,
            documents: 20_000,
        }
    }
}

/// How to render.
#[derive(Debug, Clone)]
pub struct Options {
    /// `.Release.Name` (`helm template` without a name: `release-name`).
    pub release_name: String,
    /// `.Release.Namespace`.
    pub namespace: String,
    /// Add the manifests of `crds/` (chart and subcharts) as written, as `--include-crds`.
    pub include_crds: bool,
    /// `.Capabilities`: `helm template`'s defaults, or what `--kube-version` and
    /// `--api-versions` make of them ([`capabilities`]).
    pub capabilities: template::Capabilities,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            release_name: "release-name".into(),
            namespace: "default".into(),
            include_crds: false,
            capabilities: template::Capabilities::default(),
            limits: Limits::default(),
        }
    }
}

/// `.Capabilities` as `helm template --kube-version V --api-versions A…` sets them: the
/// version parsed as Helm parses it (a semantic version, `v` and missing parts allowed:
/// `1.29` is `v1.29.0`), the API versions added to the defaults. The error is Helm's.
pub fn capabilities(
    kube_version: Option<&str>,
    api_versions: &[String],
) -> Result<template::Capabilities, String> {
    let mut caps = template::Capabilities::default();
    if let Some(v) = kube_version {
        let sv = template::semver::Version::parse(v)
            .map_err(|e| format!("invalid kube version '{v}': {e}"))?;
        caps.kube_version = template::helm::KubeVersion {
            version: format!("v{}", sv.to_go_string()),
            major: sv.major.to_string(),
            minor: sv.minor.to_string(),
        };
    }
    caps.api_versions.0.extend(api_versions.iter().cloned());
    Ok(caps)
}

/// A problem, always at a place.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub at: Origin,
}

impl Diagnostic {
    pub(crate) fn error(message: String, at: Origin) -> Self {
        Self {
            severity: Severity::Error,
            message,
            at,
        }
    }
    pub(crate) fn limit(message: String, at: Origin) -> Self {
        Self {
            severity: Severity::Limit,
            message,
            at,
        }
    }
    pub(crate) fn note(message: String, at: Origin) -> Self {
        Self {
            severity: Severity::NotChecked,
            message,
            at,
        }
    }
    pub(crate) fn warning(message: String, at: Origin) -> Self {
        Self {
            severity: Severity::Warning,
            message,
            at,
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self.severity, Severity::Error | Severity::Limit)
    }
}

/// A value and the template action that printed it: a finding on the value's line names the
/// template line as related (and the other way round).
#[derive(Debug, Clone)]
pub struct WrittenBy {
    /// The values-file node (or `--set` entry, `Chart.yaml` field, `.Files` file).
    pub value: Origin,
    /// The template action (`{{ .Values.image.tag }}`, or the `include` that reached it).
    pub template: Origin,
}

/// One document of a rendered template.
#[derive(Debug, Clone)]
pub struct RenderedDoc {
    /// The template file that rendered it.
    pub template: Arc<SourceFile>,
    /// The template's whole output, as a file in memory: its display path is Helm's name
    /// of the template (`chart/templates/deployment.yaml`, as after `# Source:`). Nodes
    /// whose origin is unknown point into it.
    pub rendered: Arc<SourceFile>,
    /// The manifest; every node's `file`/`span` is its origin (see the module doc); scalars
    /// keep the rendered text.
    pub node: Node,
}

/// One environment, rendered.
#[derive(Debug, Clone)]
pub struct RenderedEnv {
    pub environment: Environment,
    /// The `-f` files, in order.
    pub values_files: Vec<Arc<SourceFile>>,
    /// Documents in Helm's template order (partials and `NOTES.txt` are none).
    pub documents: Vec<RenderedDoc>,
    /// Value origins with the template actions that printed them (no duplicates).
    pub written_by: Vec<WrittenBy>,
    /// Template errors, `required` values not given, limits, YAML that does not read.
    pub diagnostics: Vec<Diagnostic>,
}

/// A chart, rendered in each environment asked for.
#[derive(Debug, Clone)]
pub struct ChartRender {
    /// `Chart.yaml`, when it could be read.
    pub chart: Option<Arc<SourceFile>>,
    /// The chart's name (empty when Chart.yaml could not be read).
    pub name: String,
    pub environments: Vec<RenderedEnv>,
    /// Problems of the chart itself (loading, dependencies), the same in every environment.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file of the chart tree that was read as text (templates, values, Chart.yaml…).
    pub files: Vec<Arc<SourceFile>>,
}

/// The environments a chart's own files define, as `render/helm/values` names them:
/// `default` (`values.yaml` alone, `helm template CHART`), and one per overlay
/// (`values.<env>.yaml`, `values-<env>.yaml`: `helm template CHART -f values-<env>.yaml`);
/// examples to copy (`values.example.yaml`) are not environments.
pub fn conventional_environments(files: &dyn Files, chart_dir: &Path) -> Vec<EnvSpec> {
    let mut out = vec![EnvSpec {
        environment: Environment {
            name: "default".into(),
            production: false,
        },
        values: Vec::new(),
        set: Vec::new(),
        inline: Vec::new(),
    }];
    for path in files.list(chart_dir).unwrap_or_default() {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(environment) = environment_of(name) else {
            continue;
        };
        if environment.name == "default" || is_example_name(name) || files.is_dir(&path) {
            continue;
        }
        out.push(EnvSpec {
            environment,
            values: vec![path.clone()],
            set: Vec::new(),
            inline: Vec::new(),
        });
    }
    out
}

/// Whether `assignment` is a `--set` Helm accepts (`a.b=c,d[0]=e`); why not otherwise.
pub fn check_set(assignment: &str) -> Result<(), String> {
    strvals::parse_into(assignment, &Map::new(), None)
}

/// The environments to render for a chart: its conventional ones (see
/// [`conventional_environments`]), where `configured` ones (from `.plumbline.toml`) replace
/// those of the same name and add the others.
pub fn with_configured(conventional: Vec<EnvSpec>, configured: &[EnvSpec]) -> Vec<EnvSpec> {
    let mut out: Vec<EnvSpec> = conventional
        .into_iter()
        .filter(|c| {
            !configured
                .iter()
                .any(|x| x.environment.name == c.environment.name)
        })
        .collect();
    out.extend(configured.iter().cloned());
    out
}

/// The table behind `Mark::External` ids: every values node (and Chart.yaml field, `.Files`
/// file, `--set` entry) that can reach a template.
#[derive(Debug, Default)]
pub(crate) struct Origins {
    list: Vec<Origin>,
    index: HashMap<(usize, usize, usize), u32>,
}

impl Origins {
    /// The mark of a span of a file (one id per distinct place).
    pub fn mark(&mut self, file: &Arc<SourceFile>, span: Span) -> Option<Mark> {
        let key = (Arc::as_ptr(file) as usize, span.start, span.end);
        if let Some(id) = self.index.get(&key) {
            return Some(Mark::External(*id));
        }
        let id = u32::try_from(self.list.len()).ok()?;
        self.list.push(Origin::new(file, span));
        self.index.insert(key, id);
        Some(Mark::External(id))
    }
}

/// A parsed template set, kept while the enabled charts stay the same: the sorted template
/// names, the set, and each template id's file.
type Prepared = Option<(Vec<String>, PreparedChart, Vec<Arc<SourceFile>>)>;

/// Renders the chart in `chart_dir` in each environment.
pub fn render(
    files: &dyn Files,
    chart_dir: &Path,
    envs: &[EnvSpec],
    opts: &Options,
) -> ChartRender {
    let mut origins = Origins::default();
    let mut loader = chart::Loader::new(files, &opts.limits, &mut origins);
    let loaded = loader.load_dir(chart_dir);
    let mut diagnostics = std::mem::take(&mut loader.diagnostics);
    let read = std::mem::take(&mut loader.read);
    drop(loader);
    let Some(chart) = loaded else {
        return ChartRender {
            chart: read.first().cloned(),
            name: String::new(),
            environments: Vec::new(),
            diagnostics,
            files: read,
        };
    };
    let notes = diagnostics.len();
    missing_dependencies(&chart, &mut diagnostics);
    let mut missing = Missing {
        notes: notes..diagnostics.len(),
        unrendered: BTreeSet::new(),
    };
    if let Some((constraint, at)) = &chart.kube_version {
        let kube = &opts.capabilities.kube_version.version;
        if !coalesce::compatible(constraint, kube) {
            let whose = if *kube == template::Capabilities::default().kube_version.version {
                " (helm template's default)"
            } else {
                ""
            };
            diagnostics.push(Diagnostic::error(
                format!(
                    "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {kube}{whose}; rendered anyway"
                ),
                at.clone(),
            ));
        }
    }
    let mut files_read = read;
    let mut environments = Vec::new();
    let mut prepared: Prepared = None;
    for env in envs {
        let r = render_env(
            files,
            chart_dir,
            &chart,
            env,
            opts,
            &mut origins,
            &mut prepared,
            &mut files_read,
            &mut missing,
        );
        environments.push(r);
    }
    if !missing.unrendered.is_empty() {
        for d in &mut diagnostics[missing.notes.clone()] {
            d.message.push_str(&format!(
                "; {} template file(s) that need a chart not in charts/ were not rendered",
                missing.unrendered.len()
            ));
        }
    }
    ChartRender {
        chart: Some(Arc::clone(&chart.chart_file)),
        name: chart.name.clone(),
        environments,
        diagnostics,
        files: files_read,
    }
}

/// The dependencies a chart misses, and what its templates could not render without them.
struct Missing {
    /// The chart's notes that say a dependency is not vendored.
    notes: std::ops::Range<usize>,
    /// Templates whose render failed for want of what is not there (a library chart's
    /// `common.names.fullname`, a subchart's values): counted in those notes instead of
    /// reported one by one, since the one cause is already said, at its `Chart.yaml` entry.
    unrendered: BTreeSet<String>,
}

/// A dependency not vendored in `charts/` (`helm template` refuses the chart; we render it
/// without), at every level of the tree.
fn missing_dependencies(chart: &chart::Chart, out: &mut Vec<Diagnostic>) {
    for d in chart.dependencies.iter().flatten() {
        if !chart.subcharts.iter().any(|s| s.name == d.name) {
            out.push(Diagnostic::note(
                format!(
                    "not checked: {} is not in charts/ (helm dependency build fetches it)",
                    d.name
                ),
                d.at.clone(),
            ));
        }
    }
    for s in &chart.subcharts {
        missing_dependencies(s, out);
    }
}

/// Merges inline values into the user's values as a `-f` file would be merged; `false`
/// when the work bound was reached. A mapping that does not read is a located error.
fn merge_inline(
    user: &Map,
    v: &InlineValues,
    origins: &mut Origins,
    budget: &mut Budget,
    out: &mut RenderedEnv,
) -> bool {
    // The mapping's text from the start of its first line to the end of its last, with what
    // precedes it on its first line (`valuesInline: {a: 1}`'s key) blanked: a block mapping
    // keeps its indentation, and every byte keeps its offset, so marks point into the file
    // exactly.
    let text = &v.file.text;
    let (start, end) = (v.file.clamp(v.span.start), v.file.clamp(v.span.end));
    let line = text[..start].rfind('\n').map_or(0, |i| i + 1);
    // To the end of its last line: a flow mapping's closing brace may lie past the span.
    let end = text[end.max(start)..]
        .find('\n')
        .map_or(text.len(), |i| end.max(start) + i);
    let mut piece: String = text[line..start]
        .chars()
        .flat_map(|c| std::iter::repeat_n(' ', c.len_utf8()))
        .collect();
    piece.push_str(&text[start..end.max(start)]);
    let file = &v.file;
    let loaded = template::load_yaml(&piece, &mut |s, e| {
        origins.mark(file, Span::new(line + s, line + e))
    });
    match loaded {
        Ok(Value::Map(m)) => coalesce::merge_maps(user, &m, budget).is_ok(),
        Ok(Value::Nil) => true,
        Ok(other) => {
            out.diagnostics.push(Diagnostic::error(
                format!("inline values must be a mapping, not {}", other.kind_name()),
                Origin::new(file, v.span),
            ));
            true
        }
        Err(e) => {
            out.diagnostics.push(Diagnostic::error(
                format!("cannot load inline values: {e}"),
                Origin::new(file, v.span),
            ));
            true
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn render_env(
    files: &dyn Files,
    chart_dir: &Path,
    chart: &chart::Chart,
    env: &EnvSpec,
    opts: &Options,
    origins: &mut Origins,
    prepared: &mut Prepared,
    files_read: &mut Vec<Arc<SourceFile>>,
    missing: &mut Missing,
) -> RenderedEnv {
    let mut out = RenderedEnv {
        environment: env.environment.clone(),
        values_files: Vec::new(),
        documents: Vec::new(),
        written_by: Vec::new(),
        diagnostics: Vec::new(),
    };
    let at_chart = Origin::new(&chart.chart_file, Span::default());
    // 1. The user's values: -f files, then --set.
    let user = Map::new();
    let mut budget = Budget(opts.limits.value_nodes);
    // Inline values go after the first `after` files (after them all when `after` is past
    // the end): slot `i` merges those, then the `i`th file.
    for i in 0..=env.values.len() {
        for v in env
            .inline
            .iter()
            .filter(|v| v.after.min(env.values.len()) == i)
        {
            if !merge_inline(&user, v, origins, &mut budget, &mut out) {
                out.diagnostics
                    .push(values_limit(opts, Origin::new(&v.file, v.span)));
                return out;
            }
        }
        let Some(path) = env.values.get(i) else {
            break;
        };
        let path = if path.is_relative() {
            chart_dir.join(path)
        } else {
            path.clone()
        };
        let file = match files.read(&path) {
            Ok(f) => f,
            Err(e) => {
                let display = path.display().to_string();
                out.diagnostics.push(Diagnostic::error(
                    format!("cannot read values file {display}: {e}"),
                    Origin::new(&chart::placeholder(&path, &display), Span::default()),
                ));
                continue;
            }
        };
        let mut loader = chart::Loader::new(files, &opts.limits, origins);
        let map = loader.values_of(&file);
        out.diagnostics.append(&mut loader.diagnostics);
        if let Some(map) = map
            && coalesce::merge_maps(&user, &map, &mut budget).is_err()
        {
            out.diagnostics
                .push(values_limit(opts, Origin::new(&file, Span::default())));
            return out;
        }
        if !files_read.iter().any(|f| Arc::ptr_eq(f, &file)) {
            files_read.push(Arc::clone(&file));
        }
        out.values_files.push(file);
    }
    for s in &env.set {
        let mark = origins.mark(&s.at.file, s.at.span);
        if let Err(e) = strvals::parse_into(&s.assignment, &user, mark.as_ref()) {
            out.diagnostics.push(Diagnostic::error(
                format!("failed parsing --set data {:?}: {e}", s.assignment),
                s.at.clone(),
            ));
        }
    }
    // 2-4. Dependencies enabled, import-values, coalesced values.
    let mut warnings = Vec::new();
    let values = (|| {
        let mut root = coalesce::tree(chart, &mut budget)?;
        coalesce::enable(&mut root, &user, "", &mut budget, &mut warnings)?;
        coalesce::import_values(&mut root, &mut budget, &mut warnings)?;
        let values = coalesce::coalesce_values(&root, &user, &mut budget)?;
        Ok::<_, coalesce::Exhausted>((root, values))
    })();
    for w in warnings {
        let at = w.at.unwrap_or_else(|| at_chart.clone());
        out.diagnostics
            .push(Diagnostic::warning(format!("warning: {}", w.message), at));
    }
    let Ok((root, values)) = values else {
        out.diagnostics.push(values_limit(opts, at_chart));
        return out;
    };
    // 5. The engine's input: enabled charts, templates named as Helm names them. The parsed
    // set is kept while the enabled charts stay the same (most environments).
    let mut names: Vec<(String, Arc<SourceFile>)> = Vec::new();
    template_names(&root, "", &mut names);
    let mut signature: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
    signature.extend(aliases(&root));
    let ropts = RenderOptions {
        release_name: opts.release_name.clone(),
        namespace: opts.namespace.clone(),
        limits: opts.limits.template.clone(),
        capabilities: opts.capabilities.clone(),
        keep_going: true,
        ..RenderOptions::default()
    };
    let reuse = prepared
        .as_ref()
        .is_some_and(|(sig, _, _)| *sig == signature);
    if !reuse {
        let input = chart_input(&root);
        let p = PreparedChart::new(&input, &ropts);
        // Template ids follow Helm's parse order; map each back to its file.
        let by_name: HashMap<&str, &Arc<SourceFile>> =
            names.iter().map(|(n, f)| (n.as_str(), f)).collect();
        let mut ids: Vec<Arc<SourceFile>> = Vec::new();
        for (id, (name, _)) in p.sources() {
            let Some(f) = by_name.get(name.as_str()) else {
                continue;
            };
            let i = *id as usize;
            if ids.len() <= i {
                ids.resize(i + 1, Arc::clone(f));
            }
            ids[i] = Arc::clone(f);
        }
        *prepared = Some((signature, p, ids));
    }
    let Some((_, p, ids)) = prepared.as_ref() else {
        return out;
    };
    let rendered = p.render(&values, &ropts);
    let by_name: HashMap<&str, &Arc<SourceFile>> =
        names.iter().map(|(n, f)| (n.as_str(), f)).collect();
    let locate = |name: &str, line: usize, col: usize| -> Option<Origin> {
        let f = by_name.get(name)?;
        let ls = f.line_span(line);
        let start = f.clamp(ls.start + col).min(ls.end.max(ls.start));
        Some(Origin::new(f, Span::new(start, ls.end.max(start))))
    };
    for (name, e) in &rendered.parse_errors {
        let at = e
            .location
            .as_ref()
            .and_then(|(n, l, c)| locate(n, *l, *c))
            .or_else(|| {
                by_name
                    .get(name.as_str())
                    .map(|f| Origin::new(f, Span::default()))
            })
            .unwrap_or_else(|| at_chart.clone());
        out.diagnostics.push(Diagnostic::error(e.helm(), at));
    }
    let resolve = remap::Resolve {
        origins: &origins.list,
        templates: ids,
    };
    let mut total = 0usize;
    let mut pairs: std::collections::HashSet<(usize, usize, usize, usize, usize, usize)> =
        std::collections::HashSet::new();
    for (name, result) in &rendered.outputs {
        let template_file = by_name.get(name.as_str()).map(|f| Arc::clone(f));
        let r = match result {
            Ok(r) => r,
            Err(e) if e.kind == template::ErrorKind::Undefined && !missing.notes.is_empty() => {
                missing.unrendered.insert(name.clone());
                continue;
            }
            Err(e) => {
                let at = e
                    .location
                    .as_ref()
                    .and_then(|(n, l, c)| locate(n, *l, *c))
                    .or_else(|| {
                        template_file
                            .as_ref()
                            .map(|f| Origin::new(f, Span::default()))
                    })
                    .unwrap_or_else(|| at_chart.clone());
                let d = if e.kind == template::ErrorKind::Limit {
                    Diagnostic::limit(format!("limit: {}", e.helm()), at)
                } else {
                    Diagnostic::error(e.helm(), at)
                };
                out.diagnostics.push(d);
                continue;
            }
        };
        for req in &r.required {
            let at = ids
                .get(req.at.template as usize)
                .map(|f| {
                    let s = f.clamp(req.at.span.start as usize);
                    let e = f.clamp(req.at.span.end as usize).max(s);
                    Origin::new(f, Span::new(s, e))
                })
                .or_else(|| {
                    template_file
                        .as_ref()
                        .map(|f| Origin::new(f, Span::default()))
                })
                .unwrap_or_else(|| at_chart.clone());
            out.diagnostics.push(Diagnostic::note(
                format!(
                    "not checked: a required value is not given ({}); rendered as unknown",
                    req.message
                ),
                at,
            ));
        }
        if name.ends_with("NOTES.txt") {
            continue;
        }
        let Some(template_file) = template_file else {
            continue;
        };
        total = total.saturating_add(r.text.len());
        if total > opts.limits.output_bytes || out.documents.len() >= opts.limits.documents {
            out.diagnostics.push(Diagnostic::limit(
                format!(
                    "limit: the environment renders more than {} bytes or {} documents; {name} and the templates after it are not checked",
                    opts.limits.output_bytes, opts.limits.documents
                ),
                Origin::new(&template_file, Span::default()),
            ));
            break;
        }
        let whole = Arc::new(SourceFile::new(
            PathBuf::from(name),
            name.clone(),
            crate::source::Format::Kubernetes,
            r.text.clone(),
        ));
        let mut remapper = remap::Remapper::new(r, &resolve);
        let docs = remapper.documents(&whole);
        for (message, at) in docs.errors {
            out.diagnostics.push(Diagnostic::error(
                format!("YAML parse error on {name}: {message}"),
                at,
            ));
        }
        for (value, template) in remapper.written_by {
            let key = (
                Arc::as_ptr(&value.file) as usize,
                value.span.start,
                value.span.end,
                Arc::as_ptr(&template.file) as usize,
                template.span.start,
                template.span.end,
            );
            if pairs.insert(key) {
                out.written_by.push(WrittenBy { value, template });
            }
        }
        for node in docs.docs {
            out.documents.push(RenderedDoc {
                template: Arc::clone(&template_file),
                rendered: Arc::clone(&whole),
                node,
            });
        }
    }
    if opts.include_crds {
        crds(&root, &mut out);
    }
    out
}

fn values_limit(opts: &Options, at: Origin) -> Diagnostic {
    Diagnostic::limit(
        format!(
            "limit: computing the values visits more than {} nodes (aliases?); the environment is not rendered",
            opts.limits.value_nodes
        ),
        at,
    )
}

/// The manifests of `crds/`, as written, for every enabled chart.
fn crds(node: &coalesce::Node<'_>, out: &mut RenderedEnv) {
    for f in &node.chart.crds {
        for doc in yaml::load(f).docs {
            out.documents.push(RenderedDoc {
                template: Arc::clone(f),
                rendered: Arc::clone(f),
                node: doc,
            });
        }
    }
    for c in &node.children {
        crds(c, out);
    }
}

/// Each template's Helm name (`chart/charts/sub/templates/x.yaml`) and file, for an enabled
/// tree.
fn template_names(
    node: &coalesce::Node<'_>,
    parent: &str,
    names: &mut Vec<(String, Arc<SourceFile>)>,
) {
    let full = if parent.is_empty() {
        node.name.clone()
    } else {
        format!("{parent}/charts/{}", node.name)
    };
    for (path, file) in &node.chart.templates {
        names.push((format!("{full}/{path}"), Arc::clone(file)));
    }
    for c in &node.children {
        template_names(c, &full, names);
    }
}

/// Which chart each enabled name is (an alias renders its chart's templates under its name).
fn aliases(node: &coalesce::Node<'_>) -> Vec<String> {
    let mut out = vec![format!("{}={:p}", node.name, node.chart)];
    for c in &node.children {
        out.extend(aliases(c));
    }
    out
}

/// The engine's input for an enabled tree.
fn chart_input(node: &coalesce::Node<'_>) -> ChartInput {
    let metadata = Map::new();
    for (k, v) in node.chart.meta.entries() {
        metadata.insert_marked(k.clone(), node.chart.meta.key_mark(&k), v);
    }
    if node.name != node.chart.name {
        metadata.insert("name", template::Value::str(node.name.clone()));
    }
    ChartInput {
        metadata,
        templates: node
            .chart
            .templates
            .iter()
            .map(|(path, file)| (path.clone(), file.text.clone()))
            .collect(),
        files: node.chart.files.clone(),
        subcharts: node.children.iter().map(chart_input).collect(),
    }
}
