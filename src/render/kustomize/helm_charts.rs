//! `helmCharts`: a kustomization's Helm charts rendered by [`crate::render::helm`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Files, HelmFailure, HelmOutput, HelmRenderer};
use crate::parse::yaml::Node;
use crate::source::normalize;

/// A non-empty string field of an entry.
fn text(n: &Node, key: &str) -> Option<String> {
    n.get(key)
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The directory of the chart a `helmCharts` entry renders: `<chartHome>/<name>`, the chart
/// home (`helmGlobals.chartHome`, default `charts`) relative to the kustomization's `dir`.
pub(crate) fn chart_dir(dir: &Path, chart: &Node, globals: Option<&Node>) -> Option<PathBuf> {
    let name = text(chart, "name")?;
    let home = globals
        .and_then(|g| text(g, "chartHome"))
        .unwrap_or_else(|| "charts".into());
    Some(normalize(&dir.join(home).join(name)))
}

/// `helmCharts` of a kustomization rendered with plumbline's Helm renderer, as kustomize
/// v5.4.2's HelmChartInflationGenerator runs `helm template`: the chart is
/// `<chartHome>/<name>` (`helmGlobals.chartHome`, default `charts`, relative to the
/// kustomization); a chart kustomize would pull from `repo` is not checked (nothing is
/// fetched); `valuesFile` (default: the chart's own `values.yaml`) and `valuesInline` are
/// merged as `valuesMerge` says (`override`, the default: inline wins; `merge`: the file
/// wins; `replace`: inline only), then `additionalValuesFiles`; `releaseName` (or a
/// `nameTemplate` without actions; else Helm generates a name: unknown), `namespace`,
/// `includeCRDs`, `skipHooks`, `skipTests`, `apiVersions` and `kubeVersion`.
pub struct HelmCharts;

impl HelmRenderer for HelmCharts {
    fn render(
        &self,
        dir: &Path,
        chart: &Node,
        globals: Option<&Node>,
        files: &dyn Files,
    ) -> Result<HelmOutput, HelmFailure> {
        use crate::render::helm::{self, EnvSpec, InlineValues};
        use crate::render::{Environment, Severity};
        let (Some(name), Some(chart_dir)) = (text(chart, "name"), chart_dir(dir, chart, globals))
        else {
            return Err(HelmFailure::Invalid("chart name cannot be empty".into()));
        };
        let home = chart_dir.parent().unwrap_or(dir).to_path_buf();
        if !files.is_dir(&chart_dir) {
            return Err(match text(chart, "repo") {
                Some(repo) => HelmFailure::NotChecked(format!(
                    "helmCharts chart `{name}` is not in {} (kustomize would pull it from {repo})",
                    home.display()
                )),
                None => HelmFailure::Invalid(format!(
                    "no repo specified for pull, no chart found at '{}'",
                    chart_dir.display()
                )),
            });
        }
        let merge = text(chart, "valuesMerge").unwrap_or_else(|| "override".into());
        if !["override", "merge", "replace"].contains(&merge.as_str()) {
            return Err(HelmFailure::Invalid(
                "valuesMerge must be one of [merge override replace]".into(),
            ));
        }
        let file = text(chart, "valuesFile").map(|f| normalize(&dir.join(f)));
        let inline = chart
            .get("valuesInline")
            .filter(|v| v.as_map().is_some_and(|m| !m.is_empty()))
            .map(|v| (Arc::clone(&v.file), v.span));
        let mut values: Vec<PathBuf> = Vec::new();
        let mut inline_at = Vec::new();
        // The chart's own values.yaml as `-f` changes nothing: it is left out.
        let own = |p: &PathBuf| *p == chart_dir.join("values.yaml");
        match (merge.as_str(), inline) {
            ("replace", Some(v)) => inline_at.push((0, v)),
            ("merge", Some(v)) => {
                inline_at.push((0, v));
                values.extend(file.filter(|f| !own(f)));
            }
            (_, v) => {
                values.extend(file.filter(|f| !own(f)));
                if let Some(v) = v {
                    inline_at.push((values.len(), v));
                }
            }
        }
        for f in chart
            .get("additionalValuesFiles")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            if let Some(f) = f.as_str() {
                values.push(normalize(&dir.join(f)));
            }
        }
        let env = EnvSpec {
            environment: Environment {
                name: "default".into(),
                production: false,
            },
            values,
            set: Vec::new(),
            inline: inline_at
                .into_iter()
                .map(|(after, (file, span))| InlineValues { after, file, span })
                .collect(),
        };
        // `apiVersions` and `kubeVersion` are `--api-versions` and `--kube-version`; a version
        // Helm cannot parse fails the build, as Helm fails.
        let api_versions: Vec<String> = chart
            .get("apiVersions")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let capabilities = helm::capabilities(text(chart, "kubeVersion").as_deref(), &api_versions)
            .map_err(HelmFailure::Invalid)?;
        let opts = helm::Options {
            release_name: release_name(chart, &name),
            namespace: text(chart, "namespace").unwrap_or_else(|| "default".into()),
            include_crds: chart
                .get("includeCRDs")
                .and_then(Node::as_bool)
                .unwrap_or(false),
            capabilities,
            ..helm::Options::default()
        };
        let out = helm::render(files, &chart_dir, std::slice::from_ref(&env), &opts);
        let flag = |key: &str| chart.get(key).and_then(Node::as_bool).unwrap_or(false);
        let (skip_hooks, skip_tests) = (flag("skipHooks"), flag("skipTests"));
        let mut result = HelmOutput::default();
        for d in out
            .diagnostics
            .iter()
            .chain(out.environments.iter().flat_map(|e| &e.diagnostics))
        {
            match d.severity {
                Severity::Error | Severity::Limit => {
                    return Err(HelmFailure::Invalid(d.message.clone()));
                }
                Severity::NotChecked => result.notes.push((d.message.clone(), d.at.clone())),
                Severity::Warning => {}
            }
        }
        for e in out.environments {
            for doc in e.documents {
                let hook = doc
                    .node
                    .at(&["metadata", "annotations", "helm.sh/hook"])
                    .and_then(Node::as_str);
                // `--skip-tests` leaves out test hooks (`test`, and Helm 2's `test-success`;
                // Helm reads the events trimmed and in lower case).
                let test = hook.is_some_and(|h| {
                    h.split(',').any(|e| {
                        let e = e.trim();
                        e.eq_ignore_ascii_case("test") || e.eq_ignore_ascii_case("test-success")
                    })
                });
                if !(skip_hooks && hook.is_some() || skip_tests && test) {
                    result.docs.push(doc.node);
                }
            }
        }
        Ok(result)
    }
}

/// The release name: `releaseName`; else `nameTemplate`, which `helm template` renders with
/// no data (written without actions it is the name; with them, unknown); else the name
/// `--generate-name` makes up, unknown.
fn release_name(chart: &Node, name: &str) -> String {
    let unknown = crate::render::helm::template::UNKNOWN_TEXT;
    if let Some(r) = text(chart, "releaseName") {
        return r;
    }
    match text(chart, "nameTemplate") {
        Some(t) if !t.contains("{{") => t,
        Some(_) => unknown.to_string(),
        None => format!("{name}-{unknown}"),
    }
}
