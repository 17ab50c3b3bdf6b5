//! RES050 terraform-container-app-resources: an `azurerm_container_app` whose containers'
//! CPU and memory add up to a combination the Consumption plan does not accept. The provider
//! requires `cpu` and `memory` on every container, so they are never missing; but the total
//! must be 0.25–4 vCPU in steps of 0.25 with exactly twice as many GiB of memory (0.5 →
//! `1Gi`, 2.0 → `4Gi`), and anything else fails at deploy time. Apps on a dedicated
//! workload profile, which allows other sizes, are not checked.

use crate::render::terraform::Block;
use crate::rules::terraform::each_module;
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformContainerAppResources;

impl Rule for TerraformContainerAppResources {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        each_module(ctx, sink, |m, sink| {
            for r in m.resources_of(&["azurerm_container_app"]) {
                let profile = r
                    .body()
                    .get("workload_profile_name")
                    .map(|a| m.resolve(&a.value));
                if profile.is_some_and(|p| p.as_str() != Some("Consumption")) {
                    continue;
                }
                for template in r.body().blocks_of("template") {
                    if template.body.has_dynamic("container")
                        || template.body.has_dynamic("init_container")
                    {
                        continue;
                    }
                    let containers: Vec<&Block> = template.body.blocks_of("container").collect();
                    let mut cpu = 0.0;
                    let mut memory = 0.0;
                    let mut first_memory = None;
                    let mut readable = !containers.is_empty();
                    for c in &containers {
                        let c_cpu = c.body.get("cpu").map(|a| m.resolve(&a.value));
                        let c_mem = c.body.get("memory").map(|a| m.resolve(&a.value));
                        let cpu_v = c_cpu
                            .as_ref()
                            .and_then(|v| v.as_str()?.trim().parse::<f64>().ok());
                        let mem_v = c_mem.as_ref().and_then(|v| gib(v.as_str()?));
                        match (cpu_v, mem_v) {
                            (Some(a), Some(b)) => {
                                cpu += a;
                                memory += b;
                                if first_memory.is_none() {
                                    first_memory =
                                        c_mem.map(|v| (v.at.clone(), c_cpu.map(|v| v.at.clone())));
                                }
                            }
                            _ => readable = false,
                        }
                    }
                    if !readable || accepted(cpu, memory) {
                        continue;
                    }
                    let Some((mem_at, cpu_at)) = first_memory else {
                        continue;
                    };
                    let which = if containers.len() == 1 {
                        "its container requests".to_string()
                    } else {
                        format!("its {} containers request in total", containers.len())
                    };
                    let f = sink.report_at(
                    &mem_at,
                    format!(
                        "Container app `{}`: {which} {cpu} vCPU and {memory}Gi of memory, a combination the Consumption plan rejects (memory must be twice the vCPUs in Gi, in steps of 0.25 vCPU up to 4)",
                        r.name.value
                    ),
                );
                    if let Some(cpu_at) = cpu_at {
                        f.related.push(crate::finding::Related {
                            location: cpu_at,
                            message: "CPU set here".into(),
                        });
                    }
                }
            }
        });
    }
}

/// Memory in GiB from `0.5Gi`, `1Gi`, `1.5Gi`.
fn gib(text: &str) -> Option<f64> {
    text.trim().strip_suffix("Gi")?.trim().parse().ok()
}

/// Whether a total is one the Consumption plan accepts.
fn accepted(cpu: f64, memory: f64) -> bool {
    let steps = cpu / 0.25;
    (steps - steps.round()).abs() < 1e-9
        && steps.round() >= 1.0
        && steps.round() <= 16.0
        && (memory - 2.0 * cpu).abs() < 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations() {
        assert!(accepted(0.25, 0.5));
        assert!(accepted(2.0, 4.0));
        assert!(accepted(0.75, 1.5));
        assert!(!accepted(0.5, 2.0));
        assert!(!accepted(0.3, 0.6));
        assert!(!accepted(8.0, 16.0));
        assert_eq!(gib("1.5Gi"), Some(1.5));
        assert_eq!(gib("512Mi"), None);
    }
}
