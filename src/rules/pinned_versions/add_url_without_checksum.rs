//! PIN004 add-url-without-checksum: `ADD https://…` without `--checksum`, or a git source
//! without a ref.

use crate::parse::dockerfile::InstructionKind;
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct AddUrlWithoutChecksum;

impl Rule for AddUrlWithoutChecksum {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        for ins in &df.instructions {
            let InstructionKind::Add(add) = &ins.kind else {
                continue;
            };
            for src in &add.sources {
                let url = src.text.as_str();
                let lower = url.to_ascii_lowercase();
                let is_git = lower.starts_with("git@")
                    || lower.starts_with("git://")
                    || lower.contains(".git#")
                    || lower.ends_with(".git");
                if is_git {
                    if !url.contains('#') && ins.flag("checksum").is_none() {
                        sink.report(
                            src.span,
                            format!("`ADD {url}` fetches a git repository without a ref: add `#<tag or commit>`"),
                        );
                    }
                } else if (lower.starts_with("https://") || lower.starts_with("http://"))
                    && ins.flag("checksum").is_none()
                {
                    sink.report(
                        src.span,
                        format!("`ADD {url}` downloads a file without `--checksum`, so its content is not verified"),
                    );
                }
            }
        }
    }
}
