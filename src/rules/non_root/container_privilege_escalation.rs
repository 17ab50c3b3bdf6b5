//! ROOT023 container-privilege-escalation: a Kubernetes or Helm container that does not set
//! `allowPrivilegeEscalation: false`, so a setuid binary in the image can gain privileges.

use crate::model::workload::Unresolved;
use crate::rules::workload::{ContainerReports, anchor, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct ContainerPrivilegeEscalation;

impl Rule for ContainerPrivilegeEscalation {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let mut reports = ContainerReports::new();
        for c in ctx.doc.containers() {
            // Kubernetes only: other platforms have no `allowPrivilegeEscalation`.
            if !c.platform().is_kubernetes() {
                continue;
            }
            // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
            if c.is_unresolved(Unresolved::SecurityContext) {
                continue;
            }
            let s = &c.security;
            // A privileged container can always escalate: ROOT022 reports it.
            if s.is_unread("allowPrivilegeEscalation")
                || s.privileged.as_ref().is_some_and(|p| p.value)
            {
                continue;
            }
            match &s.allow_privilege_escalation {
                Some(v) if !v.value => {}
                Some(v) => {
                    reports.add(
                        c,
                        &v.at,
                        format!(
                            "{} sets `allowPrivilegeEscalation: true`, so setuid binaries in the image can gain root",
                            describe(c)
                        ),
                    );
                }
                None => {
                    let (at, place) = match &s.container_context {
                        Some(at) => (at, "to its `securityContext`"),
                        None => (anchor(c), "in a container `securityContext`"),
                    };
                    reports.add(
                        c,
                        at,
                        format!(
                            "{} allows privilege escalation: add `allowPrivilegeEscalation: false` {place}",
                            describe(c)
                        ),
                    );
                }
            }
        }
        reports.flush(sink);
    }
}
