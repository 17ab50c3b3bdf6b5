//! SEC052 terraform-registry-admin-enabled: an `azurerm_container_registry` with
//! `admin_enabled = true`. The admin user is one shared username and password with push and
//! pull rights on every repository, which cannot be scoped, audited per person or tied to an
//! identity.

use crate::rules::terraform::{each_module, report_resolved};
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformRegistryAdminEnabled;

impl Rule for TerraformRegistryAdminEnabled {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        each_module(ctx, sink, |m, sink| {
            for r in m.resources_of(&["azurerm_container_registry"]) {
                let Some(attr) = r.body().get("admin_enabled") else {
                    continue;
                };
                let v = m.resolve(&attr.value);
                if v.as_bool() == Some(true) {
                    report_resolved(
                        sink,
                        attr,
                        &v,
                        format!(
                            "Container registry `{}` enables the admin user: one shared password with push rights to every repository",
                            r.name.value
                        ),
                    );
                }
            }
        });
    }
}
