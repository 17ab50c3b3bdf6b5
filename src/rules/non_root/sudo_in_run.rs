//! ROOT002 sudo-in-run: `sudo` inside `RUN`.

use crate::model::dockerfile::raw_run_commands;
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct SudoInRun;

impl Rule for SudoInRun {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        for cmd in raw_run_commands(df) {
            if cmd.program() == Some("sudo")
                && let Some(name) = cmd.name()
            {
                sink.report(
                    name.span,
                    "`sudo` in `RUN`: build steps already run as the current `USER`; switch with `USER` instead of installing and using sudo",
                );
            }
        }
    }
}
