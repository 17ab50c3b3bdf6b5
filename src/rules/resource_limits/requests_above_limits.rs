//! RES021 requests-above-limits: a Kubernetes or Helm container that requests more CPU or
//! memory than its limit. The API server refuses such a pod.

use crate::model::quantity;
use crate::model::workload::Spanned;
use crate::model::workload::Unresolved;
use crate::rules::workload::{ContainerReports, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct RequestsAboveLimits;

impl Rule for RequestsAboveLimits {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let mut reports = ContainerReports::new();
        for c in ctx.doc.containers() {
            // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
            if c.is_unresolved(Unresolved::Resources) {
                continue;
            }
            let r = &c.resources;
            for (what, request, limit) in [
                ("CPU", &r.requests_cpu, &r.limits_cpu),
                ("memory", &r.requests_memory, &r.limits_memory),
            ] {
                let (Some(request), Some(limit)) = (request, limit) else {
                    continue;
                };
                if above(request, limit) {
                    reports
                        .add(
                            c,
                            &request.at,
                            format!(
                                "{} requests {what} `{}`, more than its limit `{}`: the API server refuses the pod",
                                describe(c),
                                request.value,
                                limit.value
                            ),
                        )
                        .related(&limit.at, format!("the {what} limit"));
                }
            }
        }
        reports.flush(sink);
    }
}

fn above(request: &Spanned<String>, limit: &Spanned<String>) -> bool {
    match (
        quantity::parse(&request.value),
        quantity::parse(&limit.value),
    ) {
        (Some(r), Some(l)) => r > l,
        _ => false,
    }
}
