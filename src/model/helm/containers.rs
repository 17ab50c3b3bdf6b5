//! Turning YAML into [`Container`]s, for both ways a chart tells us about a container:
//!
//! - a container of a rendered template ([`from_pod_container`]): a Kubernetes-shaped mapping
//!   (`image`, `ports`, probes, `securityContext`, `resources`, `env`) whose nodes come partly
//!   from the template and partly from the values spliced into it;
//! - a values component in the common layout ([`from_component`]): `image`, `containerPort`
//!   / `ports` / `containerPorts`, `securityContext` / `containerSecurityContext` /
//!   `podSecurityContext`, `resources` / `resourcesPreset`, probes, `service.port`.
//!
//! A templated scalar (still holding `{{ }}`) is an unknown value: it is kept as text so
//! rules can recognise it, or recorded in [`Container::unresolved`] when a whole part is
//! unknown.

use crate::model::workload::{
    Container, ContainerPort, EnvVar, Environment, Owner, PortRef, Probe, ProbeAction, Resources,
    Security, Unresolved,
};
use crate::parse::Spanned;
use crate::parse::yaml::{Node, Value};
use crate::render::helm::truthy;
use crate::source::Origin;

/// What every container of one environment shares.
pub struct Ctx<'a> {
    /// The environment the containers are read for.
    pub environment: &'a Environment,
    /// `Chart.yaml`'s `appVersion`, for images whose empty tag falls back to it.
    pub app_version: Option<&'a Node>,
}

/// Whether a scalar still holds template syntax (its value is unknown until rendered).
pub fn is_templated(text: &str) -> bool {
    text.contains("{{") || text.contains(crate::render::helm::template::UNKNOWN_TEXT)
}

fn templated(node: &Node) -> bool {
    matches!(&node.value, Value::Scalar(s) if is_templated(&s.text))
}

/// A mapping that is switched off by a bitnami-style `enabled: false`.
fn disabled(node: &Node) -> bool {
    node.get("enabled")
        .is_some_and(|e| e.as_bool() == Some(false))
}

fn spanned_str(node: &Node) -> Option<Spanned<String>> {
    Some(Spanned::new(node.as_str()?.to_string(), node.origin()))
}

/// The image a node describes: a string (`repo:tag`), or a values image map (`registry`,
/// `repository`, `tag`, `digest`). An empty tag falls back to `appVersion` when
/// `app_version_fallback` says the chart's template does so. The origin is the value that
/// decides the pin: the tag (even when empty), else the digest, else the repository.
pub fn image_of(node: &Node, ctx: &Ctx<'_>, app_version_fallback: bool) -> Option<Spanned<String>> {
    if node.as_map().is_none() {
        let text = node.as_str()?.trim();
        if text.is_empty() {
            return None;
        }
        // A rendered `repo:{{ tag }}` whose tag was empty ends with a colon.
        let text = text.strip_suffix(':').unwrap_or(text);
        return Some(Spanned::new(text.to_string(), node.origin()));
    }
    let repo_node = node.get("repository").or_else(|| node.get("name"))?;
    let repository = repo_node.as_str()?.trim();
    if repository.is_empty() {
        return None;
    }
    let mut image = String::new();
    if let Some(registry) = node.get("registry").and_then(Node::as_str)
        && !registry.trim().is_empty()
        && !repository.starts_with(&format!("{}/", registry.trim()))
    {
        image.push_str(registry.trim());
        image.push('/');
    }
    image.push_str(repository);
    let tag_node = node.get("tag");
    let mut decisive = repo_node;
    let tag = tag_node
        .and_then(|t| if t.is_null() { None } else { t.as_str() })
        .map(str::trim)
        .unwrap_or_default();
    if !tag.is_empty() {
        image.push(':');
        image.push_str(tag);
    } else if app_version_fallback
        && let Some(app) = ctx.app_version.and_then(Node::as_str)
        && !app.trim().is_empty()
    {
        image.push(':');
        image.push_str(app.trim());
    }
    if let Some(t) = tag_node {
        decisive = t;
    }
    if let Some(digest) = node.get("digest")
        && let Some(d) = digest.as_str().map(str::trim)
        && !d.is_empty()
    {
        image.push('@');
        image.push_str(d);
        if tag.is_empty() {
            decisive = digest;
        }
    }
    Some(Spanned::new(image, decisive.origin()))
}

/// A port number as written: a plain integer, or a string of digits.
fn port_number(node: &Node) -> Option<u16> {
    node.as_str()?.trim().parse().ok()
}

fn port_ref(node: &Node) -> Option<Spanned<PortRef>> {
    let text = node.as_str()?.trim();
    if text.is_empty() || is_templated(text) {
        return None;
    }
    let r = match text.parse::<u16>() {
        Ok(n) => PortRef::Number(n),
        Err(_) => PortRef::Name(text.to_string()),
    };
    Some(Spanned::new(r, node.origin()))
}

/// `ports:` of a container: a list of `{containerPort, name, protocol}` (or bare numbers), or
/// a map of name to number (bitnami `containerPorts`).
fn read_ports(node: &Node, out: &mut Vec<ContainerPort>, unresolved: &mut Vec<Unresolved>) {
    if templated(node) {
        unresolved.push(Unresolved::Ports);
        return;
    }
    if let Some(items) = node.as_seq() {
        for item in items {
            if item.as_map().is_some() {
                let number_node = item.get("containerPort").or_else(|| item.get("port"));
                if number_node.is_some_and(templated) {
                    unresolved.push(Unresolved::Ports);
                }
                out.push(ContainerPort {
                    number: number_node
                        .and_then(|n| Some(Spanned::new(port_number(n)?, n.origin()))),
                    name: item
                        .get("name")
                        .and_then(spanned_str)
                        .filter(|n| !is_templated(&n.value)),
                    protocol: item
                        .get("protocol")
                        .and_then(Node::as_str)
                        .unwrap_or("TCP")
                        .to_string(),
                    at: item.origin(),
                });
            } else if let Some(n) = port_number(item) {
                out.push(ContainerPort {
                    number: Some(Spanned::new(n, item.origin())),
                    name: None,
                    protocol: "TCP".into(),
                    at: item.origin(),
                });
            } else if templated(item) {
                unresolved.push(Unresolved::Ports);
            }
        }
    } else if let Some(entries) = node.as_map() {
        for e in entries {
            let Some(name) = e.key.as_str() else { continue };
            if let Some(n) = port_number(&e.value) {
                out.push(ContainerPort {
                    number: Some(Spanned::new(n, e.value.origin())),
                    name: Some(Spanned::new(name.to_string(), e.key.origin())),
                    protocol: "TCP".into(),
                    at: e.value.origin(),
                });
            } else if templated(&e.value) {
                unresolved.push(Unresolved::Ports);
            }
        }
    }
}

/// A probe mapping. `None` when absent, null or `enabled: false`.
fn read_probe(node: Option<&Node>, unresolved: &mut Vec<Unresolved>) -> Option<Probe> {
    let node = node?;
    if node.is_null() || disabled(node) {
        return None;
    }
    if node.as_map().is_some_and(|m| m.is_empty()) {
        return None;
    }
    if templated(node) {
        unresolved.push(Unresolved::Probes);
    }
    let action = if let Some(h) = node.get("httpGet") {
        ProbeAction::Http {
            path: h.get("path").and_then(spanned_str),
            port: h.get("port").and_then(port_ref),
        }
    } else if let Some(t) = node.get("tcpSocket") {
        ProbeAction::Tcp {
            port: t.get("port").and_then(port_ref),
        }
    } else if let Some(g) = node.get("grpc") {
        ProbeAction::Grpc {
            port: g.get("port").and_then(port_ref),
        }
    } else if let Some(e) = node.get("exec") {
        ProbeAction::Exec {
            command: e
                .get("command")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect(),
        }
    } else {
        ProbeAction::Unknown
    };
    Some(Probe {
        action,
        at: node.origin(),
    })
}

/// A security context mapping; `None` when absent, empty-null or `enabled: false`.
fn context<'n>(node: Option<&'n Node>, unresolved: &mut Vec<Unresolved>) -> Option<&'n Node> {
    let node = node?;
    if node.is_null() || disabled(node) {
        return None;
    }
    if templated(node) {
        unresolved.push(Unresolved::SecurityContext);
        return None;
    }
    node.as_map().is_some().then_some(node)
}

fn read_security(container: Option<&Node>, pod: Option<&Node>) -> Security {
    let pick_bool = |key: &str| -> Option<Spanned<bool>> {
        [container, pod].into_iter().flatten().find_map(|c| {
            let v = c.get(key)?;
            Some(Spanned::new(v.as_bool()?, v.origin()))
        })
    };
    let run_as_user = [container, pod].into_iter().flatten().find_map(|c| {
        let v = c.get("runAsUser")?;
        Some(Spanned::new(
            v.as_str()?.trim().parse::<i64>().ok()?,
            v.origin(),
        ))
    });
    let container_only = |key: &str| -> Option<Spanned<bool>> {
        let v = container?.get(key)?;
        Some(Spanned::new(v.as_bool()?, v.origin()))
    };
    Security {
        run_as_non_root: pick_bool("runAsNonRoot"),
        run_as_user,
        privileged: container_only("privileged"),
        allow_privilege_escalation: container_only("allowPrivilegeEscalation"),
        capabilities_add: container
            .and_then(|c| c.at(&["capabilities", "add"]))
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(spanned_str)
            .collect(),
        container_context: container.map(Node::origin),
        pod_context: pod.map(Node::origin),
        unread: Vec::new(),
    }
}

/// `resources:` as a mapping; a scalar (bitnami's `resourcesPreset`, spliced into the
/// template by a helper) other than `none` counts as requests and limits set by the chart,
/// at the preset's value; a templated scalar is unknown.
fn read_resources(node: Option<&Node>, unresolved: &mut Vec<Unresolved>) -> Resources {
    let Some(node) = node.filter(|n| !n.is_null()) else {
        return Resources::default();
    };
    if templated(node) {
        unresolved.push(Unresolved::Resources);
        return Resources {
            at: Some(node.origin()),
            ..Resources::default()
        };
    }
    if let Some(preset) = node.as_str() {
        return preset_resources(preset, node.origin());
    }
    let q = |section: &str, key: &str| node.at(&[section, key]).and_then(spanned_str);
    Resources {
        requests_cpu: q("requests", "cpu"),
        requests_memory: q("requests", "memory"),
        limits_cpu: q("limits", "cpu"),
        limits_memory: q("limits", "memory"),
        at: Some(node.origin()),
    }
}

/// A bitnami `resourcesPreset` (`nano`, `small`…): the chart's helper sets requests and
/// limits; each field holds the preset name at the preset's origin. `none` sets nothing.
fn preset_resources(preset: &str, at: Origin) -> Resources {
    let preset = preset.trim();
    if preset.is_empty() || preset == "none" {
        return Resources::default();
    }
    let v = || Some(Spanned::new(format!("preset:{preset}"), at.clone()));
    Resources {
        requests_cpu: v(),
        requests_memory: v(),
        limits_cpu: v(),
        limits_memory: v(),
        at: Some(at.clone()),
    }
}

/// `env:` as Kubernetes writes it (a list of `{name, value | valueFrom}`) or as a map of
/// name to value (a common values shorthand).
fn read_env(node: Option<&Node>, unresolved: &mut Vec<Unresolved>) -> Vec<EnvVar> {
    let Some(node) = node else { return Vec::new() };
    if templated(node) {
        unresolved.push(Unresolved::Env);
        return Vec::new();
    }
    if let Some(items) = node.as_seq() {
        return items
            .iter()
            .filter_map(|item| {
                Some(EnvVar {
                    name: spanned_str(item.get("name")?)?,
                    value: item.get("value").and_then(spanned_str),
                    from_ref: item.get("valueFrom").is_some(),
                    secret_ref: item.at(&["valueFrom", "secretKeyRef"]).is_some(),
                })
            })
            .collect();
    }
    node.entries()
        .filter(|(_, e)| e.value.as_map().is_none() && e.value.as_seq().is_none())
        .map(|(k, e)| EnvVar {
            name: Spanned::new(k.to_string(), e.key.origin()),
            value: spanned_str(&e.value),
            from_ref: false,
            secret_ref: false,
        })
        .collect()
}

/// A container of a rendered pod spec. `pod_security` is the pod's `securityContext`;
/// `app_version_fallback` whether the template fills an empty tag with `appVersion`.
pub fn from_pod_container(
    node: &Node,
    pod_security: Option<&Node>,
    owner: Owner,
    ctx: &Ctx<'_>,
    init: bool,
) -> Container {
    let mut unresolved = Vec::new();
    let image_node = node.get("image");
    if image_node.is_some_and(templated) {
        unresolved.push(Unresolved::Image);
    }
    let mut ports = Vec::new();
    if let Some(p) = node.get("ports") {
        read_ports(p, &mut ports, &mut unresolved);
    }
    let liveness = read_probe(node.get("livenessProbe"), &mut unresolved);
    let readiness = read_probe(node.get("readinessProbe"), &mut unresolved);
    let startup = read_probe(node.get("startupProbe"), &mut unresolved);
    let container_ctx = context(node.get("securityContext"), &mut unresolved);
    let pod_ctx = context(pod_security, &mut unresolved);
    let resources = read_resources(node.get("resources"), &mut unresolved);
    let env = read_env(node.get("env"), &mut unresolved);
    unresolved.dedup();
    Container {
        name: Some(Spanned::new(owner.name.clone(), owner.at.clone())),
        owner,
        environment: Some(ctx.environment.clone()),
        init,
        image: image_node.and_then(|i| image_of(i, ctx, false)),
        ports,
        liveness,
        readiness,
        startup,
        security: read_security(container_ctx, pod_ctx),
        resources,
        env,
        at: node.origin(),
        unresolved,
        removed: Vec::new(),
    }
}

/// Whether a values mapping is a component: it has an `image` that is a map with a
/// `repository` (or `name`) or a non-empty string.
pub fn is_component(node: &Node) -> bool {
    let Some(image) = node.get("image") else {
        return false;
    };
    match &image.value {
        Value::Map(_) => image
            .get("repository")
            .or_else(|| image.get("name"))
            .and_then(Node::as_str)
            .is_some_and(|r| !r.trim().is_empty()),
        Value::Scalar(_) => image.as_str().is_some_and(|s| !s.trim().is_empty()),
        Value::Seq(_) => false,
    }
}

/// A component of the common values layout, read without templates.
/// `display` names it (`api`, or the chart for the root); `declared` is where it is declared
/// (its key in the values file, or the values file's mapping for the root).
pub fn from_component(display: &str, comp: &Node, declared: Origin, ctx: &Ctx<'_>) -> Container {
    let mut unresolved = Vec::new();
    let mut ports = Vec::new();
    if let Some(n) = comp.get("containerPort")
        && let Some(num) = port_number(n)
    {
        ports.push(ContainerPort {
            number: Some(Spanned::new(num, n.origin())),
            name: None,
            protocol: "TCP".into(),
            at: n.origin(),
        });
    }
    for key in ["ports", "containerPorts"] {
        if let Some(p) = comp.get(key) {
            read_ports(p, &mut ports, &mut unresolved);
        }
    }
    if ports.is_empty()
        && let Some(n) = comp.at(&["service", "port"])
        && let Some(num) = port_number(n)
    {
        // `helm create`'s scaffold: `containerPort: {{ .Values.service.port }}`, named http.
        ports.push(ContainerPort {
            number: Some(Spanned::new(num, n.origin())),
            name: Some(Spanned::new("http".into(), n.origin())),
            protocol: "TCP".into(),
            at: n.origin(),
        });
    }
    let container_ctx = context(
        comp.get("containerSecurityContext")
            .or_else(|| comp.get("securityContext")),
        &mut unresolved,
    );
    let pod_ctx = context(comp.get("podSecurityContext"), &mut unresolved);
    let mut resources = read_resources(comp.get("resources"), &mut unresolved);
    let resources_set = comp.get("resources").is_some_and(truthy);
    if !resources_set
        && let Some(preset) = comp.get("resourcesPreset")
        && let Some(p) = preset.as_str()
    {
        resources = preset_resources(p, preset.origin());
    }
    let env = read_env(comp.get("env"), &mut unresolved);
    unresolved.dedup();
    let owner = Owner {
        kind: "values".into(),
        name: display.to_string(),
        pod_labels: Vec::new(),
        at: declared,
    };
    Container {
        name: Some(Spanned::new(display.to_string(), owner.at.clone())),
        environment: Some(ctx.environment.clone()),
        init: false,
        image: comp.get("image").and_then(|i| image_of(i, ctx, true)),
        ports,
        liveness: read_probe(comp.get("livenessProbe"), &mut unresolved),
        readiness: read_probe(comp.get("readinessProbe"), &mut unresolved),
        startup: read_probe(comp.get("startupProbe"), &mut unresolved),
        security: read_security(container_ctx, pod_ctx),
        resources,
        env,
        at: comp.origin(),
        unresolved,
        removed: Vec::new(),
        owner,
    }
}
