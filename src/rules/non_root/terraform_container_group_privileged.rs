//! ROOT050 terraform-container-group-privileged: an `azurerm_container_group` container with
//! `security { privilege_enabled = true }`: it runs with all capabilities and the host's
//! devices. Azure Container Instances has no run-as-user setting and Container Apps no
//! privilege setting, so this is the one root setting those platforms expose to Terraform.

use crate::rules::terraform::{each_module, report_resolved};
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformContainerGroupPrivileged;

impl Rule for TerraformContainerGroupPrivileged {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        each_module(ctx, sink, |m, sink| {
            for r in m.resources_of(&["azurerm_container_group"]) {
                for c in r
                    .body()
                    .blocks
                    .iter()
                    .filter(|b| b.kind.value == "container" || b.kind.value == "init_container")
                {
                    let name = c
                        .body
                        .get("name")
                        .and_then(|a| m.resolve(&a.value).as_str().map(str::to_string))
                        .unwrap_or_default();
                    for sec in c.body.blocks_of("security") {
                        let Some(attr) = sec.body.get("privilege_enabled") else {
                            continue;
                        };
                        let v = m.resolve(&attr.value);
                        if v.as_bool() == Some(true) {
                            report_resolved(
                                sink,
                                attr,
                                &v,
                                format!(
                                    "Container `{name}` of azurerm_container_group `{}` runs privileged: all capabilities and the host's devices",
                                    r.name.value
                                ),
                            );
                        }
                    }
                }
            }
        });
    }
}
