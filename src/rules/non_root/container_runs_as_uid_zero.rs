//! ROOT021 container-runs-as-uid-zero: a Kubernetes or Helm container whose effective
//! `runAsUser` is `0`, root.

use crate::model::workload::Unresolved;
use crate::rules::workload::{ContainerReports, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct ContainerRunsAsUidZero;

impl Rule for ContainerRunsAsUidZero {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let mut reports = ContainerReports::new();
        for c in ctx.doc.containers() {
            // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
            if c.is_unresolved(Unresolved::SecurityContext) {
                continue;
            }
            let Some(user) = c.security.run_as_user.as_ref().filter(|u| u.value == 0) else {
                continue;
            };
            let from_pod = c
                .security
                .pod_context
                .as_ref()
                .is_some_and(|p| within(&user.at, p));
            let place = if from_pod {
                " (set in the pod's `securityContext`)"
            } else {
                ""
            };
            reports.add(
                c,
                &user.at,
                format!("{} runs as root with `runAsUser: 0`{place}", describe(c)),
            );
        }
        reports.flush(sink);
    }
}

fn within(inner: &crate::source::Origin, outer: &crate::source::Origin) -> bool {
    inner.file.path == outer.file.path
        && outer.span.start <= inner.span.start
        && inner.span.end <= outer.span.end
}
