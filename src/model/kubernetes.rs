//! Kubernetes manifests: workloads' containers (as [`workload::Container`]), Services and
//! Secrets, read from a multi-document YAML stream.
//!
//! Workloads are the kinds that carry a pod template: `Pod` (its own `spec`), `Deployment`,
//! `StatefulSet`, `DaemonSet`, `ReplicaSet`, `ReplicationController` and `Job`
//! (`spec.template.spec`) and `CronJob` (`spec.jobTemplate.spec.template.spec`). `List`
//! documents are unwrapped into their `items`. Every other kind (`Kustomization`, CRDs,
//! `ConfigMap`, `Ingress`…) is recognised and yields nothing: it is not an error to commit
//! one, and we have no rule about it.
//!
//! Kustomize strategic-merge patches (a `Deployment` that names a container but gives no
//! `image`, or carries `$patch`) are recognised and skipped: they only hold what they
//! change, and everything else would look missing.
//!
//! Manifests in real repositories are often templates filled in at deploy time (azd's
//! `{{.Env.IMAGE}}`, envsubst's `${IMAGE}`). Such values are kept as written where the model
//! holds text (rules skip them with [`workload::is_templated`]); where it holds a number or a
//! boolean they are left out, and for the security context their keys are listed in
//! [`workload::Security::unread`] so that rules treat them as unknown rather than missing.

use std::sync::Arc;

use crate::model::workload::{
    self, Container, ContainerPort, EnvVar, Owner, PortRef, Probe, ProbeAction, Resources,
    Security, Spanned,
};
use crate::parse::{ParseError, yaml};
use crate::source::{Origin, SourceFile};

/// What one manifest file declares.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    /// Containers and init containers of every workload, in file order.
    pub containers: Vec<Container>,
    pub services: Vec<Service>,
    pub secrets: Vec<Secret>,
    pub errors: Vec<ParseError>,
}

/// A `Service`: which pods it selects and which of their ports it forwards to.
#[derive(Debug, Clone)]
pub struct Service {
    /// `metadata.name` (may be absent or templated).
    pub name: Option<Spanned<String>>,
    /// `spec.selector` as written; a Service without one selects no pods (its endpoints are
    /// managed by hand).
    pub selector: Vec<(String, String)>,
    pub ports: Vec<ServicePort>,
    /// The `kind` value of the document.
    pub at: Origin,
}

/// One entry of a Service's `spec.ports`.
#[derive(Debug, Clone)]
pub struct ServicePort {
    pub name: Option<Spanned<String>>,
    /// `port`: what clients of the Service connect to.
    pub port: Option<Spanned<u16>>,
    pub target: TargetPort,
    /// The entry's mapping.
    pub at: Origin,
}

/// A Service port's `targetPort`.
#[derive(Debug, Clone)]
pub enum TargetPort {
    /// Not written: Kubernetes uses the `port` number.
    Default,
    /// A container port number or name.
    Ref(Spanned<PortRef>),
    /// Written but unreadable (templated, or not a port).
    Unknown,
}

/// A `Secret` manifest and the values written into it.
#[derive(Debug, Clone)]
pub struct Secret {
    pub name: Option<Spanned<String>>,
    /// `type`, e.g. `Opaque`, `kubernetes.io/tls`; `Opaque` when absent.
    pub kind: String,
    pub entries: Vec<SecretEntry>,
    /// The `kind` value of the document.
    pub at: Origin,
}

/// One key of a Secret's `data` or `stringData`.
#[derive(Debug, Clone)]
pub struct SecretEntry {
    pub key: Spanned<String>,
    /// The value as written (base64 for `data`).
    pub value: Spanned<String>,
    /// From `data`, so `value` is base64.
    pub encoded: bool,
}

/// `List` inside `List` is legal but rare; deeper nesting is not followed.
const MAX_LIST_DEPTH: usize = 4;

/// Reads the documents of one file (already loaded as YAML).
pub fn build(_file: &Arc<SourceFile>, docs: &[yaml::Node]) -> Manifests {
    let mut m = Manifests::default();
    for doc in docs {
        read_object(doc, &mut m, 0);
    }
    m
}

fn read_object(doc: &yaml::Node, m: &mut Manifests, depth: usize) {
    let Some(kind_node) = doc.get("kind") else {
        return;
    };
    let Some(kind) = kind_node.as_str() else {
        return;
    };
    if kind == "List" || (kind.ends_with("List") && doc.get("items").is_some()) {
        if depth < MAX_LIST_DEPTH {
            for item in doc
                .get("items")
                .and_then(yaml::Node::as_seq)
                .unwrap_or_default()
            {
                read_object(item, m, depth + 1);
            }
        }
        return;
    }
    let name = doc.at(&["metadata", "name"]).and_then(text);
    let pod = match kind {
        "Pod" => Some((doc.get("spec"), doc.at(&["metadata", "labels"]))),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => {
            let template = doc.at(&["spec", "template"]);
            Some((
                template.and_then(|t| t.get("spec")),
                template.and_then(|t| t.at(&["metadata", "labels"])),
            ))
        }
        "CronJob" => {
            let template = doc.at(&["spec", "jobTemplate", "spec", "template"]);
            Some((
                template.and_then(|t| t.get("spec")),
                template.and_then(|t| t.at(&["metadata", "labels"])),
            ))
        }
        "Service" => {
            m.services.push(read_service(doc, kind_node, name.clone()));
            None
        }
        "Secret" => {
            m.secrets.push(read_secret(doc, kind_node, name.clone()));
            None
        }
        _ => None,
    };
    let Some((Some(spec), labels)) = pod else {
        return;
    };
    if is_patch(doc, spec) {
        return;
    }
    let owner = Owner {
        kind: kind.to_string(),
        name: name.as_ref().map(|n| n.value.clone()).unwrap_or_default(),
        pod_labels: labels.map(string_map).unwrap_or_default(),
        at: name
            .as_ref()
            .map_or_else(|| kind_node.origin(), |n| n.at.clone()),
    };
    let pod_context = spec.get("securityContext");
    for (key, init) in [("initContainers", true), ("containers", false)] {
        for c in spec
            .get(key)
            .and_then(yaml::Node::as_seq)
            .unwrap_or_default()
        {
            if c.as_map().is_some() {
                m.containers
                    .push(read_container(c, &owner, init, pod_context));
            }
        }
    }
}

/// Whether a workload document is a kustomize strategic-merge patch rather than a whole
/// object: it carries a `$patch` directive, or a container without an `image` (which every
/// real container has). A patch says only what it changes, so reading it as a workload
/// would report everything it leaves to its base as missing.
fn is_patch(doc: &yaml::Node, spec: &yaml::Node) -> bool {
    if doc.get("$patch").is_some() {
        return true;
    }
    ["initContainers", "containers"].iter().any(|key| {
        spec.get(key)
            .and_then(yaml::Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter(|c| c.as_map().is_some())
            .any(|c| c.get("$patch").is_some() || c.get("image").is_none())
    })
}

fn read_container(
    c: &yaml::Node,
    owner: &Owner,
    init: bool,
    pod_context: Option<&yaml::Node>,
) -> Container {
    let ports = c
        .get("ports")
        .and_then(yaml::Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|p| p.as_map().is_some())
        .map(|p| ContainerPort {
            number: p.get("containerPort").and_then(port_number),
            name: p.get("name").and_then(text),
            protocol: p
                .get("protocol")
                .and_then(yaml::Node::as_str)
                .unwrap_or("TCP")
                .to_string(),
            at: p.origin(),
        })
        .collect();
    Container {
        owner: owner.clone(),
        environment: None,
        name: c.get("name").and_then(text),
        init,
        image: c.get("image").and_then(text),
        ports,
        liveness: c.get("livenessProbe").and_then(read_probe),
        readiness: c.get("readinessProbe").and_then(read_probe),
        startup: c.get("startupProbe").and_then(read_probe),
        security: read_security(c.get("securityContext"), pod_context),
        resources: read_resources(c.get("resources")),
        env: read_env(c.get("env")),
        at: c.origin(),
        unresolved: Vec::new(),
        removed: Vec::new(),
    }
}

fn read_probe(p: &yaml::Node) -> Option<Probe> {
    if p.is_null() {
        return None;
    }
    let port = |action: &yaml::Node| action.get("port").and_then(port_ref);
    let action = if let Some(h) = p.get("httpGet") {
        ProbeAction::Http {
            path: h.get("path").and_then(text),
            port: port(h),
        }
    } else if let Some(t) = p.get("tcpSocket") {
        ProbeAction::Tcp { port: port(t) }
    } else if let Some(g) = p.get("grpc") {
        ProbeAction::Grpc { port: port(g) }
    } else if let Some(e) = p.get("exec") {
        ProbeAction::Exec {
            command: e
                .get("command")
                .and_then(yaml::Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect(),
        }
    } else {
        ProbeAction::Unknown
    };
    Some(Probe {
        action,
        at: p.origin(),
    })
}

/// The effective settings: each key is read from the container's context, else the pod's.
/// Only `runAsNonRoot` and `runAsUser` exist at pod level; the others are container-only.
fn read_security(container: Option<&yaml::Node>, pod: Option<&yaml::Node>) -> Security {
    let container = container.filter(|n| !n.is_null());
    let pod = pod.filter(|n| !n.is_null());
    let mut s = Security {
        container_context: container.map(yaml::Node::origin),
        pod_context: pod.map(yaml::Node::origin),
        ..Security::default()
    };
    // The node that sets `key`, container first; a context that is not a mapping (a
    // templated block) leaves every key unknown.
    let mut lookup = |key: &str, pod_level: bool| -> Option<yaml::Node> {
        let levels = [Some(container), pod_level.then_some(pod)];
        for level in levels.into_iter().flatten().flatten() {
            if level.as_map().is_none() {
                s.unread.push(key.to_string());
                return None;
            }
            if let Some(v) = level.get(key).filter(|v| !v.is_null()) {
                if v.as_str().is_some_and(workload::is_templated) {
                    s.unread.push(key.to_string());
                    return None;
                }
                return Some(v.clone());
            }
        }
        None
    };
    let run_as_non_root = lookup("runAsNonRoot", true);
    let run_as_user = lookup("runAsUser", true);
    let privileged = lookup("privileged", false);
    let escalation = lookup("allowPrivilegeEscalation", false);
    s.run_as_non_root = run_as_non_root.as_ref().and_then(boolean);
    s.run_as_user = run_as_user
        .as_ref()
        .and_then(|v| Some(Spanned::new(v.as_i64()?, v.origin())));
    s.privileged = privileged.as_ref().and_then(boolean);
    s.allow_privilege_escalation = escalation.as_ref().and_then(boolean);
    s.capabilities_add = container
        .and_then(|c| c.at(&["capabilities", "add"]))
        .and_then(yaml::Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(text)
        .collect();
    s
}

fn read_resources(r: Option<&yaml::Node>) -> Resources {
    let Some(r) = r.filter(|r| !r.is_null()) else {
        return Resources::default();
    };
    let q = |path: [&str; 2]| r.at(&path).and_then(text);
    Resources {
        requests_cpu: q(["requests", "cpu"]),
        requests_memory: q(["requests", "memory"]),
        limits_cpu: q(["limits", "cpu"]),
        limits_memory: q(["limits", "memory"]),
        at: Some(r.origin()),
    }
}

fn read_env(env: Option<&yaml::Node>) -> Vec<EnvVar> {
    env.and_then(yaml::Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            Some(EnvVar {
                name: e.get("name").and_then(text)?,
                value: e.get("value").and_then(text),
                from_ref: e.get("valueFrom").is_some_and(|v| !v.is_null()),
                secret_ref: e.at(&["valueFrom", "secretKeyRef"]).is_some(),
            })
        })
        .collect()
}

fn read_service(doc: &yaml::Node, kind: &yaml::Node, name: Option<Spanned<String>>) -> Service {
    let ports = doc
        .at(&["spec", "ports"])
        .and_then(yaml::Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|p| p.as_map().is_some())
        .map(|p| ServicePort {
            name: p.get("name").and_then(text),
            port: p.get("port").and_then(port_number),
            target: match p.get("targetPort").filter(|t| !t.is_null()) {
                None => TargetPort::Default,
                Some(t) => port_ref(t).map_or(TargetPort::Unknown, TargetPort::Ref),
            },
            at: p.origin(),
        })
        .collect();
    Service {
        name,
        selector: doc
            .at(&["spec", "selector"])
            .map(string_map)
            .unwrap_or_default(),
        ports,
        at: kind.origin(),
    }
}

fn read_secret(doc: &yaml::Node, kind: &yaml::Node, name: Option<Spanned<String>>) -> Secret {
    let mut entries = Vec::new();
    for (field, encoded) in [("data", true), ("stringData", false)] {
        for (key, e) in doc.get(field).map(|d| d.entries()).into_iter().flatten() {
            if let Some(value) = text(&e.value) {
                entries.push(SecretEntry {
                    key: Spanned::new(key.to_string(), e.key.origin()),
                    value,
                    encoded,
                });
            }
        }
    }
    Secret {
        name,
        kind: doc
            .get("type")
            .and_then(yaml::Node::as_str)
            .unwrap_or("Opaque")
            .to_string(),
        entries,
        at: kind.origin(),
    }
}

/// A scalar's text with its origin.
fn text(n: &yaml::Node) -> Option<Spanned<String>> {
    Some(Spanned::new(n.as_str()?.to_string(), n.origin()))
}

fn boolean(n: &yaml::Node) -> Option<Spanned<bool>> {
    Some(Spanned::new(n.as_bool()?, n.origin()))
}

/// A port number written as a number (or a numeric string).
fn port_number(n: &yaml::Node) -> Option<Spanned<u16>> {
    let v = n.as_str()?.trim().parse().ok()?;
    Some(Spanned::new(v, n.origin()))
}

/// A port by number or by name (`IntOrString`); `None` when templated or empty.
fn port_ref(n: &yaml::Node) -> Option<Spanned<PortRef>> {
    let s = n.as_str()?.trim();
    if s.is_empty() || workload::is_templated(s) {
        return None;
    }
    let r = match s.parse::<u16>() {
        Ok(v) => PortRef::Number(v),
        Err(_) if s.chars().all(|c| c.is_ascii_digit()) => return None,
        Err(_) => PortRef::Name(s.to_string()),
    };
    Some(Spanned::new(r, n.origin()))
}

/// A mapping of strings (labels, a selector).
fn string_map(n: &yaml::Node) -> Vec<(String, String)> {
    n.entries()
        .filter_map(|(k, e)| Some((k.to_string(), e.value.as_str()?.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;

    fn build_str(text: &str) -> Manifests {
        let file = Arc::new(SourceFile::in_memory("m.yaml", Format::Kubernetes, text));
        let stream = yaml::load(&file);
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        build(&file, &stream.docs)
    }

    fn names(m: &Manifests) -> Vec<(String, String, bool)> {
        m.containers
            .iter()
            .map(|c| {
                (
                    format!("{}/{}", c.owner.kind, c.owner.name),
                    c.name.as_ref().map(|n| n.value.clone()).unwrap_or_default(),
                    c.init,
                )
            })
            .collect()
    }

    #[test]
    fn every_workload_kind_gives_its_containers() {
        let m = build_str(
            "\
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: p}}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata: {labels: {app: d}}
    spec:
      initContainers: [{name: migrate, image: x}]
      containers: [{name: b, image: x}]
---
kind: StatefulSet
metadata: {name: s}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
kind: DaemonSet
metadata: {name: ds}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
kind: ReplicaSet
metadata: {name: rs}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
kind: Job
metadata: {name: j}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
kind: CronJob
metadata: {name: cj}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}}
---
kind: Kustomization
resources: [a.yaml]
---
kind: ConfigMap
data: {password: x}
",
        );
        let got = names(&m);
        let want = [
            ("Pod/p", "a", false),
            ("Deployment/d", "migrate", true),
            ("Deployment/d", "b", false),
            ("StatefulSet/s", "c", false),
            ("DaemonSet/ds", "c", false),
            ("ReplicaSet/rs", "c", false),
            ("Job/j", "c", false),
            ("CronJob/cj", "c", false),
        ];
        assert_eq!(got, want.map(|(a, b, c)| (a.to_string(), b.to_string(), c)));
        assert_eq!(
            m.containers[0].owner.pod_labels,
            [("app".into(), "p".into())]
        );
        assert_eq!(
            m.containers[2].owner.pod_labels,
            [("app".into(), "d".into())]
        );
        assert!(m.errors.is_empty());
    }

    #[test]
    fn lists_are_unwrapped() {
        let m = build_str(
            "\
kind: List
items:
- kind: Deployment
  metadata: {name: d}
  spec: {template: {spec: {containers: [{name: c, image: x}]}}}
- kind: Service
  metadata: {name: s}
  spec: {selector: {app: d}, ports: [{port: 80, targetPort: http}, {port: 81}]}
",
        );
        assert_eq!(names(&m), [("Deployment/d".into(), "c".into(), false)]);
        let svc = &m.services[0];
        assert_eq!(svc.selector, [("app".into(), "d".into())]);
        assert!(
            matches!(&svc.ports[0].target, TargetPort::Ref(r) if r.value == PortRef::Name("http".into()))
        );
        assert!(matches!(svc.ports[1].target, TargetPort::Default));
        assert_eq!(svc.ports[1].port.as_ref().map(|p| p.value), Some(81));
    }

    #[test]
    fn named_ports_and_probes() {
        let m = build_str(
            "\
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: web
    image: x
    ports:
    - {name: http, containerPort: 8080}
    - {containerPort: 9090, protocol: UDP}
    livenessProbe: {httpGet: {path: /healthz, port: http}}
    readinessProbe: {tcpSocket: {port: 8080}}
    startupProbe: {grpc: {port: \"${GRPC_PORT}\"}}
  - name: worker
    image: x
    livenessProbe: {exec: {command: [cat, /tmp/ok]}}
",
        );
        let web = &m.containers[0];
        assert_eq!(web.ports.len(), 2);
        assert_eq!(web.ports[0].number.as_ref().map(|n| n.value), Some(8080));
        assert_eq!(
            web.ports[0].name.as_ref().map(|n| n.value.as_str()),
            Some("http")
        );
        assert_eq!(web.ports[1].protocol, "UDP");
        let port = |p: &Option<Probe>| p.as_ref().and_then(|p| p.port()).map(|r| r.value.clone());
        assert_eq!(port(&web.liveness), Some(PortRef::Name("http".into())));
        assert_eq!(port(&web.readiness), Some(PortRef::Number(8080)));
        assert_eq!(port(&web.startup), None);
        assert!(matches!(
            web.startup.as_ref().map(|p| &p.action),
            Some(ProbeAction::Grpc { port: None })
        ));
        let worker = &m.containers[1];
        assert!(
            matches!(&worker.liveness.as_ref().unwrap().action, ProbeAction::Exec { command } if command == &["cat", "/tmp/ok"])
        );
    }

    #[test]
    fn container_security_context_wins_over_the_pod() {
        let m = build_str(
            "\
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      containers:
      - name: a
        image: x
        securityContext: {runAsUser: 0, privileged: true, capabilities: {add: [NET_ADMIN]}}
      - name: b
        image: x
      - name: c
        image: x
        securityContext: {runAsNonRoot: \"${NON_ROOT}\"}
",
        );
        let a = &m.containers[0].security;
        assert_eq!(a.run_as_user.as_ref().map(|u| u.value), Some(0));
        assert_eq!(a.run_as_non_root.as_ref().map(|u| u.value), Some(true));
        assert_eq!(a.privileged.as_ref().map(|u| u.value), Some(true));
        assert_eq!(a.capabilities_add[0].value, "NET_ADMIN");
        assert!(a.container_context.is_some() && a.pod_context.is_some());
        // The pod's value, pointing at the pod's line.
        let b = &m.containers[1].security;
        let user = b.run_as_user.as_ref().unwrap();
        assert_eq!((user.value, user.at.start().line), (1000, 6));
        assert!(b.container_context.is_none());
        let c = &m.containers[2].security;
        assert!(c.run_as_non_root.is_none());
        assert_eq!(c.unread, ["runAsNonRoot"]);
    }

    #[test]
    fn resources_env_and_secrets() {
        let m = build_str(
            "\
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    resources: {requests: {cpu: 100m}, limits: {memory: 128Mi}}
    env:
    - {name: A, value: x}
    - name: B
      valueFrom: {secretKeyRef: {name: s, key: k}}
---
kind: Secret
metadata: {name: s}
type: kubernetes.io/basic-auth
data: {password: aHVudGVyMg==}
stringData: {username: admin}
",
        );
        let a = &m.containers[0];
        assert_eq!(a.resources.requests_cpu.as_ref().unwrap().value, "100m");
        assert_eq!(a.resources.limits_memory.as_ref().unwrap().value, "128Mi");
        assert!(a.resources.limits_cpu.is_none() && a.resources.at.is_some());
        assert_eq!(a.env[0].value.as_ref().unwrap().value, "x");
        assert!(a.env[1].from_ref && a.env[1].value.is_none());
        let s = &m.secrets[0];
        assert_eq!(s.kind, "kubernetes.io/basic-auth");
        let keys: Vec<(&str, bool)> = s
            .entries
            .iter()
            .map(|e| (e.key.value.as_str(), e.encoded))
            .collect();
        assert_eq!(keys, [("password", true), ("username", false)]);
    }

    #[test]
    fn strategic_merge_patches_are_skipped() {
        let m = build_str(
            "\
kind: Deployment
metadata: {name: frontend}
spec:
  template:
    spec:
      containers:
      - name: server
        env: [{name: ENABLE_X, value: \"true\"}]
---
kind: Deployment
metadata: {name: loadgenerator}
$patch: delete
spec: {template: {spec: {containers: [{name: main, image: x}]}}}
",
        );
        assert!(m.containers.is_empty());
    }

    #[test]
    fn odd_shapes_are_skipped_without_error() {
        let m = build_str(
            "\
kind: Deployment
spec: {template: {spec: {containers: [plain, {name: ok, image: x, ports: [8080], securityContext: x}]}}}
---
kind: [not, a, string]
---
just a scalar
",
        );
        assert_eq!(m.containers.len(), 1);
        assert!(m.containers[0].ports.is_empty());
        assert!(m.containers[0].security.unread.len() == 4);
    }
}
