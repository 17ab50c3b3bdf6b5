//! RES010 compose-missing-limits: a Compose service has no memory limit or no CPU limit.

use crate::rules::compose::project;
use crate::rules::{FileContext, Rule, Sink};

pub struct ComposeMissingLimits;

impl Rule for ComposeMissingLimits {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(project) = project(ctx) else { return };
        for svc in &project.services {
            let r = &svc.resources;
            let missing = match (r.limit_memory.is_some(), r.limit_cpus.is_some()) {
                (true, true) => continue,
                (false, false) => "no memory limit and no CPU limit",
                (false, true) => "no memory limit",
                (true, false) => "no CPU limit",
            };
            sink.report_at(
                &svc.name.at,
                format!(
                    "Service `{}` has {missing}, so one runaway container can starve the others on the host",
                    svc.name.value
                ),
            );
        }
    }
}
