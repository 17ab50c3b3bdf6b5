//! Assembly: files that describe one thing together become one [`Document`]. A Compose file
//! and its override make one project; a chart's `Chart.yaml`, values and templates make one
//! chart; a Terraform directory is one module; a Bicep template takes the `.bicepparam`
//! files that use it. Every other file is its own document.
//!
//! Files are grouped into [`Unit`]s by path and format alone, before they are parsed, so
//! that a unit can be parsed, built, checked and dropped on its own: the parse trees of a
//! 50,000-file repository are never in memory at once (only `.bicepparam` files are parsed
//! early, since their `using` names their unit).
//!
//! A unit is always read whole: when only part of it was asked for (a pre-commit hook passes
//! just the changed `values.production.yaml`), [`missing_siblings`] names the rest, which the
//! engine reads too, so the part is checked in the context that gives it meaning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Loaded;
use super::kustomize::{Roots, RunFiles};
use crate::model::{Document, helm, kubernetes};
use crate::parse::{self, ParseError, Parsed, yaml};
use crate::render::{bicep, compose, terraform};
use crate::source::siblings;
use crate::source::side::{self, SideFiles};
use crate::source::{Format, SourceFile, detect, normalize};

/// Files that belong to the units of `loaded` but were not loaded: the rest of each chart
/// and the base or override of each Compose file.
pub fn missing_siblings(loaded: &[Loaded]) -> Vec<PathBuf> {
    let have: std::collections::HashSet<&Path> =
        loaded.iter().map(|(f, _)| f.path.as_path()).collect();
    let mut want: Vec<PathBuf> = Vec::new();
    let mut roots: Vec<PathBuf> = loaded.iter().filter_map(|(f, _)| chart_root(f)).collect();
    roots.sort();
    roots.dedup();
    for root in roots {
        want.extend(siblings::chart_files(&root));
    }
    for (f, _) in loaded.iter().filter(|(f, _)| f.format == Format::Compose) {
        want.extend(compose_partners(&f.path));
    }
    // A Terraform module is its whole directory; a parameter file needs its template.
    let mut tf_dirs: Vec<&Path> = loaded
        .iter()
        .filter(|(f, _)| matches!(f.format, Format::Terraform | Format::TerraformVars))
        .map(|(f, _)| f.dir())
        .collect();
    tf_dirs.sort();
    tf_dirs.dedup();
    for dir in tf_dirs {
        want.extend(siblings::terraform_files(dir));
    }
    want.extend(
        loaded
            .iter()
            .filter_map(|(f, p)| template_of(f, p.as_ref()?)),
    );
    want.sort();
    want.dedup();
    want.retain(|p| !have.contains(p.as_path()));
    siblings::existing_files(want)
}

/// The template a `.bicepparam` file's `using` names, as a path.
fn template_of(file: &SourceFile, parsed: &Parsed) -> Option<PathBuf> {
    match parsed {
        Parsed::Bicep(b) => Some(normalize(&file.dir().join(b.using.as_deref()?))),
        _ => None,
    }
}

/// Whether an ARM template is Bicep's output (`"_generator": {"name": "bicep"}`) for a
/// `.bicep` file of the run beside it, of the same name.
fn compiled_from_bicep(file: &SourceFile, templates: &std::collections::HashSet<PathBuf>) -> bool {
    let source = normalize(&file.path.with_extension("bicep"));
    templates.contains(&source)
        && file.text.contains("\"_generator\"")
        && file.text.contains("\"name\": \"bicep\"")
}

/// The template an ARM parameter file gives values to, among the run's templates: by name
/// (`main.parameters.json`, `main.parameters.prod.json` → `main.json` or `main.bicep`), else
/// the one template of its directory, or of the parent of a `parameters/` or `params/`
/// directory (`params.prod.json`, `parameters/prod.parameters.json`).
pub fn arm_template_of(
    path: &Path,
    templates: &std::collections::HashSet<PathBuf>,
) -> Option<PathBuf> {
    let path = normalize(path);
    let dir = path.parent()?;
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if let Some((stem, _)) = name.split_once(".parameters") {
        for ext in ["json", "bicep"] {
            let candidate = dir.join(format!("{stem}.{ext}"));
            if templates.contains(&candidate) {
                return Some(candidate);
            }
        }
    }
    let only_in = |d: &Path| -> Option<PathBuf> {
        let mut found = templates.iter().filter(|t| t.parent() == Some(d));
        let first = found.next()?;
        found.next().is_none().then(|| first.clone())
    };
    if let Some(t) = only_in(dir) {
        return Some(t);
    }
    let dir_name = dir.file_name()?.to_str()?.to_ascii_lowercase();
    if matches!(
        dir_name.as_str(),
        "parameters" | "params" | "parameter-files"
    ) {
        return only_in(dir.parent()?);
    }
    None
}

/// Whether a file of this format must be parsed before it can be put in a unit.
pub fn parsed_early(format: Format) -> bool {
    format == Format::BicepParams
}

/// Files that are built into documents together. Members keep the position they had in the
/// run's file list, so documents come out in the order the files were given.
#[derive(Debug)]
pub struct Unit {
    kind: UnitKind,
    members: Vec<Member>,
    /// The unit's place in the canonical order (file order, the singles first), which breaks
    /// ties between documents of one file found through several units: the run schedules
    /// units by cost, and what it reports must not depend on that.
    order: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum UnitKind {
    Single,
    /// A file a Kustomize root consumes (a base manifest, a patch, an included
    /// kustomization): checked through the root, and left alone here.
    Consumed,
    /// A Kustomize root: built with everything it includes.
    Kustomize,
    Compose,
    Chart,
    Bicep,
    Terraform,
}

#[derive(Debug)]
struct Member {
    index: usize,
    file: Arc<SourceFile>,
    parsed: Option<Parsed>,
}

impl Member {
    /// The member's parse, made now if it was deferred.
    fn parse(&mut self) -> Parsed {
        match self.parsed.take() {
            Some(p) => p,
            None => {
                crate::guard::injected("parse", format_args!("{}", self.file.display_path));
                parse::parse(&self.file)
            }
        }
    }
}

/// What units are built with, besides their files.
pub struct Context<'a> {
    pub side: &'a SideFiles,
    pub kustomize: &'a Roots,
    /// What Kustomize builds and Terraform module calls read.
    pub files: &'a RunFiles,
    /// The Compose environments configs declare.
    pub declared: &'a DeclaredCompose,
    /// Terraform module directories another module of the run calls by a local path
    /// (normalized absolute paths): checked through their callers.
    pub terraform_called: &'a std::collections::HashSet<PathBuf>,
    /// Bicep templates another template of the run calls as a module (normalized absolute
    /// paths): checked through their callers.
    pub bicep_called: &'a std::collections::HashSet<PathBuf>,
    /// Module directories and templates parsed for module calls, shared by every unit.
    pub terraform_modules: &'a terraform::modules::Cache,
    pub bicep_modules: &'a bicep::Cache,
    /// The charts configs name (`[[helm.chart]]`), with their release and environments.
    pub helm: &'a [crate::config::HelmChart],
    /// Each file's config (the other charts take their `[helm]` settings from theirs).
    pub configs: &'a std::collections::HashMap<PathBuf, Arc<crate::config::Config>>,
}

/// Compose environments declared in `.plumbline.toml` (`[environments.<name>] compose = […]`),
/// where no file name says what a file is to its project. Paths are normalized and absolute.
#[derive(Debug, Default)]
pub struct DeclaredCompose {
    /// Each declared file → the base of its environment (the first file listed).
    base_of: BTreeMap<PathBuf, PathBuf>,
    /// Each base → its environments: the name and the files merged on the base, in order.
    environments: BTreeMap<PathBuf, Vec<(String, Vec<PathBuf>)>>,
}

impl DeclaredCompose {
    /// The environments the configs declare (their files relative to each config's
    /// directory). A file named that does not exist is an error of the config.
    pub fn collect(configs: &[Arc<crate::config::Config>]) -> (DeclaredCompose, Vec<String>) {
        let mut out = DeclaredCompose::default();
        let mut missing = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for config in configs {
            if !seen.insert(Arc::as_ptr(config)) {
                continue;
            }
            let dir = crate::source::absolute(&config.dir);
            for (name, env) in &config.declared {
                let files: Vec<PathBuf> = env
                    .compose
                    .iter()
                    .map(|f| normalize(&dir.join(f)))
                    .collect();
                for (f, written) in files.iter().zip(&env.compose) {
                    if !crate::source::read::is_regular_file(f) {
                        missing.push(crate::config::one_line(&format!(
                            "{}: [environments.{name}] names the Compose file {written:?}, which does not exist",
                            config.path.display()
                        )));
                    }
                }
                let Some((base, rest)) = files.split_first() else {
                    continue;
                };
                for f in &files {
                    out.base_of.insert(f.clone(), base.clone());
                }
                out.environments
                    .entry(base.clone())
                    .or_default()
                    .push((name.clone(), rest.to_vec()));
            }
        }
        (out, missing)
    }

    /// The environments a declared file (not a base) is merged into.
    pub fn environments_of(&self, path: &Path) -> Vec<String> {
        let at = normalize(&crate::source::absolute(path));
        let Some(base) = self.base_of.get(&at) else {
            return Vec::new();
        };
        self.environments
            .get(base)
            .into_iter()
            .flatten()
            .filter(|(_, files)| files.contains(&at))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The base a declared file belongs with.
    fn base_of(&self, path: &Path) -> Option<&Path> {
        self.base_of
            .get(&normalize(&crate::source::absolute(path)))
            .map(PathBuf::as_path)
    }
}

/// The key of a Compose file's unit: its declared base's, or its conventional base's.
fn compose_unit_key(path: &Path, declared: &DeclaredCompose) -> PathBuf {
    let at = declared
        .base_of(path)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| normalize(&crate::source::absolute(path)));
    compose_key(&at).0
}

/// The Bicep templates that the run's templates call as modules by a local path.
pub fn bicep_called(loaded: &[Loaded]) -> std::collections::HashSet<PathBuf> {
    loaded
        .iter()
        .filter(|(f, _)| f.format == Format::Bicep)
        .flat_map(|(f, _)| bicep::module_paths(f))
        .map(|p| normalize(&crate::source::absolute(&p)))
        .collect()
}

/// The Terraform module directories that the run's `.tf` files call by a local path.
pub fn terraform_called(loaded: &[Loaded]) -> std::collections::HashSet<PathBuf> {
    loaded
        .iter()
        .filter(|(f, _)| f.format == Format::Terraform)
        .flat_map(|(f, _)| terraform::modules::local_calls(f))
        .map(|p| normalize(&crate::source::absolute(&p)))
        .collect()
}

/// Groups files into units by path and format (see the module doc).
pub fn units(loaded: Vec<Loaded>, kustomize: &Roots, declared: &DeclaredCompose) -> Vec<Unit> {
    let templates: std::collections::HashSet<PathBuf> = loaded
        .iter()
        .filter(|(f, _)| matches!(f.format, Format::Bicep | Format::ArmTemplate))
        .map(|(f, _)| normalize(&f.path))
        .collect();
    let mut keyed: BTreeMap<(UnitKind, PathBuf), Unit> = BTreeMap::new();
    let mut singles = Vec::new();
    for (index, (file, parsed)) in loaded.into_iter().enumerate() {
        let own = |kind| Unit {
            kind,
            members: Vec::new(),
            order: 0,
        };
        let kustomize_kind = match file.format {
            Format::Kustomization if kustomize.root(&file.path).is_some() => {
                Some(UnitKind::Kustomize)
            }
            Format::Kustomization
            | Format::Kubernetes
            | Format::OtherYaml
            | Format::HelmChart
            | Format::HelmValues
            | Format::HelmTemplate
                if kustomize.consumes(&file.path) =>
            {
                Some(UnitKind::Consumed)
            }
            _ => None,
        };
        if let Some(kind) = kustomize_kind {
            let mut unit = own(kind);
            unit.members.push(Member {
                index,
                file,
                parsed,
            });
            singles.push(unit);
            continue;
        }
        let key = match file.format {
            Format::HelmChart | Format::HelmValues | Format::HelmTemplate => {
                chart_root(&file).map(|root| (UnitKind::Chart, root))
            }
            Format::Compose => Some((UnitKind::Compose, compose_unit_key(&file.path, declared))),
            // Bicep's compiled `main.json` beside its `main.bicep` is checked as the source.
            Format::ArmTemplate if compiled_from_bicep(&file, &templates) => None,
            Format::Bicep | Format::ArmTemplate => Some((UnitKind::Bicep, normalize(&file.path))),
            Format::ArmParameters => {
                arm_template_of(&file.path, &templates).map(|t| (UnitKind::Bicep, t))
            }
            Format::BicepParams => parsed
                .as_ref()
                .and_then(|p| template_of(&file, p))
                .map(|template| (UnitKind::Bicep, template)),
            Format::Terraform | Format::TerraformVars => {
                Some((UnitKind::Terraform, file.dir().to_path_buf()))
            }
            _ => None,
        };
        let member = Member {
            index,
            file,
            parsed,
        };
        match key {
            Some((kind, path)) => {
                keyed
                    .entry((kind, path))
                    .or_insert_with(|| Unit {
                        kind,
                        members: Vec::new(),
                        order: 0,
                    })
                    .members
                    .push(member);
            }
            None => singles.push(Unit {
                kind: UnitKind::Single,
                members: vec![member],
                order: 0,
            }),
        }
    }
    // The costly units first, the largest first: a chart renders in milliseconds where a
    // single manifest takes microseconds, and a parallel pass that meets its largest chart
    // last ends on one core while the other idles (longest-first is the classic greedy
    // schedule; the run takes units from this list in order, see `engine::run`). Charts,
    // then Terraform and Bicep (modules followed), Kustomize roots and Compose projects, each
    // by the bytes of their files; the singles fill in behind. (Results are put back in file
    // order, so this order shows nowhere.)
    let mut units: Vec<Unit> = keyed.into_values().collect();
    for (order, u) in singles.iter_mut().chain(units.iter_mut()).enumerate() {
        u.order = order;
    }
    units.sort_by_cached_key(|u| {
        let class = match u.kind {
            UnitKind::Chart => 0,
            UnitKind::Terraform | UnitKind::Bicep => 1,
            _ => 2,
        };
        let bytes: usize = u.members.iter().map(|m| m.file.text.len()).sum();
        (class, std::cmp::Reverse(bytes), u.order)
    });
    units.extend(singles);
    units
}

/// A file's YAML documents and errors, taken from its parse.
fn yaml_of(parsed: Parsed) -> (Vec<yaml::Node>, Vec<ParseError>) {
    match parsed {
        Parsed::Yaml(s) => (s.docs, s.errors),
        Parsed::Bicep(b) => (Vec::new(), b.errors),
        Parsed::Terraform(t) => (Vec::new(), t.errors),
        Parsed::Template(errors) => (Vec::new(), errors),
        _ => (Vec::new(), Vec::new()),
    }
}

impl Unit {
    /// The unit's place in the canonical order (see [`Unit::order`]'s field).
    pub fn order(&self) -> usize {
        self.order
    }

    /// Parses the members and builds their documents: one per member that has one (a file
    /// read as part of another's document gets a [`Document::Part`] with its own errors).
    /// A panic costs the unit's primary file only ([`crate::guard`]).
    pub fn build(self, cx: &Context<'_>) -> Vec<(usize, Arc<SourceFile>, Document)> {
        let ids: Vec<(usize, Arc<SourceFile>)> = self
            .members
            .iter()
            .map(|m| (m.index, Arc::clone(&m.file)))
            .collect();
        let kind = self.kind;
        let members = self.members;
        let built = crate::guard::guarded(|| match kind {
            UnitKind::Single => members.into_iter().filter_map(single).collect(),
            UnitKind::Consumed => members
                .into_iter()
                .map(|m| (m.index, m.file, Document::Part { errors: Vec::new() }))
                .collect(),
            UnitKind::Kustomize => members.into_iter().map(|m| kustomize_unit(m, cx)).collect(),
            UnitKind::Compose => compose_unit(members, cx.side, cx.declared),
            UnitKind::Chart => chart_unit(members, cx),
            UnitKind::Bicep => bicep_unit(members, cx),
            UnitKind::Terraform => terraform_unit(members, cx),
        });
        built.unwrap_or_else(|message| {
            // A panic outside a member's own builder (while parsing, say): the unit's first
            // file carries the report, the others are left without findings.
            let mut ids = ids.into_iter();
            let first = ids
                .next()
                .map(|(i, f)| (i, f, Document::Crashed { message }));
            first
                .into_iter()
                .chain(ids.map(|(i, f)| (i, f, Document::Part { errors: Vec::new() })))
                .collect()
        })
    }
}

/// A Kustomize root, built (its kustomization file is read by the build, with the files it
/// names); the environment is not production until the run's config says so.
fn kustomize_unit(m: Member, cx: &Context<'_>) -> (usize, Arc<SourceFile>, Document) {
    let file = Arc::clone(&m.file);
    let doc = contained(&file, || {
        let repo = cx
            .kustomize
            .root(&file.path)
            .unwrap_or(file.dir())
            .to_path_buf();
        let built = super::kustomize::build(cx.files, &file.path, &repo);
        // A root kustomize refuses deploys nothing; the manifests it names are still checked
        // as written, so one broken generator does not hide its bases' problems.
        let fallback: Vec<yaml::Node> = if built.ok() {
            Vec::new()
        } else {
            super::kustomize::resources_as_written(cx.kustomize, cx.files, &file.path)
        };
        let mut k = crate::model::kustomize::read(built, false);
        if !fallback.is_empty() {
            let written = kubernetes::build(&file, &fallback);
            k.manifests.containers.extend(written.containers);
            k.manifests.services.extend(written.services);
            k.manifests.secrets.extend(written.secrets);
        }
        Document::Kustomize(Box::new(k))
    });
    (m.index, file, doc)
}

fn single(mut m: Member) -> Option<(usize, Arc<SourceFile>, Document)> {
    let file = Arc::clone(&m.file);
    let doc = contained(&file, || match m.parse() {
        Parsed::Dockerfile(d) => Some(Document::Dockerfile(d)),
        parsed @ Parsed::Yaml(_) if file.format == Format::Azd => {
            let (docs, errors) = yaml_of(parsed);
            let mut a = crate::parse::azd::read(&file, &docs);
            a.errors.splice(0..0, errors);
            Some(Document::Azd(a))
        }
        parsed @ Parsed::Yaml(_) if file.format == Format::Kubernetes => {
            let (docs, errors) = yaml_of(parsed);
            let mut k = kubernetes::build(&file, &docs);
            k.errors.splice(0..0, errors);
            Some(Document::Kubernetes(k))
        }
        // Helm files outside a chart, parameter files without `using`: their own errors only.
        parsed @ (Parsed::Yaml(_)
        | Parsed::Bicep(_)
        | Parsed::Terraform(_)
        | Parsed::Template(_)) => {
            let (_, errors) = yaml_of(parsed);
            Some(Document::Part { errors })
        }
        Parsed::Ignored => None,
    })?;
    Some((m.index, file, doc))
}

fn compose_unit(
    members: Vec<Member>,
    side: &SideFiles,
    declared: &DeclaredCompose,
) -> Vec<(usize, Arc<SourceFile>, Document)> {
    let mut out = Vec::new();
    let mut files: Vec<ComposeFile> = Vec::new();
    for mut m in members {
        let (docs, errors, tags) = match m.parse() {
            Parsed::Yaml(s) => (s.docs, s.errors, s.tags),
            other => {
                let (docs, errors) = yaml_of(other);
                (docs, errors, Vec::new())
            }
        };
        // A YAML file picked up for its top-level `services:` key, but whose services are
        // not a mapping of service mappings, is some other tool's file: left alone.
        if detect::by_name(&m.file.path) != Some(Format::Compose)
            && errors.is_empty()
            && !looks_like_compose(&docs)
        {
            continue;
        }
        let at = normalize(&crate::source::absolute(&m.file.path));
        let role = match declared.base_of(&m.file.path) {
            Some(base) if base == at => ComposeRole::Base,
            Some(_) => ComposeRole::Declared,
            None => compose_key(&m.file.path).1,
        };
        files.push(ComposeFile {
            at,
            index: m.index,
            file: m.file,
            docs,
            errors,
            tags,
            role,
        });
    }
    files.sort_by(|a, b| a.file.path.cmp(&b.file.path));
    let mut tags = compose::Tags::default();
    for f in &files {
        tags.add(&f.file.path, &f.tags);
    }
    let mut bases: Vec<ComposeFile> = Vec::new();
    let mut overrides: Vec<ComposeFile> = Vec::new();
    let mut variants: Vec<ComposeFile> = Vec::new();
    let mut declared_files: Vec<ComposeFile> = Vec::new();
    for f in files {
        match f.role {
            ComposeRole::Base => bases.push(f),
            ComposeRole::Override => overrides.push(f),
            ComposeRole::Variant(_) => variants.push(f),
            ComposeRole::Declared => declared_files.push(f),
        }
    }
    // The base a config declares environments on comes first.
    bases.sort_by_key(|f| (!declared.environments.contains_key(&f.at), f.index));
    // Two bases for one key (`compose.yml` and `compose.yaml`): Compose refuses that; each is
    // checked on its own. Without a base, every file is a project of its own.
    let mut bases = bases.into_iter();
    let Some(base) = bases.next() else {
        for f in overrides.into_iter().chain(variants).chain(declared_files) {
            out.push(lone_project(f, side, &tags));
        }
        return out;
    };
    for f in bases {
        out.push(lone_project(f, side, &tags));
    }
    // A variant is an environment of the base when it adds to one of the base's services
    // without saying what that service runs (no `image`, no `build`: it needs the base). A
    // variant whose services all stand on their own is a stack of its own, run alone
    // (`docker-compose.images.yml`, `docker-compose.ci.build.yml`).
    let base_services = top_services(&base.docs);
    let (environments, standalone): (Vec<ComposeFile>, Vec<ComposeFile>) =
        variants.into_iter().partition(|v| {
            let services = v.docs.first().and_then(|d| d.get("services"));
            services.is_some_and(|all| {
                all.entries().any(|(name, e)| {
                    base_services.iter().any(|b| b == name)
                        && e.value.get("image").is_none()
                        && e.value.get("build").is_none()
                })
            })
        });
    for f in standalone {
        out.push(lone_project(f, side, &tags));
    }
    let dotenv = side.text(&side::compose_env(&base.file.path));
    let base_pair = (Arc::clone(&base.file), base.docs.clone());
    // Each other file keeps its own errors, plus those the projects found in it.
    let mut parts: Vec<(usize, Arc<SourceFile>, Vec<ParseError>)> = overrides
        .iter()
        .chain(&environments)
        .chain(&declared_files)
        .map(|f| (f.index, Arc::clone(&f.file), f.errors.clone()))
        .collect();
    let env_of = |name: &str| crate::render::Environment {
        name: name.to_string(),
        production: false,
    };
    // The environments the config declares on this base: its files merged in order.
    let declared_here: Vec<(String, Vec<YamlFile>)> = declared
        .environments
        .get(&base.at)
        .into_iter()
        .flatten()
        .map(|(name, paths)| {
            let layers = paths
                .iter()
                .filter_map(|p| declared_files.iter().find(|f| &f.at == p))
                .map(|f| (Arc::clone(&f.file), f.docs.clone()))
                .collect();
            (name.clone(), layers)
        })
        .collect();
    // The base with its overrides (`docker compose up`), then the base with each variant
    // (`docker compose -f base -f variant`, which leaves the override out).
    let named = !environments.is_empty() || !declared_here.is_empty();
    let mut projects: Vec<(Option<crate::render::Environment>, Vec<YamlFile>)> = vec![(
        named.then(|| env_of("default")),
        overrides
            .iter()
            .map(|o| (Arc::clone(&o.file), o.docs.clone()))
            .collect(),
    )];
    for v in &environments {
        let ComposeRole::Variant(name) = &v.role else {
            continue;
        };
        projects.push((
            Some(env_of(name)),
            vec![(Arc::clone(&v.file), v.docs.clone())],
        ));
    }
    for (name, layers) in declared_here {
        projects.push((Some(env_of(&name)), layers));
    }
    let mut base_errors = Some(base.errors);
    for (environment, layers) in projects {
        let doc = contained(&base.file, || {
            let mut project = compose::build(&base_pair, &layers, dotenv, &tags);
            // Errors the project found in another file belong to that file's document, once.
            for (f, e) in std::mem::take(&mut project.override_errors) {
                if let Some(part) = parts.iter_mut().find(|p| Arc::ptr_eq(&p.1, &f))
                    && !part.2.contains(&e)
                {
                    part.2.push(e);
                }
            }
            // The base's own errors, with the first project only.
            match base_errors.take() {
                Some(own) => {
                    project.errors.splice(0..0, own);
                }
                None => project.errors.clear(),
            }
            Document::Compose {
                project,
                environment,
            }
        });
        out.push((base.index, Arc::clone(&base.file), doc));
    }
    out.extend(
        parts
            .into_iter()
            .map(|(i, f, errors)| (i, f, Document::Part { errors })),
    );
    out
}

/// A file with its YAML documents.
type YamlFile = (Arc<SourceFile>, Vec<yaml::Node>);

/// A Compose file read for a unit.
struct ComposeFile {
    index: usize,
    /// The path, normalized and absolute.
    at: PathBuf,
    file: Arc<SourceFile>,
    docs: Vec<yaml::Node>,
    errors: Vec<ParseError>,
    tags: Vec<(crate::source::Span, String)>,
    role: ComposeRole,
}

/// A Compose file checked as a project of its own.
fn lone_project(
    f: ComposeFile,
    side: &SideFiles,
    tags: &compose::Tags,
) -> (usize, Arc<SourceFile>, Document) {
    let doc = contained(&f.file, || {
        let base = (Arc::clone(&f.file), f.docs);
        let mut project = compose::build(
            &base,
            &[],
            side.text(&side::compose_env(&f.file.path)),
            tags,
        );
        project.errors.splice(0..0, f.errors);
        Document::Compose {
            project,
            environment: None,
        }
    });
    (f.index, f.file, doc)
}

/// The service names of a Compose file's first document.
fn top_services(docs: &[yaml::Node]) -> Vec<String> {
    docs.first()
        .and_then(|d| d.get("services"))
        .map(|s| s.entries().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

/// A chart: `Chart.yaml` carries the chart as written ([`Document::HelmChart`]) and, unless
/// the chart is a subchart its parent renders, one [`Document::HelmRender`] per environment
/// (`values.yaml` alone, each `values-<env>.yaml` overlay, and the environments a
/// `[[helm.chart]]` entry configures), rendered in process as `helm template` renders them.
/// Values files and templates are parts: their findings come through the renders.
fn chart_unit(members: Vec<Member>, cx: &Context<'_>) -> Vec<(usize, Arc<SourceFile>, Document)> {
    let mut out = Vec::new();
    let Some(root) = members.first().and_then(|m| chart_root(&m.file)) else {
        return out;
    };
    let mut files = helm::ChartFiles {
        root,
        chart: None,
        values: Vec::new(),
    };
    let mut chart_at: Option<(usize, Vec<ParseError>)> = None;
    for mut m in members {
        match m.file.format {
            Format::HelmTemplate => {
                // Rendered by the chart; the parse only finds Go template syntax errors, and
                // only when the renderer does not run (it reports them itself, located).
                let (_, errors) = yaml_of(m.parse());
                out.push((m.index, m.file, Document::Part { errors }));
            }
            Format::HelmChart => {
                let (docs, errors) = yaml_of(m.parse());
                if files.chart.is_none() {
                    files.chart = Some((Arc::clone(&m.file), docs));
                    chart_at = Some((m.index, errors));
                } else {
                    out.push((m.index, m.file, Document::Part { errors }));
                }
            }
            _ => {
                let (docs, errors) = yaml_of(m.parse());
                files.values.push((Arc::clone(&m.file), docs));
                out.push((m.index, m.file, Document::Part { errors }));
            }
        }
    }
    files.values.sort_by_key(|v| values_order(&v.0.path));
    let (Some((index, own)), Some((chart_file, _))) = (chart_at, &files.chart) else {
        return out;
    };
    let chart_file = Arc::clone(chart_file);
    let rendered = !is_subchart(&files.root, cx.files);
    // A file whose own parse found errors (a template's Go syntax, a values file's YAML) has
    // them reported once, at their place: the renderer's report of the same file is dropped.
    let broken: std::collections::HashSet<PathBuf> = out
        .iter()
        .filter(|(_, _, d)| !d.errors().is_empty())
        .map(|(_, f, _)| f.path.clone())
        .chain((!own.is_empty()).then(|| chart_file.path.clone()))
        .collect();
    let mut renders = Vec::new();
    let doc = contained(&chart_file, || {
        let mut chart = helm::build(&files);
        chart.errors.splice(0..0, own);
        if rendered {
            let (diagnostics, envs) = render_chart(&files.root, &chart_file, cx, &broken);
            chart.diagnostics = diagnostics;
            renders = envs;
        }
        Document::HelmChart(chart)
    });
    out.push((index, Arc::clone(&chart_file), doc));
    out.extend(
        renders
            .into_iter()
            .map(|r| (index, Arc::clone(&chart_file), r)),
    );
    out
}

/// Renders a chart in each of its environments: the conventional ones, with those a
/// `[[helm.chart]]` entry configures replacing (or adding to) them. Returns the chart's own
/// diagnostics and one document per environment; a diagnostic every environment gives (a
/// template error) is kept once, with the first.
fn render_chart(
    dir: &Path,
    chart_file: &Arc<SourceFile>,
    cx: &Context<'_>,
    broken: &std::collections::HashSet<PathBuf>,
) -> (Vec<crate::render::helm::Diagnostic>, Vec<Document>) {
    use crate::render::helm;
    let key = normalize(&crate::source::absolute(dir));
    let configured = cx
        .helm
        .iter()
        .find(|c| normalize(&crate::source::absolute(&c.dir)) == key);
    let mut opts = helm::Options::default();
    // Absolute, so that the overlays listed (and `-f` paths) do not depend on the working
    // directory; what the run already read is the same file, found by absolute path.
    let dir = key.as_path();
    let mut envs = helm::conventional_environments(cx.files, dir);
    // A `[[helm.chart]]` entry's settings, else the `[helm]` ones of the chart's config.
    let settings = configured
        .map(|c| &c.settings)
        .or_else(|| cx.configs.get(&chart_file.path).map(|c| &c.helm_settings));
    if let Some(s) = settings {
        opts.release_name.clone_from(&s.release);
        opts.namespace.clone_from(&s.namespace);
        opts.capabilities.clone_from(&s.capabilities);
    }
    if let Some(c) = configured {
        envs = helm::with_configured(envs, &c.env_specs(|_| false));
    }
    let view = ChartView {
        files: cx.files,
        root: dir,
    };
    let out = helm::render(&view, dir, &envs, &opts);
    let mut seen = std::collections::HashSet::new();
    let mut once = |d: &helm::Diagnostic| {
        if d.severity == crate::render::Severity::Error && broken.contains(&d.at.file.path) {
            return false;
        }
        seen.insert((
            d.at.file.path.clone(),
            d.at.span.start,
            d.at.span.end,
            d.message.clone(),
        ))
    };
    let diagnostics: Vec<_> = out.diagnostics.into_iter().filter(|d| once(d)).collect();
    let names: Vec<String> = out
        .environments
        .iter()
        .map(|e| e.environment.name.clone())
        .collect();
    let docs = out
        .environments
        .into_iter()
        .map(|mut env| {
            env.diagnostics.retain(|d| once(d));
            let r = crate::model::helm::rendered::read(
                dir.to_path_buf(),
                out.name.clone(),
                chart_file,
                env,
                names.clone(),
            );
            Document::HelmRender(Box::new(r))
        })
        .collect();
    (diagnostics, docs)
}

/// The files a chart is rendered from: the run's. The chart's own `Chart.yaml`, values files
/// and templates count only when the run read them (`--exclude`, `.gitignore` and the
/// like leave them out of the render too); anything else of the chart (`.Files`, vendored
/// subcharts, archives) is read as Helm reads it.
struct ChartView<'a> {
    files: &'a RunFiles,
    root: &'a Path,
}

impl ChartView<'_> {
    fn left_out(&self, path: &Path) -> bool {
        let path = normalize(&crate::source::absolute(path));
        let Ok(rel) = path.strip_prefix(self.root) else {
            return false;
        };
        // The files a run reads as the chart's own: what discovery would find.
        let own = match rel.components().count() {
            1 => rel
                .to_str()
                .is_some_and(|n| n == "Chart.yaml" || detect::is_values_name(n)),
            _ => rel.starts_with("templates") && detect::by_name(&path).is_some(),
        };
        own && !self.files.is_loaded(&path)
    }
}

impl crate::source::files::Files for ChartView<'_> {
    fn read(&self, path: &Path) -> Result<Arc<SourceFile>, String> {
        if self.left_out(path) {
            return Err("not part of this run (excluded or ignored)".into());
        }
        self.files.read(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.files.is_dir(path)
    }
    fn exists(&self, path: &Path) -> bool {
        !self.left_out(path) && self.files.exists(path)
    }
    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        let mut entries = self.files.list(dir)?;
        entries.retain(|p| !self.left_out(p));
        Ok(entries)
    }
    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        if self.left_out(path) {
            return Err("not part of this run (excluded or ignored)".into());
        }
        self.files.read_bytes(path)
    }
}

/// Whether the chart in `dir` is a subchart of a chart above it (`parent/charts/<dir>`): its
/// parent renders it with the parent's values, conditions and tags, so it is not rendered on
/// its own (a subchart the parent disables deploys nothing).
fn is_subchart(dir: &Path, files: &RunFiles) -> bool {
    use crate::source::files::Files;
    let dir = normalize(&crate::source::absolute(dir));
    let mut at = dir.as_path();
    while let Some(parent) = at.parent() {
        if at.file_name().is_some_and(|n| n == "charts") && files.exists(&parent.join("Chart.yaml"))
        {
            return true;
        }
        at = parent;
    }
    false
}

fn bicep_unit(members: Vec<Member>, cx: &Context<'_>) -> Vec<(usize, Arc<SourceFile>, Document)> {
    let mut out = Vec::new();
    let mut mains = Vec::new();
    let mut params = Vec::new();
    for mut m in members {
        let parsed = match m.parse() {
            Parsed::Bicep(b) => b,
            _ => continue,
        };
        if matches!(m.file.format, Format::Bicep | Format::ArmTemplate) {
            mains.push((m.index, m.file, parsed));
        } else {
            params.push((m.index, m.file, parsed));
        }
    }
    params.sort_by(|a, b| a.1.path.cmp(&b.1.path));
    let param_refs: Vec<(&Arc<SourceFile>, &bicep::Parsed)> =
        params.iter().map(|(_, f, p)| (f, p)).collect();
    for (index, file, parsed) in &mains {
        let doc = contained(file, || {
            let mut doc = bicep::build((file, parsed), &param_refs);
            doc.errors.splice(0..0, parsed.errors.iter().cloned());
            doc.called = cx
                .bicep_called
                .contains(&normalize(&crate::source::absolute(&file.path)));
            bicep::instantiate_with(&mut doc, cx.files, cx.bicep_modules);
            Document::Bicep(doc)
        });
        out.push((*index, Arc::clone(file), doc));
    }
    out.extend(
        params
            .into_iter()
            .map(|(i, f, p)| (i, f, Document::Part { errors: p.errors })),
    );
    out
}

fn terraform_unit(
    mut members: Vec<Member>,
    cx: &Context<'_>,
) -> Vec<(usize, Arc<SourceFile>, Document)> {
    let side = cx.side;
    members.sort_by(|a, b| a.file.path.cmp(&b.file.path));
    let parsed: Vec<(usize, Arc<SourceFile>, terraform::Parsed)> = members
        .into_iter()
        .filter_map(|mut m| match m.parse() {
            Parsed::Terraform(t) => Some((m.index, m.file, t)),
            _ => None,
        })
        .collect();
    let primary = parsed
        .iter()
        .position(|(_, f, _)| f.format == Format::Terraform);
    let mut out: Vec<(usize, Arc<SourceFile>, Document)> = Vec::new();
    if let Some(p) = primary {
        let (index, file, _) = &parsed[p];
        let refs: Vec<(&Arc<SourceFile>, &terraform::Parsed)> =
            parsed.iter().map(|(_, f, t)| (f, t)).collect();
        let own = parsed[p].2.errors.clone();
        let doc = contained(file, || {
            let mut module =
                terraform::build(&refs, side.exists(&side::terraform_lock(file.dir())));
            module.errors.splice(0..0, own);
            let dir = normalize(&crate::source::absolute(file.dir()));
            module.called = cx.terraform_called.contains(&dir);
            // `environments/prod/` is the `prod` environment of the modules it calls.
            let parent = dir
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str());
            if matches!(parent, Some("environments" | "envs" | "env" | "stages")) {
                module.environment = dir.file_name().and_then(|n| n.to_str()).map(str::to_string);
            }
            module.with_environments();
            terraform::modules::instantiate_with(&mut module, &dir, cx.files, cx.terraform_modules);
            for v in &mut module.variants {
                terraform::modules::instantiate_with(v, &dir, cx.files, cx.terraform_modules);
            }
            Document::Terraform(Box::new(crate::model::terraform::build(module)))
        });
        out.push((*index, Arc::clone(file), doc));
    }
    for (i, (index, file, t)) in parsed.into_iter().enumerate() {
        if Some(i) != primary {
            out.push((index, file, Document::Part { errors: t.errors }));
        }
    }
    out
}

/// Builds one file's document, containing a panic to that file ([`crate::guard`]).
fn contained<T: From<Document>>(file: &SourceFile, build: impl FnOnce() -> T) -> T {
    crate::guard::guarded(|| {
        crate::guard::injected("assemble", format_args!("{}", file.display_path));
        build()
    })
    .unwrap_or_else(|message| T::from(Document::Crashed { message }))
}

/// Whether the first document has `services:` as a mapping whose values are all mappings (or
/// empty), as a Compose file's are.
fn looks_like_compose(docs: &[crate::parse::yaml::Node]) -> bool {
    docs.first()
        .and_then(|d| d.get("services"))
        .and_then(|s| s.as_map())
        .is_some_and(|services| {
            services
                .iter()
                .all(|e| e.value.as_map().is_some() || e.value.is_null())
        })
}

/// `values.yaml` first, then overlays by name.
fn values_order(path: &Path) -> (bool, PathBuf) {
    let base = path.file_stem().is_some_and(|s| s == "values");
    (!base, path.to_path_buf())
}

fn chart_root(file: &SourceFile) -> Option<PathBuf> {
    match file.format {
        Format::HelmChart | Format::HelmValues => Some(file.dir().to_path_buf()),
        Format::HelmTemplate => detect::chart_root_of_template(&file.path).map(Path::to_path_buf),
        _ => None,
    }
}

/// What a Compose file is to its project.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ComposeRole {
    /// `compose.yaml`, `docker-compose.yml`, or a file of another name.
    Base,
    /// `<base>.override.yml`, which Compose merges on the base by default.
    Override,
    /// `<base>.<name>.yml` (`docker-compose.prod.yml`): merged on the base with `-f`, an
    /// environment when it names one of the base's services.
    Variant(String),
    /// A file a config lists in an environment after its base (`[environments.<name>]`).
    Declared,
}

/// The environment a file defines by itself, when it is one: a Helm values overlay
/// (`values.prod.yaml` → `prod`), a Compose variant (`docker-compose.prod.yml` → `prod`), a
/// kustomization (its directory, as a Kustomize root is named).
pub fn defined_environment(file: &SourceFile) -> Option<String> {
    let name = file.path.file_name()?.to_str()?;
    match file.format {
        Format::HelmValues => crate::render::helm::environment_of(name)
            .map(|e| e.name)
            .filter(|e| e != "default"),
        Format::Compose => match compose_key(&file.path).1 {
            ComposeRole::Variant(env) => Some(env),
            _ => None,
        },
        Format::Kustomization => Some(crate::render::kustomize::environment_name(file.dir())),
        _ => None,
    }
}

/// The key that groups a Compose file with its base, override and variants (the base's path
/// without the extension), and what the file is.
fn compose_key(path: &Path) -> (PathBuf, ComposeRole) {
    // A name that is not UTF-8 pairs with nothing (its key is itself).
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return (path.to_path_buf(), ComposeRole::Base);
    };
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(name);
    if let Some(base) = stem.strip_suffix(".override") {
        return (path.with_file_name(base), ComposeRole::Override);
    }
    for base in ["docker-compose", "compose"] {
        if let Some(variant) = stem
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('.'))
            .filter(|v| !v.is_empty())
        {
            return (
                path.with_file_name(base),
                ComposeRole::Variant(variant.to_string()),
            );
        }
    }
    (path.with_file_name(stem), ComposeRole::Base)
}

/// The other files of a Compose file's project that must be read with it: the base of an
/// override or a variant, the overrides of a base. (A base's variants are environments the
/// walk finds; a changed-files run names them or not.)
fn compose_partners(path: &Path) -> Vec<PathBuf> {
    let (key, role) = compose_key(path);
    let stem = key
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let names: Vec<String> = match role {
        ComposeRole::Override | ComposeRole::Variant(_) | ComposeRole::Declared => {
            vec![format!("{stem}.yml"), format!("{stem}.yaml")]
        }
        ComposeRole::Base => vec![
            format!("{stem}.override.yml"),
            format!("{stem}.override.yaml"),
        ],
    };
    names.into_iter().map(|n| key.with_file_name(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_pairs() {
        assert_eq!(
            compose_key(Path::new("a/docker-compose.override.yml")),
            (PathBuf::from("a/docker-compose"), ComposeRole::Override)
        );
        assert_eq!(
            compose_key(Path::new("a/compose.yaml")),
            (PathBuf::from("a/compose"), ComposeRole::Base)
        );
        assert_eq!(
            compose_key(Path::new("a/docker-compose.prod.yml")),
            (
                PathBuf::from("a/docker-compose"),
                ComposeRole::Variant("prod".into())
            )
        );
        assert_eq!(
            compose_key(Path::new("a/stack.yml")),
            (PathBuf::from("a/stack"), ComposeRole::Base)
        );
        assert_eq!(
            compose_partners(Path::new("a/compose.override.yaml")),
            vec![
                PathBuf::from("a/compose.yml"),
                PathBuf::from("a/compose.yaml")
            ]
        );
    }
}
