//! SEC090 secret-handling-drift: one service reads an environment variable from a secret
//! store in one layer (`valueFrom.secretKeyRef`, a Container Apps `secretRef`, a `@secure()`
//! Bicep param) and has it written as a literal in another (a Compose `environment:` value, a
//! manifest's `value:`). The layer that treats it as a secret says
//! it is one; the literal is where it leaks.

use crate::finding::{Related, mask_secret};
use crate::graph::Graph;
use crate::model::layer::EnvHandling;
use crate::model::secret::is_placeholder;
use crate::rules::{GraphSink, Rule};

pub struct SecretHandlingDrift;

impl Rule for SecretHandlingDrift {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let layers: Vec<_> = graph.layers_of(svc).map(|(_, l)| l).collect();
            for l in &layers {
                for e in &l.env {
                    let EnvHandling::Literal(value) = &e.handling else {
                        continue;
                    };
                    if is_placeholder(value) {
                        continue;
                    }
                    let Some((secret_layer, secret)) = layers.iter().find_map(|o| {
                        o.env
                            .iter()
                            .find(|x| x.name == e.name && x.handling == EnvHandling::Secret)
                            .map(|x| (o, x))
                    }) else {
                        continue;
                    };
                    let finding = sink.report_at(
                        &e.at,
                        format!(
                            "{} sets `{}` to a literal (`{}`), but {} reads it from a secret store: it is a secret, written here in clear text",
                            l.label,
                            e.name,
                            mask_secret(value),
                            secret_layer.label
                        ),
                    );
                    finding.secrets.push(e.at.span);
                    finding.related.push(Related {
                        location: secret.at.clone(),
                        message: format!("`{}` comes from a secret store here", e.name),
                    });
                }
            }
        }
    }
}
