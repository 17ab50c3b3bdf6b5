//! ROOT090 run-as-non-root-unverifiable: a deployment sets `runAsNonRoot: true` without a
//! numeric `runAsUser`, and the image it runs has a `USER` given by name, or no `USER`
//! (root). The kubelet cannot prove a user name is not root, so it refuses to start the
//! container (`CreateContainerConfigError: container has runAsNonRoot and image has
//! non-numeric user`), and an image that runs as root fails the check outright.

use crate::graph::Graph;
use crate::model::dockerfile::is_root_user;
use crate::rules::{GraphSink, Rule};

pub struct RunAsNonRootUnverifiable;

impl Rule for RunAsNonRootUnverifiable {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let Some(image) = graph.image_of(svc) else {
                continue;
            };
            for (_, layer) in graph.layers_of(svc) {
                let Some(non_root) = &layer.run_as_non_root else {
                    continue;
                };
                if !non_root.value || layer.run_as_user.is_some() {
                    continue;
                }
                // Helm environments that share the value share the origin: one finding.
                let (problem, related) = match &image.user {
                    Some(u) if is_root_user(&u.value) => (
                        format!(
                            "its image from {} runs as `{}`, so the kubelet refuses to start it",
                            image.at.file.display_path, u.value
                        ),
                        (u.at.clone(), format!("`USER {}`", u.value)),
                    ),
                    Some(u)
                        if !u
                            .value
                            .split(':')
                            .next()
                            .unwrap_or_default()
                            .chars()
                            .all(|c| c.is_ascii_digit()) =>
                    {
                        (
                            format!(
                                "its image from {} sets `USER {}`, a name the kubelet cannot verify is not root, so it refuses to start the container; use a numeric `USER` (e.g. `USER 10001`) or set `runAsUser`",
                                image.at.file.display_path, u.value
                            ),
                            (u.at.clone(), format!("`USER {}` is a name", u.value)),
                        )
                    }
                    Some(_) => continue,
                    None => (
                        format!(
                            "its image from {} has no `USER` and runs as root (unless its base sets a user), so the kubelet refuses to start it; set `runAsUser` or a numeric `USER`",
                            image.at.file.display_path
                        ),
                        (
                            image.at.clone(),
                            "the final stage sets no `USER`".to_string(),
                        ),
                    ),
                };
                let finding = sink.report_at(
                    &non_root.at,
                    format!(
                        "{} sets `runAsNonRoot: true` without `runAsUser`, but {problem}",
                        layer.label
                    ),
                );
                finding.related.push(crate::finding::Related {
                    location: related.0,
                    message: related.1,
                });
            }
        }
    }
}
