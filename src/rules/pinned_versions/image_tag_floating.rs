//! PIN060 image-tag-floating: an image tagged with something that moves — no version
//! (`redis:alpine`), a rolling line (`node:lts`, `mssql/server:2019-latest`), a wildcard
//! (`neo4j:5.x`) or less of a version than the project asks for (`redis:7`, major.minor by
//! default: `[pinned-versions] tag-precision`). One rule for every format that names an image,
//! through one classifier ([`crate::model::tag`]): a floating tag is one mistake wherever it
//! is written. No tag and `latest` are left to each format's unpinned-image rule (PIN001,
//! PIN010, PIN020, PIN040, PIN054); digests always pin.

use crate::model::tag::{Floating, Precision, floating_image};
use crate::model::workload::{Unresolved, is_templated};
use crate::parse::dockerfile::ImageRef;
use crate::rules::workload::{ContainerReports, describe};
use crate::rules::{FileContext, Rule, Sink};

pub struct ImageTagFloating;

impl Rule for ImageTagFloating {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let precision = ctx.config.tag_precision;
        dockerfile(ctx, precision, sink);
        compose(ctx, precision, sink);
        containers(ctx, precision, sink);
    }
}

/// How `image` floats, if it does, and why (for the message).
pub fn why(image: &str, precision: Precision) -> Option<String> {
    if is_templated(image) || image.contains(['<', '>']) {
        return None;
    }
    let r = ImageRef::parse(image)?;
    let tag = r.tag.as_deref()?;
    let f = floating_image(&r.repository, Some(tag), r.digest.as_deref(), precision)?;
    let fix = match f {
        Floating::Coarse { .. } | Floating::Wildcard => "pin a full release or a digest",
        _ => "pin a versioned tag or a digest",
    };
    Some(format!("{}; {fix}", f.explain(tag, precision)))
}

fn dockerfile(ctx: &FileContext<'_>, precision: Precision, sink: &mut Sink<'_>) {
    let Some(df) = crate::rules::docker::dockerfile(ctx) else {
        return;
    };
    for (from, resolved, _) in crate::model::dockerfile::bases_without_digest(df) {
        let Some(why) = why(resolved, precision) else {
            continue;
        };
        let via_arg = from.image.text.contains('$');
        let shown = if via_arg {
            format!("`{}` (resolves to `{resolved}`)", from.image.text)
        } else {
            format!("`{resolved}`")
        };
        let related = if via_arg {
            df.global_args
                .iter()
                .filter(|a| a.default.is_some() && from.image.text.contains(a.name.text.as_str()))
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
        sink.report(from.image.span, format!("Base image {shown} floats: {why}"))
            .related = related;
    }
}

fn compose(ctx: &FileContext<'_>, precision: Precision, sink: &mut Sink<'_>) {
    let Some(project) = crate::rules::compose::project(ctx) else {
        return;
    };
    for svc in &project.services {
        // With `build:`, `image:` names the image Compose builds and tags.
        if svc.build.is_some() {
            continue;
        }
        let Some(image) = &svc.image else { continue };
        let Some(why) = image.value().and_then(|v| why(v, precision)) else {
            continue;
        };
        let related = image
            .defaults
            .iter()
            .map(|d| sink.related(d, format!("the default `{}` is written here", d.text())))
            .collect();
        sink.report_at(
            &image.at,
            format!(
                "Service `{}` runs image {}, whose tag floats: {why}",
                svc.name.value,
                crate::rules::compose::shown(image)
            ),
        )
        .related = related;
    }
}

fn containers(ctx: &FileContext<'_>, precision: Precision, sink: &mut Sink<'_>) {
    let mut reports = ContainerReports::new();
    for c in ctx.doc.containers() {
        // A Helm container rendered under a condition we cannot decide: unknown, not wrong.
        if c.is_unresolved(Unresolved::Image) {
            continue;
        }
        let Some(image) = &c.image else { continue };
        let Some(why) = why(&image.value, precision) else {
            continue;
        };
        reports.add(
            c,
            &image.at,
            format!(
                "{} runs image `{}`, whose tag floats: {why}",
                describe(c),
                image.value
            ),
        );
    }
    reports.flush(sink);
}
