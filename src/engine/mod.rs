//! Orchestration: discover → read and parse (in parallel) → rules (in parallel) → one sorted,
//! fingerprinted report. Output is identical whatever the number of threads: every stage
//! collects into per-file vectors that are sorted before anything is reported.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{Config, Resolver};
use crate::finding::Finding;
use crate::guard;
use crate::parse::{self, Document};
use crate::rules::{self, Dockerignore, FileContext, RuleMeta, Sink};
use crate::source::discover::{self, io_reason};
use crate::source::{SourceFile, Span, absolute, detect};

/// What to check and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// Globs (gitignore syntax) of paths to leave out of directory walks.
    pub excludes: Vec<String>,
    /// Opt-in rules to turn on, by id or name.
    pub enable: Vec<String>,
    /// The directory paths are shown relative to (normally the working directory).
    pub cwd: PathBuf,
    /// Report ignore comments that suppress nothing (`SUP002`).
    pub report_unused_ignores: bool,
    /// Findings recorded here are not reported.
    pub baseline: Option<crate::baseline::Baseline>,
    /// The one config to use (`--config`); otherwise each file's nearest `.plumbline.toml`.
    pub config: Option<PathBuf>,
    /// How much one file may hold.
    pub limits: Limits,
}

/// The documented limits of one run. Each one, when hit, is reported as a located
/// [`ErrorKind::Limit`] error naming the limit and how to raise it; nothing is dropped
/// silently. The limits inside parsers (YAML alias expansion and nesting, Bicep and Terraform
/// nesting) are fixed and listed in the README with these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Files larger than this are not read (`--max-file-size`): no infrastructure file is this
    /// big, and reading one would only cost memory.
    pub file_bytes: u64,
    /// Findings reported per file (`--max-findings-per-file`); `None` reports them all (a
    /// baseline records every finding).
    pub findings_per_file: Option<usize>,
}

/// The default of [`Limits::file_bytes`]: 10 MiB.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// The default of [`Limits::findings_per_file`].
pub const MAX_FINDINGS_PER_FILE: usize = 1000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: MAX_FILE_BYTES,
            findings_per_file: Some(MAX_FINDINGS_PER_FILE),
        }
    }
}

/// Why a file could not be checked (fully).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The path could not be read: it does not exist, permission, not a regular file.
    Io,
    /// The file was read but is not valid input: not text, or not valid for its format
    /// (then what could be read was checked).
    Parse,
    /// A limit of [`Limits`] was hit: a file too large to read, or more findings in one file
    /// than are reported.
    Limit,
    /// plumbline itself failed on this file (a bug: a panic, contained to the file).
    Internal,
}

/// A located problem that is not a finding: a file that could not be read or parsed.
#[derive(Debug, Clone)]
pub struct FileError {
    pub kind: ErrorKind,
    pub path: String,
    /// The file and span when the error has a location inside a file.
    pub location: Option<(Arc<SourceFile>, Span)>,
    pub message: String,
}

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
    pub files_checked: usize,
    /// Findings removed by ignore comments.
    pub suppressed: usize,
    /// What the baseline did, when one was given.
    pub baseline: Option<crate::baseline::Stats>,
    /// Each file checked (display path) with the format it was read as, in path order.
    pub checked: Vec<(String, detect::Format)>,
    /// The rules that ran, in id order.
    pub rules: Vec<&'static RuleMeta>,
}

/// The ids of the opt-in rules turned on from the command line, or the name that matched no
/// rule.
pub fn enabled_rules(enable: &[String]) -> Result<Vec<&'static str>, String> {
    enable
        .iter()
        .map(|name| {
            crate::catalogue::meta(name)
                .map(|m| m.id.as_str())
                .ok_or_else(|| format!("unknown rule `{name}` (see `plumbline rules`)"))
        })
        .collect()
}

/// The files of a run, read, parsed and assembled into documents, with the errors met on
/// the way (files that could not be read or parsed).
pub struct Documents {
    pub files: Vec<(Arc<SourceFile>, Document)>,
    pub errors: Vec<FileError>,
    /// Services stated in the `.plumbline.toml` files in use.
    pub explicit: Vec<crate::graph::link::Explicit>,
}

/// Discovers, reads, parses and assembles, without running rules (`plumbline graph`).
pub fn documents(opts: &Options) -> Result<Documents, String> {
    in_pool(|| {
        let given = opts.config.as_deref().map(Config::load).transpose()?;
        let mut configs = Resolver::new(given);
        load_documents(opts, &mut configs, Input::Disk)
    })
}

/// The stack of each thread that parses and checks files: what a main thread has (8 MiB).
/// Parsers bound their nesting (YAML 256 levels, Bicep and HCL 64, shell 64), but a level
/// costs several kilobytes of stack in a debug build, and 63 nested HCL `for` expressions
/// overflowed the 2 MiB that threads get by default.
pub const WORKER_STACK_BYTES: usize = 8 << 20;

static THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();

/// How many worker threads checks use (0, the default: one per core). Takes effect only
/// before the first check of the process.
pub fn set_threads(n: usize) {
    THREADS.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// Runs `f` on plumbline's thread pool (threads with [`WORKER_STACK_BYTES`] of stack), so
/// every parallel stage inside it runs there; on the calling thread's pool if that pool
/// cannot be created.
fn in_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(THREADS.load(std::sync::atomic::Ordering::Relaxed))
            .stack_size(WORKER_STACK_BYTES)
            .thread_name(|i| format!("plumbline-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// Where the files of a run come from.
enum Input {
    /// `opts.paths`, discovered and read from disk.
    Disk,
    /// Files given with their contents (see [`check_sources`]).
    Memory(Vec<(PathBuf, Vec<u8>)>),
}

type Loaded = Result<parse::assemble::Loaded, FileError>;

/// Discovers and reads the files of a run (in parallel), with the errors met on the way.
fn gather(
    opts: &Options,
    configs: &mut Resolver,
    input: Input,
) -> Result<(Vec<parse::assemble::Loaded>, Vec<FileError>), String> {
    let mut errors: Vec<FileError> = Vec::new();
    let mut loaded = Vec::new();
    fn push(
        items: Vec<Loaded>,
        loaded: &mut Vec<parse::assemble::Loaded>,
        errors: &mut Vec<FileError>,
    ) {
        for item in items {
            match item {
                Ok(x) => loaded.push(x),
                Err(e) => errors.push(e),
            }
        }
    }
    match input {
        Input::Disk => {
            let (candidates, walk_errors) = discover::discover(&opts.paths, &opts.excludes);
            let mut kept = Vec::with_capacity(candidates.len());
            for c in candidates {
                let config = configs.for_file(&c.path)?;
                if !config.excludes(&absolute(&c.path), false) {
                    kept.push((c.path, c.format));
                }
            }
            errors.extend(walk_errors.into_iter().map(|e| FileError {
                kind: ErrorKind::Io,
                path: discover::display_path(&e.path, &opts.cwd),
                location: None,
                message: e.message,
            }));
            // Read and parse every file in parallel, then the rest of any unit only partly
            // named (a chart of which only values were given).
            let read = |paths: Vec<(PathBuf, Option<detect::Format>)>| -> Vec<Loaded> {
                paths
                    .par_iter()
                    .map(|(p, f)| load(p, *f, &opts.cwd, &opts.limits))
                    .collect()
            };
            // A file already tried and refused (unreadable, binary, too large) is missing
            // from `loaded` too, but is not read again: its error is reported once.
            let tried: std::collections::HashSet<PathBuf> =
                kept.iter().map(|(p, _)| absolute(p)).collect();
            push(read(kept), &mut loaded, &mut errors);
            let siblings: Vec<PathBuf> = parse::assemble::missing_siblings(&loaded)
                .into_iter()
                .filter(|p| !tried.contains(&absolute(p)))
                .collect();
            if !siblings.is_empty() {
                let more = siblings
                    .into_iter()
                    .map(|p| {
                        let f = detect::by_name(&p);
                        (p, f)
                    })
                    .collect();
                push(read(more), &mut loaded, &mut errors);
            }
        }
        Input::Memory(sources) => {
            let items = sources
                .par_iter()
                .map(|(path, bytes)| {
                    let display = discover::display_path(path, &opts.cwd);
                    if bytes.len() as u64 > opts.limits.file_bytes {
                        return Err(too_large(display, bytes.len() as u64, &opts.limits));
                    }
                    from_bytes(path, display, bytes, None)
                })
                .collect();
            push(items, &mut loaded, &mut errors);
        }
    }

    Ok((loaded, errors))
}

fn load_documents(
    opts: &Options,
    configs: &mut Resolver,
    input: Input,
) -> Result<Documents, String> {
    let (loaded, mut errors) = gather(opts, configs, input)?;
    let chart_configs = chart_configs(&loaded, configs)?;
    let mut files = parse::assemble::assemble(loaded);
    for (file, doc) in &mut files {
        errors.extend(settle(file, doc, &chart_configs));
    }
    let explicit = crate::graph::explicit_services(&configs.all());
    Ok(Documents {
        files,
        errors,
        explicit,
    })
}

/// The config of each chart's `Chart.yaml`, resolved up front so units can be built in
/// parallel: which Helm environments are production is the project's call
/// (`[environments]`).
fn chart_configs(
    loaded: &[parse::assemble::Loaded],
    configs: &mut Resolver,
) -> Result<HashMap<PathBuf, Arc<Config>>, String> {
    let mut out = HashMap::new();
    for (file, _) in loaded {
        if file.format == detect::Format::HelmChart {
            out.insert(file.path.clone(), configs.for_file(&file.path)?);
        }
    }
    Ok(out)
}

/// Applies the project's settings to a built document and returns its errors (parse errors,
/// or the internal error of a crashed build).
fn settle(
    file: &Arc<SourceFile>,
    doc: &mut Document,
    chart_configs: &HashMap<PathBuf, Arc<Config>>,
) -> Vec<FileError> {
    if let Document::HelmChart(chart) = doc
        && let Some(config) = chart_configs.get(&file.path)
    {
        chart.set_production(|env| config.is_production(env));
    }
    let mut errors = Vec::new();
    if let Document::Crashed { message } = doc {
        errors.push(internal(file, message));
    }
    for e in doc.errors() {
        errors.push(FileError {
            kind: ErrorKind::Parse,
            path: file.display_path.clone(),
            location: Some((Arc::clone(file), e.span)),
            message: e.message.clone(),
        });
    }
    errors
}

/// Wall time per phase, printed to standard error when `PLUMBLINE_TIMINGS` is set (for
/// profiling; see the README's Performance section).
struct Phases(Option<std::time::Instant>);

impl Phases {
    fn start() -> Phases {
        Phases(std::env::var_os("PLUMBLINE_TIMINGS").map(|_| std::time::Instant::now()))
    }

    fn lap(&mut self, name: &str) {
        if let Some(t) = &mut self.0 {
            eprintln!(
                "plumbline: timing: {name}: {:.1} ms",
                t.elapsed().as_secs_f64() * 1e3
            );
            *t = std::time::Instant::now();
        }
    }
}

/// What one file's document left behind once checked.
struct Checked {
    /// The file's position in the run's file list.
    index: usize,
    file: Arc<SourceFile>,
    findings: Vec<Finding>,
    errors: Vec<FileError>,
    layers: Vec<crate::graph::Layer>,
}

/// Runs each per-file rule on one document; a panic costs that rule on that file only and is
/// added to `errors`.
fn check_file(
    file: &Arc<SourceFile>,
    doc: &Document,
    rule_impls: &[(&'static RuleMeta, &'static dyn rules::Rule)],
    dockerignores: &HashMap<PathBuf, Dockerignore>,
    errors: &mut Vec<FileError>,
) -> Vec<Finding> {
    let ctx = FileContext {
        file,
        doc,
        dockerignore: dockerignore_for(file, dockerignores),
        context_has_git: matches!(doc, Document::Dockerfile(_)) && file.dir().join(".git").exists(),
    };
    let mut out = Vec::new();
    for (meta, rule) in rule_impls {
        let mut sink = Sink::new(meta, file);
        let ran = guard::guarded(|| {
            guard::injected("rule", format_args!("{} {}", meta.id, file.display_path));
            rule.check_file(&ctx, &mut sink);
        });
        match ran {
            Ok(()) => out.extend(sink.into_findings()),
            Err(m) => errors.push(internal(file, &format!("in rule {}: {m}", meta.id))),
        }
    }
    out
}

/// A bug in the cross-file stage: no one file is to blame.
fn graph_error(message: &str) -> FileError {
    FileError {
        kind: ErrorKind::Internal,
        path: String::new(),
        location: None,
        message: format!(
            "internal error {message}; cross-file findings may be missing (plumbline has a bug; please report it)"
        ),
    }
}

/// Keeps the first `max` findings of each file (findings are sorted by file), and says for
/// each file over the limit how many more there were, located at the first one left out.
fn limit_findings(findings: &mut Vec<Finding>, max: usize) -> Vec<FileError> {
    let mut errors = Vec::new();
    let mut kept = Vec::with_capacity(findings.len());
    let mut rest = std::mem::take(findings).into_iter().peekable();
    while let Some(first) = rest.peek() {
        let file = Arc::clone(&first.location.file);
        let mut n = 0;
        let mut dropped: Option<(Span, usize)> = None;
        while let Some(f) = rest.next_if(|g| g.location.file.display_path == file.display_path) {
            n += 1;
            if n <= max {
                kept.push(f);
            } else if let Some((_, count)) = &mut dropped {
                *count += 1;
            } else {
                dropped = Some((f.location.span, 1));
            }
        }
        if let Some((span, count)) = dropped {
            let path = file.display_path.clone();
            errors.push(FileError {
                kind: ErrorKind::Limit,
                message: format!(
                    "{count} more findings in {path} were not reported: the limit is {max} per \
                     file (`--max-findings-per-file`, 0 for no limit)"
                ),
                path,
                location: Some((file, span)),
            });
        }
    }
    *findings = kept;
    errors
}

/// The report of a bug contained to one file.
fn internal(file: &Arc<SourceFile>, message: &str) -> FileError {
    FileError {
        kind: ErrorKind::Internal,
        path: file.display_path.clone(),
        location: Some((Arc::clone(file), Span::new(0, 0))),
        message: format!(
            "internal error on {}: {message} (plumbline has a bug; please report it with this file)",
            file.display_path
        ),
    }
}

fn too_large(display: String, size: u64, limits: &Limits) -> FileError {
    FileError {
        kind: ErrorKind::Limit,
        message: format!(
            "{display} is {size} bytes, over the limit of {} bytes for one file \
             (`--max-file-size`); it was not checked",
            limits.file_bytes
        ),
        path: display,
        location: None,
    }
}

/// Runs a check. Errors in individual files are part of the report; only invalid options
/// (an unknown rule, a broken config file) fail the whole run.
pub fn check(opts: &Options) -> Result<Report, String> {
    in_pool(|| run(opts, Input::Disk))
}

/// Checks files given with their contents instead of read from `opts.paths` (the fuzzer's
/// whole-pipeline target; an editor's unsaved buffers). Each is decoded, detected by its
/// name and content, parsed, assembled with the others and checked exactly as a file read
/// from disk; configs are still looked up beside the paths.
pub fn check_sources(opts: &Options, sources: Vec<(PathBuf, Vec<u8>)>) -> Result<Report, String> {
    in_pool(|| run(opts, Input::Memory(sources)))
}

fn run(opts: &Options, input: Input) -> Result<Report, String> {
    let mut timer = Phases::start();
    let enabled = enabled_rules(&opts.enable)?;
    let given = opts.config.as_deref().map(Config::load).transpose()?;
    let mut configs = Resolver::new(given);
    let (loaded, mut errors) = gather(opts, &mut configs, input)?;
    timer.lap("discover and read");
    let chart_configs = chart_configs(&loaded, &mut configs)?;
    let explicit = crate::graph::explicit_services(&configs.all());
    // Every rule that runs under some config in play; each file's findings are then filtered
    // by its own config.
    let active: Vec<&'static RuleMeta> = crate::catalogue::all()
        .iter()
        .filter(|m| configs.all().iter().any(|c| c.runs(m, &enabled)))
        .collect();
    let rule_impls: Vec<(&'static RuleMeta, &'static dyn rules::Rule)> = active
        .iter()
        .filter_map(|m| rules::rule(&m.id).map(|r| (*m, r)))
        .collect();

    // The .dockerignore of each Dockerfile's directory (the build context we assume).
    let dockerignores = read_dockerignores(&loaded, &opts.cwd);

    // Each unit is parsed, built, checked by every rule and reduced to its graph layers in
    // one parallel pass, then dropped: only the texts, findings and layers outlive it.
    let mut outcomes: Vec<Checked> = parse::assemble::units(loaded)
        .into_par_iter()
        .flat_map_iter(|unit| unit.build())
        .map(|(index, file, mut doc)| {
            let mut errors = settle(&file, &mut doc, &chart_configs);
            let findings = check_file(&file, &doc, &rule_impls, &dockerignores, &mut errors);
            let layers = crate::graph::build::layers_of(&file, &doc);
            Checked {
                index,
                file,
                findings,
                errors,
                layers,
            }
        })
        .collect();
    outcomes.sort_unstable_by_key(|c| c.index);
    timer.lap("parse, build and check units");

    let mut files: Vec<Arc<SourceFile>> = Vec::with_capacity(outcomes.len());
    let mut findings: Vec<Finding> = Vec::new();
    let mut layers = Vec::new();
    for c in outcomes {
        files.push(c.file);
        findings.extend(c.findings);
        errors.extend(c.errors);
        layers.extend(c.layers);
    }

    // Cross-file rules: one graph of services for the whole run.
    match guard::guarded(|| {
        guard::injected("graph", format_args!(""));
        crate::graph::link::link(layers, &explicit, &opts.paths)
    }) {
        Ok(graph) => {
            for (meta, rule) in &rule_impls {
                let mut sink = rules::GraphSink::new(meta);
                match guard::guarded(|| rule.check_graph(&graph, &mut sink)) {
                    Ok(()) => findings.extend(sink.into_findings()),
                    Err(m) => errors.push(graph_error(&format!("in rule {}: {m}", meta.id))),
                }
            }
        }
        Err(m) => errors.push(graph_error(&format!(
            "while building the service graph: {m}"
        ))),
    }

    // Messages quote values from files, which may be huge; every format gets them cut.
    for f in &mut findings {
        if let Some(m) = crate::finding::shorten_message(&f.message) {
            f.message = m;
        }
        for r in &mut f.related {
            if let Some(m) = crate::finding::shorten_message(&r.message) {
                r.message = m;
            }
        }
    }
    for e in &mut errors {
        if let Some(m) = crate::finding::shorten_message(&e.message) {
            e.message = m;
        }
    }
    timer.lap("service graph and cross-file rules");

    sort_findings(&mut findings);
    findings.dedup_by(|a, b| {
        a.rule.id == b.rule.id
            && a.location.span == b.location.span
            && a.location.file.display_path == b.location.file.display_path
            && a.message == b.message
    });
    let outcome = crate::suppress::apply(findings, &files, &active, opts.report_unused_ignores);
    let suppressed = outcome.suppressed;
    let mut findings = Vec::with_capacity(outcome.kept.len());
    for mut f in outcome.kept {
        let config = configs.for_file(&f.location.file.path)?;
        if config.reports(f.rule, &enabled, &absolute(&f.location.file.path)) {
            f.severity = config.severity(f.rule);
            findings.push(f);
        }
    }
    sort_findings(&mut findings);
    // Equal texts in one file (the same `FROM node` twice) get the same hash; the n-th of
    // them gets `:n` appended, so each fingerprint is unique and still line-independent.
    let bases: Vec<String> = findings.par_iter().map(fingerprint).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (f, base) in findings.iter_mut().zip(bases) {
        let n = seen.entry(base.clone()).or_insert(0);
        f.fingerprint = if *n == 0 { base } else { format!("{base}:{n}") };
        *n += 1;
    }
    let mut baseline = None;
    if let Some(b) = &opts.baseline {
        let (kept, stats) = b.apply(findings);
        findings = kept;
        baseline = Some(stats);
    }
    if let Some(max) = opts.limits.findings_per_file {
        errors.extend(limit_findings(&mut findings, max));
    }
    timer.lap("suppress, filter, fingerprint");
    errors.sort_by(|a, b| {
        (&a.path, a.location.as_ref().map(|l| l.1), &a.message).cmp(&(
            &b.path,
            b.location.as_ref().map(|l| l.1),
            &b.message,
        ))
    });

    Ok(Report {
        findings,
        errors,
        suppressed,
        baseline,
        files_checked: files.len(),
        checked: {
            let mut c: Vec<_> = files
                .iter()
                .map(|f| (f.display_path.clone(), f.format))
                .collect();
            c.sort();
            c
        },
        rules: active,
    })
}

fn load(path: &Path, format: Option<detect::Format>, cwd: &Path, limits: &Limits) -> Loaded {
    let display = discover::display_path(path, cwd);
    let unreadable = |e: std::io::Error| FileError {
        kind: ErrorKind::Io,
        message: format!("cannot read {display}: {}", io_reason(&e)),
        path: display.clone(),
        location: None,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(FileError {
            kind: ErrorKind::Io,
            message: format!("{display} is not a regular file"),
            path: display,
            location: None,
        });
    }
    if meta.len() > limits.file_bytes {
        return Err(too_large(display, meta.len(), limits));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    // The file may have grown between the two calls.
    if bytes.len() as u64 > limits.file_bytes {
        return Err(too_large(display, bytes.len() as u64, limits));
    }
    from_bytes(path, display, &bytes, format)
}

/// Decodes, detects and parses one file's contents; a panic in the parser is contained here.
fn from_bytes(
    path: &Path,
    display: String,
    bytes: &[u8],
    format: Option<detect::Format>,
) -> Loaded {
    let text = decode(bytes).map_err(|e| {
        // Invalid UTF-8 is a byte at a place: located in the file as far as it can be shown
        // (the rest is shown with replacement characters).
        let location = e.offset.map(|offset| {
            let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
            let text = String::from_utf8_lossy(body).into_owned();
            let format = match format {
                Some(f) => detect::refine(path, f, &text),
                None => detect::for_explicit_file(path, &text),
            };
            let file = SourceFile::new(path.to_path_buf(), display.clone(), format, text);
            let end = file.clamp(offset + '\u{FFFD}'.len_utf8());
            (Arc::new(file), Span::new(offset, end))
        });
        FileError {
            kind: ErrorKind::Parse,
            message: format!("{display} {}", e.message),
            path: display.clone(),
            location,
        }
    })?;
    let format = match format {
        Some(f) => detect::refine(path, f, &text),
        None => detect::for_explicit_file(path, &text),
    };
    let file = Arc::new(SourceFile::new(path.to_path_buf(), display, format, text));
    // Most files are parsed with their unit ([`parse::assemble::Unit::build`]); the few
    // whose content decides their unit are parsed now.
    if !parse::assemble::parsed_early(format) {
        return Ok((file, None));
    }
    let parsed = guard::guarded(|| parse::parse(&file))
        .map_err(|m| internal(&file, &format!("while parsing: {m}")))?;
    Ok((file, Some(parsed)))
}

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Why a file is not UTF-8 text, and the byte offset (after any UTF-8 byte-order mark) of
/// the first invalid byte when one byte is to blame.
#[derive(Debug, PartialEq, Eq)]
struct DecodeError {
    message: String,
    offset: Option<usize>,
}

/// Decodes a file as UTF-8, dropping a UTF-8 byte-order mark. Spans stay byte offsets into
/// the text without the mark. UTF-16 is recognised by its byte-order mark, or without one by
/// the NUL byte every other byte that ASCII text has in it, and named as such rather than
/// called binary.
fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    let whole_file = |message: String| DecodeError {
        message,
        offset: None,
    };
    let utf16 = |endian: &str, how: &str| {
        whole_file(format!(
            "is UTF-16 ({endian}, {how}); plumbline reads UTF-8: convert it, e.g. with \
             `iconv -f UTF-16{} -t UTF-8`",
            if endian == "little-endian" {
                "LE"
            } else {
                "BE"
            }
        ))
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(utf16("little-endian", "with a byte-order mark"));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(utf16("big-endian", "with a byte-order mark"));
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(match utf16_without_bom(bytes) {
            Some(endian) => utf16(endian, "without a byte-order mark"),
            None => whole_file("is a binary file (it contains NUL bytes)".into()),
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(DecodeError {
            message: format!(
                "is not valid UTF-8 (byte 0x{:02X} is not part of a UTF-8 character)",
                bytes[e.valid_up_to()]
            ),
            offset: Some(e.valid_up_to()),
        }),
    }
}

/// `little-endian` or `big-endian` when `bytes` look like UTF-16 text without a byte-order
/// mark: in its first 4 KiB, nearly every byte at odd offsets (little-endian) or at even
/// offsets (big-endian) is NUL and nearly none of the others is, as in ASCII text encoded
/// as UTF-16. Other text (CJK) does not have that pattern and is called binary.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(4096) & !1];
    let pairs = head.len() / 2;
    if pairs == 0 {
        return None;
    }
    let (mut even, mut odd) = (0, 0);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // At least 90% NUL on one side, at most 10% on the other.
    let mostly = |n: usize| n * 10 >= pairs * 9;
    let rarely = |n: usize| n * 10 <= pairs;
    if mostly(odd) && rarely(even) {
        Some("little-endian")
    } else if mostly(even) && rarely(odd) {
        Some("big-endian")
    } else {
        None
    }
}

/// The `.dockerignore` files that may apply to a Dockerfile, preferred first: BuildKit reads
/// `<name>.dockerignore` beside a Dockerfile before the plain `.dockerignore`.
fn dockerignore_candidates(file: &SourceFile) -> Vec<PathBuf> {
    let mut candidates = Vec::with_capacity(2);
    if let Some(name) = file.path.file_name() {
        let mut specific = name.to_os_string();
        specific.push(".dockerignore");
        candidates.push(file.dir().join(specific));
    }
    candidates.push(file.dir().join(".dockerignore"));
    candidates
}

fn read_dockerignores(
    files: &[parse::assemble::Loaded],
    cwd: &Path,
) -> HashMap<PathBuf, Dockerignore> {
    let mut wanted: Vec<PathBuf> = files
        .iter()
        .filter(|(file, _)| file.format == detect::Format::Dockerfile)
        .flat_map(|(file, _)| dockerignore_candidates(file))
        .collect();
    wanted.sort();
    wanted.dedup();
    wanted
        .into_par_iter()
        .filter_map(|p| {
            // Never a FIFO or a device, which reading would block on or never finish.
            if !std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
                return None;
            }
            let text = std::fs::read_to_string(&p).ok()?;
            let display = discover::display_path(&p, cwd);
            Some((p, Dockerignore::parse(display, &text)))
        })
        .collect()
}

fn dockerignore_for<'a>(
    file: &SourceFile,
    map: &'a HashMap<PathBuf, Dockerignore>,
) -> Option<&'a Dockerignore> {
    dockerignore_candidates(file)
        .iter()
        .find_map(|p| map.get(p))
}

/// Deterministic order: path, position, rule, message.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            &a.location.file.display_path,
            a.location.span.start,
            a.location.span.end,
            &a.rule.id,
            &a.message,
        )
            .cmp(&(
                &b.location.file.display_path,
                b.location.span.start,
                b.location.span.end,
                &b.rule.id,
                &b.message,
            ))
    });
}

/// A fingerprint that survives unrelated edits: the rule, the path, the flagged text and the
/// rest of the lines it is on (its neighbourhood), with blanks folded and secrets masked —
/// not the line number. Moving a block, or editing other lines, keeps it; editing the
/// flagged line makes it a new finding, which is what a baseline should do.
fn fingerprint(f: &Finding) -> String {
    let file = &f.location.file;
    let span = f.location.span;
    let lines = Span::new(
        file.line_span(file.line_col(span.start).line).start,
        file.line_span(file.line_col(span.end).line)
            .end
            .max(span.end),
    );
    let flagged = crate::finding::redact(file.slice(span), span.start, &f.secrets);
    let around = crate::finding::redact(file.slice(lines), lines.start, &f.secrets);
    let fold = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut h = Fnv64::default();
    f.rule.id.hash(&mut h);
    file.display_path.hash(&mut h);
    fold(&flagged).hash(&mut h);
    fold(&around).hash(&mut h);
    format!("{:016x}", h.finish())
}

/// FNV-1a: a fixed, dependency-free hash, so fingerprints are the same on every platform and
/// release (std's `DefaultHasher` makes no such promise).
struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv64 {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn decode_names_utf16_with_or_without_a_byte_order_mark() {
        let le = utf16("FROM x\n", false);
        let be = utf16("FROM x\n", true);
        for (bytes, endian) in [
            (
                [&[0xFF, 0xFE][..], &le].concat(),
                "little-endian, with a byte-order mark",
            ),
            (
                [&[0xFE, 0xFF][..], &be].concat(),
                "big-endian, with a byte-order mark",
            ),
            (le.clone(), "little-endian, without a byte-order mark"),
            (be.clone(), "big-endian, without a byte-order mark"),
        ] {
            let e = decode(&bytes).unwrap_err();
            assert!(e.message.contains(endian), "{}", e.message);
            assert!(!e.message.contains("binary"), "{}", e.message);
            assert_eq!(e.offset, None);
        }
        // A lone NUL in text, or bytes with no pattern, are binary.
        assert!(
            decode(b"FROM x\0\n")
                .unwrap_err()
                .message
                .contains("binary")
        );
        assert!(
            decode(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0")
                .unwrap_err()
                .message
                .contains("binary")
        );
        // UTF-16 of mostly non-ASCII text lacks the pattern: called binary, not UTF-16.
        let mixed = decode(&utf16("a漢b字", false)).unwrap_err();
        assert!(mixed.message.contains("binary"), "{}", mixed.message);
    }

    #[test]
    fn decode_locates_invalid_utf8_and_strips_a_utf8_bom() {
        assert_eq!(decode(b"\xEF\xBB\xBFFROM x").unwrap(), "FROM x");
        let e = decode(b"\xEF\xBB\xBFFROM \xFFx").unwrap_err();
        assert_eq!(e.offset, Some(5));
        assert!(e.message.contains("0xFF"), "{}", e.message);
    }

    #[test]
    fn invalid_utf8_is_a_located_error() {
        let path = Path::new("d/Dockerfile");
        let Err(e) = from_bytes(path, "d/Dockerfile".into(), b"FROM a\nRUN \xC3(\n", None) else {
            panic!("invalid UTF-8 accepted");
        };
        assert_eq!(e.kind, ErrorKind::Parse);
        let (file, span) = e.location.expect("located");
        let at = file.line_col(span.start);
        assert_eq!((at.line, at.column), (2, 5));
        assert_eq!(file.slice(span), "\u{FFFD}");
    }

    #[test]
    fn worker_threads_have_room_for_the_deepest_nesting_parsers_allow() {
        // 63 nested `for` expressions (hcl-edit allows 64) in two files of one module, so
        // they are parsed on worker threads: this overflowed threads of the default 2 MiB
        // in a debug build and aborted the process.
        let dir = tempfile::tempdir().unwrap();
        let deep = format!(
            "locals {{\n  a = {}y{}\n}}\n",
            "[for x in ".repeat(63),
            ": x]".repeat(63)
        );
        std::fs::write(dir.path().join("a.tf"), &deep).unwrap();
        std::fs::write(dir.path().join("b.tf"), &deep).unwrap();
        let opts = Options {
            paths: vec![dir.path().to_path_buf()],
            cwd: dir.path().to_path_buf(),
            ..Options::default()
        };
        let report = check(&opts).unwrap();
        assert_eq!(report.files_checked, 2);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_dockerignore_is_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM x:1\nCOPY . .\n").unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(dir.path().join(".dockerignore"))
            .status();
        assert!(fifo.is_ok_and(|s| s.success()));
        let opts = Options {
            paths: vec![dir.path().to_path_buf()],
            cwd: dir.path().to_path_buf(),
            ..Options::default()
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(check(&opts).map(|r| r.files_checked)));
        let checked = rx.recv_timeout(std::time::Duration::from_secs(20));
        assert_eq!(checked.expect("the check blocked"), Ok(1));
    }

    #[test]
    fn a_refused_file_is_not_read_again_as_a_sibling() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("compose.yaml"),
            "services:\n  a:\n    image: x:1\n",
        )
        .unwrap();
        // The override is refused when the walk reads it; the base then asks for it as a
        // partner, which must not read it (and report it) a second time.
        std::fs::write(dir.path().join("compose.override.yaml"), b"\0\0").unwrap();
        let opts = Options {
            paths: vec![dir.path().to_path_buf()],
            cwd: dir.path().to_path_buf(),
            ..Options::default()
        };
        let report = check(&opts).unwrap();
        let messages: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].contains("compose.override.yaml"),
            "{messages:?}"
        );
    }
}
