//! `kubernetes_*` resources in the shared workload model: the containers of Deployments,
//! Pods, StatefulSets, DaemonSets, Jobs, CronJobs and ReplicationControllers (plain and
//! `_v1`), and Services, so that the container rules (image pins, security context, probes,
//! ports, resources, env secrets) and the Service rule check Terraform as they check
//! manifests.
//!
//! The Kubernetes provider writes the pod spec as nested blocks in snake case
//! (`spec { template { spec { container { liveness_probe { http_get { port = 8080 } } } } } }`).
//! Values go through [`Module::resolve`]. What cannot be known statically is marked so that
//! rules treat it as unknown, never as missing or wrong: a value that does not resolve (left
//! out, or listed in [`Security::unread`]), and `dynamic` blocks that generate ports, probes,
//! security contexts, resources or env ([`Unresolved`]).

use crate::model::kubernetes::{Service, ServicePort, TargetPort};
use crate::model::workload::{
    Container, ContainerPort, EnvVar, Owner, PortRef, Probe, ProbeAction, Resources, Security,
    Spanned, Unresolved,
};
use crate::render::terraform::{Block, Body, Module, Node, Resolved, Resource, Value};

/// The Kubernetes kind of a workload resource type, and where it keeps its pod spec below
/// the resource's body.
fn workload(kind: &str) -> Option<(&'static str, &'static [&'static str])> {
    const TEMPLATE: &[&str] = &["spec", "template", "spec"];
    let base = kind.strip_suffix("_v1").unwrap_or(kind);
    match base {
        "kubernetes_pod" => Some(("Pod", &["spec"])),
        "kubernetes_deployment" => Some(("Deployment", TEMPLATE)),
        "kubernetes_stateful_set" => Some(("StatefulSet", TEMPLATE)),
        "kubernetes_daemon_set" | "kubernetes_daemonset" => Some(("DaemonSet", TEMPLATE)),
        "kubernetes_job" => Some(("Job", TEMPLATE)),
        "kubernetes_replication_controller" => Some(("ReplicationController", TEMPLATE)),
        "kubernetes_cron_job" => Some((
            "CronJob",
            &["spec", "job_template", "spec", "template", "spec"],
        )),
        _ => None,
    }
}

/// A Terraform module with the containers of its `kubernetes_*` workloads and its Services in
/// the shared model, so the container rules check them as they check manifests.
#[derive(Debug, Clone, Default)]
pub struct Terraform {
    pub module: Module,
    pub containers: Vec<Container>,
    /// `kubernetes_service(_v1)` resources, in the Kubernetes model.
    pub services: Vec<Service>,
}

/// Reads every workload's containers and every Service of a module.
pub fn build(module: Module) -> Terraform {
    // The module itself (unless only its callers check it) and every instance of the
    // modules it calls, each with the values its caller gave it.
    let mut containers = Vec::new();
    let mut services = Vec::new();
    for m in module.checked() {
        let (mut c, s) = read(m);
        if let Some(env) = &m.environment {
            for c in &mut c {
                c.environment = Some(crate::model::workload::Environment {
                    name: env.clone(),
                    production: m.is_production(),
                });
            }
        }
        containers.extend(c);
        services.extend(s);
    }
    Terraform {
        module,
        containers,
        services,
    }
}

fn read(m: &Module) -> (Vec<Container>, Vec<Service>) {
    let mut containers = Vec::new();
    let mut services = Vec::new();
    for r in m.resources.iter().filter(|r| !r.data) {
        let kind = r.kind.value.as_str();
        if kind == "kubernetes_service" || kind == "kubernetes_service_v1" {
            services.push(read_service(m, r));
            continue;
        }
        let Some((k8s_kind, path)) = workload(kind) else {
            containers.extend(super::cloud::read(m, r));
            continue;
        };
        let Some(spec) = descend(r.body(), path) else {
            continue;
        };
        // Labels of the pod: the template's metadata (a Pod's own metadata).
        let labels_block = if path.len() == 1 {
            r.body().block("metadata")
        } else {
            descend(r.body(), &path[..path.len() - 1]).and_then(|t| t.body.block("metadata"))
        };
        let pod_labels = labels_block
            .and_then(|b| b.body.get("labels"))
            .map(|a| string_map(&m.resolve(&a.value)))
            .unwrap_or_default();
        // Named by the Kubernetes kind (rules tell batch workloads by it) and the resource's
        // address, which is how a Terraform user finds it: "Job `kubernetes_job.migrate`".
        let owner = Owner {
            kind: k8s_kind.to_string(),
            // The address within its module: one module line read through several instances
            // gives one finding.
            name: format!("{kind}.{}", r.name.value),
            pod_labels,
            at: r.name.at.clone(),
        };
        for (key, init) in [("init_container", true), ("container", false)] {
            for c in spec.body.blocks_of(key) {
                containers.push(read_container(m, c, &owner, init, spec));
            }
        }
    }
    (containers, services)
}

/// The block at `path` (first block of each type) below `body`.
fn descend<'a>(body: &'a Body, path: &[&str]) -> Option<&'a Block> {
    let (first, rest) = path.split_first()?;
    let b = body.block(first)?;
    if rest.is_empty() {
        Some(b)
    } else {
        descend(&b.body, rest)
    }
}

fn read_container(m: &Module, c: &Block, owner: &Owner, init: bool, pod: &Block) -> Container {
    let body = &c.body;
    let mut unresolved = Vec::new();
    let text = |key: &str| body.get(key).map(|a| m.resolve(&a.value));
    let image = match text("image") {
        Some(r) => match r.as_str() {
            Some(s) => Some(Spanned::new(s.to_string(), r.at.clone())),
            None => {
                unresolved.push(Unresolved::Image);
                None
            }
        },
        None => None,
    };
    let mut ports = Vec::new();
    if body.has_dynamic("port") {
        unresolved.push(Unresolved::Ports);
    }
    for p in body.blocks_of("port") {
        let number = p.body.get("container_port").map(|a| m.resolve(&a.value));
        let number = match number {
            Some(r) => match r.as_i64().and_then(|n| u16::try_from(n).ok()) {
                Some(n) => Some(Spanned::new(n, r.at.clone())),
                None => {
                    unresolved.push(Unresolved::Ports);
                    None
                }
            },
            None => None,
        };
        let name = p.body.get("name").map(|a| m.resolve(&a.value));
        if name.as_ref().is_some_and(Resolved::is_unknown) {
            unresolved.push(Unresolved::Ports);
        }
        ports.push(ContainerPort {
            number,
            name: name.and_then(|r| Some(Spanned::new(r.as_str()?.to_string(), r.at.clone()))),
            protocol: p
                .body
                .get("protocol")
                .and_then(|a| m.resolve(&a.value).as_str().map(str::to_string))
                .unwrap_or_else(|| "TCP".to_string()),
            at: p.at.clone(),
        });
    }
    if ["liveness_probe", "readiness_probe", "startup_probe"]
        .iter()
        .any(|k| body.has_dynamic(k))
    {
        unresolved.push(Unresolved::Probes);
    }
    let probe = |key: &str| body.block(key).map(|b| read_probe(m, b));
    let security = read_security(
        m,
        body.block("security_context"),
        pod.body.block("security_context"),
    );
    if body.has_dynamic("security_context") || pod.body.has_dynamic("security_context") {
        unresolved.push(Unresolved::SecurityContext);
    }
    let (resources, resources_known) = read_resources(m, body);
    if !resources_known || body.has_dynamic("resources") {
        unresolved.push(Unresolved::Resources);
    }
    if body.has_dynamic("env") {
        unresolved.push(Unresolved::Env);
    }
    let env = body
        .blocks_of("env")
        .filter_map(|e| {
            let name = e.body.get("name").map(|a| m.resolve(&a.value))?;
            let value = e.body.get("value").map(|a| m.resolve(&a.value));
            Some(EnvVar {
                name: Spanned::new(name.as_str()?.to_string(), name.at.clone()),
                // A value from a sensitive variable, a data source or a resource is not
                // written here.
                value: value
                    .as_ref()
                    .filter(|r| !r.sensitive)
                    .and_then(|r| Some(Spanned::new(r.as_str()?.to_string(), r.at.clone()))),
                from_ref: e.body.block("value_from").is_some(),
                secret_ref: e
                    .body
                    .block("value_from")
                    .is_some_and(|v| v.body.block("secret_key_ref").is_some()),
            })
        })
        .collect();
    let name = text("name").and_then(|r| Some(Spanned::new(r.as_str()?.to_string(), r.at.clone())));
    Container {
        name,
        init,
        image,
        ports,
        liveness: probe("liveness_probe"),
        readiness: probe("readiness_probe"),
        startup: probe("startup_probe"),
        security,
        resources,
        env,
        unresolved,
        ..Container::new(owner.clone(), c.at.clone())
    }
}

fn read_probe(m: &Module, p: &Block) -> Probe {
    let port = |b: &Block| -> Option<Spanned<PortRef>> {
        let r = m.resolve(&b.body.get("port")?.value);
        let text = r.as_str()?;
        let port = match text.parse::<u16>() {
            Ok(n) => PortRef::Number(n),
            Err(_) => PortRef::Name(text.to_string()),
        };
        Some(Spanned::new(port, r.at.clone()))
    };
    let action = if let Some(h) = p.body.block("http_get") {
        ProbeAction::Http {
            path: h.body.get("path").and_then(|a| {
                let r = m.resolve(&a.value);
                Some(Spanned::new(r.as_str()?.to_string(), r.at.clone()))
            }),
            port: port(h),
        }
    } else if let Some(t) = p.body.block("tcp_socket") {
        ProbeAction::Tcp { port: port(t) }
    } else if let Some(g) = p.body.block("grpc") {
        ProbeAction::Grpc { port: port(g) }
    } else if let Some(e) = p.body.block("exec") {
        let command = e
            .body
            .get("command")
            .map(|a| m.resolve(&a.value))
            .map(|r| match r.value {
                Value::List(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default();
        ProbeAction::Exec { command }
    } else {
        ProbeAction::Unknown
    };
    Probe {
        action,
        at: p.at.clone(),
    }
}

/// The effective settings: container level first, then (for the user settings) the pod's.
fn read_security(m: &Module, container: Option<&Block>, pod: Option<&Block>) -> Security {
    let mut s = Security {
        container_context: container.map(|b| b.at.clone()),
        pod_context: pod.map(|b| b.at.clone()),
        ..Security::default()
    };
    let mut lookup = |tf_key: &str, key: &str, pod_level: bool| -> Option<Resolved> {
        let levels = [container, if pod_level { pod } else { None }];
        for level in levels.into_iter().flatten() {
            if let Some(a) = level.body.get(tf_key) {
                let r = m.resolve(&a.value);
                if r.is_unknown() {
                    s.unread.push(key.to_string());
                    return None;
                }
                if matches!(r.value, Value::Null) {
                    continue;
                }
                return Some(r);
            }
        }
        None
    };
    let boolean =
        |r: Option<Resolved>| r.and_then(|r| Some(Spanned::new(r.as_bool()?, r.at.clone())));
    let non_root = lookup("run_as_non_root", "runAsNonRoot", true);
    let user = lookup("run_as_user", "runAsUser", true);
    let privileged = lookup("privileged", "privileged", false);
    let escalation = lookup(
        "allow_privilege_escalation",
        "allowPrivilegeEscalation",
        false,
    );
    s.run_as_non_root = boolean(non_root);
    s.run_as_user = user.and_then(|r| Some(Spanned::new(r.as_i64()?, r.at.clone())));
    s.privileged = boolean(privileged);
    s.allow_privilege_escalation = boolean(escalation);
    s.capabilities_add = container
        .and_then(|c| c.body.block("capabilities"))
        .and_then(|caps| caps.body.get("add"))
        .map(|a| match m.resolve(&a.value).value {
            Value::List(items) => items
                .iter()
                .filter_map(|i| Some(Spanned::new(i.as_str()?.to_string(), i.at.clone())))
                .collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    s
}

/// `resources { limits = { cpu = …, memory = … } requests = { … } }` (or the older nested
/// `limits { cpu = … }` blocks). The flag is false when some quantity is set by an
/// expression that does not resolve.
fn read_resources(m: &Module, body: &Body) -> (Resources, bool) {
    let Some(r) = body.block("resources") else {
        return (Resources::default(), true);
    };
    let mut known = true;
    let mut quantity = |group: &str, key: &str| -> Option<Spanned<String>> {
        let node: Option<&Node> = match r.body.get(group) {
            Some(a) => {
                let map = m.resolve(&a.value);
                if map.is_unknown() {
                    known = false;
                    return None;
                }
                return match map.get(key) {
                    Some(v) => match v.as_str() {
                        Some(s) => Some(Spanned::new(s.to_string(), v.at.clone())),
                        None => {
                            known &= !v.is_unknown();
                            None
                        }
                    },
                    None => None,
                };
            }
            None => r
                .body
                .block(group)
                .and_then(|b| b.body.get(key))
                .map(|a| &a.value),
        };
        let v = m.resolve(node?);
        match v.as_str() {
            Some(s) => Some(Spanned::new(s.to_string(), v.at.clone())),
            None => {
                known &= !v.is_unknown();
                None
            }
        }
    };
    let resources = Resources {
        requests_cpu: quantity("requests", "cpu"),
        requests_memory: quantity("requests", "memory"),
        limits_cpu: quantity("limits", "cpu"),
        limits_memory: quantity("limits", "memory"),
        at: Some(r.at.clone()),
    };
    (resources, known)
}

fn read_service(m: &Module, r: &Resource) -> Service {
    let name = r
        .body()
        .block("metadata")
        .and_then(|b| b.body.get("name"))
        .map(|a| m.resolve(&a.value))
        .and_then(|v| Some(Spanned::new(v.as_str()?.to_string(), v.at.clone())));
    let spec = r.body().block("spec");
    let selector = spec
        .and_then(|s| s.body.get("selector"))
        .map(|a| m.resolve(&a.value));
    let ports = spec
        .map(|s| {
            s.body
                .blocks_of("port")
                .map(|p| {
                    let port = p.body.get("port").map(|a| m.resolve(&a.value));
                    ServicePort {
                        name: p
                            .body
                            .get("name")
                            .map(|a| m.resolve(&a.value))
                            .and_then(|v| {
                                Some(Spanned::new(v.as_str()?.to_string(), v.at.clone()))
                            }),
                        port: port.and_then(|v| {
                            Some(Spanned::new(u16::try_from(v.as_i64()?).ok()?, v.at.clone()))
                        }),
                        target: match p.body.get("target_port") {
                            None => TargetPort::Default,
                            Some(a) => {
                                let v = m.resolve(&a.value);
                                match v.as_str() {
                                    Some(t) => TargetPort::Ref(Spanned::new(
                                        match t.parse::<u16>() {
                                            Ok(n) => PortRef::Number(n),
                                            Err(_) => PortRef::Name(t.to_string()),
                                        },
                                        v.at.clone(),
                                    )),
                                    None => TargetPort::Unknown,
                                }
                            }
                        },
                        at: p.at.clone(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    // A selector that does not resolve selects pods we cannot name: leave it empty, which
    // the Service rule reads as "selects nothing we know".
    let selector = match &selector {
        Some(v) if !v.is_unknown() && string_map(v).len() == map_len(v) => string_map(v),
        _ => Vec::new(),
    };
    Service {
        name,
        selector,
        ports: if spec.is_some_and(|s| s.body.has_dynamic("port")) {
            Vec::new()
        } else {
            ports
        },
        at: r.name.at.clone(),
    }
}

/// The string entries of a resolved map.
fn string_map(v: &Resolved) -> Vec<(String, String)> {
    match &v.value {
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        _ => Vec::new(),
    }
}

fn map_len(v: &Resolved) -> usize {
    match &v.value {
        Value::Map(entries) => entries.len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    fn module(files: &[(&str, &str)]) -> super::Terraform {
        super::build(crate::render::terraform::tests::module(files))
    }
    use crate::model::workload::{PortRef, ProbeAction, Unresolved};

    #[test]
    fn a_deployment_becomes_containers() {
        let m = module(&[(
            "main.tf",
            r#"
variable "tag" { default = "1.2.3" }
resource "kubernetes_deployment_v1" "api" {
  metadata { name = "api" }
  spec {
    template {
      metadata { labels = { app = "api" } }
      spec {
        security_context { run_as_non_root = true }
        container {
          name  = "api"
          image = "ghcr.io/acme/api:${var.tag}"
          port {
            container_port = 8080
            name           = "http"
          }
          liveness_probe {
            http_get {
              path = "/healthz"
              port = "http"
            }
          }
          security_context { privileged = false }
          resources {
            limits   = { cpu = "500m", memory = "256Mi" }
            requests = { cpu = "250m", memory = "128Mi" }
          }
          env {
            name  = "MODE"
            value = "prod"
          }
          dynamic "env" {
            for_each = var.extra
            content {
              name  = env.key
              value = env.value
            }
          }
        }
      }
    }
  }
}
resource "kubernetes_service_v1" "api" {
  metadata { name = "api" }
  spec {
    selector = { app = "api" }
    port {
      port        = 80
      target_port = 8080
    }
  }
}
"#,
        )]);
        let c = &m.containers[0];
        assert_eq!(c.owner.kind, "Deployment");
        assert_eq!(c.owner.name, "kubernetes_deployment_v1.api");
        assert_eq!(c.owner.pod_labels, [("app".to_string(), "api".to_string())]);
        assert_eq!(c.image.as_ref().unwrap().value, "ghcr.io/acme/api:1.2.3");
        assert_eq!(c.ports[0].number.as_ref().unwrap().value, 8080);
        let probe = c.liveness.as_ref().unwrap();
        assert!(matches!(
            &probe.action,
            ProbeAction::Http { port: Some(p), .. } if p.value == PortRef::Name("http".into())
        ));
        assert!(c.security.run_as_non_root.as_ref().unwrap().value);
        assert!(!c.security.privileged.as_ref().unwrap().value);
        assert_eq!(c.resources.limits_memory.as_ref().unwrap().value, "256Mi");
        assert_eq!(c.env[0].value.as_ref().unwrap().value, "prod");
        assert!(c.is_unresolved(Unresolved::Env));
        assert!(!c.is_unresolved(Unresolved::Resources));
        let s = &m.services[0];
        assert_eq!(s.selector, [("app".to_string(), "api".to_string())]);
        assert_eq!(s.ports[0].port.as_ref().unwrap().value, 80);
    }

    #[test]
    fn unknown_values_are_unresolved_not_missing() {
        let m = module(&[(
            "main.tf",
            r#"
variable "image" {}
variable "user" {}
resource "kubernetes_pod" "p" {
  metadata { name = "p" }
  spec {
    container {
      image = var.image
      security_context { run_as_user = var.user }
      resources { limits = var.limits }
    }
  }
}
resource "kubernetes_cron_job_v1" "c" {
  metadata { name = "c" }
  spec {
    job_template {
      metadata {}
      spec {
        template {
          metadata {}
          spec {
            container {
              name  = "c"
              image = "busybox"
            }
          }
        }
      }
    }
  }
}
"#,
        )]);
        let p = &m.containers[0];
        assert!(p.image.is_none() && p.is_unresolved(Unresolved::Image));
        assert!(p.security.is_unread("runAsUser"));
        assert!(p.is_unresolved(Unresolved::Resources));
        assert_eq!(m.containers[1].image.as_ref().unwrap().value, "busybox");
    }
}
