//! Shared reading of a Terraform module for the Terraform rules: the module of the context,
//! and how to report a resolved value whose literal may be written elsewhere (a variable's
//! `default`, a `.tfvars` file) than the attribute that uses it.

use crate::finding::Finding;
use crate::model::Document;
use crate::render::terraform::{Attribute, Module, Resolved};
use crate::rules::{FileContext, Sink};

/// The Terraform module of the context, on the module's first `.tf` file.
pub fn module<'a>(ctx: &FileContext<'a>) -> Option<&'a Module> {
    match ctx.doc {
        Document::Terraform(t) => Some(&t.module),
        _ => None,
    }
}

/// Reports at the literal that decided `value`; when that literal is not the attribute's own
/// value (it came through `var.x` or `local.x`), the attribute is a related location.
pub fn report_resolved<'s>(
    sink: &'s mut Sink<'_>,
    attr: &Attribute,
    value: &Resolved,
    message: String,
) -> &'s mut Finding {
    let elsewhere =
        value.at.span != attr.value.at.span || value.at.file.path != attr.value.at.file.path;
    let related = elsewhere
        .then(|| sink.related(&attr.value.at, format!("used by `{}` here", attr.key.value)));
    let f = sink.report_at(&value.at, message);
    f.related.extend(related);
    f
}
