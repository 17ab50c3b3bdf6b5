//! Helm charts: `Chart.yaml`, the values of each environment (base `values.yaml` with each
//! overlay merged on top) and a static reading of the templates, turned into the containers
//! each environment would deploy.
//!
//! - [`values`]: environments and the origin-keeping merge of values files.
//! - [`templates`]: a line-based partial render of `templates/` that learns which values feed
//!   which container field (templates are never read as YAML).
//! - [`containers`]: YAML (rendered container or values component) to [`Container`].
//!
//! Containers come from the templates when they show any; a chart whose templates show none
//! (no templates, or containers built entirely by library helpers) is read in the common
//! values layout (`<component>.image`, `.containerPort`, `.resources`…).

pub mod containers;
pub mod templates;
pub mod values;

use std::sync::Arc;

use crate::parse::workload::{Container, Unresolved};
use crate::parse::{ParseError, Spanned, yaml};
use crate::source::SourceFile;

pub use values::{EnvValues, ValuesFile};

/// The files of one chart, as loaded. YAML files come with their documents; templates are
/// never parsed as YAML.
#[derive(Debug, Clone)]
pub struct ChartFiles {
    /// The chart directory.
    pub root: std::path::PathBuf,
    pub chart: Option<(Arc<SourceFile>, Vec<yaml::Node>)>,
    /// `values.yaml` and its overlays, in path order.
    pub values: Vec<(Arc<SourceFile>, Vec<yaml::Node>)>,
    pub templates: Vec<Arc<SourceFile>>,
}

/// A chart dependency (`Chart.yaml` `dependencies[]`).
#[derive(Debug, Clone)]
pub struct Dependency {
    pub name: Option<Spanned<String>>,
    /// The version constraint (`1.2.3`, `^1.2.0`, `7.x.x`); `None` when not given.
    pub version: Option<Spanned<String>>,
    pub repository: Option<Spanned<String>>,
    /// The values path that enables it (`redis.enabled`).
    pub condition: Option<Spanned<String>>,
    /// The dependency's entry.
    pub at: crate::source::Origin,
}

/// A chart as the rules see it.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub app_version: Option<Spanned<String>>,
    pub dependencies: Vec<Dependency>,
    /// Each values file on its own (base and overlays), as written.
    pub values_files: Vec<ValuesFile>,
    /// The merged values of each environment, `default` first.
    pub environments: Vec<EnvValues>,
    /// Every container of every environment.
    pub containers: Vec<Container>,
    pub errors: Vec<ParseError>,
}

fn spanned(node: Option<&yaml::Node>) -> Option<Spanned<String>> {
    let n = node?;
    Some(Spanned::new(n.as_str()?.to_string(), n.origin()))
}

/// Reads a chart from its files. Never fails: what cannot be read is left out.
pub fn build(files: &ChartFiles) -> Chart {
    let Some((chart_file, chart_docs)) = &files.chart else {
        return Chart::default();
    };
    let meta = chart_docs.first();
    let get = |k: &str| meta.and_then(|m| m.get(k));
    let dependencies = get("dependencies")
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
    let (values_files, environments) = values::environments(chart_file, &files.values);
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
            all.extend(components(
                &env.values,
                &root_name,
                &ctx,
                !files.templates.is_empty(),
            ));
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

/// The components of the common values layout in one environment. With `templates_unread`
/// (the chart has templates, but they showed no container), parts the values do not set are
/// marked unresolved: the templates may well set them.
fn components(
    values: &yaml::Node,
    root_name: &str,
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
}
