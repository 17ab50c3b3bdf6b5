//! SEC090 secret-handling-drift: one service reads an environment variable from a secret
//! store in one layer (`valueFrom.secretKeyRef`, a Container Apps `secretRef`, a `@secure()`
//! Bicep param) and has it written as a literal in another (a Compose `environment:` value, a
//! manifest's `value:`). The layer that treats it as a secret says
//! it is one; the literal is where it leaks.

use std::collections::HashMap;

use crate::finding::{Related, mask_secret};
use crate::graph::Graph;
use crate::model::layer::{EnvFact, EnvHandling, Layer};
use crate::model::secret::is_placeholder;
use crate::rules::{GraphSink, Rule};

pub struct SecretHandlingDrift;

impl Rule for SecretHandlingDrift {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let layers: Vec<_> = graph.layers_of(svc).map(|(_, l)| l).collect();
            // The first layer (and entry) that reads each name from a secret store, indexed
            // once: comparing every variable with every other was quadratic (40,000
            // variables in one Compose file took 15 s).
            let mut from_store: HashMap<&str, (&Layer, &EnvFact)> = HashMap::new();
            for o in &layers {
                for x in o.env.iter().filter(|x| x.handling == EnvHandling::Secret) {
                    from_store.entry(x.name.as_str()).or_insert((o, x));
                }
            }
            if from_store.is_empty() {
                continue;
            }
            for l in &layers {
                for e in &l.env {
                    let EnvHandling::Literal(value) = &e.handling else {
                        continue;
                    };
                    if is_placeholder(value) {
                        continue;
                    }
                    let Some((secret_layer, secret)) = from_store.get(e.name.as_str()) else {
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
