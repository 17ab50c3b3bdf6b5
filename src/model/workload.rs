//! The container of a Kubernetes workload, whichever file described it: a manifest's pod
//! template (`crate::model::kubernetes`) or a Helm chart's values for one environment
//! (`crate::parse::helm`). Rules about containers (image pins, security context, probes,
//! ports, resources, env secrets) read this one shape and so work for both.
//!
//! Every fact keeps the [`Origin`] that set it. Where a fact is missing, rules report at the
//! most specific place that would hold it (`Container::at`, or `Resources::at` when the
//! `resources:` block exists but lacks a key).

pub use crate::parse::Spanned;
use crate::source::Origin;

/// What a container belongs to: the workload (`Deployment/api`) or, for Helm, the values
/// component (`api`) and the environment.
#[derive(Debug, Clone)]
pub struct Owner {
    /// `Deployment`, `StatefulSet`, `CronJob`, `Pod`…; for Helm values, `values`.
    pub kind: String,
    /// `metadata.name` (may be empty when templated), or the Helm component key.
    pub name: String,
    /// Labels of the pod template (used to match Services' selectors).
    pub pod_labels: Vec<(String, String)>,
    /// Where the workload (or component) is declared.
    pub at: Origin,
}

impl Owner {
    /// Whether the container was read from a Helm chart's values (the component is its
    /// owner), rather than from a workload manifest.
    pub fn is_helm_values(&self) -> bool {
        self.kind == "values"
    }
}

pub use crate::render::Environment;

#[derive(Debug, Clone)]
pub struct Container {
    pub owner: Owner,
    /// `Some` for containers read from Helm values.
    pub environment: Option<Environment>,
    /// The container's name (`containers[].name`; for Helm the component key).
    pub name: Option<Spanned<String>>,
    /// An init container (`initContainers`): it does not serve, so it needs no probes.
    pub init: bool,
    /// The image as it would be pulled: `repository:tag` or `repository@digest`. For Helm,
    /// assembled from `image.repository`/`image.tag` (and `appVersion` when the tag is empty);
    /// the origin is the value that decides the pin (the tag, or the repository when no tag
    /// is given).
    pub image: Option<Spanned<String>>,
    pub ports: Vec<ContainerPort>,
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    pub startup: Option<Probe>,
    /// The effective security settings: container level wins over pod level.
    pub security: Security,
    pub resources: Resources,
    pub env: Vec<EnvVar>,
    /// The whole container (its mapping, or for Helm the component's mapping).
    pub at: Origin,
    /// Parts of the container that a Helm template sets through an expression plumbline
    /// cannot resolve statically (a helper of a library chart, a `range` over a list). Their
    /// fields above may be empty although the rendered container has them: rules must not
    /// report such a part as missing or as disagreeing. Always empty for manifests.
    pub unresolved: Vec<Unresolved>,
    /// Fields an overlay removed from the container as its base wrote it (a Kustomize JSON
    /// patch `remove`, a strategic merge `null`): a rule that finds the field missing reports
    /// at the patch that removed it.
    pub removed: Vec<Removed>,
}

/// What runs a container ([`Container::platform`], told by the owner's kind). Rules about Kubernetes-only settings (`runAsNonRoot`,
/// `allowPrivilegeEscalation`, readiness and liveness probes, requests and limits) check
/// Kubernetes containers only; image pins, root users, privileged mode, env secrets and
/// probe ports hold everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Platform {
    #[default]
    Kubernetes,
    /// An AWS ECS task definition's container (`container_definitions`).
    Ecs,
    /// An AWS App Runner service's image.
    AppRunner,
    /// An AWS Lambda function packaged as a container image.
    Lambda,
    /// A Google Cloud Run service or job (v1 or v2).
    CloudRun,
}

impl Platform {
    pub fn is_kubernetes(self) -> bool {
        self == Platform::Kubernetes
    }

    /// The [`Owner::kind`] of this platform's containers, as messages name it.
    pub fn kind(self) -> &'static str {
        match self {
            Platform::Kubernetes => "",
            Platform::Ecs => "ECS task definition",
            Platform::AppRunner => "App Runner service",
            Platform::Lambda => "Lambda function",
            Platform::CloudRun => "Cloud Run service",
        }
    }
}

/// A field of a container removed by a patch.
#[derive(Debug, Clone)]
pub struct Removed {
    /// The key removed (`resources`, `securityContext`, `livenessProbe`).
    pub key: String,
    /// The patch entry that removed it.
    pub at: Origin,
    /// The value it removed, in the base.
    pub was: Origin,
}

/// A part of a container whose rendered value is unknown (see [`Container::unresolved`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unresolved {
    Image,
    Ports,
    Probes,
    SecurityContext,
    Resources,
    Env,
}

impl Container {
    /// A container of `owner`, written at `at`, of which nothing else is known yet; parsers
    /// and tests set the fields they read.
    pub fn new(owner: Owner, at: Origin) -> Container {
        Container {
            owner,
            environment: None,
            name: None,
            init: false,
            image: None,
            ports: Vec::new(),
            liveness: None,
            readiness: None,
            startup: None,
            security: Security::default(),
            resources: Resources::default(),
            env: Vec::new(),
            at,
            unresolved: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// The patch that removed `key` from this container, if one did.
    pub fn removed(&self, key: &str) -> Option<&Removed> {
        self.removed.iter().find(|r| r.key == key)
    }

    /// What runs the container, told by its owner's kind (Cloud Run jobs and services alike).
    pub fn platform(&self) -> Platform {
        match self.owner.kind.as_str() {
            "ECS task definition" => Platform::Ecs,
            "App Runner service" => Platform::AppRunner,
            "Lambda function" => Platform::Lambda,
            "Cloud Run service" | "Cloud Run job" => Platform::CloudRun,
            _ => Platform::Kubernetes,
        }
    }

    /// Whether `part` was set by an expression that could not be resolved.
    pub fn is_unresolved(&self, part: Unresolved) -> bool {
        self.unresolved.contains(&part)
    }
}

#[derive(Debug, Clone)]
pub struct ContainerPort {
    pub number: Option<Spanned<u16>>,
    pub name: Option<Spanned<String>>,
    /// `TCP` unless stated.
    pub protocol: String,
    pub at: Origin,
}

/// A port as a probe or a Service's `targetPort` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone)]
pub enum ProbeAction {
    Http {
        path: Option<Spanned<String>>,
        port: Option<Spanned<PortRef>>,
    },
    Tcp {
        port: Option<Spanned<PortRef>>,
    },
    Grpc {
        port: Option<Spanned<PortRef>>,
    },
    Exec {
        command: Vec<String>,
    },
    /// A probe whose action could not be read (templated, or none of the four).
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub action: ProbeAction,
    /// The probe's mapping (`livenessProbe:` value).
    pub at: Origin,
}

impl Probe {
    pub fn port(&self) -> Option<&Spanned<PortRef>> {
        match &self.action {
            ProbeAction::Http { port, .. }
            | ProbeAction::Tcp { port }
            | ProbeAction::Grpc { port } => port.as_ref(),
            ProbeAction::Exec { .. } | ProbeAction::Unknown => None,
        }
    }
}

/// Effective security settings; each is `None` when neither the container nor the pod sets
/// it.
#[derive(Debug, Clone, Default)]
pub struct Security {
    pub run_as_non_root: Option<Spanned<bool>>,
    pub run_as_user: Option<Spanned<i64>>,
    pub privileged: Option<Spanned<bool>>,
    pub allow_privilege_escalation: Option<Spanned<bool>>,
    /// `capabilities.add` entries.
    pub capabilities_add: Vec<Spanned<String>>,
    /// The container's `securityContext` mapping, when it has one.
    pub container_context: Option<Origin>,
    /// The pod's `securityContext` mapping, when it has one.
    pub pod_context: Option<Origin>,
    /// Keys (`runAsNonRoot`, `runAsUser`, `privileged`, `allowPrivilegeEscalation`) that are
    /// set to a value that could not be read (templated): rules treat them as unknown, never
    /// as missing.
    pub unread: Vec<String>,
}

impl Security {
    /// Whether `key` is set to a value that could not be read.
    pub fn is_unread(&self, key: &str) -> bool {
        self.unread.iter().any(|k| k == key)
    }
}

/// `resources:` as written (quantities as strings: `500m`, `1Gi`).
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub requests_cpu: Option<Spanned<String>>,
    pub requests_memory: Option<Spanned<String>>,
    pub limits_cpu: Option<Spanned<String>>,
    pub limits_memory: Option<Spanned<String>>,
    /// The `resources:` mapping, when present.
    pub at: Option<Origin>,
}

#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: Spanned<String>,
    /// A literal `value:`.
    pub value: Option<Spanned<String>>,
    /// Set from elsewhere (`valueFrom`: a Secret, a ConfigMap, a field).
    pub from_ref: bool,
    /// Set from a Secret (`valueFrom.secretKeyRef`): handled as a secret.
    pub secret_ref: bool,
}

/// Whether a value is filled in at deploy time and so unknown here: Go/Helm/azd templates
/// (`{{ .Values.image }}`, `{{.Env.IMAGE}}`), shell/envsubst variables (`${IMAGE}`, `$IMAGE`)
/// and Kubernetes' own dependent variables (`$(OTHER_VAR)`), and values the Helm renderer
/// cannot know (`⦃unknown⦄`: random passwords, generated names, `required` values not given).
pub fn is_templated(text: &str) -> bool {
    text.contains("{{")
        || text.contains("${")
        || text.contains("$(")
        // A value the Helm renderer cannot know (a random password, a generated name).
        || text.contains(crate::render::helm::template::UNKNOWN_TEXT)
        || {
        // `$NAME`: a dollar followed by a variable name.
        text.match_indices('$').any(|(i, _)| {
            text[i + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templated_values() {
        for yes in [
            "{{ .Values.image }}",
            "{{.Env.SERVICE_API_IMAGE_NAME}}",
            "${IMAGE}",
            "$IMAGE",
            "registry/app:${TAG}",
            "$(POD_IP):8080",
            "release-name-app-⦃unknown⦄",
        ] {
            assert!(is_templated(yes), "{yes}");
        }
        for no in ["nginx:1.25", "a$", "price: 5$ 4", "$1"] {
            assert!(!is_templated(no), "{no}");
        }
    }
}
