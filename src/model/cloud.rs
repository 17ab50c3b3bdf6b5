//! Containers that cloud services run, as Terraform declares them, in the shared container
//! model (so image pins, root users, privileged mode, env secrets, probe ports and the
//! service graph apply as they do to Kubernetes):
//!
//! - AWS ECS `aws_ecs_task_definition`: `container_definitions` written as `jsonencode(…)`
//!   or as a JSON heredoc (its `${…}` interpolations resolved): `image`, `portMappings`,
//!   `healthCheck`, `user`, `privileged`, `environment` against `secrets` (`valueFrom`),
//!   `cpu`/`memory`/`memoryReservation` (the task's `cpu`/`memory` as the bound when a
//!   container sets none). CPU units become millicores (`256` → `250m`) and MiB become `Mi`,
//!   so quantities compare as Kubernetes ones do.
//! - AWS App Runner `aws_apprunner_service` (`image_repository`) and AWS Lambda functions with
//!   `package_type = "Image"` (`image_uri`).
//! - Google Cloud Run: `google_cloud_run_v2_service`, `google_cloud_run_v2_job` and v1
//!   `google_cloud_run_service`: `containers` (image, ports, env against `secret_key_ref`,
//!   resources, probes).
//!
//! `container_definitions` read with `file()` or `templatefile()` is not followed (its
//! containers are marked unresolved, never reported as missing anything).

use crate::model::workload::{
    Container, ContainerPort, EnvVar, Owner, Platform, Probe, ProbeAction, Resources, Security,
    Spanned, Unresolved,
};
use crate::parse::json;
use crate::parse::terraform::hcl::Piece;
use crate::parse::yaml;
use crate::render::terraform::{
    Block, Body, Expr, Module, Node, Provenance, Resolved, Resource, Value,
};
use crate::source::{Origin, Span};

/// The resource types read here.
pub const KINDS: &[&str] = &[
    "aws_ecs_task_definition",
    "aws_apprunner_service",
    "aws_lambda_function",
    "google_cloud_run_v2_service",
    "google_cloud_run_v2_job",
    "google_cloud_run_service",
];

/// The containers of one resource, when it is a cloud container service.
pub fn read(m: &Module, r: &Resource) -> Vec<Container> {
    match r.kind.value.as_str() {
        "aws_ecs_task_definition" => ecs(m, r),
        "aws_apprunner_service" => app_runner(m, r).into_iter().collect(),
        "aws_lambda_function" => lambda(m, r).into_iter().collect(),
        "google_cloud_run_v2_service" => {
            cloud_run(m, r, &["template"], "containers", "Cloud Run service")
        }
        "google_cloud_run_v2_job" => cloud_run(
            m,
            r,
            &["template", "template"],
            "containers",
            "Cloud Run job",
        ),
        "google_cloud_run_service" => cloud_run(
            m,
            r,
            &["template", "spec"],
            "containers",
            "Cloud Run service",
        ),
        _ => Vec::new(),
    }
}

fn owner(r: &Resource, kind: &str) -> Owner {
    Owner {
        kind: kind.to_string(),
        name: format!("{}.{}", r.kind.value, r.name.value),
        pod_labels: Vec::new(),
        at: r.name.at.clone(),
    }
}

fn text(r: &Resolved) -> Option<Spanned<String>> {
    Some(Spanned::new(r.as_str()?.to_string(), r.at.clone()))
}

// ---- ECS ----------------------------------------------------------------------------------

fn ecs(m: &Module, r: &Resource) -> Vec<Container> {
    let body = r.body();
    let Some(attr) = body.get("container_definitions") else {
        return Vec::new();
    };
    let owner = owner(r, Platform::Ecs.kind());
    let defs = definitions(m, &attr.value);
    let items = match &defs.value {
        Value::List(items) => items.clone(),
        // An unknown list: one container of which nothing is known, so the graph and
        // rules see the task without judging it.
        _ => {
            let mut c = Container::new(owner, attr.value.at.clone());
            c.unresolved = vec![
                Unresolved::Image,
                Unresolved::Ports,
                Unresolved::Probes,
                Unresolved::SecurityContext,
                Unresolved::Resources,
                Unresolved::Env,
            ];
            return vec![c];
        }
    };
    let task_cpu = body.get("cpu").map(|a| m.resolve(&a.value));
    let task_memory = body.get("memory").map(|a| m.resolve(&a.value));
    items
        .iter()
        .filter(|d| matches!(d.value, Value::Map(_)))
        .map(|d| ecs_container(d, &owner, task_cpu.as_ref(), task_memory.as_ref()))
        .collect()
}

/// `container_definitions` as a list of definitions: `jsonencode(x)` is `x`; a JSON string
/// (a heredoc) is parsed with its interpolations resolved.
fn definitions(m: &Module, node: &Node) -> Resolved {
    match &node.expr {
        Expr::Call(name, args) if name == "jsonencode" && args.len() == 1 => m.resolve(&args[0]),
        Expr::Str(_) | Expr::Template(_) => json_string(m, node),
        _ => {
            let r = m.resolve(node);
            match &r.value {
                Value::List(_) => r,
                _ => Resolved {
                    value: Value::Unknown(Provenance::Expression),
                    at: node.at.clone(),
                    sensitive: r.sensitive,
                },
            }
        }
    }
}

/// A string expression holding JSON, parsed where it is written (a heredoc or a quoted
/// string), each `${…}` resolved.
fn json_string(m: &Module, node: &Node) -> Resolved {
    let unknown = || Resolved {
        value: Value::Unknown(Provenance::Expression),
        at: node.at.clone(),
        sensitive: false,
    };
    let raw = node.at.text();
    // The JSON value's range: from its first `[`/`{` to its last `]`/`}`.
    let (Some(first), Some(last)) = (raw.find(['[', '{']), raw.rfind([']', '}'])) else {
        return unknown();
    };
    // A quoted string escapes its quotes: only heredocs are read as written.
    if !raw.starts_with("<<") || last < first {
        return unknown();
    }
    let start = node.at.span.start + first;
    let range = Span::new(start, node.at.span.start + last + 1);
    let (value, errors) = json::parse_template_range(&node.at.file, range);
    let Some(value) = value.filter(|_| errors.is_empty()) else {
        return unknown();
    };
    let interpolations: Vec<&Node> = match &node.expr {
        Expr::Template(pieces) => pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Interpolation(n) => Some(n),
                Piece::Literal(_) => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    from_json(m, &value, &interpolations)
}

/// A JSON node as a resolved value; a string with `${…}` in it takes the interpolations
/// written inside it.
fn from_json(m: &Module, n: &yaml::Node, interpolations: &[&Node]) -> Resolved {
    let at = n.origin();
    let known = |value| Resolved {
        value,
        at: at.clone(),
        sensitive: false,
    };
    match &n.value {
        yaml::Value::Seq(items) => known(Value::List(
            items
                .iter()
                .map(|i| from_json(m, i, interpolations))
                .collect(),
        )),
        yaml::Value::Map(entries) => known(Value::Map(
            entries
                .iter()
                .filter_map(|e| {
                    Some((
                        e.key.as_str()?.to_string(),
                        from_json(m, &e.value, interpolations),
                    ))
                })
                .collect(),
        )),
        yaml::Value::Scalar(s) if s.plain => match s.text.as_str() {
            "true" => known(Value::Bool(true)),
            "false" => known(Value::Bool(false)),
            "null" => known(Value::Null),
            t => known(Value::Number(t.to_string())),
        },
        yaml::Value::Scalar(s) => {
            if !s.text.contains("${") {
                return known(Value::Str(s.text.clone()));
            }
            let inside: Vec<&&Node> = interpolations
                .iter()
                .filter(|i| i.at.span.start >= n.span.start && i.at.span.end <= n.span.end)
                .collect();
            // `"${var.image}"` is the variable's value, found where it is written.
            let whole = s.text.starts_with("${")
                && s.text.ends_with('}')
                && s.text.matches("${").count() == 1;
            if let [only] = inside.as_slice()
                && whole
            {
                return m.resolve(only);
            }
            // Otherwise the literal text between interpolations, as written.
            let raw = n.origin();
            let raw_text = raw.text();
            let mut out = String::new();
            let mut pos = n.span.start + 1;
            let mut sensitive = false;
            for i in &inside {
                // `${` starts two bytes before the expression.
                let open = i.at.span.start.saturating_sub(2).max(pos);
                out.push_str(&raw_text[pos - n.span.start..open - n.span.start]);
                let r = m.resolve(i);
                sensitive |= r.sensitive;
                match r.as_str() {
                    Some(t) => out.push_str(t),
                    None => {
                        return Resolved {
                            sensitive,
                            ..known(Value::Unknown(Provenance::Expression))
                        };
                    }
                }
                // Past the closing `}`.
                let close = raw_text[i.at.span.end - n.span.start..]
                    .find('}')
                    .map_or(i.at.span.end, |k| i.at.span.end + k + 1);
                pos = close;
            }
            let end = n.span.end - 1;
            if pos < end {
                out.push_str(&raw_text[pos - n.span.start..end - n.span.start]);
            }
            Resolved {
                sensitive,
                ..known(Value::Str(out))
            }
        }
    }
}

fn ecs_container(
    d: &Resolved,
    owner: &Owner,
    task_cpu: Option<&Resolved>,
    task_memory: Option<&Resolved>,
) -> Container {
    let mut c = Container::new(owner.clone(), d.at.clone());
    c.name = d.get("name").and_then(text);
    match d.get("image") {
        Some(i) if i.is_unknown() => c.unresolved.push(Unresolved::Image),
        Some(i) => c.image = text(i),
        None => {}
    }
    match d.get("portMappings").map(|p| &p.value) {
        Some(Value::List(items)) => {
            for p in items {
                let number = p.get("containerPort");
                if number.is_some_and(Resolved::is_unknown) {
                    c.unresolved.push(Unresolved::Ports);
                }
                c.ports.push(ContainerPort {
                    number: number.and_then(|n| {
                        Some(Spanned::new(u16::try_from(n.as_i64()?).ok()?, n.at.clone()))
                    }),
                    name: p.get("name").and_then(text),
                    protocol: p
                        .get("protocol")
                        .and_then(Resolved::as_str)
                        .unwrap_or("tcp")
                        .to_ascii_uppercase(),
                    at: p.at.clone(),
                });
            }
        }
        Some(Value::Unknown(_)) => c.unresolved.push(Unresolved::Ports),
        _ => {}
    }
    if let Some(h) = d.get("healthCheck") {
        let command = match h.get("command").map(|c| &c.value) {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        c.liveness = Some(Probe {
            action: ProbeAction::Exec { command },
            at: h.at.clone(),
        });
    }
    c.security = ecs_security(d);
    c.resources = ecs_resources(d, task_cpu, task_memory);
    if [d.get("cpu"), d.get("memory"), d.get("memoryReservation")]
        .iter()
        .flatten()
        .any(|v| v.is_unknown())
    {
        c.unresolved.push(Unresolved::Resources);
    }
    for (key, secret) in [("environment", false), ("secrets", true)] {
        match d.get(key).map(|e| &e.value) {
            Some(Value::List(items)) => {
                for e in items {
                    let Some(name) = e.get("name").and_then(text) else {
                        continue;
                    };
                    let value = e.get("value").filter(|v| !v.sensitive).and_then(text);
                    c.env.push(EnvVar {
                        name,
                        value: if secret { None } else { value },
                        from_ref: secret,
                        secret_ref: secret,
                    });
                }
            }
            Some(Value::Unknown(_)) => c.unresolved.push(Unresolved::Env),
            _ => {}
        }
    }
    c
}

fn ecs_security(d: &Resolved) -> Security {
    let mut s = Security::default();
    if let Some(p) = d.get("privileged") {
        match p.as_bool() {
            Some(b) => s.privileged = Some(Spanned::new(b, p.at.clone())),
            None if p.is_unknown() => s.unread.push("privileged".into()),
            None => {}
        }
    }
    if let Some(u) = d.get("user") {
        match u.as_str() {
            // `user` is `uid`, `uid:gid`, `name` or `name:group`; root is 0 either way.
            Some(text) => {
                let who = text.split(':').next().unwrap_or_default();
                let uid = if who == "root" {
                    Some(0)
                } else {
                    who.parse::<i64>().ok()
                };
                s.run_as_user = uid.map(|n| Spanned::new(n, u.at.clone()));
            }
            None if u.is_unknown() => s.unread.push("runAsUser".into()),
            None => {}
        }
    }
    s
}

/// CPU units (1024 a vCPU) as millicores.
fn cpu_units(r: &Resolved) -> Option<Spanned<String>> {
    let units = r.as_str()?.trim().parse::<f64>().ok()?;
    Some(Spanned::new(
        format!("{}m", (units * 1000.0 / 1024.0).round() as i64),
        r.at.clone(),
    ))
}

/// MiB as a Kubernetes quantity.
fn mebibytes(r: &Resolved) -> Option<Spanned<String>> {
    let mib = r.as_str()?.trim().parse::<u64>().ok()?;
    Some(Spanned::new(format!("{mib}Mi"), r.at.clone()))
}

fn ecs_resources(
    d: &Resolved,
    task_cpu: Option<&Resolved>,
    task_memory: Option<&Resolved>,
) -> Resources {
    let cpu = d.get("cpu").and_then(cpu_units);
    let memory = d.get("memory").and_then(mebibytes);
    let reservation = d.get("memoryReservation").and_then(mebibytes);
    let any = cpu.is_some() || memory.is_some() || reservation.is_some();
    Resources {
        requests_cpu: cpu,
        requests_memory: reservation,
        limits_cpu: task_cpu.and_then(cpu_units),
        limits_memory: memory.or_else(|| task_memory.and_then(mebibytes)),
        at: any.then(|| d.at.clone()),
    }
}

// ---- App Runner and Lambda ----------------------------------------------------------------

fn app_runner(m: &Module, r: &Resource) -> Option<Container> {
    let repo = descend(r.body(), &["source_configuration", "image_repository"])?;
    let mut c = Container::new(owner(r, Platform::AppRunner.kind()), repo.at.clone());
    c.name = named(m, r.body(), "service_name");
    image_attr(m, &repo.body, "image_identifier", &mut c);
    if let Some(conf) = repo.body.block("image_configuration") {
        if let Some(p) = conf.body.get("port") {
            let v = m.resolve(&p.value);
            match v.as_i64().and_then(|n| u16::try_from(n).ok()) {
                Some(n) => c.ports.push(ContainerPort {
                    number: Some(Spanned::new(n, v.at.clone())),
                    name: None,
                    protocol: "TCP".into(),
                    at: p.at.clone(),
                }),
                None => c.unresolved.push(Unresolved::Ports),
            }
        }
        env_map(
            m,
            conf.body.get("runtime_environment_variables"),
            false,
            &mut c,
        );
        env_map(
            m,
            conf.body.get("runtime_environment_secrets"),
            true,
            &mut c,
        );
    }
    if let Some(h) = r.body().block("health_check_configuration") {
        let protocol = h
            .body
            .get("protocol")
            .and_then(|a| m.resolve(&a.value).as_str().map(str::to_ascii_uppercase));
        let path = h.body.get("path").and_then(|a| text(&m.resolve(&a.value)));
        c.liveness = Some(Probe {
            action: if protocol.as_deref() == Some("HTTP") {
                ProbeAction::Http { path, port: None }
            } else {
                ProbeAction::Tcp { port: None }
            },
            at: h.at.clone(),
        });
    }
    Some(c)
}

fn lambda(m: &Module, r: &Resource) -> Option<Container> {
    let body = r.body();
    let image = body.get("image_uri")?;
    let package = body.get("package_type").map(|a| m.resolve(&a.value));
    if package.as_ref().and_then(Resolved::as_str) == Some("Zip") {
        return None;
    }
    let mut c = Container::new(owner(r, Platform::Lambda.kind()), image.at.clone());
    c.name = named(m, body, "function_name");
    image_attr(m, body, "image_uri", &mut c);
    if let Some(env) = body.block("environment") {
        env_map(m, env.body.get("variables"), false, &mut c);
    }
    Some(c)
}

/// The service's own name, which names its one container.
fn named(m: &Module, body: &Body, key: &str) -> Option<Spanned<String>> {
    text(&m.resolve(&body.get(key)?.value))
}

fn image_attr(m: &Module, body: &Body, key: &str, c: &mut Container) {
    if let Some(a) = body.get(key) {
        let v = m.resolve(&a.value);
        match text(&v) {
            Some(s) => c.image = Some(s),
            None => c.unresolved.push(Unresolved::Image),
        }
    }
}

/// Environment variables written as a map (`{ NAME = "value" }`); a secrets map holds
/// references (ARNs), never values.
fn env_map(
    m: &Module,
    attr: Option<&crate::render::terraform::Attribute>,
    secret: bool,
    c: &mut Container,
) {
    let Some(attr) = attr else { return };
    let v = m.resolve(&attr.value);
    match &v.value {
        Value::Map(entries) => {
            // Keys are written in the attribute's object; find each key's span there.
            let keys: Vec<(String, Origin)> = match &attr.value.expr {
                Expr::Object(entries) => entries
                    .iter()
                    .map(|(k, _)| (k.value.clone(), k.at.clone()))
                    .collect(),
                _ => Vec::new(),
            };
            for (name, value) in entries {
                let at = keys
                    .iter()
                    .find(|(k, _)| k == name)
                    .map_or_else(|| value.at.clone(), |(_, at)| at.clone());
                c.env.push(EnvVar {
                    name: Spanned::new(name.clone(), at),
                    value: if secret || value.sensitive {
                        None
                    } else {
                        text(value)
                    },
                    from_ref: secret,
                    secret_ref: secret,
                });
            }
        }
        Value::Unknown(_) => c.unresolved.push(Unresolved::Env),
        _ => {}
    }
}

// ---- Cloud Run ----------------------------------------------------------------------------

fn descend<'a>(body: &'a Body, path: &[&str]) -> Option<&'a Block> {
    let (first, rest) = path.split_first()?;
    let b = body.block(first)?;
    if rest.is_empty() {
        Some(b)
    } else {
        descend(&b.body, rest)
    }
}

fn cloud_run(m: &Module, r: &Resource, path: &[&str], key: &str, kind: &str) -> Vec<Container> {
    let Some(spec) = descend(r.body(), path) else {
        return Vec::new();
    };
    let owner = owner(r, kind);
    let dynamic = spec.body.has_dynamic(key);
    let mut out: Vec<Container> = spec
        .body
        .blocks_of(key)
        .map(|b| cloud_run_container(m, b, &owner))
        .collect();
    if dynamic {
        let mut c = Container::new(owner, spec.at.clone());
        c.unresolved = vec![Unresolved::Image, Unresolved::Ports, Unresolved::Env];
        out.push(c);
    }
    out
}

/// A Cloud Run probe: `http_get`, `tcp_socket` or `grpc`, each with an optional `port`
/// (the container's port when left out).
fn probe(m: &Module, p: &Block) -> Probe {
    use crate::model::workload::PortRef;
    let port = |b: &Block| -> Option<Spanned<PortRef>> {
        let r = m.resolve(&b.body.get("port")?.value);
        let n = u16::try_from(r.as_i64()?).ok()?;
        Some(Spanned::new(PortRef::Number(n), r.at.clone()))
    };
    let action = if let Some(h) = p.body.block("http_get") {
        ProbeAction::Http {
            path: h.body.get("path").and_then(|a| text(&m.resolve(&a.value))),
            port: port(h),
        }
    } else if let Some(t) = p.body.block("tcp_socket") {
        ProbeAction::Tcp { port: port(t) }
    } else if let Some(g) = p.body.block("grpc") {
        ProbeAction::Grpc { port: port(g) }
    } else {
        ProbeAction::Unknown
    };
    Probe {
        action,
        at: p.at.clone(),
    }
}

fn cloud_run_container(m: &Module, b: &Block, owner: &Owner) -> Container {
    let body = &b.body;
    let mut c = Container::new(owner.clone(), b.at.clone());
    c.name = body.get("name").and_then(|a| text(&m.resolve(&a.value)));
    image_attr(m, body, "image", &mut c);
    if body.has_dynamic("ports") {
        c.unresolved.push(Unresolved::Ports);
    }
    for p in body.blocks_of("ports") {
        let number = p.body.get("container_port").map(|a| m.resolve(&a.value));
        if number.as_ref().is_some_and(Resolved::is_unknown) {
            c.unresolved.push(Unresolved::Ports);
        }
        c.ports.push(ContainerPort {
            number: number
                .and_then(|n| Some(Spanned::new(u16::try_from(n.as_i64()?).ok()?, n.at.clone()))),
            name: p.body.get("name").and_then(|a| text(&m.resolve(&a.value))),
            protocol: "TCP".into(),
            at: p.at.clone(),
        });
    }
    c.liveness = body.block("liveness_probe").map(|p| probe(m, p));
    c.startup = body.block("startup_probe").map(|p| probe(m, p));
    if let Some(res) = body.block("resources") {
        let quantity = |group: &str, key: &str| -> Option<Spanned<String>> {
            let map = m.resolve(&res.body.get(group)?.value);
            text(map.get(key)?)
        };
        c.resources = Resources {
            requests_cpu: quantity("requests", "cpu"),
            requests_memory: quantity("requests", "memory"),
            limits_cpu: quantity("limits", "cpu"),
            limits_memory: quantity("limits", "memory"),
            at: Some(res.at.clone()),
        };
    }
    if body.has_dynamic("env") {
        c.unresolved.push(Unresolved::Env);
    }
    for e in body.blocks_of("env") {
        let Some(name) = e.body.get("name").and_then(|a| text(&m.resolve(&a.value))) else {
            continue;
        };
        // v2 `value_source { secret_key_ref }`, v1 `value_from { secret_key_ref }`.
        let secret = ["value_source", "value_from"].iter().any(|k| {
            e.body
                .block(k)
                .is_some_and(|v| v.body.block("secret_key_ref").is_some())
        });
        let value = e.body.get("value").map(|a| m.resolve(&a.value));
        c.env.push(EnvVar {
            name,
            value: value.filter(|v| !v.sensitive).and_then(|v| text(&v)),
            from_ref: secret
                || e.body.block("value_source").is_some()
                || e.body.block("value_from").is_some(),
            secret_ref: secret,
        });
    }
    c
}
