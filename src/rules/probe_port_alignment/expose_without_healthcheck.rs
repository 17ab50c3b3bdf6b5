//! PORT001 expose-without-healthcheck: the final image serves (`EXPOSE`) but defines no
//! `HEALTHCHECK`, and Docker or Compose may run it.
//!
//! A cross-file rule: an image the service graph shows deployed only by Kubernetes, Helm,
//! Terraform `kubernetes_*` workloads or Azure Container Apps (which ignore `HEALTHCHECK` and
//! use probes, PORT022's business) is not told to add one. An image nothing deploys is
//! reported: `docker run` is how it runs.

use crate::graph::Graph;
use crate::model::layer::LayerKind;
use crate::rules::{GraphSink, Rule};

pub struct ExposeWithoutHealthcheck;

impl Rule for ExposeWithoutHealthcheck {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let deployers: Vec<LayerKind> = graph
                .layers_of(svc)
                .map(|(_, l)| l.kind)
                .filter(|k| k.deploys() && *k != LayerKind::Azd)
                .collect();
            // Only Docker and Compose read `HEALTHCHECK`; orchestrators use their probes.
            if !deployers.is_empty() && !deployers.contains(&LayerKind::Compose) {
                continue;
            }
            for (_, l) in graph.layers_of(svc) {
                if l.kind != LayerKind::Dockerfile
                    || l.health_off.is_some()
                    || l.probes.iter().any(|p| p.kind == "HEALTHCHECK")
                {
                    continue;
                }
                let Some(expose) = &l.expose else { continue };
                let runs = if deployers.is_empty() {
                    "Docker"
                } else {
                    "Compose"
                };
                sink.report_at(
                    expose,
                    format!(
                        "The image serves (`{}`) but has no `HEALTHCHECK`, so {runs} cannot tell a hung service from a healthy one",
                        expose.text().lines().next().unwrap_or("EXPOSE").trim()
                    ),
                );
            }
        }
    }
}
