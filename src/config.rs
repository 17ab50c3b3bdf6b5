//! `.plumbline.toml`: which rules run where, at what severity, which paths are left out,
//! which Helm environments are production, how precise an image tag must be to pin, and
//! explicit service links for the graph.
//!
//! A file is governed by the nearest `.plumbline.toml` found by walking up from its
//! directory to the repository root (the nearest directory with `.git`; without one, the
//! file-system boundary), or by the one file given with `--config`. Mistakes in a config are errors with
//! the file, line and column — an unknown key or a misspelt rule id silently ignored would
//! leave a team believing a rule is off (or on) when it is not.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::catalogue::RuleMeta;
use crate::finding::{Family, Severity};
use crate::model::tag::Precision;
use crate::render::Environment;
use crate::render::helm::{EnvSpec, SetValue};
use crate::source::{Format, Origin, SourceFile, Span};

/// The name looked for in each directory.
pub const FILE_NAME: &str = ".plumbline.toml";

/// A starter configuration, every setting explained (`plumbline init`).
pub const STARTER: &str = r#"# plumbline configuration. Documentation: `plumbline explain <RULE>`, `plumbline rules`.
# A file is governed by the nearest .plumbline.toml above it (or the one given with --config).
# Every setting below is commented out and shows its default or an example: this file
# changes nothing until you uncomment a line.

# Rules to run: ids (PIN001), names (base-image-unpinned), families (secrets) or id prefixes
# (ROOT). Leave it out to run every rule that is on by default.
# select = ["pinned-versions", "non-root", "probe-port-alignment", "secrets", "resource-limits"]

# Rules to turn off, in the same forms.
# ignore = ["PORT001"]

# Strict mode also runs the opt-in rules (such as PIN005, base images pinned by digest).
# strict = false

# Paths to leave out, in .gitignore syntax, relative to this file.
# exclude = ["vendor/", "third_party/**"]

# Severity overrides: rule id or name = "error" | "warning" | "info".
# [severity]
# PIN002 = "error"

# Rules to turn off under some paths (globs relative to this file).
# [per-path]
# "examples/**" = ["secrets"]

# How precise an image tag must be to count as pinned (PIN060): "major" (`redis:7`),
# "major.minor" (`redis:7.2`, the default) or "major.minor.patch" (`redis:7.2.4`). Tags that
# name no version (`alpine`, `lts`, `stable`) float at any precision; digests always pin.
# [pinned-versions]
# tag-precision = "major.minor"

# Environments that are production (a Helm overlay values.<env>.yaml, a Kustomize overlay
# directory, a Compose variant docker-compose.<env>.yml). Production environments are checked
# for resource limits even when the default one is not.
# [environments]
# production = ["prod", "production", "prd", "live"]

# Environments no file name announces: the Compose files of each, merged in this order
# (docker compose -f a -f b), the first being the base.
# [environments.live]
# compose = ["stack.yml", "deploy/live.yml"]

# Helm charts rendered with values files or --set values of your own, per environment
# (besides values.yaml and the values-<env>.yaml / values.<env>.yaml overlays, found anyway).
# [[helm.chart]]
# path = "deploy/chart"                 # the chart's directory, relative to this file
# release = "shop"                      # .Release.Name (default: release-name, as helm template)
# namespace = "shop"                    # .Release.Namespace (default: default)
# kube-version = "1.29"                 # helm --kube-version (default: helm template's, v1.32.0)
# api-versions = ["monitoring.coreos.com/v1"]   # helm --api-versions, added to the defaults
# [helm.chart.environments.prod]
# values = ["../inf.yaml", "values.prod.yaml"]   # helm -f files in order, relative to the chart
# set = ["image.tag=1.2.3"]                      # helm --set, after the files

# Explicit links between the files that describe one service, used by the service graph.
# [services.api]
# dockerfile = "services/api/Dockerfile"
# images = ["shopacr.azurecr.io/shop/api"]
# compose = "api"            # the Compose service name
# helm = "api"               # the Helm values component
# not = ["api-worker"]       # names that must never be linked to this service
"#;

// Unknown keys are found by `unknown_keys`, all at once, rather than by serde's
// `deny_unknown_fields`, which stops at the first.
#[derive(Debug, Deserialize)]
struct Raw {
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    strict: Option<bool>,
    exclude: Option<Vec<Spanned<String>>>,
    severity: Option<BTreeMap<String, Spanned<String>>>,
    #[serde(rename = "per-path")]
    per_path: Option<BTreeMap<String, Spanned<Vec<Spanned<String>>>>>,
    environments: Option<RawEnvironments>,
    services: Option<BTreeMap<String, ServiceLink>>,
    #[serde(rename = "pinned-versions")]
    pinned_versions: Option<RawPinnedVersions>,
    helm: Option<RawHelm>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHelm {
    release: Option<Spanned<String>>,
    namespace: Option<Spanned<String>>,
    #[serde(rename = "kube-version")]
    kube_version: Option<Spanned<String>>,
    #[serde(rename = "api-versions")]
    api_versions: Option<Vec<Spanned<String>>>,
    chart: Option<Vec<RawHelmChart>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHelmChart {
    path: Spanned<String>,
    release: Option<Spanned<String>>,
    namespace: Option<Spanned<String>>,
    #[serde(rename = "kube-version")]
    kube_version: Option<Spanned<String>>,
    #[serde(rename = "api-versions")]
    api_versions: Option<Vec<Spanned<String>>>,
    environments: Option<BTreeMap<Spanned<String>, RawHelmEnvironment>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHelmEnvironment {
    values: Option<Vec<Spanned<String>>>,
    set: Option<Vec<Spanned<String>>>,
}

/// `[[helm.chart]]`: a chart rendered with values the user names, per environment.
#[derive(Debug, Clone)]
pub struct HelmChart {
    /// The chart's directory (the config's directory joined with `path`).
    pub dir: PathBuf,
    /// The `path` entry.
    pub at: Origin,
    /// `.Release.Name`, `.Release.Namespace` and `.Capabilities`.
    pub settings: HelmSettings,
    /// `[helm.chart.environments.<name>]`, by name.
    pub environments: Vec<HelmEnvironment>,
}

/// What `helm template` is told besides values: `[helm]` sets them for every chart under the
/// config, a `[[helm.chart]]` entry for its chart.
#[derive(Debug, Clone)]
pub struct HelmSettings {
    /// `.Release.Name` (`release`; default `release-name`, as `helm template CHART`).
    pub release: String,
    /// `.Release.Namespace` (`namespace`; default `default`).
    pub namespace: String,
    /// `.Capabilities`: `kube-version` and `api-versions`, as `--kube-version` and
    /// `--api-versions` set them (default: `helm template`'s).
    pub capabilities: crate::render::helm::template::Capabilities,
}

impl Default for HelmSettings {
    fn default() -> Self {
        let d = crate::render::helm::Options::default();
        HelmSettings {
            release: d.release_name,
            namespace: d.namespace,
            capabilities: d.capabilities,
        }
    }
}

/// One environment of a configured chart: `helm template -f values… --set set…`.
#[derive(Debug, Clone)]
pub struct HelmEnvironment {
    pub name: String,
    /// Where the environment is named.
    pub at: Origin,
    /// Values files, relative to the chart's directory as written (or absolute).
    pub values: Vec<(PathBuf, Origin)>,
    /// `--set` assignments; each value they set points at its entry.
    pub set: Vec<SetValue>,
}

impl HelmChart {
    /// The environments to render, for [`crate::render::helm::render`]: `production` says
    /// which names are production (the config's `[environments]`).
    pub fn env_specs(&self, production: impl Fn(&str) -> bool) -> Vec<EnvSpec> {
        self.environments
            .iter()
            .map(|e| EnvSpec {
                environment: Environment {
                    name: e.name.clone(),
                    production: production(&e.name),
                },
                values: e.values.iter().map(|(p, _)| p.clone()).collect(),
                set: e.set.clone(),
                inline: Vec::new(),
            })
            .collect()
    }
}

#[derive(Debug, Deserialize)]
struct RawPinnedVersions {
    #[serde(rename = "tag-precision")]
    tag_precision: Option<Spanned<String>>,
}

/// `[environments]`: which names are production, and environments declared where no
/// convention reaches (`[environments.<name>]`).
#[derive(Debug, Deserialize)]
struct RawEnvironments {
    production: Option<Vec<String>>,
    #[serde(flatten)]
    declared: BTreeMap<String, toml::Value>,
}

/// `[environments.<name>]`: the files that build one environment, per format.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct DeclaredEnvironment {
    /// Compose files merged in this order (`docker compose -f a -f b`), relative to the
    /// config's directory: the first is the base.
    #[serde(default)]
    pub compose: Vec<String>,
}

/// `[services.<name>]`: the files and names that are this service, stated by the user.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ServiceLink {
    pub dockerfile: Option<String>,
    #[serde(default)]
    pub images: Vec<String>,
    pub compose: Option<String>,
    pub helm: Option<String>,
    #[serde(default)]
    pub kubernetes: Vec<String>,
    #[serde(default)]
    pub bicep: Vec<String>,
    #[serde(default)]
    pub terraform: Vec<String>,
    /// Names never to link to this service.
    #[serde(default)]
    pub not: Vec<String>,
}

/// Errors in the order of their place in the file, each once, one per line: a key or value
/// quoted from the file cannot break its line ([`one_line`]).
fn joined(errs: &mut [(usize, String)]) -> String {
    errs.sort();
    let mut out: Vec<String> = errs.iter().map(|(_, e)| one_line(e)).collect();
    out.dedup();
    out.join("\n")
}

/// `s` with its line breaks, control and format characters (bidi controls among them)
/// written as escapes (`\n`, `\u{202e}`), so that a message quoting a config stays one line:
/// the messages of a config are said one per line.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let format = matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}');
        if c.is_control() || format {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The keys a config may hold, by the path of the table they are in (`*`: any name, as
/// under `[severity]` or `[services]`); `None` for a table whose keys are free.
fn known_keys(table: &[&str]) -> Option<&'static [&'static str]> {
    Some(match table {
        [] => &[
            "select",
            "ignore",
            "strict",
            "exclude",
            "severity",
            "per-path",
            "environments",
            "services",
            "pinned-versions",
            "helm",
        ],
        ["pinned-versions"] => &["tag-precision"],
        // `[[helm.chart]]` entries are checked by serde (`deny_unknown_fields`).
        ["helm"] => &[
            "release",
            "namespace",
            "kube-version",
            "api-versions",
            "chart",
        ],
        ["environments"] => return None,
        ["environments", _] => &["compose"],
        ["services", _] => &[
            "dockerfile",
            "images",
            "compose",
            "helm",
            "kubernetes",
            "bicep",
            "terraform",
            "not",
        ],
        _ => return None,
    })
}

/// Calls `unknown` for every key of `table` (at `path`) that no table there may hold.
fn unknown_keys(
    table: &toml::de::DeTable<'_>,
    path: &[&str],
    unknown: &mut dyn FnMut(&str, std::ops::Range<usize>),
) {
    let known = known_keys(path);
    for (key, value) in table {
        let name: &str = key.get_ref();
        if known.is_some_and(|k| !k.contains(&name)) {
            unknown(name, key.span());
            continue;
        }
        if let toml::de::DeValue::Table(inner) = value.get_ref() {
            // Tables nested under free tables (`[environments.live]`, `[services.api]`) are
            // checked; the values of `[severity]` and `[per-path]` are not tables.
            let mut deeper = path.to_vec();
            deeper.push(match path {
                ["environments"] if name != "production" => "*",
                ["services"] => "*",
                _ => name,
            });
            unknown_keys(inner, &deeper, unknown);
        }
    }
}

/// One loaded configuration.
#[derive(Debug)]
pub struct Config {
    /// The file, as given or found.
    pub path: PathBuf,
    /// Its directory: globs are relative to it.
    pub dir: PathBuf,
    select: Option<Vec<Selector>>,
    ignore: Vec<Selector>,
    pub strict: bool,
    exclude: Gitignore,
    severity: Vec<(&'static str, Severity)>,
    per_path: Vec<(Gitignore, Vec<Selector>)>,
    /// Environment names that are production.
    pub production: Vec<String>,
    /// `[environments.<name>]`, by name.
    pub declared: BTreeMap<String, DeclaredEnvironment>,
    pub services: BTreeMap<String, ServiceLink>,
    /// How precise an image tag must be to pin (`[pinned-versions] tag-precision`).
    pub tag_precision: Precision,
    /// `[[helm.chart]]`: charts with values of the user's, per environment.
    pub helm: Vec<HelmChart>,
    /// `[helm]`: the settings of every chart the config covers.
    pub helm_settings: HelmSettings,
}

/// Names a set of rules: one rule, a family, or an id prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Selector {
    Rule(&'static str),
    Family(Family),
    Prefix(String),
}

impl Selector {
    fn parse(s: &str) -> Option<Selector> {
        if let Some(m) = crate::catalogue::meta(s) {
            return Some(Selector::Rule(m.id.as_str()));
        }
        if let Some(f) = Family::parse(s) {
            return Some(Selector::Family(f));
        }
        let upper = s.to_ascii_uppercase();
        let known = !upper.is_empty()
            && crate::catalogue::all()
                .iter()
                .any(|m| m.id.starts_with(&upper));
        known.then_some(Selector::Prefix(upper))
    }

    fn matches(&self, m: &RuleMeta) -> bool {
        match self {
            Selector::Rule(id) => m.id == *id,
            Selector::Family(f) => m.family == *f,
            Selector::Prefix(p) => m.id.starts_with(p.as_str()),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: PathBuf::new(),
            dir: PathBuf::new(),
            select: None,
            ignore: Vec::new(),
            strict: false,
            exclude: Gitignore::empty(),
            severity: Vec::new(),
            per_path: Vec::new(),
            production: default_production(),
            declared: BTreeMap::new(),
            services: BTreeMap::new(),
            tag_precision: Precision::default(),
            helm: Vec::new(),
            helm_settings: HelmSettings::default(),
        }
    }
}

fn default_production() -> Vec<String> {
    ["prod", "production", "prd", "live"]
        .map(String::from)
        .to_vec()
}

/// The largest config file read: a real one is a few hundred bytes.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, String> {
        Config::load_shown(path, &path.display().to_string())
    }

    /// [`Config::load`], the file shown as `display` where findings point into it (a
    /// `[[helm.chart]]` `set` entry is where the values it sets come from).
    pub fn load_shown(path: &Path, display: &str) -> Result<Config, String> {
        let text = crate::source::read::read_text(path, "the config", MAX_CONFIG_BYTES)?;
        let mut config = Config::parse(path, &text)?;
        for chart in &mut config.helm {
            let file = Arc::new(SourceFile::new(
                path.to_path_buf(),
                display.to_string(),
                Format::OtherYaml,
                text.clone(),
            ));
            chart.at = Origin::new(&file, chart.at.span);
            for env in &mut chart.environments {
                env.at = Origin::new(&file, env.at.span);
                for (_, at) in &mut env.values {
                    *at = Origin::new(&file, at.span);
                }
                for set in &mut env.set {
                    set.at = Origin::new(&file, set.at.span);
                }
            }
        }
        Ok(config)
    }

    /// Parses and validates a config. Every mistake found is reported at once, one per line
    /// with its `file:line:col`: every syntax error, every unknown key, every rule name,
    /// severity and glob that is wrong (a value of the wrong type stops at the first).
    pub fn parse(path: &Path, text: &str) -> Result<Config, String> {
        let at = |span: std::ops::Range<usize>| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{}:{line}:{col}", path.display())
        };
        let toml_error = |e: &toml::de::Error| match e.span() {
            Some(span) => format!("{}: {}", at(span), e.message()),
            None => format!("{}: {}", path.display(), e.message()),
        };
        let mut errs: Vec<(usize, String)> = Vec::new();
        let (table, syntax) = toml::de::DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            let mut all: Vec<(usize, String)> = syntax
                .iter()
                .map(|e| (e.span().map_or(usize::MAX, |s| s.start), toml_error(e)))
                .collect();
            return Err(joined(&mut all));
        }
        unknown_keys(table.get_ref(), &[], &mut |key, span| {
            errs.push((span.start, format!("{}: unknown key `{key}`", at(span))));
        });
        let raw: Raw = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                errs.push((e.span().map_or(usize::MAX, |s| s.start), toml_error(&e)));
                return Err(joined(&mut errs));
            }
        };
        let selectors = |list: Vec<Spanned<String>>,
                         errs: &mut Vec<(usize, String)>|
         -> Vec<Selector> {
            list.into_iter()
                .filter_map(|s| {
                    let parsed = Selector::parse(s.get_ref());
                    if parsed.is_none() {
                        errs.push((s.span().start, format!(
                            "{}: `{}` is not a rule id, rule name, family or id prefix (see `plumbline rules`)",
                            at(s.span()),
                            s.get_ref()
                        )));
                    }
                    parsed
                })
                .collect()
        };
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let globs = |list: &[Spanned<String>], errs: &mut Vec<(usize, String)>| -> Gitignore {
            let mut b = GitignoreBuilder::new(&dir);
            for g in list {
                if let Err(e) = b.add_line(None, g.get_ref()) {
                    errs.push((
                        g.span().start,
                        format!("{}: bad glob `{}`: {e}", at(g.span()), g.get_ref()),
                    ));
                }
            }
            b.build().unwrap_or_else(|e| {
                errs.push((usize::MAX, format!("{}: {e}", path.display())));
                Gitignore::empty()
            })
        };

        let mut severity = Vec::new();
        for (rule, level) in raw.severity.unwrap_or_default() {
            let meta = crate::catalogue::meta(&rule);
            if meta.is_none() {
                errs.push((
                    level.span().start,
                    format!(
                        "{}: `{rule}` in [severity] is not a rule id or name",
                        at(level.span())
                    ),
                ));
            }
            let sev = Severity::parse(level.get_ref());
            if sev.is_none() {
                errs.push((
                    level.span().start,
                    format!(
                        "{}: severity `{}` must be error, warning or info",
                        at(level.span()),
                        level.get_ref()
                    ),
                ));
            }
            if let (Some(meta), Some(sev)) = (meta, sev) {
                severity.push((meta.id.as_str(), sev));
            }
        }
        let tag_precision = match raw.pinned_versions.and_then(|p| p.tag_precision) {
            None => Precision::default(),
            Some(p) => Precision::parse(p.get_ref()).unwrap_or_else(|| {
                errs.push((
                    p.span().start,
                    format!(
                        "{}: tag-precision `{}` must be one of {}",
                        at(p.span()),
                        p.get_ref(),
                        Precision::NAMES
                            .iter()
                            .map(|n| format!("\"{n}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                Precision::default()
            }),
        };
        let mut per_path = Vec::new();
        for (glob, list) in raw.per_path.unwrap_or_default() {
            let span = list.span();
            let matcher = globs(&[Spanned::new(span.clone(), glob)], &mut errs);
            per_path.push((matcher, selectors(list.into_inner(), &mut errs)));
        }
        let mut declared = BTreeMap::new();
        for (name, value) in raw
            .environments
            .as_ref()
            .map(|e| e.declared.clone())
            .unwrap_or_default()
        {
            match value.try_into::<DeclaredEnvironment>() {
                Ok(env) => {
                    declared.insert(name, env);
                }
                Err(e) => errs.push((
                    usize::MAX,
                    format!(
                        "{}: [environments.{name}]: {} (it takes `compose = [files…]`)",
                        path.display(),
                        e.message()
                    ),
                )),
            }
        }
        let select = raw.select.map(|s| selectors(s, &mut errs));
        let ignore = selectors(raw.ignore.unwrap_or_default(), &mut errs);
        let exclude = globs(&raw.exclude.unwrap_or_default(), &mut errs);
        // `[helm]` stops at its first mistake, said with the others.
        let (helm_settings, helm) = match raw.helm {
            Some(h) => helm_charts(path, &dir, text, h, &at).unwrap_or_else(|e| {
                errs.push((usize::MAX, e));
                (HelmSettings::default(), Vec::new())
            }),
            None => (HelmSettings::default(), Vec::new()),
        };
        if !errs.is_empty() {
            return Err(joined(&mut errs));
        }
        Ok(Config {
            path: path.to_path_buf(),
            helm,
            helm_settings,
            select,
            ignore,
            strict: raw.strict.unwrap_or(false),
            exclude,
            severity,
            per_path,
            production: raw
                .environments
                .as_ref()
                .and_then(|e| e.production.clone())
                .unwrap_or_else(default_production),
            declared,
            services: raw.services.unwrap_or_default(),
            tag_precision,
            dir,
        })
    }

    /// Whether `rule` runs under this config (before per-path ignores). `enabled` are the
    /// opt-in rules turned on from the command line.
    pub fn runs(&self, rule: &RuleMeta, enabled: &[&str]) -> bool {
        let explicitly = enabled.contains(&rule.id.as_str())
            || self
                .select
                .iter()
                .flatten()
                .any(|s| matches!(s, Selector::Rule(id) if *id == rule.id));
        let on = match &self.select {
            None => !rule.opt_in || self.strict || explicitly,
            Some(sel) => {
                sel.iter().any(|s| s.matches(rule)) && (!rule.opt_in || self.strict || explicitly)
                    || explicitly
            }
        };
        on && !self.ignore.iter().any(|s| s.matches(rule))
    }

    /// Whether findings of `rule` in the file at `path` are reported.
    pub fn reports(&self, rule: &RuleMeta, enabled: &[&str], path: &Path) -> bool {
        self.runs(rule, enabled)
            && !self.per_path.iter().any(|(glob, sel)| {
                glob.matched_path_or_any_parents(path, false).is_ignore()
                    && sel.iter().any(|s| s.matches(rule))
            })
    }

    /// The severity of `rule` under this config.
    pub fn severity(&self, rule: &RuleMeta) -> Severity {
        self.severity
            .iter()
            .find(|(id, _)| *id == rule.id)
            .map_or(rule.severity, |(_, s)| *s)
    }

    /// Whether a path is excluded by this config.
    pub fn excludes(&self, path: &Path, is_dir: bool) -> bool {
        path.starts_with(&self.dir)
            && self
                .exclude
                .matched_path_or_any_parents(path, is_dir)
                .is_ignore()
    }

    /// Whether an environment name is production: it, or one of its words (`eu-prod`,
    /// `prod.eu`), is one of the production names.
    pub fn is_production(&self, env: &str) -> bool {
        let e = env.to_ascii_lowercase();
        std::iter::once(e.as_str())
            .chain(e.split(['-', '.', '_']))
            .any(|w| self.production.iter().any(|p| p.eq_ignore_ascii_case(w)))
    }
}

/// Helm's rule for release names (`helm template NAME`): lower-case DNS labels, at most 53
/// characters.
fn valid_release_name(name: &str) -> bool {
    name.len() <= 53
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Reads and checks `[helm]`: every mistake located in the config file.
fn helm_charts(
    path: &Path,
    dir: &Path,
    text: &str,
    raw: RawHelm,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> Result<(HelmSettings, Vec<HelmChart>), String> {
    let file = Arc::new(SourceFile::new(
        path.to_path_buf(),
        path.display().to_string(),
        Format::OtherYaml,
        text.to_string(),
    ));
    let origin = |span: std::ops::Range<usize>| {
        let s = file.clamp(span.start);
        Origin::new(&file, Span::new(s, file.clamp(span.end).max(s)))
    };
    let name = |v: &Option<Spanned<String>>, default: &str, what: &str| -> Result<String, String> {
        match v {
            None => Ok(default.to_string()),
            Some(s) if what == "release" && !valid_release_name(s.get_ref()) => Err(format!(
                "{}: release name `{}` is not valid for Helm (lower-case letters, digits, `-` and `.`, at most 53 characters)",
                at(s.span()),
                s.get_ref()
            )),
            Some(s) if s.get_ref().is_empty() => Err(format!("{}: {what} is empty", at(s.span()))),
            Some(s) => Ok(s.get_ref().clone()),
        }
    };
    // `--kube-version` and `--api-versions`: Helm's error for a version it cannot parse, at
    // the entry; a chart's own entries replace the `[helm]` ones.
    let capabilities = |kube: &Option<Spanned<String>>,
                        apis: &Option<Vec<Spanned<String>>>,
                        base: &crate::render::helm::template::Capabilities|
     -> Result<crate::render::helm::template::Capabilities, String> {
        if kube.is_none() && apis.is_none() {
            return Ok(base.clone());
        }
        for a in apis.iter().flatten() {
            if a.get_ref().trim().is_empty() {
                return Err(format!("{}: an API version is empty", at(a.span())));
            }
        }
        let given: Vec<String> = apis.iter().flatten().map(|a| a.get_ref().clone()).collect();
        let parsed =
            crate::render::helm::capabilities(kube.as_ref().map(|k| k.get_ref().as_str()), &given)
                .map_err(|e| format!("{}: {e}", at(kube.as_ref().map_or(0..0, |k| k.span()))))?;
        // Each setting the entry leaves out is the `[helm]` one.
        Ok(crate::render::helm::template::Capabilities {
            kube_version: match kube {
                Some(_) => parsed.kube_version,
                None => base.kube_version.clone(),
            },
            api_versions: match apis {
                Some(_) => parsed.api_versions,
                None => base.api_versions.clone(),
            },
            ..parsed
        })
    };
    let defaults = HelmSettings::default();
    let settings = HelmSettings {
        release: name(&raw.release, &defaults.release, "release")?,
        namespace: name(&raw.namespace, &defaults.namespace, "namespace")?,
        capabilities: capabilities(&raw.kube_version, &raw.api_versions, &defaults.capabilities)?,
    };
    let mut charts: Vec<HelmChart> = Vec::new();
    for c in raw.chart.unwrap_or_default() {
        let p = c.path.get_ref();
        if p.trim().is_empty() {
            return Err(format!("{}: `path` is empty", at(c.path.span())));
        }
        let chart_dir = crate::source::normalize(&dir.join(p));
        if charts.iter().any(|x| x.dir == chart_dir) {
            return Err(format!(
                "{}: chart `{p}` is configured twice",
                at(c.path.span())
            ));
        }
        let mut environments = Vec::new();
        for (env, e) in c.environments.unwrap_or_default() {
            let env_name = env.get_ref().clone();
            if env_name.is_empty() || env_name.contains(['/', '\\']) {
                return Err(format!(
                    "{}: environment name `{env_name}` must be a non-empty word",
                    at(env.span())
                ));
            }
            let mut values = Vec::new();
            for v in e.values.unwrap_or_default() {
                if v.get_ref().trim().is_empty() {
                    return Err(format!("{}: a values file path is empty", at(v.span())));
                }
                values.push((PathBuf::from(v.get_ref()), origin(v.span())));
            }
            let mut set = Vec::new();
            for s in e.set.unwrap_or_default() {
                let assignment = s.get_ref().clone();
                if let Err(e) = crate::render::helm::check_set(&assignment) {
                    return Err(format!(
                        "{}: `{assignment}` is not a Helm --set assignment: {e}",
                        at(s.span())
                    ));
                }
                // Point at the value itself when the entry is written without escapes.
                let span = s.span();
                let raw_text = text.get(span.clone()).unwrap_or("");
                let value_span = match (
                    assignment.find('='),
                    raw_text.get(1..raw_text.len().saturating_sub(1)),
                ) {
                    (Some(eq), Some(inner)) if inner == assignment && eq + 1 < assignment.len() => {
                        span.start + 1 + eq + 1..span.end - 1
                    }
                    _ => span,
                };
                set.push(SetValue {
                    assignment,
                    at: origin(value_span),
                });
            }
            environments.push(HelmEnvironment {
                name: env_name,
                at: origin(env.span()),
                values,
                set,
            });
        }
        charts.push(HelmChart {
            dir: chart_dir,
            at: origin(c.path.span()),
            settings: HelmSettings {
                release: name(&c.release, &settings.release, "release")?,
                namespace: name(&c.namespace, &settings.namespace, "namespace")?,
                capabilities: capabilities(
                    &c.kube_version,
                    &c.api_versions,
                    &settings.capabilities,
                )?,
            },
            environments,
        });
    }
    Ok((settings, charts))
}

/// Finds the config for each file: the nearest `.plumbline.toml` above it (cached per
/// directory), or the one given.
pub struct Resolver {
    /// Config files are shown relative to this directory (the run's).
    cwd: Option<PathBuf>,
    given: Option<Arc<Config>>,
    default: Arc<Config>,
    by_dir: HashMap<PathBuf, Arc<Config>>,
    loaded: HashMap<PathBuf, Arc<Config>>,
}

impl Resolver {
    pub fn new(given: Option<Config>) -> Resolver {
        Resolver {
            cwd: None,
            given: given.map(Arc::new),
            default: Arc::new(Config::default()),
            by_dir: HashMap::new(),
            loaded: HashMap::new(),
        }
    }

    /// Shows the config files it loads relative to `cwd`, as every other path is shown.
    pub fn relative_to(mut self, cwd: &Path) -> Resolver {
        self.cwd = Some(crate::source::absolute(cwd));
        self
    }

    /// The config governing a file. Paths are made absolute so walking up finds configs
    /// above a relative path such as `.`.
    pub fn for_file(&mut self, file: &Path) -> Result<Arc<Config>, String> {
        if let Some(c) = &self.given {
            return Ok(Arc::clone(c));
        }
        let abs = crate::source::absolute(file);
        let dir = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
        self.for_dir(&dir)
    }

    fn for_dir(&mut self, dir: &Path) -> Result<Arc<Config>, String> {
        if let Some(c) = self.by_dir.get(dir) {
            return Ok(Arc::clone(c));
        }
        let candidate = dir.join(FILE_NAME);
        let config = if crate::source::read::is_regular_file(&candidate) {
            match self.loaded.get(&candidate) {
                Some(c) => Arc::clone(c),
                None => {
                    let shown = match &self.cwd {
                        Some(cwd) => crate::source::discover::display_path(&candidate, cwd),
                        None => candidate.display().to_string(),
                    };
                    let c = Arc::new(Config::load_shown(&candidate, &shown)?);
                    self.loaded.insert(candidate, Arc::clone(&c));
                    c
                }
            }
        } else if crate::source::project::config_search_ends_at(dir) {
            Arc::clone(&self.default)
        } else {
            match dir.parent() {
                Some(parent) => self.for_dir(parent)?,
                None => Arc::clone(&self.default),
            }
        };
        self.by_dir.insert(dir.to_path_buf(), Arc::clone(&config));
        Ok(config)
    }

    /// Every config in use, the default included.
    pub fn all(&self) -> Vec<Arc<Config>> {
        let mut v: Vec<Arc<Config>> = self.loaded.values().cloned().collect();
        v.extend(self.given.iter().cloned());
        v.push(Arc::clone(&self.default));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("/repo/.plumbline.toml"), text)
    }

    /// Every line of the starter file that is not blank is a comment (what `init` says), and
    /// each commented setting is valid once uncommented.
    #[test]
    fn the_starter_file_is_all_comments_and_each_setting_is_valid() {
        assert!(
            STARTER
                .lines()
                .all(|l| l.trim().is_empty() || l.starts_with('#')),
            "a live setting in the starter"
        );
        let uncommented: String = STARTER
            .lines()
            .filter(|l| l.starts_with("# ") && !l.starts_with("#  "))
            .map(|l| &l[2..])
            // The prose lines are not TOML: keep the settings and tables.
            .filter(|l| {
                l.starts_with('[')
                    || l.split_once(" = ")
                        .is_some_and(|(key, _)| !key.trim().contains(' '))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        assert_eq!(c.production, default_production());
        assert_eq!(c.declared["live"].compose, ["stack.yml", "deploy/live.yml"]);
        assert_eq!(c.services["api"].not, ["api-worker"]);
    }

    #[test]
    fn every_mistake_is_reported_at_once_in_file_order() {
        let err = parse(
            "select = [\"PINX999\"]\nignorr = [\"PORT001\"]\n[severity]\nPIN002 = \"fatal\"\n\
             [services.api]\ndockerfil = \"x\"\n[environments.live]\ncompos = [\"a\"]\n",
        )
        .unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 5, "{err}");
        assert!(
            lines[0].starts_with("/repo/.plumbline.toml:1:11: `PINX999`"),
            "{err}"
        );
        assert!(lines[1].contains(":2:1: unknown key `ignorr`"), "{err}");
        assert!(lines[2].contains(":4:10: severity `fatal`"), "{err}");
        assert!(lines[3].contains(":6:1: unknown key `dockerfil`"), "{err}");
        assert!(lines[4].contains(":8:1: unknown key `compos`"), "{err}");
    }

    #[test]
    fn the_starter_file_is_valid_and_changes_nothing() {
        let c = parse(STARTER).unwrap();
        for m in crate::catalogue::all() {
            assert_eq!(c.runs(m, &[]), !m.opt_in, "{}", m.id);
            assert_eq!(c.severity(m), m.severity);
        }
        assert!(c.is_production("Production"));
    }

    #[test]
    fn selectors_by_id_name_family_and_prefix() {
        let c = parse("select = [\"secrets\", \"ROOT\", \"base-image-unpinned\", \"PIN005\"]\nignore = [\"SEC005\"]\n").unwrap();
        let run = |id: &str| c.runs(crate::catalogue::meta(id).unwrap(), &[]);
        assert!(run("SEC001") && run("ROOT001") && run("PIN001"));
        assert!(run("PIN005"), "an opt-in rule selected by id runs");
        assert!(!run("PIN002") && !run("SEC005") && !run("PORT001"));
    }

    #[test]
    fn strict_mode_runs_opt_in_rules() {
        let c = parse("strict = true\n").unwrap();
        assert!(c.runs(crate::catalogue::meta("PIN005").unwrap(), &[]));
    }

    #[test]
    fn mistakes_are_located() {
        let e = parse("strict = true\nselct = [\"PIN001\"]\n").unwrap_err();
        assert!(e.starts_with("/repo/.plumbline.toml:2:1: "), "{e}");
        assert!(e.contains("selct"), "{e}");
        let e = parse("ignore = [\"PIN001\", \"PIN01X\"]\n").unwrap_err();
        assert!(e.starts_with("/repo/.plumbline.toml:1:21: "), "{e}");
        let e = parse("[severity]\nPIN001 = \"fatal\"\n").unwrap_err();
        assert!(e.starts_with("/repo/.plumbline.toml:2:10: "), "{e}");
        let e = parse("[severity]\nNOPE = \"error\"\n").unwrap_err();
        assert!(e.contains("NOPE"), "{e}");
        let e = parse("[services.api]\ndockerfil = \"x\"\n").unwrap_err();
        assert!(e.starts_with("/repo/.plumbline.toml:2:1: "), "{e}");
        let e = parse("[pinned-versions]\ntag-precision = \"minor\"\n").unwrap_err();
        assert!(e.starts_with("/repo/.plumbline.toml:2:17: "), "{e}");
        assert!(e.contains("\"major.minor\""), "{e}");
        let e = parse("[pinned-versions]\ntag-precison = \"major\"\n").unwrap_err();
        assert!(e.starts_with("/repo/.plumbline.toml:2:1: "), "{e}");
    }

    #[test]
    fn tag_precision() {
        assert_eq!(parse("").unwrap().tag_precision, Precision::MajorMinor);
        let c = parse("[pinned-versions]\ntag-precision = \"major\"\n").unwrap();
        assert_eq!(c.tag_precision, Precision::Major);
    }

    #[test]
    fn helm_charts_with_values_and_set_per_environment() {
        let text = "[helm]\nrelease = \"shop\"\n[[helm.chart]]\npath = \"deploy/chart\"\n[helm.chart.environments.prod]\nvalues = [\"../inf.yaml\", \"values.prod.yaml\"]\nset = [\"image.tag=1.2.3\"]\n";
        let c = parse(text).unwrap();
        assert_eq!(c.helm.len(), 1);
        let chart = &c.helm[0];
        assert_eq!(chart.dir, Path::new("/repo/deploy/chart"));
        assert_eq!(chart.settings.release, "shop");
        assert_eq!(chart.settings.namespace, "default");
        let env = &chart.environments[0];
        assert_eq!(env.name, "prod");
        assert_eq!(env.values[1].0, Path::new("values.prod.yaml"));
        // A --set value points at its value in the config.
        assert_eq!(env.set[0].at.text(), "1.2.3");
        assert_eq!(env.set[0].at.start().line, 7);
        let specs = chart.env_specs(|n| c.is_production(n));
        assert!(specs[0].environment.production);
        assert_eq!(specs[0].values.len(), 2);
    }

    #[test]
    fn helm_mistakes_are_located() {
        let e =
            parse("[[helm.chart]]\npath = \"c\"\n[helm.chart.environments.prod]\nset = [\"a,\"]\n")
                .unwrap_err();
        assert!(e.starts_with("/repo/.plumbline.toml:4:8: "), "{e}");
        let e = parse("[[helm.chart]]\npath = \"c\"\nrelease = \"Shop_1\"\n").unwrap_err();
        assert!(e.starts_with("/repo/.plumbline.toml:3:11: "), "{e}");
        let e = parse("[[helm.chart]]\npath = \"c\"\nvalues = []\n").unwrap_err();
        assert!(e.starts_with("/repo/.plumbline.toml:3:1: "), "{e}");
        let e =
            parse("[[helm.chart]]\npath = \"c\"\n[[helm.chart]]\npath = \"./c\"\n").unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn per_path_ignores_and_excludes_are_relative_to_the_file() {
        let c =
            parse("exclude = [\"vendor/\"]\n[per-path]\n\"legacy/**\" = [\"non-root\"]\n").unwrap();
        let root = crate::catalogue::meta("ROOT001").unwrap();
        assert!(!c.reports(root, &[], Path::new("/repo/legacy/a/Dockerfile")));
        assert!(c.reports(root, &[], Path::new("/repo/new/Dockerfile")));
        assert!(c.excludes(Path::new("/repo/vendor/x/Dockerfile"), false));
        assert!(!c.excludes(Path::new("/repo/src/Dockerfile"), false));
    }
}
