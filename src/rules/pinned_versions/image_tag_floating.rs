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
        bicep(ctx, precision, sink);
        terraform(ctx, precision, sink);
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

/// Bicep container apps, jobs and container groups: the image as its literal, a param
/// default, a var or a `.bicepparam` value decides it, each branch of a conditional too.
fn bicep(ctx: &FileContext<'_>, precision: Precision, sink: &mut Sink<'_>) {
    let Some(doc) = crate::rules::bicep::document(ctx) else {
        return;
    };
    let mut once = crate::rules::bicep::Once::default();
    for scope in doc.scopes() {
        for c in crate::model::bicep::containers(&scope) {
            if let Some(image) = c.spec.get("image") {
                let what = c.describe(&scope);
                bicep_image(&scope, image, &what, precision, &mut once, sink, 0);
            }
        }
    }
}

fn bicep_image(
    scope: &crate::render::bicep::Scope<'_>,
    expr: &crate::render::bicep::syntax::Expr,
    what: &str,
    precision: Precision,
    once: &mut crate::rules::bicep::Once,
    sink: &mut Sink<'_>,
    depth: usize,
) {
    let r = scope.follow(expr);
    if let crate::render::bicep::syntax::ExprKind::Ternary {
        then, otherwise, ..
    } = &r.expr.kind
        && std::sync::Arc::ptr_eq(&r.file, scope.file)
        && depth < 8
    {
        for branch in [then, otherwise] {
            bicep_image(scope, branch, what, precision, once, sink, depth + 1);
        }
        return;
    }
    // Only an image the template fully decides; `${registry}/app:${tag}` is judged where
    // its tag is known, by the rules that follow tags.
    let Some(text) = scope.text(expr) else { return };
    if text.has_hole() {
        return;
    }
    let image = text.known_tail();
    let Some(why) = why(&image, precision) else {
        return;
    };
    let related: Vec<_> = r
        .via
        .iter()
        .map(|o| sink.related(o, format!("the image is `{}` here", o.text())))
        .collect();
    if let Some(f) = once.report(
        sink,
        &r.origin(),
        format!("{what} runs image `{image}`, whose tag floats: {why}"),
    ) {
        f.related = related;
    }
}

/// Terraform's Azure and Docker containers (`kubernetes_*` workloads are read as containers
/// above): the literal that decides the image, through variables and locals.
fn terraform(ctx: &FileContext<'_>, precision: Precision, sink: &mut Sink<'_>) {
    let Some(m) = crate::rules::terraform::module(ctx) else {
        return;
    };
    for r in m.resources.iter().filter(|r| !r.data) {
        for (attr, tag) in crate::rules::pinned_versions::terraform_image_unpinned::images(r) {
            // A separate tag attribute (the older web app schema) is left to PIN054.
            if tag.is_some() {
                continue;
            }
            let value = m.resolve(&attr.value);
            let crate::render::terraform::Value::Str(image) = &value.value else {
                continue;
            };
            let Some(why) = why(image, precision) else {
                continue;
            };
            crate::rules::terraform::report_resolved(
                sink,
                attr,
                &value,
                format!(
                    "{} `{}` runs image `{image}`, whose tag floats: {why}",
                    r.kind.value, r.name.value
                ),
            );
        }
    }
}
