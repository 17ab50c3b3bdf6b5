//! PORT011 compose-depends-on-healthy-without-healthcheck: `depends_on` waits for a service
//! to be healthy, but nothing gives that service a health check (or it is turned off).
//!
//! A cross-file rule: the service's own `healthcheck:` or the `HEALTHCHECK` of the image its
//! Dockerfile builds (linked by the service graph) both count. A service defined in another
//! `-f` file is not ours to judge.

use crate::rules::probe_port_alignment::{ComposeProjects, Health, environments};
use crate::rules::{GraphSink, Rule};

pub struct ComposeDependsOnHealthyWithoutHealthcheck;

impl Rule for ComposeDependsOnHealthyWithoutHealthcheck {
    fn check_graph(&self, graph: &crate::graph::Graph, sink: &mut GraphSink) {
        let compose = ComposeProjects::new(graph);
        for group in compose.groups() {
            for i in group.values() {
                let l = &graph.layers[*i];
                let service = l.at.text();
                for d in &l.depends_on {
                    if d.condition.as_deref() != Some("service_healthy") {
                        continue;
                    }
                    let Some(target) = group.get(d.service.to_ascii_lowercase().as_str()) else {
                        continue;
                    };
                    let t = &graph.layers[*target];
                    let (message, related) = match compose.health(*target) {
                        Health::Unknown => (
                            format!(
                                "Service `{service}` waits for `{}` to be healthy, but `{}` has no `healthcheck`; Compose fails unless its image defines a `HEALTHCHECK`",
                                d.service, d.service
                            ),
                            (t.at.clone(), format!("`{}` is defined here", d.service)),
                        ),
                        Health::Off(at) => (
                            format!(
                                "Service `{service}` waits for `{}` to be healthy, but the health check of `{}` is disabled, so it never becomes healthy",
                                d.service, d.service
                            ),
                            (at.clone(), "the health check is disabled here".to_string()),
                        ),
                        Health::Compose(_) | Health::Image(_) => continue,
                    };
                    let finding = sink.report_at(d.condition_at.as_ref().unwrap_or(&d.at), message);
                    finding.environments = environments(l);
                    finding.related = vec![crate::finding::Related {
                        location: related.0,
                        message: related.1,
                    }];
                }
            }
        }
    }
}
