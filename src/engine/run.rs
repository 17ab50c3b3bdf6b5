//! One run, start to end: gather the files, then parse, render, model and check each unit in
//! one parallel pass (its parse trees dropped as soon as it is checked), link the service
//! graph and run the cross-file rules, then suppress, filter, sort, fingerprint and limit. What
//! an ignore comment or the baseline holds is kept apart in the report, not dropped.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use super::contexts::Contexts;
use super::gather::{self, Gathered, Input};
use super::{Options, fingerprint, internal, limits, units};
use crate::config::{Config, Resolver};
use crate::finding::Finding;
use crate::graph::link::Explicit;
use crate::guard;
use crate::model::Document;
use crate::model::layer::ImageName;
use crate::outcome::{Report, Suppressed, Suppression};
use crate::parse::dockerignore::Dockerignore;
use crate::rules::{self, FileContext, RuleMeta, Sink};
use crate::source::side::{self, SideFiles};
use crate::source::{ErrorKind, FileError, SourceFile, absolute, discover};

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
    /// The canonical order of the unit that built it (units run in order of cost).
    order: usize,
    file: Arc<SourceFile>,
    findings: Vec<Finding>,
    errors: Vec<FileError>,
    layers: Vec<crate::model::layer::Layer>,
}

type RuleImpls = Vec<(&'static RuleMeta, &'static dyn rules::Rule)>;

pub(super) fn run(opts: &Options, input: Input) -> Result<Report, String> {
    let mut timer = Phases::start();
    let enabled = super::enabled_rules(&opts.enable)?;
    let given = opts.config.as_deref().map(Config::load).transpose()?;
    let mut configs = Resolver::new(given).relative_to(&opts.cwd);
    let Gathered {
        loaded,
        mut errors,
        side,
        files: run_files,
        kustomize,
        contexts,
        named,
    } = gather::gather(opts, &mut configs, input)?;
    timer.lap("discover and read");
    let file_configs = file_configs(&loaded, &mut configs)?;
    let default_config = Config::default();
    let explicit = explicit_services(&configs.all());
    // Every rule that runs under some config in play; each file's findings are then filtered
    // by its own config. A graph-only run (`plumbline graph`) runs none.
    let active: Vec<&'static RuleMeta> = if opts.graph_only {
        Vec::new()
    } else {
        crate::catalogue::all()
            .iter()
            .filter(|m| configs.all().iter().any(|c| c.runs(m, &enabled)))
            .collect()
    };
    let rule_impls: RuleImpls = active
        .iter()
        .filter_map(|m| rules::rule(&m.id).map(|r| (*m, r)))
        .collect();

    // Each unit is parsed, built, checked by every rule and reduced to its graph layers in
    // one parallel pass, then dropped: only the texts, findings and layers outlive it.
    let (declared, missing) = units::DeclaredCompose::collect(&configs.all());
    if !missing.is_empty() {
        return Err(missing.join("\n"));
    }
    let helm_charts: Vec<crate::config::HelmChart> = configs
        .all()
        .iter()
        .flat_map(|c| c.helm.iter().cloned())
        .collect();
    let terraform_called = units::terraform_called(&loaded);
    let bicep_called = units::bicep_called(&loaded);
    let cx = units::Context {
        side: &side,
        kustomize: &kustomize,
        files: &run_files,
        declared: &declared,
        terraform_called: &terraform_called,
        bicep_called: &bicep_called,
        terraform_modules: &Default::default(),
        bicep_modules: &Default::default(),
        helm: &helm_charts,
        configs: &file_configs,
    };
    // Units are taken one at a time, in the list's order (costly first), by whichever worker
    // is free: split into halves, as an indexed parallel iterator is, the largest chart and
    // the next largest can land on the same worker. Measured on the corpus charts: 0.81× the
    // wall time of halving.
    let mut outcomes: Vec<Checked> = units::units(loaded, &kustomize, &declared)
        .into_iter()
        .par_bridge()
        .flat_map_iter(|unit| {
            let order = unit.order();
            unit.build(&cx)
                .into_iter()
                .map(move |(index, file, doc)| (order, index, file, doc))
        })
        .map(|(order, index, file, mut doc)| {
            let mut errors = settle(&file, &mut doc, &file_configs, &opts.cwd);
            let config = file_configs
                .get(&file.path)
                .map_or(&default_config, |c| c.as_ref());
            let findings = check_file(
                &file,
                &doc,
                config,
                &rule_impls,
                &contexts,
                &side,
                opts,
                &mut errors,
            );
            let layers = crate::model::layers::layers_of(&file, &doc);
            Checked {
                index,
                order,
                file,
                findings,
                errors,
                layers,
            }
        })
        .collect();
    // Stable: documents a unit builds for one file stay in the order it built them.
    outcomes.sort_by_key(|c| (c.index, c.order));
    timer.lap("parse, build and check units");

    let mut files: Vec<Arc<SourceFile>> = Vec::with_capacity(outcomes.len());
    let mut findings: Vec<Finding> = Vec::new();
    let mut layers = Vec::new();
    for c in outcomes {
        // A file with a document per environment (a Compose base) is one file.
        if !files.last().is_some_and(|f| Arc::ptr_eq(f, &c.file)) {
            files.push(c.file);
        }
        findings.extend(c.findings);
        errors.extend(c.errors);
        layers.extend(c.layers);
    }

    // Cross-file rules: one graph of services for the whole run.
    let layer_files: Vec<&std::path::Path> =
        layers.iter().map(|l| l.at.file.path.as_path()).collect();
    // A changed-files run links as a run over the projects it read would.
    let scan_roots: Vec<PathBuf> = match &named {
        Some((_, read)) => opts.paths.iter().chain(read).cloned().collect(),
        None => opts.paths.clone(),
    };
    let projects = crate::source::project::projects(&layer_files, &scan_roots);
    let mut kept_graph = None;
    match guard::guarded(|| {
        guard::injected("graph", format_args!(""));
        crate::graph::link::link(layers, &explicit, &projects)
    }) {
        Ok(graph) => {
            for (meta, rule) in &rule_impls {
                let mut sink = rules::GraphSink::new(meta);
                match guard::guarded(|| rule.check_graph(&graph, &mut sink)) {
                    Ok(()) => findings.extend(sink.into_findings()),
                    Err(m) => errors.push(graph_error(&format!("in rule {}: {m}", meta.id))),
                }
            }
            if opts.graph_only {
                kept_graph = Some(graph);
            }
        }
        Err(m) => errors.push(graph_error(&format!(
            "while building the service graph: {m}"
        ))),
    }

    crate::finding::merge_environments(&mut findings);
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

    crate::finding::sort(&mut findings);
    findings.dedup_by(|a, b| {
        a.rule.id == b.rule.id
            && a.location.span == b.location.span
            && a.location.file.display_path == b.location.file.display_path
            && a.message == b.message
    });
    let secret_spans = crate::outcome::secret_spans(&findings);
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
    // What an ignore holds is selected by the config as if it stood: SARIF shows it as
    // suppressed only where it would otherwise be reported.
    let mut silenced = Vec::with_capacity(outcome.silenced.len());
    for mut s in outcome.silenced {
        let f = &mut s.finding;
        let config = configs.for_file(&f.location.file.path)?;
        if config.reports(f.rule, &enabled, &absolute(&f.location.file.path)) {
            f.severity = config.severity(f.rule);
            silenced.push(s);
        }
    }
    crate::finding::sort(&mut findings);
    // The reported findings are fingerprinted first and alone, as if nothing were suppressed
    // (baselines match on their fingerprints); the suppressed then take the next free ones.
    let mut given = fingerprint::Given::default();
    fingerprint::assign(&mut given, &mut findings);
    fingerprint::assign(&mut given, silenced.iter_mut().map(|s| &mut s.finding));
    let mut baseline = None;
    if let Some(b) = &opts.baseline {
        let (kept, matched, stats) = b.apply(findings);
        findings = kept;
        baseline = Some(stats);
        silenced.extend(matched.into_iter().map(|finding| Suppressed {
            finding,
            by: Suppression::Baseline,
        }));
    }
    silenced.sort_by(|a, b| crate::finding::order(&a.finding, &b.finding));
    // A changed-files run reports on the files it was given: what touches them.
    let mut files = files;
    if let Some((named, read)) = &named {
        let is_named = |f: &SourceFile| {
            let at = crate::source::normalize(&absolute(&f.path));
            named.iter().any(|n| at.starts_with(n))
        };
        // A named file that defines an environment (a values overlay, a Compose variant, a
        // kustomization) also touches what holds in that environment of its project.
        let defined: Vec<(&PathBuf, String)> = files
            .iter()
            .filter(|f| is_named(f))
            .flat_map(|f| {
                let at = crate::source::normalize(&absolute(&f.path));
                let project = read.iter().find(|r| at.starts_with(r));
                let envs = units::defined_environment(f)
                    .into_iter()
                    .chain(declared.environments_of(&f.path));
                envs.filter_map(move |env| Some((project?, env)))
            })
            .collect();
        let in_environment = |f: &Finding| {
            let at = crate::source::normalize(&absolute(&f.location.file.path));
            defined
                .iter()
                .any(|(project, env)| at.starts_with(project) && f.environments.contains(env))
        };
        let touches = |f: &Finding| {
            is_named(&f.location.file)
                || f.related.iter().any(|r| is_named(&r.location.file))
                || in_environment(f)
        };
        findings.retain(touches);
        silenced.retain(|s| touches(&s.finding));
        errors.retain(|e| match &e.location {
            Some((file, _)) => is_named(file),
            None => named
                .iter()
                .any(|n| n.ends_with(&e.path) || e.path.is_empty()),
        });
        files.retain(|f| is_named(f));
    }
    if let Some(max) = opts.limits.findings_per_file {
        errors.extend(limits::limit_findings(&mut findings, max));
    }
    timer.lap("suppress, filter, fingerprint");
    errors.sort_by(|a, b| {
        (&a.path, a.location.as_ref().map(|l| l.1), &a.message).cmp(&(
            &b.path,
            b.location.as_ref().map(|l| l.1),
            &b.message,
        ))
    });
    // One problem met by several units (a base's error, built through each overlay) is said
    // once.
    errors.dedup_by(|a, b| {
        a.path == b.path
            && a.message == b.message
            && a.location.as_ref().map(|l| l.1) == b.location.as_ref().map(|l| l.1)
    });

    Ok(Report {
        findings,
        errors,
        suppressed,
        baseline,
        suppressed_findings: silenced,
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
        graph: kept_graph,
        secret_spans,
    })
}

/// The config of each file, resolved up front so units can be built and checked in parallel:
/// which environments are production is the project's call (`[environments]`), and rules read
/// their settings (`[pinned-versions]`) from it.
fn file_configs(
    loaded: &[super::Loaded],
    configs: &mut Resolver,
) -> Result<HashMap<PathBuf, Arc<Config>>, String> {
    let mut out = HashMap::new();
    for (file, _) in loaded {
        out.insert(file.path.clone(), configs.for_file(&file.path)?);
    }
    Ok(out)
}

/// Applies the project's settings to a built document and returns its errors (parse errors,
/// or the internal error of a crashed build).
fn settle(
    file: &Arc<SourceFile>,
    doc: &mut Document,
    configs: &HashMap<PathBuf, Arc<Config>>,
    cwd: &std::path::Path,
) -> Vec<FileError> {
    if let Some(config) = configs.get(&file.path) {
        match doc {
            Document::HelmChart(chart) => chart.set_production(|env| config.is_production(env)),
            Document::HelmRender(r) => {
                let production = config.is_production(&r.environment.name);
                r.set_production(production);
            }
            Document::Kustomize(k) => {
                let production = config.is_production(&k.environment.name);
                k.set_production(production);
            }
            Document::Compose {
                environment: Some(e),
                ..
            } => e.production = config.is_production(&e.name),
            _ => {}
        }
    }
    let mut errors = Vec::new();
    if let Document::Kustomize(k) = doc {
        errors.extend(
            k.diagnostics
                .iter()
                .map(|d| super::kustomize::error(d, cwd)),
        );
    }
    match doc {
        Document::HelmChart(c) => errors.extend(
            c.diagnostics
                .iter()
                .map(|d| super::kustomize::located(d.severity, &d.message, &d.at, cwd)),
        ),
        Document::HelmRender(r) => errors.extend(
            r.diagnostics
                .iter()
                .map(|d| super::kustomize::located(d.severity, &d.message, &d.at, cwd)),
        ),
        _ => {}
    }
    if let Document::Terraform(t) = doc {
        errors.extend(t.module.diagnostics.iter().map(|d| FileError {
            kind: if d.limit {
                ErrorKind::Limit
            } else {
                ErrorKind::Note
            },
            path: d.at.file.display_path.clone(),
            location: Some((Arc::clone(&d.at.file), d.at.span)),
            message: d.message.clone(),
        }));
    }
    if let Document::Bicep(b) = doc {
        errors.extend(b.notes.iter().map(|n| FileError {
            kind: if n.limit {
                ErrorKind::Limit
            } else {
                ErrorKind::Note
            },
            path: n.at.file.display_path.clone(),
            location: Some((Arc::clone(&n.at.file), n.at.span)),
            message: n.message.clone(),
        }));
    }
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

/// Runs each per-file rule on one document; a panic costs that rule on that file only and is
/// added to `errors`.
#[allow(clippy::too_many_arguments)]
fn check_file(
    file: &Arc<SourceFile>,
    doc: &Document,
    config: &Config,
    rule_impls: &RuleImpls,
    contexts: &Contexts,
    side: &SideFiles,
    opts: &Options,
    errors: &mut Vec<FileError>,
) -> Vec<Finding> {
    // A Dockerfile's build context decides its `.dockerignore` and whether `.git` is in it.
    let context =
        matches!(doc, Document::Dockerfile(_)).then(|| contexts.of(&file.path, doc, side));
    let dockerignore: Option<Dockerignore> = context.as_ref().and_then(|c| {
        [
            side::dockerignore_candidates(&file.path).remove(0),
            c.dir.join(".dockerignore"),
        ]
        .into_iter()
        .find_map(|p| {
            let text = side.text(&p)?;
            Some(Dockerignore::parse(
                discover::display_path(&p, &opts.cwd),
                text,
            ))
        })
    });
    let ctx = FileContext {
        file,
        doc,
        dockerignore: dockerignore.as_ref(),
        context_has_git: context
            .as_ref()
            .is_some_and(|c| side.exists(&side::git_dir(&c.dir))),
        build_context: context
            .as_ref()
            .map(|c| discover::display_path(&c.dir, &opts.cwd)),
        config,
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
    if let Document::Compose {
        environment: Some(e),
        ..
    } = doc
    {
        for f in &mut out {
            if f.environments.is_empty() {
                f.environments.push(e.name.clone());
            }
        }
    }
    // A finding on a parameter file's line holds in the environment that file deploys.
    if let Document::Bicep(b) = doc {
        for f in &mut out {
            let env = b
                .param_files
                .iter()
                .find(|p| p.file.path == f.location.file.path)
                .and_then(|p| p.environment.clone());
            if let Some(env) = env
                && !f.environments.contains(&env)
            {
                f.environments.push(env);
            }
        }
    }
    if let Document::HelmRender(r) = doc {
        relate_written_by(&mut out, &r.written_by);
        for f in &mut out {
            if f.environments.is_empty() {
                f.environments.push(r.environment.name.clone());
            }
        }
    }
    if let Document::Kustomize(k) = doc {
        relate_replaced(&mut out, &k.replaced);
        // Everything a root deploys holds in its environment (Services and Secrets too, not
        // only containers).
        for f in &mut out {
            if f.environments.is_empty() {
                f.environments.push(k.environment.name.clone());
            }
        }
    }
    out
}

/// A finding on a values line (or `--set` entry) that a template printed names the template
/// action as related: the values line is the cause, the template line is where it is used.
fn relate_written_by(findings: &mut [Finding], written_by: &[crate::render::helm::WrittenBy]) {
    if written_by.is_empty() || findings.is_empty() {
        return;
    }
    let mut by_value: HashMap<(&std::path::Path, usize, usize), Vec<&crate::source::Origin>> =
        HashMap::new();
    for w in written_by {
        by_value
            .entry((
                w.value.file.path.as_path(),
                w.value.span.start,
                w.value.span.end,
            ))
            .or_default()
            .push(&w.template);
    }
    for f in findings {
        let at = &f.location;
        let Some(templates) = by_value.get(&(at.file.path.as_path(), at.span.start, at.span.end))
        else {
            continue;
        };
        // The template that lays the object out, not a helper that also prints the value
        // (labels print `appVersion` everywhere): the first action outside `_*.tpl`.
        let helper = |t: &crate::source::Origin| {
            t.file
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('_'))
        };
        let Some(t) = templates
            .iter()
            .find(|t| !helper(t))
            .or_else(|| templates.first())
        else {
            continue;
        };
        let seen = f
            .related
            .iter()
            .any(|r| r.location.span == t.span && r.location.file.path == t.file.path);
        if !seen {
            f.related.push(crate::finding::Related {
                location: (*t).clone(),
                message: "the template that renders this value".into(),
            });
        }
    }
}

/// Findings about values an overlay set in place of a base's land on the overlay: a finding
/// at the overlay's value (an `images:` entry, a patch line) names the base's value as related;
/// a finding at a base line that disagrees with a value the overlay changed (a probe the base
/// writes, against a port the overlay moved) is moved to the overlay's line, which is what
/// introduced the disagreement, with the base line as related.
fn relate_replaced(findings: &mut [Finding], replaced: &[crate::render::kustomize::Replaced]) {
    if replaced.is_empty() {
        return;
    }
    let same = |a: &crate::source::Origin, b: &crate::source::Origin| {
        a.span == b.span && a.file.path == b.file.path
    };
    for f in findings {
        let changed = |at: &crate::source::Origin| replaced.iter().find(|r| same(&r.new, at));
        if changed(&f.location).is_none()
            && let Some(i) = f
                .related
                .iter()
                .position(|r| changed(&r.location).is_some())
        {
            let overlay = f.related.remove(i);
            let base = std::mem::replace(&mut f.location, overlay.location);
            f.related.insert(
                0,
                crate::finding::Related {
                    location: base,
                    message: "the base's value this disagrees with".into(),
                },
            );
            f.secrets.clear();
        }
        for r in replaced {
            let already = f.related.iter().any(|x| same(&x.location, &r.old));
            if same(&r.new, &f.location) && !already {
                f.related.push(crate::finding::Related {
                    location: r.old.clone(),
                    message: format!("the base's value, replaced by the overlay's {}", r.what),
                });
            }
        }
    }
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

/// The explicit services of the configs in use, paths resolved against each config's
/// directory.
fn explicit_services(configs: &[Arc<Config>]) -> Vec<Explicit> {
    let mut out = Vec::new();
    for c in configs {
        for (name, s) in &c.services {
            out.push(Explicit {
                name: name.clone(),
                config: c.path.display().to_string(),
                dockerfile: s.dockerfile.as_ref().map(|d| {
                    let p = c.dir.join(d);
                    crate::source::normalize(&crate::source::absolute(&p))
                }),
                images: s
                    .images
                    .iter()
                    .filter_map(|i| ImageName::parse(i).map(|n| n.repository))
                    .collect(),
                compose: s.compose.clone(),
                helm: s.helm.clone(),
                kubernetes: s.kubernetes.clone(),
                terraform: s.terraform.clone(),
                not: s.not.clone(),
            });
        }
    }
    out.sort_by(|a, b| (&a.config, &a.name).cmp(&(&b.config, &b.name)));
    out.dedup_by(|a, b| a.config == b.config && a.name == b.name);
    out
}
