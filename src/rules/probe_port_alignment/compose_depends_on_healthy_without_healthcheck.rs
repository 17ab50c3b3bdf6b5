//! PORT011 compose-depends-on-healthy-without-healthcheck: `depends_on` waits for a service
//! to be healthy, but the project gives that service no health check (or turns it off).

use crate::rules::compose::project;
use crate::rules::{FileContext, Rule, Sink};

pub struct ComposeDependsOnHealthyWithoutHealthcheck;

impl Rule for ComposeDependsOnHealthyWithoutHealthcheck {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(project) = project(ctx) else { return };
        for svc in &project.services {
            for dep in &svc.depends_on {
                let Some(condition) = &dep.condition else {
                    continue;
                };
                if condition.value() != Some("service_healthy") {
                    continue;
                }
                // A service defined in another `-f` file is not ours to judge.
                let Some(target) = project.service(&dep.service.value) else {
                    continue;
                };
                let (message, related) = match &target.healthcheck {
                    None => (
                        format!(
                            "Service `{}` waits for `{}` to be healthy, but `{}` has no `healthcheck`; Compose fails unless its image defines a `HEALTHCHECK`",
                            svc.name.value, target.name.value, target.name.value
                        ),
                        sink.related(
                            &target.name.at,
                            format!("`{}` is defined here", target.name.value),
                        ),
                    ),
                    Some(hc) if hc.disabled => (
                        format!(
                            "Service `{}` waits for `{}` to be healthy, but the health check of `{}` is disabled, so it never becomes healthy",
                            svc.name.value, target.name.value, target.name.value
                        ),
                        sink.related(&hc.at, "the health check is disabled here"),
                    ),
                    Some(_) => continue,
                };
                sink.report_at(&condition.at, message).related = vec![related];
            }
        }
    }
}
