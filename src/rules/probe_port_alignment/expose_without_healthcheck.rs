//! PORT001 expose-without-healthcheck: the final image serves (`EXPOSE`) but defines no
//! `HEALTHCHECK`, and Docker or Compose may run it.
//!
//! A cross-file rule: an image the service graph shows deployed only by Kubernetes, Helm,
//! Terraform `kubernetes_*` workloads or Azure Container Apps (which ignore `HEALTHCHECK` and
//! use probes, PORT022's business) is not told to add one, nor is one whose Compose services
//! all have their own `healthcheck:`. A Compose service with no check at all that others
//! depend on or that publishes ports is PORT013's. An image nothing deploys is reported:
//! `docker run` is how it runs.

use std::collections::HashSet;

use crate::graph::Graph;
use crate::model::layer::{Layer, LayerKind};
use crate::rules::{GraphSink, Rule};

pub struct ExposeWithoutHealthcheck;

impl Rule for ExposeWithoutHealthcheck {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        let waited = Waited::new(graph);
        for svc in &graph.services {
            // azd deploys to Container Apps, App Service or AKS: none reads `HEALTHCHECK`.
            let deployers: Vec<LayerKind> = graph
                .layers_of(svc)
                .map(|(_, l)| l.kind)
                .filter(|k| k.deploys())
                .collect();
            // Only Docker and Compose read `HEALTHCHECK`; orchestrators use their probes.
            if !deployers.is_empty() && !deployers.contains(&LayerKind::Compose) {
                continue;
            }
            // Compose services with their own `healthcheck:` need none from the image; one
            // that others depend on or that publishes ports, with no check at all, is
            // PORT013's (a warning at the service, which either fix silences).
            let compose: Vec<usize> = graph
                .layers_of(svc)
                .filter(|(_, l)| l.kind == LayerKind::Compose)
                .map(|(i, _)| i)
                .collect();
            let own_check = |i: &usize| {
                let l = &graph.layers[*i];
                !l.probes.is_empty() || l.health_off.is_some()
            };
            let port013 = |i: &usize| {
                !own_check(i)
                    && (graph.layers[*i].publishes.is_some() || waited.on(&graph.layers[*i]))
            };
            if !compose.is_empty() && (compose.iter().all(own_check) || compose.iter().any(port013))
            {
                continue;
            }
            for (_, l) in graph.layers_of(svc) {
                // A variant (`Dockerfile.develop`, `Dockerfile.debug`) is a development image
                // beside the one that ships.
                if l.kind != LayerKind::Dockerfile
                    || crate::model::layers::is_variant_dockerfile(&l.at.file.path)
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

/// The Compose services something waits for: (document, environment, name in lower case) of
/// every `depends_on` entry, gathered once so that asking about each layer stays linear (a
/// scan of every layer per question was quadratic in a monorepo).
struct Waited<'g>(HashSet<(&'g str, Option<&'g str>, String)>);

impl<'g> Waited<'g> {
    fn new(graph: &'g Graph) -> Self {
        Waited(
            graph
                .layers
                .iter()
                .filter(|o| o.kind == LayerKind::Compose)
                .flat_map(|o| {
                    o.depends_on.iter().map(move |d| {
                        (
                            o.document.as_str(),
                            o.environment.as_deref(),
                            d.service.to_ascii_lowercase(),
                        )
                    })
                })
                .collect(),
        )
    }

    /// Whether a Compose service of the same document and environment depends on `l`.
    fn on(&self, l: &Layer) -> bool {
        let Some(name) = l.names.first() else {
            return false;
        };
        self.0.contains(&(
            l.document.as_str(),
            l.environment.as_deref(),
            name.to_ascii_lowercase(),
        ))
    }
}
