//! Docker Compose: services with their images, builds, ports, health checks, users,
//! resources, environment and secrets, after interpolation (`${VAR:-default}` with the `.env`
//! beside the base file) and after merging override files the way Compose does.
//!
//! [`read`] reads the merged document of a base file and its overrides
//! ([`crate::render::compose::build`]) into a [`Project`]. Every value a rule
//! may report is a [`Str`] or a [`Spanned`] that keeps the [`Origin`] of the file and span
//! that set it: when `compose.override.yaml` replaces a service's image, the image points
//! into the override. The later cross-file graph reads this model; nothing re-parses YAML.
//!
//! What Compose accepts silently we accept silently: `version`, `name`, `include`,
//! `networks`, `volumes`, `configs`, `secrets` at the top, `x-*` extension fields, and
//! service attributes we have no rule for. A file with no `services` is a project with no
//! services.

pub mod dotenv;
pub mod interpolate;
pub mod ports;

use std::ops::Range;
use std::sync::Arc;

use crate::parse::{ParseError, Spanned, yaml};
use crate::source::{Origin, SourceFile, Span};

pub use interpolate::Vars;
pub use ports::PortRange;

/// A Compose project: a base file and the overrides merged onto it.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// The base file, then the overrides in the order they were applied.
    pub files: Vec<Arc<SourceFile>>,
    /// Whether a `.env` file was read beside the base file.
    pub dotenv: bool,
    pub services: Vec<Service>,
    /// Errors in the base file.
    pub errors: Vec<ParseError>,
    /// Errors located in an override file (the assembler hands each to that file).
    pub override_errors: Vec<(Arc<SourceFile>, ParseError)>,
}

impl Project {
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name.value == name)
    }
}

/// A scalar as written and as Compose would read it after interpolation.
#[derive(Debug, Clone)]
pub struct Str {
    /// The text in the file (YAML escapes read), before interpolation.
    pub raw: String,
    /// The text after interpolation; `None` when it needs a variable that `.env` does not
    /// set and has no default: such a value is unknown and rules skip it.
    pub resolved: Option<String>,
    /// Variables whose value came from `.env`.
    pub from_dotenv: Vec<String>,
    /// Where each `${VAR:-default}` default that was used is written.
    pub defaults: Vec<Origin>,
    /// Whether the YAML scalar was plain (so `true`, `80` are typed).
    pub plain: bool,
    pub at: Origin,
}

impl Str {
    /// The interpolated text, when known.
    pub fn value(&self) -> Option<&str> {
        self.resolved.as_deref()
    }

    /// Where a byte range of [`Str::raw`] is written: exact when the scalar is written as-is
    /// (plain, or quoted without escapes), else the whole scalar.
    pub fn sub(&self, range: Range<usize>) -> Origin {
        let span = inner_span(self.at.text(), self.at.span, &self.raw, range);
        Origin::new(&self.at.file, span)
    }

    /// `true`/`false` as Compose reads a boolean attribute.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value()?.trim() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }
}

/// One service of the project, after merging and interpolation.
#[derive(Debug, Clone)]
pub struct Service {
    /// The service's key under `services:`.
    pub name: Spanned<String>,
    pub image: Option<Str>,
    pub build: Option<Build>,
    pub ports: Vec<PortMapping>,
    pub expose: Vec<Exposed>,
    /// False when some `ports`/`expose` entry could not be read (an unset variable), so the
    /// lists above may be incomplete.
    pub ports_known: bool,
    pub healthcheck: Option<Healthcheck>,
    pub depends_on: Vec<Dependency>,
    pub user: Option<Str>,
    pub privileged: Option<Str>,
    pub cap_add: Vec<Str>,
    pub read_only: Option<Str>,
    pub resources: Resources,
    pub environment: Vec<EnvVar>,
    pub env_file: Vec<Str>,
    /// The names of the `secrets` the service mounts (`source`).
    pub secrets: Vec<Str>,
    pub profiles: Vec<Str>,
    /// The service's mapping.
    pub at: Origin,
}

/// `build:` as a string (the context) or a mapping.
#[derive(Debug, Clone)]
pub struct Build {
    pub context: Option<Str>,
    pub dockerfile: Option<Str>,
    pub args: Vec<EnvVar>,
    pub target: Option<Str>,
    /// The `build:` value.
    pub at: Origin,
}

/// A `ports` entry, short or long form.
#[derive(Debug, Clone)]
pub struct PortMapping {
    pub host_ip: Option<String>,
    /// The published port or range; `None` when Compose picks a free one.
    pub host: Option<PortRange>,
    pub container: PortRange,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// The entry.
    pub at: Origin,
}

/// An `expose` entry.
#[derive(Debug, Clone)]
pub struct Exposed {
    pub ports: PortRange,
    pub protocol: String,
    pub at: Origin,
}

/// What `healthcheck.test` runs.
#[derive(Debug, Clone)]
pub enum HealthTest {
    /// `["CMD", "curl", "-f", "http://localhost"]`: the words after `CMD`.
    Exec(Vec<Str>),
    /// `["CMD-SHELL", "curl -f http://localhost || exit 1"]` or a plain string.
    Shell(Str),
    /// `["NONE"]`: the image's health check is turned off.
    None,
    /// No `test` (only timings): the image's own `HEALTHCHECK` runs.
    Inherit,
    /// A `test` we cannot read (an unknown first word, a templated list).
    Unknown,
}

/// A service's `healthcheck:`.
#[derive(Debug, Clone)]
pub struct Healthcheck {
    pub test: HealthTest,
    /// `disable: true` or `test: ["NONE"]`.
    pub disabled: bool,
    /// The `healthcheck:` mapping.
    pub at: Origin,
}

/// A `depends_on` entry (list items become entries with no condition).
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The service depended on, at its key in `depends_on`.
    pub service: Spanned<String>,
    /// `service_started` (the default), `service_healthy`, `service_completed_successfully`.
    pub condition: Option<Str>,
}

/// Resource limits and reservations, from `deploy.resources` or the older `mem_limit`,
/// `cpus` and `mem_reservation` (the `deploy` value wins when both are set, as in Compose).
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub limit_memory: Option<Str>,
    pub limit_cpus: Option<Str>,
    pub reserve_memory: Option<Str>,
    pub reserve_cpus: Option<Str>,
}

/// An `environment` or `build.args` entry. `value` is `None` when the entry passes a
/// variable through from the shell (`- KEY`, `KEY:`), which is unknown here.
#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: Spanned<String>,
    pub value: Option<Str>,
}

/// Reads the typed services of a project from its merged Compose document (`None` when no
/// file had a usable mapping), with the problems already found in its files; `files` are the
/// base first, then its overrides. Errors in an override stay with that file.
pub fn read(
    files: Vec<Arc<SourceFile>>,
    merged: Option<&yaml::Node>,
    vars: &Vars,
    errors: Vec<(Arc<SourceFile>, ParseError)>,
) -> Project {
    let mut cx = Cx { vars, errors };
    let mut services = Vec::new();
    if let Some(all) = merged.and_then(|m| m.get("services")) {
        for (name, entry) in all.entries() {
            if entry.value.as_map().is_none() {
                cx.error(&entry.value, format!("service `{name}` must be a mapping"));
                continue;
            }
            services.push(cx.service(name, entry));
        }
    }
    let base = Arc::clone(&files[0]);
    let mut project = Project {
        files,
        dotenv: false,
        services,
        errors: Vec::new(),
        override_errors: Vec::new(),
    };
    for (file, e) in cx.errors {
        if Arc::ptr_eq(&file, &base) || file.path == base.path {
            project.errors.push(e);
        } else {
            project.override_errors.push((file, e));
        }
    }
    project
}

/// The span of `range` of a scalar's text inside the file: exact when the scalar is written
/// as-is (plain, or quoted without escapes), else the whole scalar.
pub fn sub_span(node: &yaml::Node, range: Range<usize>) -> Span {
    let Some(text) = node.as_str() else {
        return node.span;
    };
    inner_span(node.file.slice(node.span), node.span, text, range)
}

/// The span of `range` of `text` when `text` is what `written` (at `span`) holds, as-is or
/// between quotes; else `span`.
fn inner_span(written: &str, span: Span, text: &str, range: Range<usize>) -> Span {
    let offset = if written == text {
        0
    } else if written.len() == text.len() + 2 && written.get(1..written.len() - 1) == Some(text) {
        1
    } else {
        return span;
    };
    if range.end > text.len() || range.start > range.end {
        return span;
    }
    Span::new(
        span.start + offset + range.start,
        span.start + offset + range.end,
    )
}

struct Cx<'a> {
    vars: &'a Vars,
    errors: Vec<(Arc<SourceFile>, ParseError)>,
}

impl Cx<'_> {
    fn error(&mut self, node: &yaml::Node, message: String) {
        self.errors
            .push((Arc::clone(&node.file), ParseError::new(message, node.span)));
    }

    /// A scalar with interpolation applied; `None` (and an error when it is a collection)
    /// for anything else.
    fn str(&mut self, node: &yaml::Node, what: &str) -> Option<Str> {
        let yaml::Value::Scalar(s) = &node.value else {
            self.error(node, format!("`{what}` must be a single value"));
            return None;
        };
        if node.is_null() {
            return None;
        }
        let (resolved, from_dotenv, defaults) = match interpolate::interpolate(&s.text, self.vars) {
            Ok(r) => {
                let defaults = r
                    .defaults
                    .iter()
                    .map(|d| Origin::new(&node.file, sub_span(node, d.clone())))
                    .collect();
                (r.resolved.then_some(r.text), r.from_dotenv, defaults)
            }
            Err(e) => {
                self.error(node, format!("invalid interpolation in `{what}`: {e}"));
                (None, Vec::new(), Vec::new())
            }
        };
        Some(Str {
            raw: s.text.clone(),
            resolved,
            from_dotenv,
            defaults,
            plain: s.plain,
            at: node.origin(),
        })
    }

    fn opt(&mut self, svc: &yaml::Node, key: &str) -> Option<Str> {
        let node = svc.get(key)?;
        self.str(node, key)
    }

    /// A sequence of scalars (a lone scalar counts as a one-item list, as Compose allows
    /// for `env_file` and `profiles`).
    fn list(&mut self, node: Option<&yaml::Node>, what: &str) -> Vec<Str> {
        let Some(node) = node else { return Vec::new() };
        match node.as_seq() {
            Some(items) => items.iter().filter_map(|i| self.str(i, what)).collect(),
            None if node.is_null() => Vec::new(),
            None => self.str(node, what).into_iter().collect(),
        }
    }

    fn service(&mut self, name: &str, entry: &yaml::Entry) -> Service {
        let svc = &entry.value;
        let mut out = Service {
            name: Spanned::new(name.to_string(), entry.key.origin()),
            image: self.opt(svc, "image"),
            build: svc.get("build").and_then(|b| self.build(b)),
            ports: Vec::new(),
            expose: Vec::new(),
            ports_known: true,
            healthcheck: svc.get("healthcheck").and_then(|h| self.healthcheck(h)),
            depends_on: svc
                .get("depends_on")
                .map(|d| self.depends_on(d))
                .unwrap_or_default(),
            user: self.opt(svc, "user"),
            privileged: self.opt(svc, "privileged"),
            cap_add: self.list(svc.get("cap_add"), "cap_add"),
            read_only: self.opt(svc, "read_only"),
            resources: self.resources(svc),
            environment: svc
                .get("environment")
                .map(|e| self.env_map(e, "environment"))
                .unwrap_or_default(),
            env_file: Vec::new(),
            secrets: Vec::new(),
            profiles: self.list(svc.get("profiles"), "profiles"),
            at: svc.origin(),
        };
        self.ports(svc, &mut out);
        if let Some(files) = svc.get("env_file") {
            let items: Vec<&yaml::Node> = match files.as_seq() {
                Some(items) => items.iter().collect(),
                None => vec![files],
            };
            for item in items {
                let path = item.get("path").unwrap_or(item);
                out.env_file.extend(self.str(path, "env_file"));
            }
        }
        for item in svc
            .get("secrets")
            .and_then(|s| s.as_seq())
            .unwrap_or_default()
        {
            let source = item.get("source").unwrap_or(item);
            out.secrets.extend(self.str(source, "secrets"));
        }
        out
    }

    fn build(&mut self, node: &yaml::Node) -> Option<Build> {
        if node.as_map().is_none() {
            return Some(Build {
                context: self.str(node, "build"),
                dockerfile: None,
                args: Vec::new(),
                target: None,
                at: node.origin(),
            });
        }
        Some(Build {
            context: self.opt(node, "context"),
            dockerfile: self.opt(node, "dockerfile"),
            args: node
                .get("args")
                .map(|a| self.env_map(a, "build.args"))
                .unwrap_or_default(),
            target: self.opt(node, "target"),
            at: node.origin(),
        })
    }

    /// A key/value mapping (list forms were turned into mappings by [`merge::normalize`]).
    fn env_map(&mut self, node: &yaml::Node, what: &str) -> Vec<EnvVar> {
        let Some(map) = node.as_map() else {
            if !node.is_null() {
                self.error(
                    node,
                    format!("`{what}` must be a mapping or a list of KEY=VALUE"),
                );
            }
            return Vec::new();
        };
        map.iter()
            .filter_map(|e| {
                let name = e.key.as_str()?.to_string();
                let value = if e.value.is_null() {
                    None
                } else {
                    self.str(&e.value, what)
                };
                Some(EnvVar {
                    name: Spanned::new(name, e.key.origin()),
                    value,
                })
            })
            .collect()
    }

    fn healthcheck(&mut self, node: &yaml::Node) -> Option<Healthcheck> {
        node.as_map()?;
        let disable = node
            .get("disable")
            .and_then(|d| self.str(d, "healthcheck.disable"))
            .and_then(|d| d.as_bool())
            .unwrap_or(false);
        let test = match node.get("test") {
            None => HealthTest::Inherit,
            Some(t) if t.is_null() => HealthTest::Inherit,
            Some(t) => match t.as_seq() {
                Some(items) => {
                    let words: Vec<Str> = items
                        .iter()
                        .filter_map(|i| self.str(i, "healthcheck.test"))
                        .collect();
                    match words.split_first() {
                        None => HealthTest::Inherit,
                        Some((first, rest)) => match first.raw.as_str() {
                            "NONE" => HealthTest::None,
                            "CMD" => HealthTest::Exec(rest.to_vec()),
                            "CMD-SHELL" => match rest {
                                [cmd] => HealthTest::Shell(cmd.clone()),
                                _ => HealthTest::Unknown,
                            },
                            _ => HealthTest::Unknown,
                        },
                    }
                }
                None => match self.str(t, "healthcheck.test") {
                    Some(s) if s.raw == "NONE" => HealthTest::None,
                    Some(s) => HealthTest::Shell(s),
                    None => HealthTest::Unknown,
                },
            },
        };
        let disabled = disable || matches!(test, HealthTest::None);
        Some(Healthcheck {
            test,
            disabled,
            at: node.origin(),
        })
    }

    fn depends_on(&mut self, node: &yaml::Node) -> Vec<Dependency> {
        node.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| {
                let name = e.key.as_str()?.to_string();
                let condition = e
                    .value
                    .get("condition")
                    .and_then(|c| self.str(c, "condition"));
                Some(Dependency {
                    service: Spanned::new(name, e.key.origin()),
                    condition,
                })
            })
            .collect()
    }

    fn resources(&mut self, svc: &yaml::Node) -> Resources {
        let deploy = |path: &[&str]| {
            svc.at(&[&["deploy", "resources"][..], path].concat())
                .cloned()
        };
        let mut pick = |primary: Option<yaml::Node>, legacy: Option<&str>, what: &str| match primary
        {
            Some(n) => self.str(&n, what),
            None => self.opt(svc, legacy?),
        };
        Resources {
            limit_memory: pick(deploy(&["limits", "memory"]), Some("mem_limit"), "memory"),
            limit_cpus: pick(deploy(&["limits", "cpus"]), Some("cpus"), "cpus"),
            reserve_memory: pick(
                deploy(&["reservations", "memory"]),
                Some("mem_reservation"),
                "memory",
            ),
            reserve_cpus: pick(deploy(&["reservations", "cpus"]), None, "cpus"),
        }
    }

    fn ports(&mut self, svc: &yaml::Node, out: &mut Service) {
        for item in svc
            .get("ports")
            .and_then(|p| p.as_seq())
            .unwrap_or_default()
        {
            if item.as_map().is_some() {
                match self.long_port(item) {
                    Some(p) => out.ports.push(p),
                    None => out.ports_known = false,
                }
                continue;
            }
            let Some(s) = self.str(item, "ports") else {
                continue;
            };
            let Some(text) = s.value() else {
                out.ports_known = false;
                continue;
            };
            match ports::parse_short(text) {
                Ok(p) => out.ports.push(PortMapping {
                    host_ip: p.host_ip,
                    host: p.host,
                    container: p.container,
                    protocol: p.protocol,
                    at: s.at.clone(),
                }),
                Err(e) => {
                    out.ports_known = false;
                    self.error(item, format!("invalid port: {e}"));
                }
            }
        }
        for item in svc
            .get("expose")
            .and_then(|p| p.as_seq())
            .unwrap_or_default()
        {
            let Some(s) = self.str(item, "expose") else {
                continue;
            };
            let Some(text) = s.value() else {
                out.ports_known = false;
                continue;
            };
            let parsed = ports::split_protocol(text.trim())
                .and_then(|(p, proto)| Ok((PortRange::parse(p)?, proto)));
            match parsed {
                Ok((ports, protocol)) => out.expose.push(Exposed {
                    ports,
                    protocol,
                    at: s.at.clone(),
                }),
                Err(e) => {
                    out.ports_known = false;
                    self.error(item, format!("invalid `expose` port: {e}"));
                }
            }
        }
    }

    /// `{target, published, host_ip, protocol}`; `None` when unknown or invalid (invalid
    /// ones are reported).
    fn long_port(&mut self, item: &yaml::Node) -> Option<PortMapping> {
        let Some(target_node) = item.get("target") else {
            self.error(item, "a long-form port needs a `target`".to_string());
            return None;
        };
        let target = self.str(target_node, "target")?;
        let published = match item.get("published") {
            Some(p) => Some(self.str(p, "published")?),
            None => None,
        };
        let host_ip = match item.get("host_ip") {
            Some(p) => self.str(p, "host_ip")?.resolved,
            None => None,
        };
        let protocol = match item.get("protocol") {
            Some(p) => self.str(p, "protocol")?.resolved?.to_ascii_lowercase(),
            None => "tcp".to_string(),
        };
        let container = match PortRange::parse(target.value()?) {
            Ok(c) => c,
            Err(e) => {
                self.error(target_node, format!("invalid port: {e}"));
                return None;
            }
        };
        let host = match &published {
            Some(p) => {
                let text = p.value()?;
                if text.is_empty() {
                    None
                } else {
                    match PortRange::parse(text) {
                        Ok(h) => Some(h),
                        Err(e) => {
                            self.errors.push((
                                Arc::clone(&p.at.file),
                                ParseError::new(format!("invalid port: {e}"), p.at.span),
                            ));
                            return None;
                        }
                    }
                }
            }
            None => None,
        };
        Some(PortMapping {
            host_ip,
            host,
            container,
            protocol,
            at: item.origin(),
        })
    }
}
