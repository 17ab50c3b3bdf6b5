//! PORT013 compose-service-without-healthcheck: a Compose service that other services depend
//! on, or that publishes ports, has no health check at all — no `healthcheck:` and no
//! `HEALTHCHECK` in the image its Dockerfile builds.
//!
//! A cross-file rule (the image's `HEALTHCHECK` is in its Dockerfile, linked by the service
//! graph). A service someone waits on with `condition: service_healthy` is PORT011's; a
//! check turned off on purpose (`disable: true`, `HEALTHCHECK NONE`) is a decision.

use crate::rules::probe_port_alignment::{ComposeProjects, Health, dependants, environments};
use crate::rules::{GraphSink, Rule};

pub struct ComposeServiceWithoutHealthcheck;

impl Rule for ComposeServiceWithoutHealthcheck {
    fn check_graph(&self, graph: &crate::graph::Graph, sink: &mut GraphSink) {
        let compose = ComposeProjects::new(graph);
        for group in compose.groups() {
            for (name, i) in &group {
                if !matches!(compose.health(*i), Health::Unknown) {
                    continue;
                }
                let l = &graph.layers[*i];
                let dependants = dependants(graph, &group, name);
                // Waiting on `service_healthy` for a service with no check is PORT011's.
                if dependants
                    .iter()
                    .any(|(_, d)| d.condition.as_deref() == Some("service_healthy"))
                {
                    continue;
                }
                let service = l.at.text();
                let why = if !dependants.is_empty() {
                    let names: Vec<String> =
                        dependants.iter().map(|(n, _)| format!("`{n}`")).collect();
                    let names = match names.len() {
                        1 => names[0].clone(),
                        n if n <= 4 => {
                            format!("{} and {}", names[..n - 1].join(", "), names[n - 1])
                        }
                        n => format!("{} and {} more", names[..3].join(", "), n - 3),
                    };
                    let verb = if dependants.len() == 1 {
                        "depends"
                    } else {
                        "depend"
                    };
                    format!(
                        "yet {names} {verb} on it and can wait only until it has started, not until it is ready"
                    )
                } else if let Some(p) = &l.publishes {
                    format!(
                        "yet it publishes `{}`: Compose and `docker ps` show it running even when it does not answer",
                        p.text().trim().trim_start_matches("- ")
                    )
                } else {
                    continue;
                };
                let finding = sink.report_at(
                    &l.at,
                    format!(
                        "Service `{service}` has no health check (no `healthcheck:`, and no `HEALTHCHECK` in an image built here), {why}"
                    ),
                );
                finding.environments = environments(l);
                finding.related = dependants
                    .iter()
                    .take(5)
                    .map(|(n, d)| crate::finding::Related {
                        location: d.at.clone(),
                        message: format!("`{n}` depends on `{service}` here"),
                    })
                    .collect();
            }
        }
    }
}
