//! ROOT002 sudo-in-run: `sudo` inside `RUN`, reported once per instruction (as hadolint's
//! DL3004 does): removing sudo from a `RUN` is one edit, however many of its commands use it.

use crate::model::dockerfile::raw_runs;
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct SudoInRun;

impl Rule for SudoInRun {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        for (_, commands) in raw_runs(df) {
            let uses: Vec<_> = commands
                .iter()
                .filter(|c| c.program() == Some("sudo"))
                .filter_map(|c| c.name().map(|n| n.span))
                .collect();
            let Some(first) = uses.first() else { continue };
            let times = match uses.len() {
                1 => String::new(),
                n => format!(" ({n} times)"),
            };
            let related = uses[1..]
                .iter()
                .map(|s| sink.related_here(*s, "`sudo` again in this `RUN`"))
                .collect();
            sink.report(
                *first,
                format!(
                    "`sudo` in `RUN`{times}: build steps already run as the current `USER`; switch with `USER` instead of installing and using sudo"
                ),
            )
            .related = related;
        }
    }
}
