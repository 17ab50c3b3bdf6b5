//! Charts as Helm 3.17 loads them (`loader.LoadDir`, `LoadArchive`, `LoadFiles`), read through
//! [`Files`]: `Chart.yaml` (apiVersion v1 with `requirements.yaml`, or v2), `values.yaml`,
//! every file under `templates/`, the other files for `.Files` (`.helmignore` honoured, with
//! Helm's default rule leaving out hidden files in `templates/`), `crds/`, and subcharts in
//! `charts/` as directories and as `.tgz` archives, recursively.
//!
//! What Helm refuses is an `Error` diagnostic at its place; a subchart that cannot be loaded
//! is left out and the rest still loads (Helm would stop). Every read is bounded by
//! [`Limits`](super::Limits): files, bytes, subcharts and nesting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::parse::yaml;
use crate::source::files::Files;
use crate::source::{Format, Origin, SourceFile, Span};

use super::archive;
use super::ignore::Rules;
use super::template::{self, Map, Value};
use super::{Diagnostic, Limits, Origins};

/// One chart as loaded, with its subcharts (every one in `charts/`, enabled or not: which are
/// rendered depends on the values of an environment).
#[derive(Debug)]
pub(crate) struct Chart {
    /// `name` of Chart.yaml.
    pub name: String,
    /// `version` of Chart.yaml.
    pub version: String,
    /// `kubeVersion` constraint, where written.
    pub kube_version: Option<(String, Origin)>,
    /// Chart.yaml (inside an archive: a file in memory named after the archive).
    pub chart_file: Arc<SourceFile>,
    /// Chart.yaml as template values (`.Chart`), marked.
    pub meta: Map,
    /// `dependencies` (Chart.yaml, or `requirements.yaml` for apiVersion v1); `None` when
    /// the chart has none (Helm's nil).
    pub dependencies: Option<Vec<Dependency>>,
    /// values.yaml, marked (empty when there is none).
    pub values: Map,
    /// Template files: path in the chart (`templates/x.yaml`) and the file.
    pub templates: Vec<(String, Arc<SourceFile>)>,
    /// The other files (`.Files`).
    pub files: template::Files,
    /// Manifests in `crds/` (`.yaml`, `.yml`, `.json`).
    pub crds: Vec<Arc<SourceFile>>,
    pub subcharts: Vec<Chart>,
}

/// A `dependencies` entry.
#[derive(Debug, Clone)]
pub(crate) struct Dependency {
    pub name: String,
    pub version: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub alias: Option<String>,
    pub import_values: Vec<ImportValue>,
    /// The entry in Chart.yaml (or requirements.yaml).
    pub at: Origin,
}

#[derive(Debug, Clone)]
pub(crate) enum ImportValue {
    /// `- data`: the child's `exports.data` merged at the parent's top level.
    Exports(String),
    /// `- child: a.b` / `parent: c`.
    Path { child: String, parent: String },
}

/// A file of a chart tree before it is classified.
struct Raw {
    /// Path relative to the chart being loaded, `/`-separated.
    name: String,
    /// Where it is read from (a virtual path inside an archive).
    path: PathBuf,
    display: String,
    /// The content when it came from an archive.
    mem: Option<Vec<u8>>,
}

pub(crate) struct Loader<'a> {
    files: &'a dyn Files,
    limits: &'a Limits,
    pub origins: &'a mut Origins,
    pub diagnostics: Vec<Diagnostic>,
    bytes: u64,
    charts: usize,
    /// Every file read, by path (what a caller may want to know the chart uses).
    pub read: Vec<Arc<SourceFile>>,
}

fn join_display(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}

/// A file that could not be read, as a place to report at.
pub(crate) fn placeholder(path: &Path, display: &str) -> Arc<SourceFile> {
    Arc::new(SourceFile::new(
        path.to_path_buf(),
        display.to_string(),
        Format::OtherYaml,
        String::new(),
    ))
}

impl<'a> Loader<'a> {
    pub fn new(files: &'a dyn Files, limits: &'a Limits, origins: &'a mut Origins) -> Self {
        Self {
            files,
            limits,
            origins,
            diagnostics: Vec::new(),
            bytes: 0,
            charts: 0,
            read: Vec::new(),
        }
    }

    fn error(&mut self, message: String, at: Origin) {
        self.diagnostics.push(Diagnostic::error(message, at));
    }

    /// Loads the chart in `dir`. `None` when Helm could not load it at all (the reason is in
    /// the diagnostics).
    pub fn load_dir(&mut self, dir: &Path) -> Option<Chart> {
        let chart_yaml = dir.join("Chart.yaml");
        let chart_file = match self.files.read(&chart_yaml) {
            Ok(f) => f,
            Err(e) => {
                let display = chart_yaml.display().to_string();
                self.error(
                    format!("cannot read {display}: {e}"),
                    Origin::new(&placeholder(&chart_yaml, &display), Span::default()),
                );
                return None;
            }
        };
        let display_dir = chart_file
            .display_path
            .strip_suffix("Chart.yaml")
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string();
        let mut rules = Rules::default();
        let ignore_path = dir.join(".helmignore");
        if self.files.exists(&ignore_path) {
            match self.files.read(&ignore_path) {
                Ok(f) => match Rules::parse(&f.text) {
                    Ok(r) => rules = r,
                    Err((line, e)) => {
                        let span = f.line_span(line);
                        self.error(
                            format!("invalid .helmignore pattern: {e}"),
                            Origin::new(&f, span),
                        );
                        return None;
                    }
                },
                Err(e) => {
                    let display = join_display(&display_dir, ".helmignore");
                    self.error(
                        format!("cannot read {display}: {e}"),
                        Origin::new(&placeholder(&ignore_path, &display), Span::default()),
                    );
                    return None;
                }
            }
        }
        rules.add_defaults();
        let mut raws = Vec::new();
        self.walk(dir, "", &display_dir, &rules, 0, &mut raws, &chart_file);
        self.load_files(raws, &display_dir, 0, Some(chart_file))
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        dir: &Path,
        rel: &str,
        display_dir: &str,
        rules: &Rules,
        depth: usize,
        out: &mut Vec<Raw>,
        chart_file: &Arc<SourceFile>,
    ) {
        if depth > self.limits.depth {
            self.diagnostics.push(Diagnostic::limit(
                format!(
                    "limit: directories nested deeper than {} levels in the chart; {} not read",
                    self.limits.depth,
                    join_display(display_dir, rel)
                ),
                Origin::new(chart_file, Span::default()),
            ));
            return;
        }
        let entries = match self.files.list(dir) {
            Ok(e) => e,
            Err(e) => {
                let shown = join_display(display_dir, rel);
                self.error(
                    format!("cannot list {shown}: {e}"),
                    Origin::new(chart_file, Span::default()),
                );
                return;
            }
        };
        for path in entries {
            let Some(base) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let name = if rel.is_empty() {
                base.to_string()
            } else {
                format!("{rel}/{base}")
            };
            let is_dir = self.files.is_dir(&path);
            if rules.ignores(&name, is_dir) {
                continue;
            }
            if is_dir {
                self.walk(&path, &name, display_dir, rules, depth + 1, out, chart_file);
                continue;
            }
            if out.len() >= self.limits.files {
                self.diagnostics.push(Diagnostic::limit(
                    format!(
                        "limit: the chart has more than {} files; the rest are not read",
                        self.limits.files
                    ),
                    Origin::new(chart_file, Span::default()),
                ));
                return;
            }
            out.push(Raw {
                display: join_display(display_dir, &name),
                name,
                path,
                mem: None,
            });
        }
    }

    /// Text of a file: read through [`Files`], or made from an archive's bytes.
    fn text(&mut self, raw: &Raw) -> Result<Arc<SourceFile>, String> {
        let file = match &raw.mem {
            None => self.files.read(&raw.path)?,
            Some(bytes) => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|e| format!("is not valid UTF-8 (at byte {})", e.valid_up_to()))?;
                Arc::new(SourceFile::new(
                    raw.path.clone(),
                    raw.display.clone(),
                    Format::OtherYaml,
                    text.to_string(),
                ))
            }
        };
        self.count(file.text.len() as u64)?;
        self.read.push(Arc::clone(&file));
        Ok(file)
    }

    fn bytes(&mut self, raw: &Raw) -> Result<Vec<u8>, String> {
        let bytes = match &raw.mem {
            None => self.files.read_bytes(&raw.path)?,
            Some(b) => b.clone(),
        };
        self.count(bytes.len() as u64)?;
        Ok(bytes)
    }

    fn count(&mut self, n: u64) -> Result<(), String> {
        if n > self.limits.file_bytes {
            return Err(format!(
                "is larger than {} bytes (Helm's limit for a chart file)",
                self.limits.file_bytes
            ));
        }
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.total_bytes {
            return Err(format!(
                "limit: the chart's files hold more than {} bytes; not read",
                self.limits.total_bytes
            ));
        }
        Ok(())
    }

    fn read_failed(&mut self, raw: &Raw, e: String) {
        let at = Origin::new(&placeholder(&raw.path, &raw.display), Span::default());
        let message = format!("cannot read {}: {e}", raw.display);
        if e.starts_with("limit:") {
            self.diagnostics.push(Diagnostic::limit(message, at));
        } else {
            self.error(message, at);
        }
    }

    /// Helm's `LoadFiles`: classifies the files of one chart and loads its subcharts.
    fn load_files(
        &mut self,
        raws: Vec<Raw>,
        display_dir: &str,
        depth: usize,
        chart_file: Option<Arc<SourceFile>>,
    ) -> Option<Chart> {
        self.charts += 1;
        let chart_file = match chart_file {
            Some(f) => f,
            None => {
                let Some(raw) = raws.iter().find(|r| r.name == "Chart.yaml") else {
                    let dir = PathBuf::from(display_dir);
                    let at = placeholder(
                        &dir.join("Chart.yaml"),
                        &join_display(display_dir, "Chart.yaml"),
                    );
                    self.error(
                        format!("{display_dir}: Chart.yaml file is missing"),
                        Origin::new(&at, Span::default()),
                    );
                    return None;
                };
                match self.text(raw) {
                    Ok(f) => f,
                    Err(e) => {
                        self.read_failed(raw, e);
                        return None;
                    }
                }
            }
        };
        if !self.read.iter().any(|f| Arc::ptr_eq(f, &chart_file)) {
            self.read.push(Arc::clone(&chart_file));
        }
        let mut meta = self.chart_meta(&chart_file)?;
        let api_v1 = meta.api_version == "v1";
        let mut values = Map::new();
        let mut templates = Vec::new();
        let mut files = template::Files::default();
        let mut crds = Vec::new();
        let mut groups: BTreeMap<String, Vec<Raw>> = BTreeMap::new();
        for raw in raws {
            let name = raw.name.as_str();
            match name {
                "Chart.yaml" | "Chart.lock" | "values.schema.json" => {}
                "values.yaml" => match self.text(&raw) {
                    Ok(f) => {
                        if let Some(m) = self.values_of(&f) {
                            values = m;
                        }
                    }
                    Err(e) => self.read_failed(&raw, e),
                },
                "requirements.yaml" | "requirements.lock" => {
                    if name == "requirements.yaml" {
                        match self.text(&raw) {
                            Ok(f) => {
                                if let Some(deps) = self.dependencies_in(&f) {
                                    meta.dependencies = Some(deps);
                                    if let Some(Value::Map(m)) = self.yaml_map(&f)
                                        && let Some(d) = m.get("dependencies")
                                    {
                                        meta.map.insert("dependencies", d);
                                    }
                                }
                            }
                            Err(e) => self.read_failed(&raw, e),
                        }
                    }
                    if api_v1 {
                        self.add_file(&mut files, &raw);
                    }
                }
                _ if name.starts_with("templates/") => match self.text(&raw) {
                    Ok(f) => templates.push((raw.name.clone(), f)),
                    Err(e) => self.read_failed(&raw, e),
                },
                _ if name.starts_with("charts/") => {
                    if name.ends_with(".prov") {
                        self.add_file(&mut files, &raw);
                        continue;
                    }
                    let rest = &name["charts/".len()..];
                    let cname = rest.split('/').next().unwrap_or(rest).to_string();
                    groups.entry(cname).or_default().push(raw);
                }
                _ => {
                    if name.starts_with("crds/")
                        && [".yaml", ".yml", ".json"].iter().any(|x| name.ends_with(x))
                    {
                        match self.text(&raw) {
                            Ok(f) => crds.push(f),
                            Err(e) => self.read_failed(&raw, e),
                        }
                    }
                    self.add_file(&mut files, &raw);
                }
            }
        }
        let mut subcharts = Vec::new();
        for (cname, group) in groups {
            if cname.starts_with(['_', '.']) {
                continue;
            }
            let sub_display = join_display(display_dir, &format!("charts/{cname}"));
            if depth + 1 > self.limits.chart_depth || self.charts >= self.limits.charts {
                let what = if depth + 1 > self.limits.chart_depth {
                    format!("subcharts nested deeper than {}", self.limits.chart_depth)
                } else {
                    format!("more than {} charts", self.limits.charts)
                };
                self.diagnostics.push(Diagnostic::limit(
                    format!("limit: {what}; {sub_display} is not rendered"),
                    Origin::new(&chart_file, Span::default()),
                ));
                continue;
            }
            let sub = if cname.ends_with(".tgz") {
                self.load_archive(&cname, group, &sub_display, depth)
            } else {
                let prefix = format!("charts/{cname}/");
                let inner: Vec<Raw> = group
                    .into_iter()
                    .filter_map(|mut r| {
                        let rest = r.name.strip_prefix(&prefix)?.to_string();
                        r.name = rest;
                        Some(r)
                    })
                    .collect();
                self.load_files(inner, &sub_display, depth + 1, None)
            };
            if let Some(s) = sub {
                subcharts.push(s);
            }
        }
        Some(Chart {
            name: meta.name,
            version: meta.version,
            kube_version: meta.kube_version,
            chart_file,
            meta: meta.map,
            dependencies: meta.dependencies,
            values,
            templates,
            files,
            crds,
            subcharts,
        })
    }

    fn load_archive(
        &mut self,
        cname: &str,
        group: Vec<Raw>,
        display: &str,
        depth: usize,
    ) -> Option<Chart> {
        let raw = group.iter().find(|r| r.name == format!("charts/{cname}"))?;
        let bytes = match self.bytes(raw) {
            Ok(b) => b,
            Err(e) => {
                self.read_failed(raw, e);
                return None;
            }
        };
        let bounds = archive::Bounds {
            entries: self.limits.files,
            file_bytes: self.limits.file_bytes,
            total_bytes: self
                .limits
                .total_bytes
                .saturating_sub(self.bytes)
                .min(self.limits.archive_bytes),
        };
        let entries = match archive::unpack(&bytes, bounds) {
            Ok(e) => e,
            Err(e) => {
                let at = Origin::new(&placeholder(&raw.path, display), Span::default());
                self.error(format!("error unpacking subchart {display}: it {e}"), at);
                return None;
            }
        };
        let raws = entries
            .into_iter()
            .map(|(name, data)| Raw {
                path: raw.path.join(&name),
                display: join_display(display, &name),
                name,
                mem: Some(data),
            })
            .collect();
        self.load_files(raws, display, depth + 1, None)
    }

    fn add_file(&mut self, files: &mut template::Files, raw: &Raw) {
        if files.files.len() >= self.limits.files {
            return;
        }
        // Text files are read once, as files (their content points at the file as a whole);
        // binary ones as bytes.
        let text = match &raw.mem {
            None => self.files.read(&raw.path).ok(),
            Some(_) => None,
        };
        let (bytes, file) = match text {
            Some(f) => {
                if let Err(e) = self.count(f.text.len() as u64) {
                    self.read_failed(raw, e);
                    return;
                }
                (f.text.as_bytes().to_vec(), Some(f))
            }
            None => match self.bytes(raw) {
                Ok(b) => {
                    let file = std::str::from_utf8(&b).ok().map(|text| {
                        Arc::new(SourceFile::new(
                            raw.path.clone(),
                            raw.display.clone(),
                            Format::OtherYaml,
                            text.to_string(),
                        ))
                    });
                    (b, file)
                }
                Err(e) => {
                    self.read_failed(raw, e);
                    return;
                }
            },
        };
        if let Some(file) = file
            && let Some(m) = self.origins.mark(&file, Span::new(0, file.text.len()))
        {
            files.marks.insert(raw.name.clone(), m);
        }
        files.files.insert(raw.name.clone(), bytes);
    }

    /// A YAML file as template values, its scalars and keys marked; a located error when it
    /// is not YAML.
    fn yaml_map(&mut self, file: &Arc<SourceFile>) -> Option<Value> {
        let origins = &mut *self.origins;
        match template::load_yaml(&file.text, &mut |s, e| origins.mark(file, Span::new(s, e))) {
            Ok(v) => Some(v),
            Err(e) => {
                let span = yaml::load(file)
                    .errors
                    .first()
                    .map(|p| p.span)
                    .unwrap_or_default();
                self.error(
                    format!("cannot load {}: {e}", file.display_path),
                    Origin::new(file, span),
                );
                None
            }
        }
    }

    /// values.yaml (or any values file) as a map.
    pub fn values_of(&mut self, file: &Arc<SourceFile>) -> Option<Map> {
        match self.yaml_map(file)? {
            Value::Map(m) => Some(m),
            Value::Nil => Some(Map::new()),
            other => {
                self.error(
                    format!(
                        "cannot load {}: values must be a mapping, not {}",
                        file.display_path,
                        other.kind_name()
                    ),
                    Origin::new(file, Span::new(0, 0)),
                );
                None
            }
        }
    }

    fn chart_meta(&mut self, file: &Arc<SourceFile>) -> Option<Meta> {
        let map = match self.yaml_map(file)? {
            Value::Map(m) => m,
            Value::Nil => Map::new(),
            _ => {
                self.error(
                    format!("cannot load {}: not a mapping", file.display_path),
                    Origin::new(file, Span::default()),
                );
                return None;
            }
        };
        let doc = yaml::load(file).docs.into_iter().next();
        let at = |key: &str| -> Origin {
            doc.as_ref()
                .and_then(|d| d.entry(key))
                .map(|e| e.value.origin())
                .unwrap_or_else(|| Origin::new(file, Span::default()))
        };
        let string = |loader: &mut Self, key: &str| -> Option<String> {
            match map.get(key) {
                None | Some(Value::Nil) => Some(String::new()),
                Some(Value::Str(t)) => Some(sanitize(&t.s)),
                Some(other) => {
                    loader.error(
                        format!(
                            "cannot load Chart.yaml: `{key}` must be a string, not {}",
                            other.kind_name()
                        ),
                        at(key),
                    );
                    None
                }
            }
        };
        let mut api_version = string(self, "apiVersion")?;
        let name = string(self, "name")?;
        let version = string(self, "version")?;
        let kind = string(self, "type")?;
        let kube = string(self, "kubeVersion")?;
        if api_version.is_empty() {
            api_version = "v1".into();
        }
        let invalid = if name.is_empty() {
            Some(("name", "chart.metadata.name is required".to_string()))
        } else if name.contains('/') || name.contains('\\') || name == "." || name == ".." {
            Some(("name", format!("chart.metadata.name {name:?} is invalid")))
        } else if version.is_empty() {
            Some(("version", "chart.metadata.version is required".to_string()))
        } else if template::semver::Version::parse(&version).is_err() {
            Some((
                "version",
                format!("chart.metadata.version {version:?} is invalid"),
            ))
        } else if !matches!(kind.as_str(), "" | "application" | "library") {
            Some((
                "type",
                "chart.metadata.type must be application or library".into(),
            ))
        } else {
            None
        };
        if let Some((key, message)) = invalid {
            self.error(format!("validation: {message}"), at(key));
            return None;
        }
        let dependencies = match map.get("dependencies") {
            None | Some(Value::Nil) => None,
            Some(_) => Some(self.dependencies_in(file)?),
        };
        let kube_version = (!kube.is_empty()).then(|| (kube, at("kubeVersion")));
        Some(Meta {
            map,
            api_version,
            name,
            version,
            kube_version,
            dependencies,
        })
    }

    /// The `dependencies` of Chart.yaml or requirements.yaml, with Helm's validation.
    fn dependencies_in(&mut self, file: &Arc<SourceFile>) -> Option<Vec<Dependency>> {
        let doc = yaml::load(file).docs.into_iter().next()?;
        let Some(list) = doc.get("dependencies") else {
            return Some(Vec::new());
        };
        if list.is_null() {
            return Some(Vec::new());
        }
        let Some(items) = list.as_seq() else {
            self.error(
                "cannot load Chart.yaml: `dependencies` must be a list".into(),
                list.origin(),
            );
            return None;
        };
        let mut out: Vec<Dependency> = Vec::new();
        for item in items {
            if item.is_null() {
                self.error(
                    "validation: dependencies must not contain empty or null nodes".into(),
                    item.origin(),
                );
                return None;
            }
            let text = |k: &str| {
                item.get(k)
                    .and_then(|n| n.as_str())
                    .map(sanitize)
                    .unwrap_or_default()
            };
            let alias = text("alias");
            if !alias.is_empty()
                && !alias
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                self.error(
                    format!(
                        "validation: dependency {:?} has disallowed characters in the alias",
                        text("name")
                    ),
                    item.origin(),
                );
                return None;
            }
            let tags = item
                .get("tags")
                .and_then(|t| t.as_seq())
                .map(|t| t.iter().filter_map(|n| n.as_str()).map(sanitize).collect())
                .unwrap_or_default();
            let mut import_values = Vec::new();
            for iv in item
                .get("import-values")
                .and_then(|n| n.as_seq())
                .unwrap_or(&[])
            {
                if let Some(s) = iv.as_str() {
                    import_values.push(ImportValue::Exports(s.to_string()));
                } else if iv.as_map().is_some() {
                    let child = iv.get("child").and_then(|n| n.as_str());
                    let parent = iv.get("parent").and_then(|n| n.as_str());
                    if let (Some(child), Some(parent)) = (child, parent) {
                        import_values.push(ImportValue::Path {
                            child: child.to_string(),
                            parent: parent.to_string(),
                        });
                    }
                }
            }
            let dep = Dependency {
                name: text("name"),
                version: text("version"),
                condition: text("condition"),
                tags,
                alias: (!alias.is_empty()).then_some(alias),
                import_values,
                at: item.origin(),
            };
            let key = dep.alias.clone().unwrap_or_else(|| dep.name.clone());
            if out
                .iter()
                .any(|d| d.alias.as_deref().unwrap_or(&d.name) == key)
            {
                self.error(
                    format!("validation: more than one dependency with name or alias {key:?}"),
                    item.origin(),
                );
                return None;
            }
            out.push(dep);
        }
        Some(out)
    }
}

struct Meta {
    map: Map,
    api_version: String,
    name: String,
    version: String,
    kube_version: Option<(String, Origin)>,
    dependencies: Option<Vec<Dependency>>,
}

/// Helm's `sanitizeString`: white space becomes a space, unprintable characters go.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}
