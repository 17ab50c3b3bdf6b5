//! PIN020 container-image-unpinned: a Kubernetes or Helm container whose image has no tag or
//! the `latest` tag.

use crate::model::workload::Unresolved;
use crate::model::workload::is_templated;
use crate::parse::dockerfile::ImageRef;
use crate::rules::workload::{ContainerReports, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct ContainerImageUnpinned;

impl Rule for ContainerImageUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let mut reports = ContainerReports::new();
        for c in ctx.doc.containers() {
            // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
            if c.is_unresolved(Unresolved::Image) {
                continue;
            }
            let Some(image) = &c.image else { continue };
            // `<your-image>`: a placeholder for the reader to fill in.
            if is_templated(&image.value) || image.value.contains(['<', '>']) {
                continue;
            }
            let Some(r) = ImageRef::parse(&image.value) else {
                continue;
            };
            if r.digest.is_some() {
                continue;
            }
            let message = match r.tag.as_deref() {
                None => format!(
                    "{} uses image `{}` with no tag, so each node pulls whatever `latest` is when it starts the pod",
                    describe(c),
                    image.value
                ),
                Some("latest") => format!(
                    "{} uses image `{}`, a tag that moves with every release",
                    describe(c),
                    image.value
                ),
                Some(_) => continue,
            };
            reports.add(c, &image.at, message);
        }
        reports.flush(sink);
    }
}
