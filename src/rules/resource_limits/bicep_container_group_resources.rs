//! RES041 bicep-container-group-resources: a Bicep container group's container without
//! `resources.requests` CPU and memory (ACI sizes and bills each container by them).

use crate::model::bicep::{Kind, containers};
use crate::render::bicep::syntax::ExprKind;
use crate::rules::bicep::{Once, document};
use crate::rules::{FileContext, Rule, Sink};
use crate::source::Origin;

pub struct BicepContainerGroupResources;

impl Rule for BicepContainerGroupResources {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(doc) = document(ctx) else { return };
        let mut once = Once::default();
        for scope in doc.scopes() {
            for c in containers(&scope)
                .iter()
                .filter(|c| c.kind == Kind::ContainerGroup && !c.init)
            {
                let res = c.spec.get("resources").map(|r| scope.value(r));
                if res.is_some_and(|r| !matches!(r.kind, ExprKind::Object(_))) {
                    continue;
                }
                let requests = res.and_then(|r| r.get("requests")).map(|r| scope.value(r));
                if requests.is_some_and(|r| !matches!(r.kind, ExprKind::Object(_))) {
                    continue;
                }
                let missing: Vec<&str> = ["cpu", "memoryInGB"]
                    .into_iter()
                    .filter(|k| requests.and_then(|r| r.get(k)).is_none())
                    .collect();
                if missing.is_empty() {
                    continue;
                }
                let at = match c.spec.entry("resources") {
                    Some((k, _)) => Origin::new(scope.file, k.span),
                    None => c.anchor(&scope),
                };
                once.report(
                    sink,
                    &at,
                    format!(
                        "{} sets no `resources.requests.{}`, which ACI needs to size and place it",
                        c.describe(&scope),
                        missing.join("` or `resources.requests.")
                    ),
                );
            }
        }
    }
}
