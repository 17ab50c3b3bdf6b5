//! PORT020 probe-port-undeclared: a Kubernetes or Helm container probe whose port is a name
//! no `containerPort` has (the kubelet refuses the pod), or a number that is not one of the
//! ports the container declares.

use crate::model::workload::Unresolved;
use crate::model::workload::{Container, PortRef, Probe, is_templated};
use crate::rules::workload::{ContainerReports, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct ProbePortUndeclared;

impl Rule for ProbePortUndeclared {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let mut reports = ContainerReports::new();
        for c in ctx.doc.containers() {
            // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
            if c.is_unresolved(Unresolved::Ports) || c.is_unresolved(Unresolved::Probes) {
                continue;
            }
            for (key, probe) in [
                ("livenessProbe", &c.liveness),
                ("readinessProbe", &c.readiness),
                ("startupProbe", &c.startup),
            ] {
                if let Some(probe) = probe {
                    check(c, key, probe, &mut reports);
                }
            }
        }
        reports.flush(sink);
    }
}

fn check(c: &Container, key: &str, probe: &Probe, reports: &mut ContainerReports) {
    let Some(port) = probe.port() else { return };
    let declared = declared(c);
    let message = match &port.value {
        PortRef::Name(name) => {
            // A name we cannot read may be the one the probe uses.
            let unknown = c
                .ports
                .iter()
                .any(|p| p.name.as_ref().is_some_and(|n| is_templated(&n.value)));
            if unknown
                || c.ports
                    .iter()
                    .any(|p| p.name.as_ref().is_some_and(|n| &n.value == name))
            {
                return;
            }
            if c.ports.is_empty() {
                format!(
                    "{} has a `{key}` on port `{name}`, but the container declares no ports, so the kubelet cannot resolve the name",
                    describe(c)
                )
            } else {
                format!(
                    "{} has a `{key}` on port `{name}`, but no `containerPort` is named `{name}` (declared: {declared})",
                    describe(c)
                )
            }
        }
        PortRef::Number(n) => {
            // Probing an undeclared number works (declaring ports is informational), so it
            // is only a sign of drift when the container serves a single port: with several,
            // a separate health port (the OpenTelemetry Collector's 13133) is a design.
            if c.ports.len() != 1
                || c.ports.iter().any(|p| p.number.is_none())
                || c.ports
                    .iter()
                    .any(|p| p.number.as_ref().is_some_and(|x| x.value == *n))
            {
                return;
            }
            format!(
                "{} has a `{key}` on port {n}, which is not a port the container declares (declared: {declared})",
                describe(c)
            )
        }
    };
    let pending = reports.add(c, &port.at, message);
    for p in &c.ports {
        pending.related(
            p.number.as_ref().map_or(&p.at, |n| &n.at),
            "declared container port",
        );
    }
}

/// The declared ports for a message: `8080 (http), 9090`.
fn declared(c: &Container) -> String {
    c.ports
        .iter()
        .map(|p| {
            let number = p
                .number
                .as_ref()
                .map_or_else(|| "?".to_string(), |n| n.value.to_string());
            match &p.name {
                Some(name) => format!("{number} (`{}`)", name.value),
                None => number,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
