//! PORT090 service-ports-disagree: a deployment layer (Compose, Kubernetes, Helm,
//! Terraform) declares container ports none of which the image it runs exposes. The image's
//! `EXPOSE` is taken as what the service listens on; the layer that disagrees is reported,
//! with the `EXPOSE` lines as related locations.

use crate::graph::Graph;
use crate::model::layer::port_list;
use crate::rules::{GraphSink, Rule};

pub struct ServicePortsDisagree;

impl Rule for ServicePortsDisagree {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let Some(image) = graph
                .image_of(svc)
                .filter(|l| l.ports_known && !l.ports.is_empty())
            else {
                continue;
            };
            for (_, layer) in graph.layers_of(svc) {
                if !layer.kind.deploys() || !layer.ports_known || layer.ports.is_empty() {
                    continue;
                }
                if layer
                    .ports
                    .iter()
                    .any(|p| image.ports.iter().any(|e| e.value == p.value))
                {
                    continue;
                }
                // Helm environments that share the value share the origin: one finding.
                let finding = sink.report_at(
                    &layer.ports[0].at,
                    format!(
                        "{} declares port {}, but the image it runs ({}) exposes {}: one of the two is stale",
                        layer.label,
                        port_list(&layer.ports),
                        image.at.file.display_path,
                        port_list(&image.ports)
                    ),
                );
                finding.related = image
                    .ports
                    .iter()
                    .map(|e| crate::finding::Related {
                        location: e.at.clone(),
                        message: format!("`EXPOSE {}` in the image", e.value),
                    })
                    .collect();
            }
        }
    }
}
