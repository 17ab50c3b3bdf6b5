//! PIN010 compose-image-unpinned: a Compose service runs an image with no tag or `latest`.

use crate::parse::dockerfile::ImageRef;
use crate::rules::compose::{project, shown};
use crate::rules::{FileContext, Rule, Sink};

pub struct ComposeImageUnpinned;

impl Rule for ComposeImageUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(project) = project(ctx) else { return };
        for svc in &project.services {
            // With `build:`, `image:` names the image Compose builds and tags.
            if svc.build.is_some() {
                continue;
            }
            let Some(image) = &svc.image else { continue };
            let Some(reference) = image.value().and_then(ImageRef::parse) else {
                continue;
            };
            if reference.digest.is_some() {
                continue;
            }
            let name = &svc.name.value;
            let message = match reference.tag.as_deref() {
                None => format!(
                    "Service `{name}` runs image {} with no tag, so it floats to `latest`",
                    shown(image)
                ),
                Some(t) if t.eq_ignore_ascii_case("latest") => format!(
                    "Service `{name}` runs image {} with the `latest` tag, which moves with every release",
                    shown(image)
                ),
                _ => continue,
            };
            let related = image
                .defaults
                .iter()
                .map(|d| sink.related(d, format!("the default `{}` is written here", d.text())))
                .collect();
            sink.report_at(&image.at, message).related = related;
        }
    }
}
