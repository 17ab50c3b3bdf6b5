//! ROOT012 compose-dangerous-capability: a Compose service adds a capability that lets a
//! process break out to the host (`cap_add: [SYS_ADMIN]`).

use crate::rules::compose::project;
use crate::rules::{FileContext, Rule, Sink};

pub struct ComposeDangerousCapability;

/// Capabilities that reach past the container, with what each allows. `NET_ADMIN` (its own
/// network namespace only) and `SYS_PTRACE` (its own processes, unless the host's PID
/// namespace is shared) are left out.
const DANGEROUS: &[(&str, &str)] = &[
    ("ALL", "everything `privileged: true` allows"),
    (
        "SYS_ADMIN",
        "mounts, namespaces and cgroups: the classic container escapes",
    ),
    (
        "SYS_MODULE",
        "loading kernel modules into the host's kernel",
    ),
    ("SYS_RAWIO", "raw access to host memory and devices"),
    (
        "DAC_READ_SEARCH",
        "reading any host file by handle (`open_by_handle_at`)",
    ),
    ("BPF", "loading eBPF programs that read kernel memory"),
];

impl Rule for ComposeDangerousCapability {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(project) = project(ctx) else { return };
        for svc in &project.services {
            for cap in &svc.cap_add {
                let Some(value) = cap.value() else { continue };
                let upper = value.trim().to_ascii_uppercase();
                let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
                let Some((_, what)) = DANGEROUS.iter().find(|(c, _)| *c == name) else {
                    continue;
                };
                sink.report_at(
                    &cap.at,
                    format!(
                        "Service `{}` adds capability `{value}`, which allows {what}",
                        svc.name.value
                    ),
                );
            }
        }
    }
}
