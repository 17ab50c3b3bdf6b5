//! Helm charts: `Chart.yaml`, the values of each environment (base `values.yaml` with each
//! overlay merged on top) and a static reading of the templates, turned into the containers
//! each environment would deploy.
//!
//! - [`crate::render::helm`]: environments and the origin-keeping merge of values files.
//! - [`templates`]: a line-based partial render of `templates/` that learns which values feed
//!   which container field (templates are never read as YAML).
//! - [`containers`]: YAML (rendered container or values component) to [`Container`].
//!
//! Containers come from the templates when they show any; a chart whose templates show none
//! (no templates, or containers built entirely by library helpers) is read in the common
//! values layout (`<component>.image`, `.containerPort`, `.resources`…).

pub mod containers;
pub mod templates;

use std::sync::Arc;

use crate::model::workload::{Container, Unresolved};
use crate::parse::{ParseError, Spanned, yaml};
use crate::source::SourceFile;

pub use crate::render::helm::{EnvValues, ValuesFile};

/// The files of one chart, as loaded. YAML files come with their documents; templates are
/// never parsed as YAML.
#[derive(Debug, Clone)]
pub struct ChartFiles {
    /// The chart directory.
    pub root: std::path::PathBuf,
    /// `Chart.yaml` and its documents.
    pub chart: Option<(Arc<SourceFile>, Vec<yaml::Node>)>,
    /// `values.yaml` and its overlays, in path order.
    pub values: Vec<(Arc<SourceFile>, Vec<yaml::Node>)>,
    /// Every file under `templates/` (helpers included), read as text.
    pub templates: Vec<Arc<SourceFile>>,
}

/// A chart dependency (`Chart.yaml` `dependencies[]`).
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The chart's name in its repository.
    pub name: Option<Spanned<String>>,
    /// The version constraint (`1.2.3`, `^1.2.0`, `7.x.x`); `None` when not given.
    pub version: Option<Spanned<String>>,
    /// Where it is fetched from (`https://…`, `oci://…`, `@alias`, `file://…`); `None`
    /// for a chart vendored under `charts/`.
    pub repository: Option<Spanned<String>>,
    /// The values path that enables it (`redis.enabled`).
    pub condition: Option<Spanned<String>>,
    /// The dependency's entry.
    pub at: crate::source::Origin,
}

/// A chart as the rules see it.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// `Chart.yaml` `name`.
    pub name: Option<Spanned<String>>,
    /// `Chart.yaml` `version` (the chart's own version).
    pub version: Option<Spanned<String>>,
    /// `Chart.yaml` `appVersion`, which templates often use as the default image tag.
    pub app_version: Option<Spanned<String>>,
    /// `Chart.yaml` `dependencies`.
    pub dependencies: Vec<Dependency>,
    /// Each values file on its own (base and overlays), as written.
    pub values_files: Vec<ValuesFile>,
    /// The merged values of each environment, `default` first.
    pub environments: Vec<EnvValues>,
    /// Every container of every environment.
    pub containers: Vec<Container>,
    /// Problems of `Chart.yaml` (filled in by assembly). Templates never give YAML errors;
    /// a template's Go syntax errors stay with the template's own file.
    pub errors: Vec<ParseError>,
}

fn spanned(node: Option<&yaml::Node>) -> Option<Spanned<String>> {
    let n = node?;
    Some(Spanned::new(n.as_str()?.to_string(), n.origin()))
}

/// Reads a chart from its files. Never fails: what cannot be read is left out.
impl Chart {
    /// Re-decides which environments are production (a project's `.plumbline.toml` may name
    /// its own), for the environments and every container.
    pub fn set_production(&mut self, is_production: impl Fn(&str) -> bool) {
        for e in &mut self.environments {
            e.environment.production = is_production(&e.environment.name);
        }
        for c in &mut self.containers {
            if let Some(e) = &mut c.environment {
                e.production = is_production(&e.name);
            }
        }
    }
}

pub fn build(files: &ChartFiles) -> Chart {
    let Some((chart_file, chart_docs)) = &files.chart else {
        return Chart::default();
    };
    let meta = chart_docs.first();
    let get = |k: &str| meta.and_then(|m| m.get(k));
    let dependencies: Vec<Dependency> = get("dependencies")
        .and_then(yaml::Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|d| d.as_map().is_some())
        .map(|d| Dependency {
            name: spanned(d.get("name")),
            version: spanned(d.get("version")),
            repository: spanned(d.get("repository")),
            condition: spanned(d.get("condition")),
            at: d.origin(),
        })
        .collect();
    let info = templates::ChartInfo {
        name: get("name").cloned(),
        version: get("version").cloned(),
        app_version: get("appVersion").cloned(),
    };
    let root_name = get("name")
        .and_then(yaml::Node::as_str)
        .unwrap_or("(root)")
        .to_string();
    let (values_files, environments) = crate::render::helm::environments(chart_file, &files.values);
    let defines = templates::Defines::collect(&files.templates);

    let mut all = Vec::new();
    for env in &environments {
        let ctx = containers::Ctx {
            environment: &env.environment,
            app_version: info.app_version.as_ref(),
        };
        let input = templates::Input {
            templates: &files.templates,
            defines: &defines,
            values: &env.values,
            chart: &info,
            root_name: &root_name,
        };
        let rendered = templates::containers(&input, &ctx);
        if rendered.is_empty() {
            let skip: Vec<&str> = dependencies
                .iter()
                .filter_map(|d: &Dependency| d.name.as_ref().map(|n| n.value.as_str()))
                .collect();
            let unread = !files.templates.is_empty();
            all.extend(components(&env.values, &root_name, &skip, &ctx, unread));
        } else {
            all.extend(rendered);
        }
    }

    Chart {
        name: spanned(get("name")),
        version: spanned(get("version")),
        app_version: spanned(get("appVersion")),
        dependencies,
        values_files,
        environments,
        containers: all,
        errors: Vec::new(),
    }
}

/// Components are looked for this deep in the values tree.
const MAX_COMPONENT_DEPTH: usize = 6;

/// The components of the common values layout in one environment. Top-level keys named in
/// `subcharts` configure a dependency (a chart of its own) and are skipped. With
/// `templates_unread` (the chart has templates, but they showed no container), parts the
/// values do not set are marked unresolved: the templates may well set them.
fn components(
    values: &yaml::Node,
    root_name: &str,
    subcharts: &[&str],
    ctx: &containers::Ctx<'_>,
    templates_unread: bool,
) -> Vec<Container> {
    let mut out = Vec::new();
    let mut stack: Vec<(String, &yaml::Node, crate::source::Origin, usize)> =
        vec![(String::new(), values, values.origin(), 0)];
    while let Some((path, node, declared, depth)) = stack.pop() {
        if node
            .get("enabled")
            .is_some_and(|e| e.as_bool() == Some(false))
        {
            continue;
        }
        if containers::is_component(node) {
            let name = if path.is_empty() { root_name } else { &path };
            let mut c = containers::from_component(name, node, declared, ctx);
            if templates_unread {
                mark_unread(&mut c);
            }
            out.push(c);
        }
        if depth >= MAX_COMPONENT_DEPTH {
            continue;
        }
        for (key, e) in node.entries() {
            if key == "global" || key == "image" || e.value.as_map().is_none() {
                continue;
            }
            if path.is_empty() && subcharts.contains(&key) {
                continue;
            }
            let child = if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            };
            stack.push((child, &e.value, e.key.origin(), depth + 1));
        }
    }
    out.sort_by(|a, b| a.owner.name.cmp(&b.owner.name));
    out
}

/// Marks the parts of a values-only container that the values leave unset as unresolved.
fn mark_unread(c: &mut Container) {
    let mut add = |part| {
        if !c.unresolved.contains(&part) {
            c.unresolved.push(part);
        }
    };
    if c.ports.is_empty() {
        add(Unresolved::Ports);
    }
    if c.liveness.is_none() || c.readiness.is_none() {
        add(Unresolved::Probes);
    }
    if c.security.container_context.is_none() && c.security.pod_context.is_none() {
        add(Unresolved::SecurityContext);
    }
    if c.resources.at.is_none() && c.resources.limits_memory.is_none() {
        add(Unresolved::Resources);
    }
    if c.env.is_empty() {
        add(Unresolved::Env);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::workload::{PortRef, ProbeAction};
    use crate::source::Format;

    /// A chart from `(path, text)` pairs: `Chart.yaml`, `values*.yaml`, `templates/…`.
    pub(crate) fn chart(files: &[(&str, &str)]) -> Chart {
        let mut cf = ChartFiles {
            root: "chart".into(),
            chart: None,
            values: Vec::new(),
            templates: Vec::new(),
        };
        for (path, text) in files {
            let format = if *path == "Chart.yaml" {
                Format::HelmChart
            } else if path.starts_with("templates/") {
                Format::HelmTemplate
            } else {
                Format::HelmValues
            };
            let f = Arc::new(SourceFile::in_memory(path, format, *text));
            match format {
                Format::HelmChart => cf.chart = Some((Arc::clone(&f), yaml::load(&f).docs)),
                Format::HelmTemplate => cf.templates.push(f),
                _ => cf.values.push((Arc::clone(&f), yaml::load(&f).docs)),
            }
        }
        build(&cf)
    }

    #[test]
    fn otel_demo_style_unknown_dot() {
        let c = chart(&[
            ("Chart.yaml", "name: demo\nappVersion: 1.0.0\n"),
            (
                "values.yaml",
                "default:\n  image:\n    repository: x/demo\ncomponents:\n  a:\n    enabled: true\n",
            ),
            (
                "templates/_objects.tpl",
                "{{- define \"d\" }}\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: {{ .name }}\n          image: '{{ ((.imageOverride).repository) | default .defaultValues.image.repository }}:{{ ((.imageOverride).tag) | default (printf \"%s-%s\" (default .Chart.AppVersion .defaultValues.image.tag) .name) }}'\n{{- end }}\n",
            ),
            (
                "templates/c.yaml",
                "{{- range $name, $config := .Values.components }}\n{{- $config := set . \"name\" $name }}\n{{- if $config.enabled -}}\n{{- include \"d\" $config -}}\n{{ end }}\n{{- end }}\n",
            ),
        ]);
        let images: Vec<_> = c
            .containers
            .iter()
            .map(|c| c.image.as_ref().map(|i| i.value.clone()))
            .collect();
        assert_eq!(images.len(), 1);
        assert!(
            images[0].as_ref().is_some_and(|i| i.contains("{{")),
            "{images:?}"
        );
    }

    const CHART: &str = "apiVersion: v2\nname: shop\nversion: 1.0.0\nappVersion: \"2.4.1\"\n";

    fn by_owner<'c>(c: &'c Chart, env: &str, owner: &str) -> &'c Container {
        c.containers
            .iter()
            .find(|k| {
                k.owner.name == owner && k.environment.as_ref().is_some_and(|e| e.name == env)
            })
            .unwrap_or_else(|| panic!("no {owner} in {env}: {:?}", names(c)))
    }

    fn names(c: &Chart) -> Vec<(String, String)> {
        c.containers
            .iter()
            .map(|k| {
                let env = k
                    .environment
                    .as_ref()
                    .map(|e| e.name.clone())
                    .unwrap_or_default();
                (env, k.owner.name.clone())
            })
            .collect()
    }

    #[test]
    fn common_layout_without_templates() {
        let values = "\
api:
  image:
    repository: ghcr.io/acme/api
    tag: \"\"
  containerPort: 8080
  securityContext:
    runAsNonRoot: true
  resources:
    limits: {cpu: 500m, memory: 256Mi}
  livenessProbe:
    httpGet: {path: /healthz, port: 8080}
frontend:
  image: nginx:1.27
  service:
    port: 80
metrics:
  enabled: false
  image:
    repository: exporter
    tag: latest
image:
  repository: acme/root
";
        let prod = "api:\n  image:\n    tag: latest\n  resources: null\n";
        let c = chart(&[
            ("Chart.yaml", CHART),
            ("values.yaml", values),
            ("values-prod.yaml", prod),
        ]);
        assert_eq!(c.environments.len(), 2);
        let api = by_owner(&c, "default", "api");
        // An empty tag falls back to appVersion when there are no templates.
        assert_eq!(api.image.as_ref().unwrap().value, "ghcr.io/acme/api:2.4.1");
        assert_eq!(api.ports[0].number.as_ref().unwrap().value, 8080);
        assert!(api.security.run_as_non_root.as_ref().unwrap().value);
        assert_eq!(api.resources.limits_memory.as_ref().unwrap().value, "256Mi");
        assert!(api.resources.requests_cpu.is_none());
        assert!(matches!(
            api.liveness.as_ref().unwrap().port().unwrap().value,
            PortRef::Number(8080)
        ));
        assert!(api.readiness.is_none());
        let front = by_owner(&c, "default", "frontend");
        assert_eq!(front.image.as_ref().unwrap().value, "nginx:1.27");
        assert_eq!(front.ports[0].number.as_ref().unwrap().value, 80);
        // The root component is named after the chart; disabled components are skipped.
        assert_eq!(
            by_owner(&c, "default", "shop")
                .image
                .as_ref()
                .unwrap()
                .value,
            "acme/root:2.4.1"
        );
        assert!(!names(&c).iter().any(|(_, o)| o == "metrics"));
        // The production overlay: its tag, at its line; its deleted resources.
        let prod_api = by_owner(&c, "prod", "api");
        let image = prod_api.image.as_ref().unwrap();
        assert_eq!(image.value, "ghcr.io/acme/api:latest");
        assert_eq!(image.at.file.path.to_str(), Some("values-prod.yaml"));
        assert_eq!(image.at.text(), "latest");
        assert!(prod_api.resources.at.is_none());
        assert!(prod_api.environment.as_ref().unwrap().production);
        assert!(prod_api.unresolved.is_empty());
    }

    #[test]
    fn bitnami_wrappers_and_presets() {
        let values = "\
image:
  registry: docker.io
  repository: bitnami/nginx
  tag: 1.29.1-debian-12-r0
containerPorts: {http: 8080, https: 8443}
containerSecurityContext:
  enabled: false
  runAsNonRoot: true
podSecurityContext:
  enabled: true
  runAsUser: 1001
resourcesPreset: nano
resources: {}
livenessProbe:
  enabled: false
  initialDelaySeconds: 30
readinessProbe:
  enabled: true
  periodSeconds: 5
sidecar:
  image: {repository: bitnami/os-shell, tag: \"12\"}
  resourcesPreset: none
";
        let c = chart(&[("Chart.yaml", CHART), ("values.yaml", values)]);
        let main = by_owner(&c, "default", "shop");
        assert_eq!(
            main.image.as_ref().unwrap().value,
            "docker.io/bitnami/nginx:1.29.1-debian-12-r0"
        );
        let ports: Vec<_> = main
            .ports
            .iter()
            .map(|p| p.name.as_ref().unwrap().value.as_str())
            .collect();
        assert_eq!(ports, ["http", "https"]);
        // `enabled: false` switches a context or probe off.
        assert!(main.security.container_context.is_none());
        assert!(main.security.run_as_non_root.is_none());
        assert_eq!(main.security.run_as_user.as_ref().unwrap().value, 1001);
        assert!(main.liveness.is_none());
        assert!(matches!(
            main.readiness.as_ref().unwrap().action,
            ProbeAction::Unknown
        ));
        // A preset sets requests and limits, at the preset's value.
        let limit = main.resources.limits_memory.as_ref().unwrap();
        assert_eq!(limit.at.text(), "nano");
        let sidecar = by_owner(&c, "default", "sidecar");
        assert!(sidecar.resources.limits_memory.is_none());
    }

    #[test]
    fn templates_feed_container_fields() {
        let values = "\
api:
  image:
    repository: ghcr.io/acme/api
    tag: \"\"
  containerPort: 9000
  resources:
    requests: {cpu: 100m, memory: 64Mi}
    limits: {cpu: 200m, memory: 128Mi}
  podSecurityContext:
    runAsNonRoot: true
metrics:
  enabled: false
  image: {repository: exporter, tag: latest}
";
        let deployment = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include \"shop.fullname\" . }}
  labels:
    {{- include \"shop.labels\" . | nindent 4 }}
spec:
  template:
    spec:
      {{- with .Values.api.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: api
          image: \"{{ .Values.api.image.repository }}:{{ .Values.api.image.tag | default .Chart.AppVersion }}\"
          ports:
            - name: http
              containerPort: {{ .Values.api.containerPort }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
          command:
            - sh
            - -c
            - |
              echo {{ .Values.api.containerPort }}: started
          resources:
{{ toYaml .Values.api.resources | indent 12 }}
        {{- if .Values.metrics.enabled }}
        - name: metrics
          image: {{ .Values.metrics.image.repository }}:{{ .Values.metrics.image.tag }}
        {{- end }}
";
        let c = chart(&[
            ("Chart.yaml", CHART),
            ("values.yaml", values),
            ("templates/deployment.yaml", deployment),
            (
                "templates/_helpers.tpl",
                "{{- define \"shop.labels\" -}}\napp: shop\n{{- end }}\n",
            ),
        ]);
        assert_eq!(names(&c), [("default".to_string(), "api".to_string())]);
        let api = &c.containers[0];
        // `default .Chart.AppVersion` fills the empty tag.
        assert_eq!(api.image.as_ref().unwrap().value, "ghcr.io/acme/api:2.4.1");
        let port = api.ports[0].number.as_ref().unwrap();
        assert_eq!(port.value, 9000);
        assert_eq!(port.at.file.path.to_str(), Some("values.yaml"));
        assert_eq!(api.ports[0].name.as_ref().unwrap().value, "http");
        assert!(matches!(
            &api.liveness.as_ref().unwrap().action,
            ProbeAction::Http { port: Some(p), .. } if p.value == PortRef::Name("http".into())
        ));
        assert_eq!(
            api.liveness.as_ref().unwrap().at.file.path.to_str(),
            Some("templates/deployment.yaml")
        );
        assert!(api.readiness.is_none());
        assert_eq!(api.resources.limits_cpu.as_ref().unwrap().value, "200m");
        assert_eq!(
            api.resources
                .limits_cpu
                .as_ref()
                .unwrap()
                .at
                .file
                .path
                .to_str(),
            Some("values.yaml")
        );
        // `with` rebinds `.`; the pod context comes from the values.
        assert!(api.security.run_as_non_root.as_ref().unwrap().value);
        assert!(api.unresolved.is_empty());
        assert_eq!(api.owner.kind, "values");
    }

    #[test]
    fn bitnami_helpers_and_undecided_conditions() {
        let values = "\
image: {registry: docker.io, repository: bitnami/redis, tag: 8.2.1}
containerSecurityContext: {enabled: true, runAsNonRoot: true, runAsUser: 1001}
resources: {}
resourcesPreset: small
livenessProbe: {enabled: true, periodSeconds: 5}
";
        let sts = "\
kind: StatefulSet
spec:
  template:
    spec:
      containers:
        - name: redis
          image: {{ include \"common.images.image\" (dict \"imageRoot\" .Values.image \"global\" .Values.global) }}
          {{- if .Values.containerSecurityContext.enabled }}
          securityContext: {{- include \"common.compatibility.renderSecurityContext\" (dict \"secContext\" .Values.containerSecurityContext \"context\" $) | nindent 12 }}
          {{- end }}
          {{- if .Values.resources }}
          resources: {{- toYaml .Values.resources | nindent 12 }}
          {{- else if ne .Values.resourcesPreset \"none\" }}
          resources: {{- include \"common.resources.preset\" (dict \"type\" .Values.resourcesPreset) | nindent 12 }}
          {{- end }}
          {{- if .Values.livenessProbe.enabled }}
          livenessProbe: {{- include \"common.tplvalues.render\" (dict \"value\" (omit .Values.livenessProbe \"enabled\") \"context\" $) | nindent 12 }}
            tcpSocket:
              port: {{ ternary \"tls\" \"redis\" .Values.tls.enabled }}
          {{- end }}
        {{- if .Capabilities.APIVersions.Has \"x/v1\" }}
        - name: extra
          image: busybox:1.37
        {{- end }}
";
        let c = chart(&[
            ("Chart.yaml", CHART),
            ("values.yaml", values),
            ("templates/statefulset.yaml", sts),
        ]);
        let redis = by_owner(&c, "default", "shop");
        assert_eq!(
            redis.image.as_ref().unwrap().value,
            "docker.io/bitnami/redis:8.2.1"
        );
        assert_eq!(redis.image.as_ref().unwrap().at.text(), "8.2.1");
        assert_eq!(redis.security.run_as_user.as_ref().unwrap().value, 1001);
        assert_eq!(
            redis.resources.limits_cpu.as_ref().unwrap().at.text(),
            "small"
        );
        assert!(matches!(
            &redis.liveness.as_ref().unwrap().action,
            ProbeAction::Tcp { port: Some(p) } if p.value == PortRef::Name("redis".into())
        ));
        assert!(redis.unresolved.is_empty());
        // Rendered only under a condition that cannot be decided: nothing is known missing.
        let extra = by_owner(&c, "default", "extra");
        assert_eq!(extra.image.as_ref().unwrap().value, "busybox:1.37");
        assert!(extra.is_unresolved(Unresolved::Resources));
        assert!(extra.is_unresolved(Unresolved::Probes));
    }

    #[test]
    fn templates_are_never_yaml_errors() {
        let c = chart(&[
            ("Chart.yaml", CHART),
            ("values.yaml", "a: 1\n"),
            (
                "templates/x.yaml",
                "{{- if .Values.a }}\nkind: [\n  {{ toYaml .Values | nindent 2 }}\n\t- bad\n",
            ),
        ]);
        assert!(c.errors.is_empty());
        assert!(c.containers.is_empty());
    }

    #[test]
    fn range_rebinds_dot() {
        let tpl = "\
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: main
          image: acme/main:1.0.0
        {{- range .Values.sidecars }}
        - name: {{ .name }}
          image: {{ .image }}
        {{- end }}
";
        let none = chart(&[
            ("Chart.yaml", CHART),
            ("values.yaml", "sidecars: []\n"),
            ("templates/d.yaml", tpl),
        ]);
        assert_eq!(none.containers.len(), 1);
        let some = chart(&[
            ("Chart.yaml", CHART),
            (
                "values.yaml",
                "sidecars:\n  - {name: log, image: fluent-bit}\n",
            ),
            ("templates/d.yaml", tpl),
        ]);
        assert_eq!(some.containers.len(), 2);
        let side = &some.containers[1];
        assert!(side.is_unresolved(Unresolved::Image));
        assert!(side.image.as_ref().unwrap().value.contains("{{"));
    }
}
