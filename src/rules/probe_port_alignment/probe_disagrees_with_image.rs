//! PORT091 probe-disagrees-with-image: a deployment's health check or probe (Compose
//! `healthcheck`, Kubernetes/Helm liveness, readiness or startup probe) targets a port the
//! image does not `EXPOSE`, or an HTTP path other than the one the image's own `HEALTHCHECK`
//! uses on that port. The layer that disagrees is reported at its probe, with the image's
//! `EXPOSE` or `HEALTHCHECK` as related.

use crate::finding::Related;
use crate::graph::Graph;
use crate::model::layer::port_list;
use crate::rules::{GraphSink, Rule};

pub struct ProbeDisagreesWithImage;

impl Rule for ProbeDisagreesWithImage {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let Some(image) = graph.image_of(svc) else {
                continue;
            };
            let image_check = image.probes.first();
            for (_, layer) in graph.layers_of(svc) {
                if !layer.kind.deploys() {
                    continue;
                }
                let exposes = |p: u16| image.ports.iter().any(|e| e.value == p);
                for probe in &layer.probes {
                    let Some(port) = probe.port else { continue };
                    // A layer that declares ports has its probe ports judged against them
                    // (PORT020) and its ports against the image (PORT090).
                    if image.ports_known
                        && !image.ports.is_empty()
                        && layer.ports.is_empty()
                        && !exposes(port)
                    {
                        let finding = sink.report_at(
                            &probe.at,
                            format!(
                                "The {} probe of {} targets port {port}, which its image ({}) does not expose (it exposes {})",
                                probe.kind,
                                layer.label,
                                image.at.file.display_path,
                                port_list(&image.ports)
                            ),
                        );
                        finding.related = image
                            .ports
                            .iter()
                            .map(|e| Related {
                                location: e.at.clone(),
                                message: format!("`EXPOSE {}`", e.value),
                            })
                            .collect();
                        continue;
                    }
                    let Some(check) = image_check else { continue };
                    let (Some(path), Some(check_path), Some(check_port)) =
                        (&probe.path, &check.path, check.port)
                    else {
                        continue;
                    };
                    if check_port == port && !same_path(path, check_path) {
                        let finding = sink.report_at(
                            &probe.at,
                            format!(
                                "The {} probe of {} checks `{path}`, but the image's `HEALTHCHECK` checks `{check_path}` on the same port",
                                probe.kind, layer.label
                            ),
                        );
                        finding.related.push(Related {
                            location: check.at.clone(),
                            message: format!("the image's `HEALTHCHECK` checks `{check_path}`"),
                        });
                    }
                }
            }
        }
    }
}

/// `/health` and `/health/` are one endpoint.
fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}
