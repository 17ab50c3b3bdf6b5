//! RES090 compose-memory-above-production: a service's Compose file lets it use far more
//! memory (over twice as much) than a production layer of the same service grants (a Helm
//! production environment, Bicep, Terraform). Informational: local runs and tests then never
//! meet the limit production enforces, and out-of-memory kills are first seen in production.

use crate::finding::Related;
use crate::graph::Graph;
use crate::model::layer::LayerKind;
use crate::rules::{GraphSink, Rule};

pub struct ComposeMemoryAboveProduction;

fn human(bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    if bytes >= GIB && bytes.is_multiple_of(GIB / 4) {
        format!("{} GiB", bytes as f64 / GIB as f64)
    } else if bytes >= MIB {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

impl Rule for ComposeMemoryAboveProduction {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            let layers: Vec<_> = graph.layers_of(svc).map(|(_, l)| l).collect();
            // The tightest production limit of the service.
            let Some((prod, limit)) = layers
                .iter()
                .filter(|l| l.production)
                .filter_map(|l| Some((*l, l.memory_limit.as_ref()?)))
                .min_by_key(|(_, m)| m.value)
            else {
                continue;
            };
            for l in layers.iter().filter(|l| l.kind == LayerKind::Compose) {
                let Some(local) = &l.memory_limit else {
                    continue;
                };
                if local.value <= limit.value.saturating_mul(2) {
                    continue;
                }
                let env = prod
                    .environment
                    .as_ref()
                    .map_or(String::new(), |e| format!(" ({e})"));
                let finding = sink.report_at(
                    &local.at,
                    format!(
                        "{} may use {} of memory, but {}{env} grants {} in production: local runs never meet the limit production enforces",
                        l.label,
                        human(local.value),
                        prod.label,
                        human(limit.value)
                    ),
                );
                finding.related.push(Related {
                    location: limit.at.clone(),
                    message: format!("production's memory limit, {}", human(limit.value)),
                });
            }
        }
    }
}
