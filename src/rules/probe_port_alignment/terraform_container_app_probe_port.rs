//! PORT050 terraform-container-app-probe-port: an `azurerm_container_app` with one container
//! whose probe checks a port that is neither the ingress `target_port` nor one of its
//! `additional_port_mappings`. Container Apps declare no container ports: the ingress target
//! is the port the app serves, so a probe elsewhere checks something no client reaches (or
//! nothing, and the replica is restarted).

use crate::render::terraform::Block;
use crate::rules::terraform::each_module;
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformContainerAppProbePort;

impl Rule for TerraformContainerAppProbePort {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        each_module(ctx, sink, |m, sink| {
            'apps: for r in m.resources_of(&["azurerm_container_app"]) {
                let Some(ingress) = r.body().block("ingress") else {
                    continue;
                };
                let Some(target_attr) = ingress.body.get("target_port") else {
                    continue;
                };
                let target = m.resolve(&target_attr.value);
                let Some(target_port) = target.as_i64() else {
                    continue;
                };
                let mut allowed = vec![target_port];
                for mapping in ingress.body.blocks_of("additional_port_mappings") {
                    match mapping
                        .body
                        .get("target_port")
                        .map(|a| m.resolve(&a.value).as_i64())
                    {
                        Some(Some(p)) => allowed.push(p),
                        _ => continue 'apps,
                    }
                }
                if ingress.body.has_dynamic("additional_port_mappings") {
                    continue;
                }
                // With sidecars, a probe may check its own container's port.
                let containers: Vec<&Block> = r
                    .body()
                    .blocks_of("template")
                    .flat_map(|t| t.body.blocks_of("container"))
                    .collect();
                let [container] = containers.as_slice() else {
                    continue;
                };
                let name = container
                    .body
                    .get("name")
                    .and_then(|a| m.resolve(&a.value).as_str().map(str::to_string))
                    .unwrap_or_default();
                for kind in ["liveness_probe", "readiness_probe", "startup_probe"] {
                    for probe in container.body.blocks_of(kind) {
                        let Some(port_attr) = probe.body.get("port") else {
                            continue;
                        };
                        let port = m.resolve(&port_attr.value);
                        let Some(p) = port.as_i64() else { continue };
                        if allowed.contains(&p) {
                            continue;
                        }
                        let related = sink.related(
                            &target.at,
                            format!("ingress `target_port` is {target_port}"),
                        );
                        sink.report_at(
                        &port.at,
                        format!(
                            "The `{kind}` of container `{name}` in azurerm_container_app `{}` checks port {p}, but the ingress sends traffic to port {target_port}",
                            r.name.value
                        ),
                    )
                    .related
                    .push(related);
                    }
                }
            }
        });
    }
}
