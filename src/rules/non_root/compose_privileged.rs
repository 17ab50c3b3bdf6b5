//! ROOT011 compose-privileged: a Compose service runs with `privileged: true`.

use crate::rules::compose::project;
use crate::rules::{FileContext, Rule, Sink};

pub struct ComposePrivileged;

impl Rule for ComposePrivileged {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(project) = project(ctx) else { return };
        for svc in &project.services {
            let Some(flag) = &svc.privileged else {
                continue;
            };
            if flag.as_bool() == Some(true) {
                sink.report_at(
                    &flag.at,
                    format!(
                        "Service `{}` runs privileged: it gets every capability and every host device, so root in it is root on the host",
                        svc.name.value
                    ),
                );
            }
        }
    }
}
