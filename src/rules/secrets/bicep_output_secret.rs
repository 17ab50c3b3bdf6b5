//! SEC041 bicep-output-secret: a Bicep `output` exposes a secret: a `list*()` call
//! (`listKeys()`, `listCredentials()`, `listConnectionStrings()`), directly or through a var or a
//! connection string built from it, or a `@secure()` param. Outputs marked `@secure()` are not
//! findings: ARM keeps them out of the deployment history.

use crate::render::bicep::syntax::{Expr, ExprKind, StmtKind};
use crate::rules::bicep::document;
use crate::rules::{FileContext, Rule, Sink};
use crate::source::Span;

pub struct BicepOutputSecret;

/// The first secret source inside `expr`, following vars: its span (in the output when
/// written there, else where the var uses it) and what it is.
fn secret_source(
    doc: &crate::render::bicep::Document,
    expr: &Expr,
    depth: usize,
) -> Option<(Span, String)> {
    if depth > 8 {
        return None;
    }
    let mut found = None;
    expr.walk(&mut |e| {
        if found.is_some() {
            return;
        }
        if let Some(name) = e.call_name()
            && let Some(rest) = name.strip_prefix("list")
            && rest.starts_with(|c: char| c.is_ascii_uppercase())
        {
            found = Some((e.span, format!("`{name}()`")));
        } else if let ExprKind::Ident(name) = &e.kind {
            if let Some(p) = doc.param(name)
                && p.is_secure()
            {
                found = Some((e.span, format!("the `@secure()` param `{name}`")));
            } else if let Some((_, v)) = doc.var(name)
                && let Some((_, what)) = secret_source(doc, v, depth + 1)
            {
                found = Some((e.span, format!("{what} (through var `{name}`)")));
            }
        }
    });
    found
}

impl Rule for BicepOutputSecret {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(doc) = document(ctx) else { return };
        for s in &doc.statements {
            let StmtKind::Output { name, value, ty } = &s.kind else {
                continue;
            };
            // A `bool` or `int` derived from a secret (`!empty(password)`) does not reveal it.
            if s.has_decorator("secure") || matches!(ty.0.trim(), "bool" | "int") {
                continue;
            }
            if let Some((span, what)) = secret_source(doc, value, 0) {
                sink.report(
                    span,
                    format!(
                        "Output `{}` exposes {what}: outputs are stored in the deployment history for anyone with read access; mark it `@secure()` or output a Key Vault reference",
                        name.name
                    ),
                );
            }
        }
    }
}
