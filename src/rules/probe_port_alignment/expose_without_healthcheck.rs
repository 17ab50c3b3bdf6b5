//! PORT001 expose-without-healthcheck: the final image serves (`EXPOSE`) but defines no
//! `HEALTHCHECK`.

use crate::model::dockerfile::final_instructions;
use crate::parse::dockerfile::InstructionKind;
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct ExposeWithoutHealthcheck;

impl Rule for ExposeWithoutHealthcheck {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        let instructions = final_instructions(df);
        // `HEALTHCHECK NONE` is a decision too: it is not flagged.
        if instructions
            .iter()
            .any(|i| matches!(i.kind, InstructionKind::Healthcheck(_)))
        {
            return;
        }
        let Some(expose) = instructions
            .iter()
            .find(|i| matches!(i.kind, InstructionKind::Expose(_)))
        else {
            return;
        };
        sink.report(
            expose.span,
            format!(
                "The image serves (`{}`) but has no `HEALTHCHECK`, so Docker and Compose cannot tell a hung service from a healthy one",
                ctx.file.slice(expose.span).lines().next().unwrap_or("EXPOSE").trim()
            ),
        );
    }
}
