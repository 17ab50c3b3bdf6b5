//! PORT014 compose-depends-on-without-condition: `depends_on` names a service that has a
//! health check, but without `condition: service_healthy`, so Compose starts the dependant as
//! soon as its dependency's container has started, before the dependency is ready.
//!
//! A cross-file rule: the dependency's check may be its own `healthcheck:` or the
//! `HEALTHCHECK` of the image its Dockerfile builds.

use crate::rules::probe_port_alignment::{ComposeProjects, Health, environments};
use crate::rules::{GraphSink, Rule};

pub struct ComposeDependsOnWithoutCondition;

impl Rule for ComposeDependsOnWithoutCondition {
    fn check_graph(&self, graph: &crate::graph::Graph, sink: &mut GraphSink) {
        let compose = ComposeProjects::new(graph);
        for group in compose.groups() {
            for i in group.values() {
                let l = &graph.layers[*i];
                for d in l.depends_on.iter().filter(|d| d.condition.is_none()) {
                    let Some(target) = group.get(d.service.to_ascii_lowercase().as_str()) else {
                        continue;
                    };
                    let (check, what) = match compose.health(*target) {
                        Health::Compose(at) => (at, "its `healthcheck:`"),
                        Health::Image(at) => (at, "the `HEALTHCHECK` of its image"),
                        Health::Off(_) | Health::Unknown => continue,
                    };
                    let service = l.at.text();
                    let finding = sink.report_at(
                        &d.at,
                        format!(
                            "Service `{service}` depends on `{}` without a condition, so it starts as soon as `{}` has started, before it is ready; `{}` has a health check: use `condition: service_healthy`",
                            d.service, d.service, d.service
                        ),
                    );
                    finding.environments = environments(l);
                    finding.related = vec![crate::finding::Related {
                        location: check.clone(),
                        message: format!("`{}` is checked by {what} here", d.service),
                    }];
                }
            }
        }
    }
}
