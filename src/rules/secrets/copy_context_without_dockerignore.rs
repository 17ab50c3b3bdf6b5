//! SEC005 copy-context-without-dockerignore: `COPY . .` (or `ADD . .`) into the final image
//! while no `.dockerignore` keeps `.env` and `.git` out of the build context.

use crate::model::dockerfile::final_instructions;
use crate::parse::dockerfile::InstructionKind;
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct CopyContextWithoutDockerignore;

impl Rule for CopyContextWithoutDockerignore {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        // The Dockerfile's own directory, as the build context is shown.
        let own_dir = ctx
            .file
            .display_path
            .rsplit_once('/')
            .map(|(d, _)| d.to_string());
        // Only stages whose files reach the final image matter; a builder stage that copies the
        // context but hands on only its build output does not ship `.env`.
        for ins in final_instructions(df) {
            let (InstructionKind::Copy(copy) | InstructionKind::Add(copy)) = &ins.kind else {
                continue;
            };
            if ins.flag("from").is_some() {
                continue;
            }
            let Some(src) = copy
                .sources
                .iter()
                .find(|s| matches!(s.text.as_str(), "." | "./" | "*" | "./*"))
            else {
                continue;
            };
            // `.git` only matters where the context is a checkout's root; elsewhere it is not
            // in the context to begin with.
            let wanted: &[&str] = if ctx.context_has_git {
                &[".env", ".git"]
            } else {
                &[".env"]
            };
            let missing: Vec<&str> = wanted
                .iter()
                .copied()
                .filter(|p| ctx.dockerignore.is_none_or(|ignore| !ignore.excludes(p)))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let message = match ctx.dockerignore {
                None => format!(
                    "`{} {} …` copies the whole build context and there is no `.dockerignore` {}: {} go into the image",
                    ins.keyword,
                    src.text,
                    match ctx.build_context.as_deref() {
                        Some(c) if Some(c) != own_dir.as_deref() => {
                            format!("in its build context (`{c}/`)")
                        }
                        _ => "beside this Dockerfile".to_string(),
                    },
                    if ctx.context_has_git {
                        "`.env` files and `.git`"
                    } else {
                        "`.env` files"
                    }
                ),
                Some(ignore) => format!(
                    "`{} {} …` copies the whole build context, and `{}` does not exclude {}",
                    ins.keyword,
                    src.text,
                    ignore.path,
                    missing
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            };
            sink.report(src.span, message);
        }
    }
}
