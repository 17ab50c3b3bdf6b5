//! ROOT092 run-as-user-differs: a deployment's `runAsUser` is not the numeric `USER` its image
//! was built for. Informational: running under another UID works only if the image's files
//! are readable and writable by that UID too, which is worth knowing, not always wrong.

use crate::finding::Related;
use crate::graph::Graph;
use crate::rules::{GraphSink, Rule};

pub struct RunAsUserDiffers;

impl Rule for RunAsUserDiffers {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let Some(image) = graph.image_of(svc) else {
                continue;
            };
            let Some(user) = &image.user else { continue };
            let Ok(uid) = user
                .value
                .split(':')
                .next()
                .unwrap_or_default()
                .parse::<i64>()
            else {
                continue;
            };
            for (_, l) in graph.layers_of(svc) {
                let Some(run_as) = &l.run_as_user else {
                    continue;
                };
                if run_as.value == uid || run_as.value == 0 {
                    continue;
                }
                let finding = sink.report_at(
                    &run_as.at,
                    format!(
                        "{} runs as UID {}, but its image ({}) was built to run as `USER {}`: files the image gives to {uid} may not be writable",
                        l.label, run_as.value, image.at.file.display_path, user.value
                    ),
                );
                finding.related.push(Related {
                    location: user.at.clone(),
                    message: format!("`USER {}`", user.value),
                });
            }
        }
    }
}
