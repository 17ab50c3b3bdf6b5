//! RES020 container-missing-resources: a Kubernetes or Helm container without CPU and memory
//! requests and limits. For a Helm chart that has a production environment, only production
//! environments are checked: a base `values.yaml` meant for development may leave them out.

use crate::model::Document;
use crate::model::workload::{Container, Unresolved, is_templated};
use crate::rules::workload::{ContainerReports, anchor, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct ContainerMissingResources;

impl Rule for ContainerMissingResources {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let containers = ctx.doc.containers();
        let has_production = containers
            .iter()
            .any(|c| c.environment.as_ref().is_some_and(|e| e.production))
            || matches!(ctx.doc, Document::HelmRender(r)
                if r.chart_environments.iter().any(|e| ctx.config.is_production(e)));
        let mut reports = ContainerReports::new();
        for c in containers {
            // Kubernetes only: cloud services bound CPU and memory by default.
            if !c.platform().is_kubernetes() {
                continue;
            }
            if has_production && c.environment.as_ref().is_some_and(|e| !e.production) {
                continue;
            }
            // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
            if c.is_unresolved(Unresolved::Resources) {
                continue;
            }
            check(c, &mut reports);
        }
        reports.flush(sink);
    }
}

fn check(c: &Container, reports: &mut ContainerReports) {
    let r = &c.resources;
    // A request left out defaults to its limit, so only a request without a limit is
    // missing.
    let missing: Vec<&str> = [
        (
            r.requests_cpu.is_some() || r.limits_cpu.is_some(),
            "CPU request",
        ),
        (
            r.requests_memory.is_some() || r.limits_memory.is_some(),
            "memory request",
        ),
        (r.limits_cpu.is_some(), "CPU limit"),
        (r.limits_memory.is_some(), "memory limit"),
    ]
    .into_iter()
    .filter(|(set, _)| !set)
    .map(|(_, what)| what)
    .collect();
    if missing.is_empty() {
        return;
    }
    // A patch that removed the base's block is what the user must edit.
    let removed = c.removed("resources").filter(|_| r.at.is_none());
    let at = match (&r.at, removed) {
        // A templated `resources:` block (`${RESOURCES}`) is unknown, not empty.
        (Some(at), _) if missing.len() == 4 && is_templated(at.text()) => return,
        (Some(at), _) => at,
        (None, Some(removed)) => &removed.at,
        (None, None) => anchor(c),
    };
    let what = if r.at.is_none() {
        "no `resources`: no CPU or memory requests or limits".to_string()
    } else {
        format!("no {}", join_or(&missing))
    };
    let report = reports.add(c, at, format!("{} has {what}", describe(c)));
    if let Some(removed) = removed {
        report.related(
            &removed.was,
            "the base's `resources`, which this patch removes",
        );
    }
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalogue::meta;
    use crate::model::workload::{Environment, Owner, Spanned};
    use crate::model::{Document, helm};
    use crate::source::{Format, Origin, SourceFile, Span};

    /// A chart rendered in each of `envs` (one document per environment, as the engine
    /// builds them), its container `api` without resources in each, at the same values line.
    /// Which are production is the default config's call (`production` is).
    fn chart(envs: &[(&str, bool)]) -> (Arc<SourceFile>, Vec<Document>) {
        let file = Arc::new(SourceFile::in_memory(
            "values.yaml",
            Format::HelmValues,
            "api:\n  image: x\n",
        ));
        let at = Origin::new(&file, Span::new(0, 3));
        let names: Vec<String> = envs.iter().map(|(n, _)| (*n).to_string()).collect();
        let docs = envs
            .iter()
            .map(|(name, production)| {
                let environment = Environment {
                    name: (*name).into(),
                    production: *production,
                };
                let container = Container {
                    environment: Some(environment.clone()),
                    name: Some(Spanned::new("api".into(), at.clone())),
                    ..Container::new(
                        Owner {
                            kind: "Deployment".into(),
                            name: "api".into(),
                            pod_labels: Vec::new(),
                            at: at.clone(),
                        },
                        at.clone(),
                    )
                };
                let mut r = helm::rendered::Rendered {
                    dir: "chart".into(),
                    chart: "shop".into(),
                    environment,
                    chart_environments: names.clone(),
                    manifests: crate::model::kubernetes::Manifests::default(),
                    written_by: Vec::new(),
                    diagnostics: Vec::new(),
                };
                r.manifests.containers.push(container);
                Document::HelmRender(Box::new(r))
            })
            .collect();
        (file, docs)
    }

    fn messages(file: &Arc<SourceFile>, docs: &[Document]) -> Vec<String> {
        let mut findings = Vec::new();
        for doc in docs {
            let ctx = FileContext {
                file,
                doc,
                dockerignore: None,
                context_has_git: false,
                build_context: None,
                config: &crate::config::Config::default(),
            };
            let mut sink = Sink::new(meta("RES020").expect("RES020 is catalogued"), file);
            ContainerMissingResources.check_file(&ctx, &mut sink);
            let mut found = sink.into_findings();
            // As the engine does for a rendered environment.
            let Document::HelmRender(r) = doc else {
                unreachable!("only renders here")
            };
            for f in found.iter_mut().filter(|f| f.environments.is_empty()) {
                f.environments.push(r.environment.name.clone());
            }
            findings.extend(found);
        }
        // The engine names the environments once findings from every unit are merged.
        crate::finding::merge_environments(&mut findings);
        findings.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn only_production_environments_when_the_chart_has_one() {
        let (file, doc) = chart(&[("default", false), ("dev", false), ("production", true)]);
        assert_eq!(
            messages(&file, &doc),
            [
                "Container `api` of Deployment `api` has no `resources`: no CPU or memory requests or limits (environment: production)"
            ]
        );
    }

    #[test]
    fn every_environment_otherwise_merged_into_one_finding() {
        let (file, doc) = chart(&[("default", false), ("staging", false)]);
        assert_eq!(
            messages(&file, &doc),
            [
                "Container `api` of Deployment `api` has no `resources`: no CPU or memory requests or limits (environments: default, staging)"
            ]
        );
    }
}
