//! PIN001 base-image-unpinned: a `FROM` image without a tag, or tagged `latest`.

use crate::model::dockerfile::bases_without_digest;
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct BaseImageUnpinned;

impl Rule for BaseImageUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        for (from, resolved, reference) in bases_without_digest(df) {
            let via_arg = from.image.text.contains('$');
            let shown = if via_arg {
                format!("`{}` (resolves to `{resolved}`)", from.image.text)
            } else {
                format!("`{resolved}`")
            };
            let message = match reference.tag.as_deref() {
                None => format!("Base image {shown} has no tag, so it floats to `latest`"),
                Some(t) if t.eq_ignore_ascii_case("latest") => {
                    format!(
                        "Base image {shown} uses the `latest` tag, which moves with every release"
                    )
                }
                _ => continue,
            };
            let related: Vec<_> = if via_arg {
                df.global_args
                    .iter()
                    .filter(|a| {
                        a.default.is_some() && from.image.text.contains(a.name.text.as_str())
                    })
                    .map(|a| {
                        sink.related_here(
                            a.span,
                            format!("`ARG {}` sets the default here", a.name.text),
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
            sink.report(from.image.span, message).related = related;
        }
    }
}
