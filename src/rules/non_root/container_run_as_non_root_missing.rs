//! ROOT020 container-run-as-non-root-missing: a Kubernetes or Helm container that Kubernetes
//! does not keep from running as root: neither `runAsNonRoot: true` nor a non-zero
//! `runAsUser` in its effective security context.

use crate::model::workload::Unresolved;
use crate::rules::workload::{ContainerReports, anchor, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct ContainerRunAsNonRootMissing;

impl Rule for ContainerRunAsNonRootMissing {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let mut reports = ContainerReports::new();
        for c in ctx.doc.containers() {
            // Kubernetes only: other platforms have no `runAsNonRoot`.
            if !c.platform().is_kubernetes() {
                continue;
            }
            // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
            if c.is_unresolved(Unresolved::SecurityContext) {
                continue;
            }
            let s = &c.security;
            if s.is_unread("runAsNonRoot") || s.is_unread("runAsUser") {
                continue;
            }
            if s.run_as_non_root.as_ref().is_some_and(|v| v.value) {
                continue;
            }
            // A non-zero uid is non-root; uid 0 is ROOT021's finding.
            if s.run_as_user.is_some() {
                continue;
            }
            let who = describe(c);
            if let Some(off) = s.run_as_non_root.as_ref().filter(|v| !v.value) {
                reports.add(
                    c,
                    &off.at,
                    format!(
                        "{who} sets `runAsNonRoot: false` and no non-zero `runAsUser`, so it runs as root whenever its image does"
                    ),
                );
                continue;
            }
            let (at, place) = match (&s.container_context, &s.pod_context) {
                (Some(at), _) => (at, "in its `securityContext`"),
                (None, Some(at)) => (at, "in the pod's `securityContext`"),
                (None, None) => (anchor(c), "in a `securityContext`"),
            };
            reports.add(
                c,
                at,
                format!(
                    "{who} may run as root: set `runAsNonRoot: true` (and a non-zero `runAsUser`) {place}"
                ),
            );
        }
        reports.flush(sink);
    }
}
