//! PORT013 compose-service-without-healthcheck: a Compose service that other services depend
//! on, or that publishes ports, has no health check at all — no `healthcheck:` and no
//! `HEALTHCHECK` in the image its Dockerfile builds.
//!
//! A cross-file rule (the image's `HEALTHCHECK` is in its Dockerfile, linked by the service
//! graph). A service someone waits on with `condition: service_healthy` is PORT011's; a
//! check turned off on purpose (`disable: true`, `HEALTHCHECK NONE`) is a decision. One
//! finding per service declaration, whatever the number of environments (Compose variants)
//! that hold it.

use std::collections::BTreeMap;

use crate::rules::probe_port_alignment::{ComposeProjects, Dependants, Health};
use crate::rules::{GraphSink, Rule};
use crate::source::Origin;

pub struct ComposeServiceWithoutHealthcheck;

/// What the environments holding one service declaration say about it.
#[derive(Default)]
struct Seen {
    layer: usize,
    environments: Vec<String>,
    /// Dependants by name, with their `depends_on` entry.
    dependants: BTreeMap<String, Origin>,
    publishes: bool,
}

impl Rule for ComposeServiceWithoutHealthcheck {
    fn check_graph(&self, graph: &crate::graph::Graph, sink: &mut GraphSink) {
        let compose = ComposeProjects::new(graph);
        let mut seen: BTreeMap<(String, usize, usize), Seen> = BTreeMap::new();
        for group in compose.groups() {
            let dependants = Dependants::new(graph, &group);
            for (name, i) in &group {
                if !matches!(compose.health(*i), Health::Unknown) {
                    continue;
                }
                let l = &graph.layers[*i];
                let waiting = dependants.of(name);
                // Waiting on `service_healthy` for a service with no check is PORT011's.
                if waiting
                    .iter()
                    .any(|(_, d)| d.condition.as_deref() == Some("service_healthy"))
                {
                    continue;
                }
                if waiting.is_empty() && l.publishes.is_none() {
                    continue;
                }
                let s = seen
                    .entry((
                        l.at.file.display_path.clone(),
                        l.at.span.start,
                        l.at.span.end,
                    ))
                    .or_insert_with(|| Seen {
                        layer: *i,
                        ..Seen::default()
                    });
                if let Some(e) = &l.environment
                    && !s.environments.contains(e)
                {
                    s.environments.push(e.clone());
                }
                for (n, d) in waiting {
                    s.dependants.entry(n.to_string()).or_insert(d.at.clone());
                }
                s.publishes |= l.publishes.is_some();
            }
        }
        for s in seen.into_values() {
            let l = &graph.layers[s.layer];
            let service = l.at.text();
            let why = if s.dependants.is_empty() {
                "yet it publishes ports: Compose and `docker ps` show it running even when it does not answer".to_string()
            } else {
                let names: Vec<String> = s.dependants.keys().map(|n| format!("`{n}`")).collect();
                let names = match names.len() {
                    1 => names[0].clone(),
                    n if n <= 4 => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
                    n => format!("{} and {} more", names[..3].join(", "), n - 3),
                };
                let verb = if s.dependants.len() == 1 {
                    "depends"
                } else {
                    "depend"
                };
                format!(
                    "yet {names} {verb} on it and can wait only until it has started, not until it is ready"
                )
            };
            let finding = sink.report_at(
                &l.at,
                format!(
                    "Service `{service}` has no health check (no `healthcheck:`, and no `HEALTHCHECK` in an image built here), {why}"
                ),
            );
            finding.environments = s.environments;
            finding.related = s
                .dependants
                .iter()
                .take(5)
                .map(|(n, at)| crate::finding::Related {
                    location: at.clone(),
                    message: format!("`{n}` depends on `{service}` here"),
                })
                .collect();
        }
    }
}
