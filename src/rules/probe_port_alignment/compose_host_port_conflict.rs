//! PORT012 compose-host-port-conflict: two `ports` entries of a project publish the same host
//! port on the same address and protocol, so the second container cannot start.

use crate::parse::compose::{PortMapping, Service};
use crate::rules::compose::{can_run_together, project};
use crate::rules::{FileContext, Rule, Sink};

pub struct ComposeHostPortConflict;

impl Rule for ComposeHostPortConflict {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(project) = project(ctx) else { return };
        let published: Vec<(&Service, &PortMapping)> = project
            .services
            .iter()
            .flat_map(|s| s.ports.iter().map(move |p| (s, p)))
            // A host range for one container port lets Compose pick a free port of the range.
            .filter(|(_, p)| {
                p.host
                    .is_some_and(|h| h.start == h.end || p.container.start != p.container.end)
            })
            .collect();
        for (i, (svc, port)) in published.iter().enumerate() {
            let Some(earlier) = published[..i].iter().find(|(other, prev)| {
                let same_service = std::ptr::eq(*svc, *other);
                // The same entry written twice in one service publishes once.
                let repeated = same_service && prev.at.text() == port.at.text();
                conflict(port, prev) && !repeated && (same_service || can_run_together(svc, other))
            }) else {
                continue;
            };
            let (other, prev) = earlier;
            let host = port.host.map(|h| h.to_string()).unwrap_or_default();
            let entry = prev.at.text().trim_matches(['"', '\'']);
            let whom = if std::ptr::eq(*svc, *other) {
                "this service".to_string()
            } else {
                format!("service `{}`", other.name.value)
            };
            let related = sink.related(
                &prev.at,
                format!("`{}` publishes it here", other.name.value),
            );
            sink.report_at(
                &port.at,
                format!(
                    "Service `{}` publishes host port {host}/{}, which {whom} already publishes (`{entry}`)",
                    svc.name.value, port.protocol
                ),
            )
            .related = vec![related];
        }
    }
}

fn conflict(a: &PortMapping, b: &PortMapping) -> bool {
    let (Some(ha), Some(hb)) = (a.host, b.host) else {
        return false;
    };
    a.protocol == b.protocol
        && ha.overlaps(&hb)
        && same_address(a.host_ip.as_deref(), b.host_ip.as_deref())
}

/// Whether two host addresses collide: the wildcard (no address, `0.0.0.0`, `::`) collides
/// with every address.
fn same_address(a: Option<&str>, b: Option<&str>) -> bool {
    let wildcard = |x: Option<&str>| matches!(x, None | Some("0.0.0.0" | "::" | ""));
    wildcard(a) || wildcard(b) || a == b
}
