//! PIN005 base-image-not-digest-pinned (opt-in): a `FROM` image pinned by tag but not digest.

use crate::model::dockerfile::bases_without_digest;
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct BaseImageNotDigestPinned;

impl Rule for BaseImageNotDigestPinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        for (from, resolved, reference) in bases_without_digest(df) {
            // Untagged and `latest` images are PIN001's finding; a digest is the next step.
            let Some(tag) = reference
                .tag
                .as_deref()
                .filter(|t| !t.eq_ignore_ascii_case("latest"))
            else {
                continue;
            };
            sink.report(
                from.image.span,
                format!(
                    "Base image `{resolved}` is pinned by tag `{tag}` only; a tag can be re-pushed, a digest cannot"
                ),
            );
        }
    }
}
