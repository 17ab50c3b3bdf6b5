//! Documents → layers: what each Dockerfile, Compose service and workload container says
//! about the service it describes, each fact with its origin.

use std::path::Path;
use std::sync::Arc;

use crate::model::Document;
use crate::model::dockerfile::{exposed_ports, final_with_vars, local_url_port};
use crate::model::layer::{
    DependsOn, EnvFact, EnvHandling, Fact, ImageName, Layer, LayerKind, ProbeFact,
};
use crate::model::workload::{Container, PortRef, Probe, ProbeAction, Unresolved};
use crate::parse::compose::{self, HealthTest};
use crate::parse::dockerfile::{CommandLine, Dockerfile, InstructionKind, substitute};
use crate::source::normalize;
use crate::source::{Origin, SourceFile, Span};

/// Every layer the documents describe, in file order.
pub fn layers(files: &[(Arc<SourceFile>, Document)]) -> Vec<Layer> {
    files
        .iter()
        .flat_map(|(file, doc)| layers_of(file, doc))
        .collect()
}

/// The layers one document describes.
pub fn layers_of(file: &Arc<SourceFile>, doc: &Document) -> Vec<Layer> {
    let mut layers = described(file, doc);
    for l in &mut layers {
        l.document.clone_from(&file.display_path);
    }
    layers
}

fn described(file: &Arc<SourceFile>, doc: &Document) -> Vec<Layer> {
    match doc {
        Document::Dockerfile(df) => dockerfile(file, df).into_iter().collect(),
        Document::Compose {
            project,
            environment,
        } => project
            .services
            .iter()
            .map(|s| compose_service(s, environment.as_ref()))
            .collect(),
        Document::Kubernetes(_)
        | Document::Kustomize(_)
        | Document::HelmRender(_)
        | Document::Terraform(_) => {
            let kind = match doc {
                Document::Kubernetes(_) | Document::Kustomize(_) => LayerKind::Kubernetes,
                Document::HelmRender(_) => LayerKind::Helm,
                _ => LayerKind::Terraform,
            };
            doc.containers()
                .iter()
                .filter(|c| !c.init)
                .map(|c| container(kind, c))
                .collect()
        }
        Document::Bicep(b) => bicep_containers(b),
        Document::Azd(a) => a.services.iter().map(|s| azd_service(file, s)).collect(),
        _ => Vec::new(),
    }
}

/// The containers of a Bicep template's container apps, jobs and container groups, as the
/// template's defaults (or its first parameter file) resolve them: image, the ingress
/// `targetPort` (apps) or container ports (groups), and probes.
/// Each template instance a module call makes is a layer of its own, named also by the call.
fn bicep_containers(doc: &crate::render::bicep::Document) -> Vec<Layer> {
    doc.deployed_scopes()
        .iter()
        .flat_map(bicep_scope_containers)
        .collect()
}

fn bicep_scope_containers(scope: &crate::render::bicep::Scope<'_>) -> Vec<Layer> {
    use crate::model::bicep::{Kind, containers};
    use crate::render::bicep::syntax::ExprKind;
    let int = |e: &crate::render::bicep::syntax::Expr| -> Option<Fact<u16>> {
        let r = scope.follow(e);
        match r.expr.kind {
            ExprKind::Int(i) => Some(Fact {
                value: u16::try_from(i).ok()?,
                at: Origin::new(&r.file, r.expr.span),
            }),
            _ => None,
        }
    };
    let mut out = Vec::new();
    for c in containers(scope).into_iter().filter(|c| !c.init) {
        let name = c
            .object
            .get("name")
            .and_then(|n| scope.text(n))
            .and_then(|t| t.literal());
        let mut names: Vec<String> = vec![c.resource.symbol.name.to_ascii_lowercase()];
        if let Some(n) = &name {
            names.push(n.to_ascii_lowercase());
        }
        // An instance is named by its call (`module blog './app.bicep'`), and first by the
        // calling file (`app/blog.bicep`), since shared modules are often called `app`.
        if let Some(call) = scope.caller() {
            names.insert(0, call.text().to_ascii_lowercase());
            if let Some(stem) = call.file.path.file_stem().and_then(|s| s.to_str()) {
                names.insert(0, stem.to_ascii_lowercase());
            }
            names.dedup();
        }
        // azd deploys a service to the resource tagged with its name: that name comes first.
        if let Some(service) = azd_service_tag(scope, &c.resource) {
            names.insert(0, service.to_ascii_lowercase());
        }
        names.dedup();
        let image = c.spec.get("image").and_then(|i| {
            let r = scope.follow(i);
            let text = scope.text(i)?.literal()?;
            Some(Fact {
                value: ImageName::parse(&text)?,
                at: Origin::new(&r.file, r.expr.span),
            })
        });
        let mut ports: Vec<Fact<u16>> = Vec::new();
        let mut ports_known = true;
        match c.kind {
            Kind::ContainerApp => {
                if let Some(t) = c.resource.prop(&["configuration", "ingress", "targetPort"]) {
                    match int(t) {
                        Some(f) => ports.push(f),
                        None => ports_known = false,
                    }
                }
            }
            Kind::ContainerGroup => {
                for p in c
                    .spec
                    .get("ports")
                    .map(|l| scope.items(l))
                    .unwrap_or_default()
                {
                    match p.get("port").and_then(int) {
                        Some(f) => ports.push(f),
                        None => ports_known = false,
                    }
                }
            }
            Kind::Job => {}
        }
        let mut probes = Vec::new();
        for p in c
            .spec
            .get("probes")
            .map(|l| scope.items(l))
            .unwrap_or_default()
        {
            let kind = match p
                .get("type")
                .and_then(|t| scope.text(t))
                .and_then(|t| t.literal())
                .map(|t| t.to_ascii_lowercase())
                .as_deref()
            {
                Some("liveness") => "liveness",
                Some("readiness") => "readiness",
                Some("startup") => "startup",
                _ => continue,
            };
            let action = p.get("httpGet").or_else(|| p.get("tcpSocket"));
            probes.push(ProbeFact {
                kind,
                port: action
                    .and_then(|a| a.get("port"))
                    .and_then(int)
                    .map(|f| f.value),
                path: p
                    .get("httpGet")
                    .and_then(|h| h.get("path"))
                    .and_then(|x| scope.text(x))
                    .and_then(|t| t.literal()),
                at: Origin::new(scope.file, p.span),
            });
        }
        out.push(Layer {
            kind: LayerKind::Bicep,
            label: c.describe(scope),
            names,
            environment: None,
            image,
            builds: None,
            ports,
            ports_known,
            probes,
            health_off: None,
            expose: None,
            publishes: None,
            depends_on: Vec::new(),
            user: None,
            runs_as_root: None,
            user_override: None,
            // `env: [{name, value}]` or `{name, secretRef}` (a Container Apps secret, itself
            // often a Key Vault reference).
            env: c
                .spec
                .get("env")
                .map(|l| scope.items(l))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|e| {
                    let name = scope.text(e.get("name")?)?.literal()?;
                    let (handling, at) = if let Some(r) = e.get("secretRef") {
                        (EnvHandling::Secret, Origin::new(scope.file, r.span))
                    } else {
                        let v = e.get("value")?;
                        let r = scope.follow(v);
                        let literal = scope
                            .text(v)
                            .and_then(|t| t.literal())
                            .filter(|_| r.secure_param.is_none());
                        let handling = match literal {
                            Some(l) => EnvHandling::Literal(l),
                            None if r.secure_param.is_some() => EnvHandling::Secret,
                            None => EnvHandling::Reference,
                        };
                        (handling, Origin::new(&r.file, r.expr.span))
                    };
                    Some(EnvFact { name, handling, at })
                })
                .collect(),
            memory_limit: c
                .spec
                .get("resources")
                .and_then(|r| r.get("memory"))
                .and_then(|m| {
                    let r = scope.follow(m);
                    let text = scope.text(m)?.literal()?;
                    Some(Fact {
                        value: k8s_bytes(&text)?,
                        at: Origin::new(&r.file, r.expr.span),
                    })
                }),
            production: true,
            run_as_non_root: None,
            run_as_user: None,
            at: c.anchor(scope),
            document: String::new(),
        });
    }
    out
}

/// The `azd-service-name` tag of a resource (`tags: {'azd-service-name': 'api'}`, also inside
/// `union(tags, {…})`), when its value is known: the azd service deployed to it.
fn azd_service_tag(
    scope: &crate::render::bicep::Scope<'_>,
    resource: &crate::render::bicep::Resource<'_>,
) -> Option<String> {
    use crate::render::bicep::syntax::{Expr, ExprKind};
    fn find<'e>(
        scope: &crate::render::bicep::Scope<'e>,
        e: &'e Expr,
        depth: usize,
    ) -> Option<&'e Expr> {
        if depth > 8 {
            return None;
        }
        let e = scope.value(e);
        if let Some(v) = e.get("azd-service-name") {
            return Some(v);
        }
        match &e.kind {
            ExprKind::Call { args, .. } => args.iter().find_map(|a| find(scope, a, depth + 1)),
            _ => None,
        }
    }
    let tags = resource.body.get("tags")?;
    let value = find(scope, tags, 0)?;
    scope.text(value)?.literal()
}

/// An azd service: the Dockerfile azd builds for it (`project`/`docker.path`, default
/// `Dockerfile` in the project folder), under the service's name.
fn azd_service(file: &Arc<SourceFile>, s: &crate::parse::azd::Service) -> Layer {
    let builds = s.builds_image().then(|| {
        let project = file
            .dir()
            .join(s.project.as_ref().map_or(".", |p| p.value.as_str()));
        let path = project.join(
            s.dockerfile
                .as_ref()
                .map_or("Dockerfile", |d| d.value.as_str()),
        );
        Fact {
            value: normalize(&path),
            at: s
                .dockerfile
                .as_ref()
                .or(s.project.as_ref())
                .map_or_else(|| s.at.clone(), |p| p.at.clone()),
        }
    });
    Layer {
        kind: LayerKind::Azd,
        label: format!("azd service `{}`", s.name.value),
        names: vec![s.name.value.to_ascii_lowercase()],
        environment: None,
        image: s.image.as_ref().and_then(|i| {
            Some(Fact {
                value: ImageName::parse(&i.value)?,
                at: i.at.clone(),
            })
        }),
        builds,
        ports: Vec::new(),
        ports_known: false,
        probes: Vec::new(),
        health_off: None,
        expose: None,
        publishes: None,
        depends_on: Vec::new(),
        user: None,
        runs_as_root: None,
        user_override: None,
        env: Vec::new(),
        memory_limit: None,
        production: false,
        run_as_non_root: None,
        run_as_user: None,
        at: s.at.clone(),
        document: String::new(),
    }
}

/// Directory names that say where a Dockerfile sits, not what it builds: the service is the
/// directory above (`src/cartservice/src/Dockerfile` builds `cartservice`).
const GENERIC_DIRS: &[&str] = &[
    "src",
    "app",
    "docker",
    "build",
    "image",
    "container",
    "deploy",
];

/// `Dockerfile.<x>` suffixes that name a variant of the same image, not another service.
pub const VARIANTS: &[&str] = &[
    "dev",
    "develop",
    "development",
    "debug",
    "prod",
    "production",
    "test",
    "ci",
    "local",
    "release",
];

/// A Dockerfile for a variant of an image (`Dockerfile.debug`, `Dockerfile.develop`), not the
/// one that ships.
pub fn is_variant_dockerfile(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        ["dockerfile.", "containerfile."]
            .iter()
            .any(|b| n.strip_prefix(b).is_some_and(|v| VARIANTS.contains(&v)))
    })
}

/// The names a Dockerfile's path gives its service: the suffix of `Dockerfile.api`, the prefix
/// of `api.Dockerfile`, and the directory it is in (the one above, when that directory is a
/// generic `src/`, `app/` or `docker/`).
pub fn dockerfile_names(path: &Path) -> Vec<String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut names = Vec::new();
    for base in ["dockerfile", "containerfile"] {
        if let Some(rest) = name.strip_prefix(&format!("{base}.")) {
            names.push(rest.to_string());
        } else if let Some(stem) = name.strip_suffix(&format!(".{base}")) {
            names.push(stem.to_string());
        }
    }
    let named_variant = names.iter().all(|n| VARIANTS.contains(&n.as_str()));
    if names.is_empty() || named_variant {
        names.retain(|n| !VARIANTS.contains(&n.as_str()));
        let mut dirs = path
            .parent()
            .into_iter()
            .flat_map(|d| d.ancestors())
            .filter_map(|d| d.file_name().and_then(|n| n.to_str()))
            .map(str::to_ascii_lowercase);
        if let Some(dir) = dirs.next() {
            if GENERIC_DIRS.contains(&dir.as_str()) {
                if let Some(up) = dirs.next() {
                    names.push(up);
                }
            } else {
                names.push(dir);
            }
        }
    }
    names
}

fn dockerfile(file: &Arc<SourceFile>, df: &Dockerfile) -> Option<Layer> {
    let (instructions, vars) = final_with_vars(df);
    let from = instructions
        .iter()
        .find(|i| matches!(i.kind, InstructionKind::From(_)))?;
    let exposed = exposed_ports(&instructions, &vars);
    let ports = exposed
        .as_ref()
        .map(|ps| {
            ps.iter()
                .map(|(p, e)| Fact {
                    value: *p,
                    at: Origin::new(file, e.word.span),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut probes = Vec::new();
    if let Some((ins, h)) = instructions.iter().rev().find_map(|i| match &i.kind {
        InstructionKind::Healthcheck(h) => Some((i, h)),
        _ => None,
    }) && let Some(command) = &h.command
    {
        let words: Vec<(String, Span)> = match command {
            CommandLine::Exec(w) => w.iter().map(|w| (w.text.clone(), w.span)).collect(),
            CommandLine::Shell(s) => s
                .commands
                .iter()
                .flat_map(|c| c.words.iter().map(|w| (w.text.clone(), w.span)))
                .collect(),
        };
        let words: Vec<(String, Span)> = words
            .into_iter()
            .filter_map(|(t, s)| Some((substitute(&t, &vars)?, s)))
            .collect();
        let (port, path) = probe_target(words.iter().map(|(t, _)| t.as_str()));
        probes.push(ProbeFact {
            kind: "HEALTHCHECK",
            port,
            path,
            at: Origin::new(file, ins.span),
        });
    }
    // The last `HEALTHCHECK` decides: `NONE` turns the base image's check off.
    let health_off = instructions
        .iter()
        .rev()
        .find_map(|i| match &i.kind {
            InstructionKind::Healthcheck(h) => Some((i, h)),
            _ => None,
        })
        .filter(|(_, h)| h.none)
        .map(|(i, _)| Origin::new(file, i.span));
    let expose = instructions
        .iter()
        .find(|i| matches!(i.kind, InstructionKind::Expose(_)))
        .map(|i| Origin::new(file, i.span));
    let user = instructions.iter().rev().find_map(|i| match &i.kind {
        InstructionKind::User { user, .. } => Some(Fact {
            value: substitute(&user.text, &vars).unwrap_or_else(|| user.text.clone()),
            at: Origin::new(file, user.span),
        }),
        _ => None,
    });
    Some(Layer {
        kind: LayerKind::Dockerfile,
        label: format!("Dockerfile {}", file.display_path),
        names: dockerfile_names(&file.path),
        environment: None,
        image: None,
        builds: None,
        ports,
        ports_known: exposed.is_some(),
        probes,
        health_off,
        expose,
        publishes: None,
        depends_on: Vec::new(),
        user,
        runs_as_root: crate::model::dockerfile::runs_as_root_with(df, &instructions).map(|r| {
            Fact {
                value: r.message,
                at: Origin::new(file, r.span),
            }
        }),
        user_override: None,
        env: Vec::new(),
        memory_limit: None,
        production: false,
        run_as_non_root: None,
        run_as_user: None,
        at: Origin::new(file, from.span),
        document: String::new(),
    })
}

/// A Kubernetes quantity (`512Mi`, `1G`) as bytes.
fn k8s_bytes(text: &str) -> Option<u64> {
    let nano = crate::model::quantity::parse(text)?;
    u64::try_from(nano / 1_000_000_000).ok()
}

/// A Compose memory size (`256M`, `1g`, `512m`, `1024k`, bytes by default) as bytes.
fn compose_bytes(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mult) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1u64 << 10),
        'm' => (&t[..t.len() - 1], 1 << 20),
        'g' => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    let n: f64 = num.trim().parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some((n * mult as f64) as u64)
}

/// The local port and HTTP path a health command probes: the first local URL among its
/// words (`http://localhost:5000/api/health`, or curl's scheme-less `localhost:5000/x`).
pub fn probe_target<'a>(words: impl Iterator<Item = &'a str>) -> (Option<u16>, Option<String>) {
    for w in words {
        let url = if w.contains("://") {
            w.to_string()
        } else if (w.starts_with("localhost") || w.starts_with("127.")) && w.contains([':', '/']) {
            format!("http://{w}")
        } else {
            continue;
        };
        if let Some(port) = local_url_port(&url) {
            let path = url
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
                .map(|p| p.split(['?', '#']).next().unwrap_or_default().to_string())
                .filter(|p| !p.is_empty());
            return (Some(port), path.or_else(|| Some("/".into())));
        }
    }
    (None, None)
}

fn compose_service(
    s: &compose::Service,
    environment: Option<&crate::render::Environment>,
) -> Layer {
    let image = s.image.as_ref().and_then(|i| {
        Some(Fact {
            value: ImageName::parse(i.value()?)?,
            at: i.at.clone(),
        })
    });
    let builds = s.build.as_ref().and_then(|b| {
        let context = b.context.as_ref()?;
        let ctx = context.value()?;
        if ctx.contains("://") || ctx.starts_with("git@") {
            return None;
        }
        let dockerfile = b
            .dockerfile
            .as_ref()
            .and_then(|d| d.value())
            .unwrap_or("Dockerfile");
        let path = normalize(&context.at.file.dir().join(ctx).join(dockerfile));
        Some(Fact {
            value: path,
            at: context.at.clone(),
        })
    });
    let mut ports: Vec<Fact<u16>> = Vec::new();
    for p in &s.ports {
        for port in p.container.start..=p.container.end.max(p.container.start) {
            ports.push(Fact {
                value: port,
                at: p.at.clone(),
            });
        }
    }
    for e in &s.expose {
        for port in e.ports.start..=e.ports.end.max(e.ports.start) {
            ports.push(Fact {
                value: port,
                at: e.at.clone(),
            });
        }
    }
    let mut probes = Vec::new();
    if let Some(h) = &s.healthcheck
        && !h.disabled
    {
        let words: Vec<String> = match &h.test {
            HealthTest::Exec(w) => w
                .iter()
                .filter_map(|s| s.value().map(String::from))
                .collect(),
            HealthTest::Shell(s) => s
                .value()
                .map(|v| v.split_whitespace().map(String::from).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let (port, path) = probe_target(words.iter().map(String::as_str));
        probes.push(ProbeFact {
            kind: "healthcheck",
            port,
            path,
            at: h.at.clone(),
        });
    }
    Layer {
        kind: LayerKind::Compose,
        label: format!("Compose service `{}`", s.name.value),
        names: vec![s.name.value.to_ascii_lowercase()],
        environment: environment.map(|e| e.name.clone()),
        image,
        builds,
        ports,
        ports_known: s.ports_known,
        probes,
        health_off: s
            .healthcheck
            .as_ref()
            .filter(|h| h.disabled)
            .map(|h| h.at.clone()),
        expose: None,
        publishes: s.ports.first().map(|p| p.at.clone()),
        depends_on: s
            .depends_on
            .iter()
            .map(|d| DependsOn {
                service: d.service.value.clone(),
                condition: d
                    .condition
                    .as_ref()
                    .and_then(|c| c.value().map(str::to_string)),
                condition_at: d.condition.as_ref().map(|c| c.at.clone()),
                at: d.service.at.clone(),
            })
            .collect(),
        user: None,
        runs_as_root: None,
        user_override: s.user.as_ref().and_then(|u| {
            Some(Fact {
                value: u.value()?.to_string(),
                at: u.at.clone(),
            })
        }),
        env: s
            .environment
            .iter()
            .map(|e| EnvFact {
                name: e.name.value.clone(),
                handling: match &e.value {
                    // Interpolated from the shell or `.env`: not written in this file.
                    Some(v) if !v.raw.contains('$') => {
                        EnvHandling::Literal(v.value().unwrap_or_default().to_string())
                    }
                    _ => EnvHandling::Reference,
                },
                at: e
                    .value
                    .as_ref()
                    .map_or_else(|| e.name.at.clone(), |v| v.at.clone()),
            })
            .collect(),
        memory_limit: s.resources.limit_memory.as_ref().and_then(|m| {
            Some(Fact {
                value: compose_bytes(m.value()?)?,
                at: m.at.clone(),
            })
        }),
        production: false,
        run_as_non_root: None,
        run_as_user: None,
        at: s.name.at.clone(),
        document: String::new(),
    }
}

fn container(kind: LayerKind, c: &Container) -> Layer {
    // The workload (or Helm component) first: it names the service; the container name
    // is often generic (`server`, `app`).
    let mut names: Vec<String> = Vec::new();
    if !c.owner.name.is_empty() && !crate::model::workload::is_templated(&c.owner.name) {
        names.push(c.owner.name.to_ascii_lowercase());
    }
    if let Some(n) = &c.name {
        names.push(n.value.to_ascii_lowercase());
    }
    names.dedup();
    let image = (!c.is_unresolved(Unresolved::Image))
        .then_some(c.image.as_ref())
        .flatten()
        .and_then(|i| {
            Some(Fact {
                value: ImageName::parse(&i.value)?,
                at: i.at.clone(),
            })
        });
    let ports_known = !c.is_unresolved(Unresolved::Ports);
    let ports = c
        .ports
        .iter()
        .filter_map(|p| {
            let n = p.number.as_ref()?;
            Some(Fact {
                value: n.value,
                at: n.at.clone(),
            })
        })
        .collect();
    let mut probes = Vec::new();
    if !c.is_unresolved(Unresolved::Probes) {
        for (kind, p) in [
            ("liveness", &c.liveness),
            ("readiness", &c.readiness),
            ("startup", &c.startup),
        ] {
            if let Some(p) = p {
                probes.push(probe(kind, p, c));
            }
        }
    }
    let (run_as_non_root, run_as_user) = if c.is_unresolved(Unresolved::SecurityContext) {
        (None, None)
    } else {
        (
            c.security.run_as_non_root.as_ref().map(|s| Fact {
                value: s.value,
                at: s.at.clone(),
            }),
            c.security.run_as_user.as_ref().map(|s| Fact {
                value: s.value,
                at: s.at.clone(),
            }),
        )
    };
    let what = match kind {
        LayerKind::Helm => "Helm container",
        LayerKind::Terraform => "Terraform container",
        _ => "Kubernetes container",
    };
    let name = c.name.as_ref().map_or("?", |n| n.value.as_str());
    let env = c.environment.as_ref().map(|e| e.name.clone());
    Layer {
        kind,
        label: if c.owner.is_helm_values() {
            format!("{what} `{name}`")
        } else {
            format!("{what} `{name}` of {} `{}`", c.owner.kind, c.owner.name)
        },
        names,
        environment: env,
        image,
        builds: None,
        ports,
        ports_known,
        probes,
        health_off: None,
        expose: None,
        publishes: None,
        depends_on: Vec::new(),
        user: None,
        runs_as_root: None,
        user_override: None,
        env: if c.is_unresolved(Unresolved::Env) {
            Vec::new()
        } else {
            c.env
                .iter()
                .map(|e| EnvFact {
                    name: e.name.value.clone(),
                    handling: match &e.value {
                        _ if e.secret_ref => EnvHandling::Secret,
                        Some(v)
                            if !e.from_ref && !crate::model::workload::is_templated(&v.value) =>
                        {
                            EnvHandling::Literal(v.value.clone())
                        }
                        _ => EnvHandling::Reference,
                    },
                    at: e
                        .value
                        .as_ref()
                        .map_or_else(|| e.name.at.clone(), |v| v.at.clone()),
                })
                .collect()
        },
        memory_limit: if c.is_unresolved(Unresolved::Resources) {
            None
        } else {
            c.resources.limits_memory.as_ref().and_then(|m| {
                Some(Fact {
                    value: k8s_bytes(&m.value)?,
                    at: m.at.clone(),
                })
            })
        },
        production: match kind {
            LayerKind::Helm | LayerKind::Kubernetes => {
                c.environment.as_ref().is_some_and(|e| e.production)
            }
            LayerKind::Terraform => true,
            _ => false,
        },
        run_as_non_root,
        run_as_user,
        at: c.at.clone(),
        document: String::new(),
    }
}

fn probe(kind: &'static str, p: &Probe, c: &Container) -> ProbeFact {
    let port_of = |r: &PortRef| match r {
        PortRef::Number(n) => Some(*n),
        PortRef::Name(name) => c.ports.iter().find_map(|cp| {
            (cp.name.as_ref()?.value == *name).then(|| cp.number.as_ref().map(|n| n.value))?
        }),
    };
    let (port, path) = match &p.action {
        ProbeAction::Http { path, port } => (
            port.as_ref().and_then(|s| port_of(&s.value)),
            path.as_ref().map(|s| s.value.clone()),
        ),
        ProbeAction::Tcp { port } | ProbeAction::Grpc { port } => {
            (port.as_ref().and_then(|s| port_of(&s.value)), None)
        }
        ProbeAction::Exec { command } => probe_target(command.iter().map(String::as_str)),
        ProbeAction::Unknown => (None, None),
    };
    ProbeFact {
        kind,
        port,
        path,
        at: p.at.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_dockerfile_paths() {
        assert_eq!(
            dockerfile_names(Path::new("services/api/Dockerfile")),
            ["api"]
        );
        assert_eq!(
            dockerfile_names(Path::new("x/Dockerfile.worker")),
            ["worker"]
        );
        assert_eq!(dockerfile_names(Path::new("web.Dockerfile")), ["web"]);
        assert_eq!(
            dockerfile_names(Path::new("src/cartservice/src/Dockerfile")),
            ["cartservice"]
        );
        assert_eq!(
            dockerfile_names(Path::new("src/cartservice/src/Dockerfile.debug")),
            ["cartservice"]
        );
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(compose_bytes("256M"), Some(256 << 20));
        assert_eq!(compose_bytes("1g"), Some(1 << 30));
        assert_eq!(compose_bytes("1.5G"), Some(3 << 29));
        assert_eq!(k8s_bytes("512Mi"), Some(512 << 20));
        assert_eq!(k8s_bytes("1G"), Some(1_000_000_000));
        assert_eq!(compose_bytes("lots"), None);
    }

    #[test]
    fn probe_targets() {
        let w = ["curl", "-fsS", "http://localhost:5000/api/health?x=1"];
        assert_eq!(
            probe_target(w.into_iter()),
            (Some(5000), Some("/api/health".into()))
        );
        assert_eq!(
            probe_target(["wget", "-qO-", "localhost:8080"].into_iter()),
            (Some(8080), Some("/".into()))
        );
        assert_eq!(probe_target(["pg_isready"].into_iter()), (None, None));
    }
}
