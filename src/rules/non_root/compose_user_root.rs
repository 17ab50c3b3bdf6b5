//! ROOT010 compose-user-root: a Compose service sets `user:` to root.

use crate::model::dockerfile::is_root_user;
use crate::rules::compose::project;
use crate::rules::{FileContext, Rule, Sink};

pub struct ComposeUserRoot;

impl Rule for ComposeUserRoot {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(project) = project(ctx) else { return };
        for svc in &project.services {
            let Some(user) = &svc.user else { continue };
            let Some(value) = user.value() else { continue };
            if is_root_user(value) {
                let written = if user.raw == value {
                    format!("`user: {value}`")
                } else {
                    format!("`user: {}` resolves to `{value}`", user.raw)
                };
                sink.report_at(
                    &user.at,
                    format!(
                        "Service `{}` runs as root ({written}), overriding any non-root `USER` of its image",
                        svc.name.value
                    ),
                );
            }
        }
    }
}
