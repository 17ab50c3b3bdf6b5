//! ROOT091 compose-runs-image-as-root: a Compose service runs an image that runs as root (its
//! Dockerfile, linked in the service graph, has no `USER` or a root one) and does not set
//! `user:` to override it. Kubernetes and Helm containers are ROOT020's: they need
//! `runAsNonRoot`/`runAsUser` whatever the image says.

use crate::finding::Related;
use crate::graph::Graph;
use crate::model::layer::LayerKind;
use crate::rules::{GraphSink, Rule};

pub struct ComposeRunsImageAsRoot;

impl Rule for ComposeRunsImageAsRoot {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let Some(image) = graph.image_of(svc) else {
                continue;
            };
            let Some(root) = &image.runs_as_root else {
                continue;
            };
            for (_, l) in graph.layers_of(svc) {
                if l.kind != LayerKind::Compose {
                    continue;
                }
                // `user: root` is ROOT010's; any other user overrides the image's.
                if l.user_override.is_some() {
                    continue;
                }
                let finding = sink.report_at(
                    &l.at,
                    format!(
                        "{} runs its image from {} as root: the image sets no non-root `USER` and the service sets no `user:`",
                        l.label, image.at.file.display_path
                    ),
                );
                finding.related.push(Related {
                    location: root.at.clone(),
                    message: root.value.clone(),
                });
            }
        }
    }
}
