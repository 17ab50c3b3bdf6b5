//! Shared reading of a Compose project for the Compose rules.

use crate::model::Document;
use crate::parse::compose::{Project, Service, Str};
use crate::rules::FileContext;

/// The Compose project of the context, if the file is a Compose base file (overrides are
/// read as part of their base's project).
pub fn project<'a>(ctx: &FileContext<'a>) -> Option<&'a Project> {
    match ctx.doc {
        Document::Compose { project, .. } => Some(project),
        _ => None,
    }
}

/// `` `raw` `` for a literal, or `` `raw` (resolves to `value`) `` for an interpolated one,
/// naming the variables `.env` supplied.
pub fn shown(s: &Str) -> String {
    let value = s.value().unwrap_or(&s.raw);
    if s.raw == value {
        return format!("`{value}`");
    }
    if s.from_dotenv.is_empty() {
        format!("`{}` (resolves to `{value}`)", s.raw)
    } else {
        let vars: Vec<String> = s.from_dotenv.iter().map(|v| format!("`{v}`")).collect();
        format!(
            "`{}` (resolves to `{value}` with {} from `.env`)",
            s.raw,
            vars.join(", ")
        )
    }
}

/// Whether two services can run together: a service without `profiles` always runs; two
/// services with profiles run together only when they share one.
pub fn can_run_together(a: &Service, b: &Service) -> bool {
    if a.profiles.is_empty() || b.profiles.is_empty() {
        return true;
    }
    a.profiles.iter().any(|p| {
        b.profiles
            .iter()
            .any(|q| p.value().is_none() || q.value().is_none() || p.value() == q.value())
    })
}
