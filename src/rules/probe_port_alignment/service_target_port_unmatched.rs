//! PORT021 service-target-port-unmatched: a Kubernetes Service whose `targetPort` (a number,
//! a name, or by default its `port`) matches no port of the containers of the pods it selects
//! in the same file (for Terraform, the same module). Traffic to the Service then goes nowhere.

use crate::model::Document;
use crate::model::kubernetes::{Service, TargetPort};
use crate::model::workload::{Container, PortRef, Spanned, is_templated};
use crate::rules::workload::spelled_for;
use crate::rules::{FileContext, Rule, Sink};

pub struct ServiceTargetPortUnmatched;

impl Rule for ServiceTargetPortUnmatched {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let (services, containers) = match (ctx.doc.manifests(), ctx.doc) {
            (Some(m), _) => (&m.services, &m.containers),
            // `kubernetes_service(_v1)` and the `kubernetes_*` workloads of one module.
            (None, Document::Terraform(m)) => (&m.services, &m.containers),
            _ => return,
        };
        for svc in services {
            check(svc, containers, sink);
        }
    }
}

fn check(svc: &Service, containers: &[Container], sink: &mut Sink<'_>) {
    if svc.selector.is_empty() {
        return;
    }
    let selected: Vec<&Container> = containers
        .iter()
        .filter(|c| !c.init && selects(&svc.selector, &c.owner.pod_labels))
        .collect();
    let ports: Vec<_> = selected.iter().flat_map(|c| &c.ports).collect();
    // Only when the selected pods say which ports they serve, and say it readably.
    if ports.is_empty()
        || ports
            .iter()
            .any(|p| p.number.is_none() || p.name.as_ref().is_some_and(|n| is_templated(&n.value)))
    {
        return;
    }
    // Sorted and each named once: the message does not depend on the order of files or of
    // a chart's rendered documents (Helm sorts its output; a file listing need not).
    let mut workloads: Vec<(&str, &str)> = selected
        .iter()
        .map(|c| (c.owner.kind.as_str(), c.owner.name.as_str()))
        .collect();
    workloads.sort_unstable();
    workloads.dedup();
    let workloads = workloads
        .iter()
        .map(|(kind, name)| format!("{kind} `{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut declared: Vec<(u16, Option<&str>)> = ports
        .iter()
        .filter_map(|p| {
            Some((
                p.number.as_ref()?.value,
                p.name.as_ref().map(|n| n.value.as_str()),
            ))
        })
        .collect();
    declared.sort_unstable();
    declared.dedup();
    let declared = declared
        .iter()
        .map(|(n, name)| match name {
            Some(name) => format!("{n} (`{name}`)"),
            None => n.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let name = svc.name.as_ref().map_or_else(
        || "A Service".to_string(),
        |n| format!("Service `{}`", n.value),
    );
    for sp in &svc.ports {
        let target: Spanned<PortRef> = match (&sp.target, &sp.port) {
            (TargetPort::Ref(r), _) => r.clone(),
            (TargetPort::Default, Some(p)) => Spanned::new(PortRef::Number(p.value), p.at.clone()),
            _ => continue,
        };
        let (matched, what) = match &target.value {
            PortRef::Number(n) => (
                ports
                    .iter()
                    .any(|p| p.number.as_ref().is_some_and(|x| x.value == *n)),
                format!("port {n}"),
            ),
            PortRef::Name(s) => (
                ports
                    .iter()
                    .any(|p| p.name.as_ref().is_some_and(|x| &x.value == s)),
                format!("the port named `{s}`"),
            ),
        };
        if matched {
            continue;
        }
        let via = if matches!(sp.target, TargetPort::Default) {
            " (`targetPort` defaults to `port`)"
        } else {
            ""
        };
        let f = sink.report_at(
            &target.at,
            spelled_for(
                &svc.at,
                format!(
                    "{name} sends traffic to {what}{via}, but no container of {workloads} declares it (declared: {declared})"
                ),
            ),
        );
        for p in &ports {
            f.related.push(crate::finding::Related {
                location: p.number.as_ref().map_or(&p.at, |n| &n.at).clone(),
                message: "declared container port".into(),
            });
        }
    }
}

/// Whether every `key: value` of the selector is among the pod's labels.
fn selects(selector: &[(String, String)], labels: &[(String, String)]) -> bool {
    selector.iter().all(|s| labels.contains(s))
}
