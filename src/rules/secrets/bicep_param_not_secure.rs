//! SEC040 bicep-param-not-secure: a Bicep `param` whose name says it holds a secret
//! (`adminPassword`, `clientSecret`) is not marked `@secure()`.

use crate::rules::bicep::document;
use crate::rules::bicep::is_secret_name;
use crate::rules::{FileContext, Rule, Sink};

pub struct BicepParamNotSecure;

impl Rule for BicepParamNotSecure {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(doc) = document(ctx) else { return };
        for p in doc.params() {
            // `@secure()` applies to strings and objects only.
            let ty = p.ty.map(|t| t.0.trim_end_matches('?').trim()).unwrap_or("");
            if !matches!(ty, "string" | "object") || p.is_secure() || !is_secret_name(&p.name.name)
            {
                continue;
            }
            let f = sink.report(
                p.name.span,
                format!(
                    "Param `{}` holds a secret but is not `@secure()`, so its value is logged in the deployment history",
                    p.name.name
                ),
            );
            // Its literal default is the secret: masked wherever the line is shown.
            if let Some(d) = p.default
                && matches!(d.kind, crate::render::bicep::syntax::ExprKind::Str(_))
            {
                f.secrets.push(d.span);
            }
        }
    }
}
