//! PORT092 image-healthcheck-not-deployed: the image defines a `HEALTHCHECK`, but a
//! Kubernetes or Helm container running it has no readiness probe. Kubernetes ignores
//! `HEALTHCHECK`: the check the image's author wrote never runs, and traffic reaches the pod
//! before it is ready. Containers that declare ports are PORT022's (missing probes) already.

use crate::finding::Related;
use crate::graph::Graph;
use crate::model::layer::LayerKind;
use crate::rules::{GraphSink, Rule};

pub struct ImageHealthcheckNotDeployed;

impl Rule for ImageHealthcheckNotDeployed {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let Some(image) = graph.image_of(svc) else {
                continue;
            };
            let Some(check) = image.probes.first() else {
                continue;
            };
            for (_, l) in graph.layers_of(svc) {
                if !matches!(
                    l.kind,
                    LayerKind::Kubernetes | LayerKind::Helm | LayerKind::Terraform
                ) || !l.ports.is_empty()
                    || !l.ports_known
                    || l.probes.iter().any(|p| p.kind == "readiness")
                {
                    continue;
                }
                let finding = sink.report_at(
                    &l.at,
                    format!(
                        "{} has no readiness probe, but its image ({}) defines a `HEALTHCHECK`, which Kubernetes ignores: turn it into a readiness probe",
                        l.label, image.at.file.display_path
                    ),
                );
                finding.related.push(Related {
                    location: check.at.clone(),
                    message: "the image's `HEALTHCHECK`".into(),
                });
            }
        }
    }
}
