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

/// The modules whose values the Terraform rules check: the context's module (unless other
/// modules of the run call it, which check it through their instances) and every instance
/// of the modules it calls, with its caller's values.
pub fn modules<'a>(ctx: &FileContext<'a>) -> Vec<&'a Module> {
    match ctx.doc {
        Document::Terraform(t) => t.module.checked(),
        _ => Vec::new(),
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

/// Runs `check` on each module of [`modules`]; a finding about an instance's value names
/// the module call that made the instance as a related location.
pub fn each_module<'a>(
    ctx: &FileContext<'a>,
    sink: &mut Sink<'_>,
    mut check: impl FnMut(&'a Module, &mut Sink<'_>),
) {
    for m in modules(ctx) {
        let before = sink.len();
        check(m, sink);
        if let Some(env) = &m.environment {
            for f in sink.since(before) {
                if !f.environments.contains(env) {
                    f.environments.push(env.clone());
                }
            }
        }
        let Some(at) = &m.called_at else { continue };
        let path = m.call_path.join(".module.");
        for f in sink.since(before) {
            let already = f
                .related
                .iter()
                .any(|r| r.location.span == at.span && r.location.file.path == at.file.path);
            if !already {
                f.related.push(crate::finding::Related {
                    location: at.clone(),
                    message: format!("in the instance `module.{path}`, called here"),
                });
            }
        }
    }
}
