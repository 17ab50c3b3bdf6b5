//! What the rules about workload containers share: naming a container in a message, the
//! place to report something it lacks, and [`ContainerReports`], through which every such
//! rule reports.
//!
//! The same [`Container`] shape comes from Kubernetes manifests and from Helm charts. A chart
//! gives one container per component *per environment* (`values.yaml` alone, then each
//! overlay merged on top), so a wrong value written once in `values.yaml` shows up in every
//! environment that inherits it, at the same line. Reporting it once per environment would
//! repeat one finding several times; [`ContainerReports`] merges findings with the same place
//! and message into one that names the environments.

use crate::finding::Related;
use crate::model::workload::Container;
use crate::rules::Sink;
use crate::source::{Format, Origin, Span};

/// How messages name a container: "Container `api` of Deployment `shop-api`", "Init
/// container `migrate` of Job `setup`"; for a Helm component, "Container `api`" (or "Container
/// `sidecar` of component `api`").
pub fn describe(c: &Container) -> String {
    let what = if c.init {
        "Init container"
    } else {
        "Container"
    };
    let name = c.name.as_ref().map(|n| n.value.as_str()).unwrap_or("");
    let this = if name.is_empty() {
        format!("An unnamed {}", what.to_lowercase())
    } else {
        format!("{what} `{name}`")
    };
    if c.owner.is_helm_values() {
        return if name == c.owner.name || c.owner.name.is_empty() {
            this
        } else {
            format!("{this} of component `{}`", c.owner.name)
        };
    }
    if c.owner.name.is_empty() {
        format!("{this} of a {}", c.owner.kind)
    } else {
        format!("{this} of {} `{}`", c.owner.kind, c.owner.name)
    }
}

/// Where to report something the container lacks as a whole: its `name` (one short line),
/// else the container's mapping.
pub fn anchor(c: &Container) -> &Origin {
    // A rendered chart's container named from elsewhere (`{{ .Chart.Name }}`, a values
    // key) is written in its template, not where its name comes from.
    match &c.name {
        Some(n)
            if c.at.file.format == crate::source::Format::HelmTemplate
                && n.at.file.path != c.at.file.path =>
        {
            &c.at
        }
        Some(n) => &n.at,
        None => &c.at,
    }
}

/// A finding waiting to be merged with its twins from other environments.
pub struct Pending {
    at: Origin,
    message: String,
    /// The container, as messages name it, and where it is declared.
    who: String,
    container: Origin,
    environments: Vec<String>,
    related: Vec<Related>,
    secrets: Vec<Span>,
}

impl Pending {
    /// Adds a related location (once, however many environments repeat it).
    pub fn related(&mut self, at: &Origin, message: impl Into<String>) -> &mut Self {
        let message = message.into();
        if !self
            .related
            .iter()
            .any(|r| same_place(&r.location, at) && r.message == message)
        {
            self.related.push(Related {
                location: at.clone(),
                message,
            });
        }
        self
    }

    /// Marks a span of the finding's file as a secret, to be masked in every output.
    pub fn secret(&mut self, span: Span) -> &mut Self {
        if !self.secrets.contains(&span) {
            self.secrets.push(span);
        }
        self
    }
}

/// Collects one rule's findings on a document's containers, then reports them with
/// [`ContainerReports::flush`], merging those that differ only by Helm environment.
#[derive(Default)]
pub struct ContainerReports {
    pending: Vec<Pending>,
    /// Where each pending finding is, by place and message: a linear search made a rule that
    /// reports per env entry quadratic (50,000 Helm env entries took 32 s).
    index: std::collections::HashMap<(std::path::PathBuf, Span, String), usize>,
}

impl ContainerReports {
    pub fn new() -> Self {
        Self::default()
    }

    /// A finding about `c` at `at`. The message must not name the environment: it is added
    /// when the findings are merged.
    pub fn add(&mut self, c: &Container, at: &Origin, message: impl Into<String>) -> &mut Pending {
        let message = spelled_for(&c.at, platform_words(c, message.into()));
        let env = c.environment.as_ref().map(|e| e.name.clone());
        let key = (at.file.path.clone(), at.span, message.clone());
        let idx = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.index.insert(key, self.pending.len());
                self.pending.push(Pending {
                    at: at.clone(),
                    message,
                    who: describe(c),
                    container: anchor(c).clone(),
                    environments: Vec::new(),
                    related: Vec::new(),
                    secrets: Vec::new(),
                });
                self.pending.len() - 1
            }
        };
        let p = &mut self.pending[idx];
        if let Some(env) = env
            && !p.environments.contains(&env)
        {
            p.environments.push(env);
        }
        p
    }

    /// Reports every collected finding with the environments it holds in (the engine names
    /// them in the message, once findings from every unit are merged). Findings about several
    /// containers at one place (a Helm values block two containers read) are one edit, so one
    /// finding: the first, naming the other containers as related locations.
    pub fn flush(self, sink: &mut Sink<'_>) {
        let mut merged: Vec<Pending> = Vec::new();
        for p in self.pending {
            // The same problem, said of another container.
            let twin = |m: &&mut Pending| {
                same_place(&m.at, &p.at)
                    && !same_place(&m.container, &p.container)
                    && m.message.replacen(&m.who, "", 1) == p.message.replacen(&p.who, "", 1)
            };
            match merged.iter_mut().find(twin) {
                Some(m) => {
                    let message = format!("{} is set by the same line", p.who);
                    m.related(&p.container, message);
                    for e in p.environments {
                        if !m.environments.contains(&e) {
                            m.environments.push(e);
                        }
                    }
                }
                None => merged.push(p),
            }
        }
        for p in merged {
            let f = sink.report_at(&p.at, p.message);
            f.related = p.related;
            f.secrets = p.secrets;
            f.environments = p.environments;
        }
    }
}

/// Kubernetes field names as the manifest writes them and as Terraform's Kubernetes provider
/// does.
const TERRAFORM_SPELLING: &[(&str, &str)] = &[
    (
        "allowPrivilegeEscalation: ",
        "allow_privilege_escalation = ",
    ),
    ("allowPrivilegeEscalation", "allow_privilege_escalation"),
    ("runAsNonRoot: ", "run_as_non_root = "),
    ("runAsNonRoot", "run_as_non_root"),
    ("runAsUser: ", "run_as_user = "),
    ("runAsUser", "run_as_user"),
    ("`privileged: ", "`privileged = "),
    ("securityContext", "security_context"),
    ("readinessProbe", "readiness_probe"),
    ("livenessProbe", "liveness_probe"),
    ("startupProbe", "startup_probe"),
    ("containerPort", "container_port"),
    ("targetPort", "target_port"),
];

/// A message about a container that a cloud service runs, in that service's words
/// (`user` for ECS's `runAsUser`, its configuration for the manifest).
fn platform_words(c: &Container, message: String) -> String {
    use crate::model::workload::Platform;
    let words: &[(&str, &str)] = match c.platform() {
        Platform::Kubernetes => return message,
        Platform::Ecs => &[
            ("`runAsUser: 0`", "`user` root"),
            (
                "the API server refuses the pod",
                "ECS refuses the task definition",
            ),
            ("read the manifest", "read the task definition"),
        ],
        _ => &[("read the manifest", "read the configuration")],
    };
    words
        .iter()
        .fold(message, |m, (k8s, own)| m.replace(k8s, own))
}

/// A message about a container or Service written at `at`, with Kubernetes field names
/// spelled as Terraform writes them when `at` is in a Terraform file (`security_context`,
/// `run_as_non_root = true`), so the message names what the user sees.
pub fn spelled_for(at: &Origin, message: String) -> String {
    if !matches!(at.file.format, Format::Terraform | Format::TerraformVars) {
        return message;
    }
    TERRAFORM_SPELLING
        .iter()
        .fold(message, |m, (yaml, tf)| m.replace(yaml, tf))
}

fn same_place(a: &Origin, b: &Origin) -> bool {
    a.span == b.span && a.file.path == b.file.path
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalogue::meta;
    use crate::model::workload::{Environment, Owner, Spanned};
    use crate::source::{Format, SourceFile};

    fn container(file: &Arc<SourceFile>, kind: &str, env: Option<&str>) -> Container {
        let at = Origin::new(file, Span::new(0, 3));
        Container {
            environment: env.map(|e| Environment {
                name: e.into(),
                production: e == "production",
            }),
            name: Some(Spanned::new("api".into(), at.clone())),
            ..Container::new(
                Owner {
                    kind: kind.into(),
                    name: "shop-api".into(),
                    pod_labels: Vec::new(),
                    at: at.clone(),
                },
                at,
            )
        }
    }

    #[test]
    fn names_the_workload() {
        let file = Arc::new(SourceFile::in_memory("a.yaml", Format::Kubernetes, "abc"));
        let c = container(&file, "Deployment", None);
        assert_eq!(describe(&c), "Container `api` of Deployment `shop-api`");
        let mut init = container(&file, "Job", None);
        init.init = true;
        init.owner.name.clear();
        assert_eq!(describe(&init), "Init container `api` of a Job");
    }

    #[test]
    fn environments_merge_into_one_finding() {
        let file = Arc::new(SourceFile::in_memory(
            "values.yaml",
            Format::HelmValues,
            "abc",
        ));
        let meta = meta("PIN001").expect("a rule to report as");
        let mut sink = Sink::new(meta, &file);
        let mut reports = ContainerReports::new();
        let at = Origin::new(&file, Span::new(0, 1));
        for env in ["default", "production", "default"] {
            let c = container(&file, "values", Some(env));
            reports.add(&c, &at, "Same problem").related(&at, "here");
        }
        let other = container(&file, "values", Some("staging"));
        reports.add(&other, &Origin::new(&file, Span::new(1, 2)), "Same problem");
        reports.flush(&mut sink);
        let mut findings = sink.into_findings();
        assert_eq!(findings[0].environments, ["default", "production"]);
        crate::finding::merge_environments(&mut findings);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Same problem (environments: default, production)",
                "Same problem (environment: staging)"
            ]
        );
        assert_eq!(findings[0].related.len(), 1);
    }

    #[test]
    fn containers_one_line_feeds_are_one_finding() {
        let file = Arc::new(SourceFile::in_memory(
            "values.yaml",
            Format::HelmValues,
            "abcdefghij",
        ));
        let meta = meta("RES020").expect("a rule to report as");
        let mut sink = Sink::new(meta, &file);
        let mut reports = ContainerReports::new();
        let at = Origin::new(&file, Span::new(0, 1));
        let mut create = container(&file, "Job", None);
        let mut patch = container(&file, "Job", None);
        create.name = Some(Spanned::new(
            "create".into(),
            Origin::new(&file, Span::new(2, 3)),
        ));
        patch.name = Some(Spanned::new(
            "patch".into(),
            Origin::new(&file, Span::new(4, 5)),
        ));
        for c in [&create, &patch] {
            reports.add(c, &at, format!("{} has no `resources`", describe(c)));
        }
        // Another problem of the same container at the same place stays its own finding.
        reports.add(&patch, &at, "Something else");
        reports.flush(&mut sink);
        let findings = sink.into_findings();
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Container `create` of Job `shop-api` has no `resources`",
                "Something else"
            ]
        );
        assert_eq!(
            findings[0].related[0].message,
            "Container `patch` of Job `shop-api` is set by the same line"
        );
    }
}
