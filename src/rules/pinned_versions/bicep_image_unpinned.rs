//! PIN040 bicep-image-unpinned: a Bicep container app, job, container group or web app runs an
//! image with no tag or `latest`, decided by a literal, a param default, a var or a
//! `.bicepparam` value — each branch of a conditional too (`!empty(image) ? image :
//! '…/containerapps-helloworld:latest'` runs the literal whenever the parameter is empty).

use crate::model::bicep::containers;
use crate::parse::dockerfile::ImageRef;
use crate::render::bicep::syntax::Expr;
use crate::render::bicep::{Scope, Text};
use crate::rules::bicep::{Once, document};
use crate::rules::{FileContext, Rule, Sink};

pub struct BicepImageUnpinned;

/// What is wrong with an image's text, when the known part decides it: `Some(true)` for no
/// tag, `Some(false)` for `latest`. Holes before the last `/` (a registry from an output)
/// do not hide the tag; holes after it do.
fn unpinned(text: &Text) -> Option<(bool, String)> {
    let shown: String = text
        .0
        .iter()
        .map(|s| match s {
            crate::render::bicep::Seg::Lit(t) => t.as_str(),
            crate::render::bicep::Seg::Hole => "…",
        })
        .collect();
    let tail = text.known_tail();
    let name = if text.has_hole() {
        // `${registry}/app:latest` decides the tag; `${image}:latest` does too.
        let last = tail.rfind('/').map_or(0, |i| i + 1);
        if !tail[last..].contains(':') && !tail.contains('/') {
            return None;
        }
        format!("x/{}", &tail[last..])
    } else {
        tail
    };
    let reference = ImageRef::parse(&name)?;
    if reference.digest.is_some() || reference.repository.is_empty() {
        return None;
    }
    match reference.tag.as_deref() {
        None => Some((true, shown)),
        Some(t) if t.eq_ignore_ascii_case("latest") => Some((false, shown)),
        _ => None,
    }
}

fn check(
    scope: &Scope<'_>,
    expr: &Expr,
    what: &str,
    strip_docker: bool,
    once: &mut Once,
    sink: &mut Sink<'_>,
) {
    check_in(
        scope,
        expr,
        scope.file,
        &[],
        what,
        strip_docker,
        once,
        sink,
        0,
    );
}

/// Checks an image written in `file`; each branch of a condition (`!empty(image) ? image :
/// 'nginx:latest'`, azd's fallback before the first build) is an image that may run.
#[allow(clippy::too_many_arguments)]
fn check_in(
    scope: &Scope<'_>,
    expr: &Expr,
    file: &std::sync::Arc<crate::source::SourceFile>,
    // References followed before `expr` (the module's `image: imageName`).
    before: &[crate::source::Origin],
    what: &str,
    strip_docker: bool,
    once: &mut Once,
    sink: &mut Sink<'_>,
    depth: usize,
) {
    let followed = scope.follow_in(expr, file);
    if let crate::render::bicep::syntax::ExprKind::Ternary {
        then, otherwise, ..
    } = &followed.expr.kind
    {
        if depth < 8 {
            let mut via = before.to_vec();
            via.extend(followed.via.iter().cloned());
            for branch in [then, otherwise] {
                check_in(
                    scope,
                    branch,
                    &followed.file,
                    &via,
                    what,
                    strip_docker,
                    once,
                    sink,
                    depth + 1,
                );
            }
        }
        return;
    }
    let Some(mut text) = scope.text_in(expr, file) else {
        return;
    };
    if strip_docker {
        // `DOCKER|nginx:1.27`; other runtimes (`NODE|20-lts`) are not images.
        match text.0.first_mut() {
            Some(crate::render::bicep::Seg::Lit(first))
                if first.len() >= 7 && first[..7].eq_ignore_ascii_case("DOCKER|") =>
            {
                *first = first[7..].to_string();
            }
            _ => return,
        }
    }
    let Some((no_tag, image)) = unpinned(&text) else {
        return;
    };
    let mut r = scope.follow_in(expr, file);
    // `'${repo}:${tag}'`: the last interpolation decides the tag; point at its value.
    if let crate::render::bicep::syntax::ExprKind::Str(parts) = &r.expr.kind
        && let Some(crate::render::bicep::syntax::StrPart::Interp(last)) = parts.last()
        && std::sync::Arc::ptr_eq(&r.file, scope.file)
    {
        let inner = scope.follow(last);
        if inner.expr.as_plain_str().is_some() {
            let mut via = r.via.clone();
            via.push(r.origin());
            via.extend(inner.via.iter().cloned());
            r = inner;
            r.via = via;
        }
    }
    let message = if no_tag {
        format!("{what} runs image `{image}` with no tag, so it floats to `latest`")
    } else {
        format!("{what} runs image `{image}` with the `latest` tag, which moves with every release")
    };
    let related: Vec<_> = before
        .iter()
        .chain(r.via.iter())
        .map(|o| sink.related(o, format!("the image is `{}` here", o.text())))
        .collect();
    let mut related = related;
    if let Some(call) = scope.caller() {
        related.push(sink.related(call, "the module call that passes it"));
    }
    if let Some(f) = once.report(sink, &r.origin(), message) {
        f.related = related;
    }
}

impl Rule for BicepImageUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(doc) = document(ctx) else { return };
        let mut once = Once::default();
        for scope in doc.scopes() {
            for c in containers(&scope) {
                if let Some(image) = c.spec.get("image") {
                    check(&scope, image, &c.describe(&scope), false, &mut once, sink);
                }
            }
            for r in scope.doc.resources().filter(|r| !r.existing) {
                let fx = if r.is("Microsoft.Web/sites") || r.is("Microsoft.Web/sites/slots") {
                    r.prop(&["siteConfig", "linuxFxVersion"])
                } else if r.is("Microsoft.Web/sites/config") {
                    r.prop(&["linuxFxVersion"])
                } else {
                    None
                };
                if let Some(fx) = fx {
                    let what = format!("Web app `{}`", r.symbol.name);
                    check(&scope, fx, &what, true, &mut once, sink);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::bicep::Seg;

    fn t(parts: &[Option<&str>]) -> Text {
        Text(
            parts
                .iter()
                .map(|p| p.map_or(Seg::Hole, |s| Seg::Lit(s.to_string())))
                .collect(),
        )
    }

    #[test]
    fn image_texts() {
        assert_eq!(unpinned(&t(&[Some("nginx")])).map(|x| x.0), Some(true));
        assert_eq!(
            unpinned(&t(&[Some("nginx:latest")])).map(|x| x.0),
            Some(false)
        );
        assert!(unpinned(&t(&[Some("nginx:1.27")])).is_none());
        assert!(unpinned(&t(&[Some("nginx@sha256:abc")])).is_none());
        assert_eq!(unpinned(&t(&[None, Some("/app")])).map(|x| x.0), Some(true));
        assert_eq!(
            unpinned(&t(&[None, Some(":latest")])).map(|x| x.0),
            Some(false)
        );
        assert!(unpinned(&t(&[Some("acr.io/app:"), None])).is_none());
        assert!(unpinned(&t(&[Some("acr.io/"), None])).is_none());
        assert!(unpinned(&t(&[None])).is_none());
    }
}
