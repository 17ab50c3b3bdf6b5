//! PORT022 container-missing-probes: a Kubernetes or Helm container that serves (declares
//! ports) but has no readiness probe, no liveness probe, or neither.

use crate::model::workload::Unresolved;
use crate::rules::workload::{ContainerReports, anchor, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct ContainerMissingProbes;

/// Workloads that run to completion: a probe-less batch container is normal.
const BATCH_KINDS: &[&str] = &["Job", "CronJob"];

impl Rule for ContainerMissingProbes {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let mut reports = ContainerReports::new();
        for c in ctx.doc.containers() {
            // Kubernetes only: ECS, Cloud Run and App Runner health checks have their own defaults.
            if !c.platform().is_kubernetes() {
                continue;
            }
            // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
            if c.is_unresolved(Unresolved::Ports) || c.is_unresolved(Unresolved::Probes) {
                continue;
            }
            if c.init || c.ports.is_empty() || BATCH_KINDS.contains(&c.owner.kind.as_str()) {
                continue;
            }
            let missing = match (&c.readiness, &c.liveness) {
                (Some(_), Some(_)) => continue,
                (None, None) => "no `readinessProbe` and no `livenessProbe`",
                (None, Some(_)) => "no `readinessProbe`",
                (Some(_), None) => "no `livenessProbe`",
            };
            let ports: Vec<String> = c
                .ports
                .iter()
                .filter_map(|p| p.number.as_ref().map(|n| n.value.to_string()))
                .collect();
            let serves = match ports.as_slice() {
                [] => "declares ports".to_string(),
                [one] => format!("serves port {one}"),
                many => format!("serves ports {}", many.join(", ")),
            };
            reports.add(
                c,
                anchor(c),
                format!("{} {serves} but has {missing}", describe(c)),
            );
        }
        reports.flush(sink);
    }
}
