//! ROOT022 container-privileged: a Kubernetes or Helm container with `privileged: true`, or
//! one that adds the capabilities that amount to it (`ALL`, `SYS_ADMIN`).

use crate::model::workload::Unresolved;
use crate::rules::workload::{ContainerReports, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct ContainerPrivileged;

impl Rule for ContainerPrivileged {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let mut reports = ContainerReports::new();
        for c in ctx.doc.containers() {
            // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
            if c.is_unresolved(Unresolved::SecurityContext) {
                continue;
            }
            if let Some(p) = c.security.privileged.as_ref().filter(|p| p.value) {
                reports.add(
                    c,
                    &p.at,
                    format!(
                        "{} is privileged (`privileged: true`): it has every capability and the host's devices, so an escape is root on the node",
                        describe(c)
                    ),
                );
            }
            for cap in &c.security.capabilities_add {
                let name = cap.value.trim().to_ascii_uppercase();
                let name = name.strip_prefix("CAP_").unwrap_or(&name);
                if matches!(name, "ALL" | "SYS_ADMIN") {
                    reports.add(
                        c,
                        &cap.at,
                        format!(
                            "{} adds capability `{}`, which is close to full root on the node",
                            describe(c),
                            cap.value
                        ),
                    );
                }
            }
        }
        reports.flush(sink);
    }
}
