//! PORT040 bicep-probe-port: a single-container Bicep container app whose probe checks a port
//! that is neither the ingress `targetPort` nor one of its `additionalPortMappings`, so the
//! probe knocks on a port the app was not said to serve.

use crate::model::bicep::{Kind, containers};
use crate::render::bicep::Scope;
use crate::render::bicep::syntax::{Expr, ExprKind};
use crate::rules::bicep::{Once, document};
use crate::rules::{FileContext, Rule, Sink};

pub struct BicepProbePort;

fn port(scope: &Scope<'_>, e: &Expr) -> Option<i64> {
    match scope.value(e).kind {
        ExprKind::Int(i) => Some(i),
        _ => None,
    }
}

impl Rule for BicepProbePort {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(doc) = document(ctx) else { return };
        let mut once = Once::default();
        for scope in doc.scopes() {
            let all = containers(&scope);
            for r in doc
                .resources()
                .filter(|r| r.is("Microsoft.App/containerApps"))
            {
                let mine: Vec<_> = all
                    .iter()
                    .filter(|c| {
                        c.kind == Kind::ContainerApp
                            && !c.init
                            && std::ptr::eq(c.resource.stmt, r.stmt)
                    })
                    .collect();
                // With sidecars, a probe may rightly check a sidecar's own port.
                let [c] = mine.as_slice() else { continue };
                let Some(ingress) = r
                    .prop(&["configuration", "ingress"])
                    .map(|i| scope.value(i))
                else {
                    continue;
                };
                let Some(target_expr) = ingress.get("targetPort") else {
                    continue;
                };
                let Some(target) = port(&scope, target_expr) else {
                    continue;
                };
                let mut served = vec![target];
                if let Some(extra) = ingress.get("additionalPortMappings") {
                    let v = scope.value(extra);
                    if !matches!(v.kind, ExprKind::Array(_)) {
                        continue;
                    }
                    let mut known = true;
                    for m in v.items() {
                        match m.get("targetPort").and_then(|p| port(&scope, p)) {
                            Some(p) => served.push(p),
                            None => known = false,
                        }
                    }
                    if !known {
                        continue;
                    }
                }
                let Some(probes) = c.spec.get("probes") else {
                    continue;
                };
                for probe in scope.items(probes) {
                    let Some(p) = ["httpGet", "tcpSocket"]
                        .iter()
                        .find_map(|k| probe.get(k))
                        .and_then(|a| a.get("port"))
                    else {
                        continue;
                    };
                    let Some(n) = port(&scope, p) else { continue };
                    if served.contains(&n) {
                        continue;
                    }
                    let kind = probe
                        .get("type")
                        .and_then(|t| scope.text(t))
                        .and_then(|t| t.literal())
                        .unwrap_or_else(|| "probe".into());
                    let at = scope.follow(p).origin();
                    let related = sink.related(
                        &scope.follow(target_expr).origin(),
                        format!("ingress sends traffic to port {target}"),
                    );
                    if let Some(f) = once.report(
                        sink,
                        &at,
                        format!(
                            "{} has a {kind} probe on port {n}, but ingress serves port {target}: the probe checks a port the app was not said to listen on",
                            c.describe(&scope)
                        ),
                    ) {
                        f.related.push(related);
                    }
                }
            }
        }
    }
}
