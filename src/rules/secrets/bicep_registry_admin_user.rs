//! SEC043 bicep-registry-admin-user: a Bicep container registry enables its admin user
//! (`adminUserEnabled: true`), a shared username and password with push and pull rights.

use crate::rules::bicep::{Once, document};
use crate::rules::{FileContext, Rule, Sink};

pub struct BicepRegistryAdminUser;

impl Rule for BicepRegistryAdminUser {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(doc) = document(ctx) else { return };
        let mut once = Once::default();
        for scope in doc.scopes() {
            for r in scope.doc.resources().filter(|r| !r.existing) {
                if !r.is("Microsoft.ContainerRegistry/registries") {
                    continue;
                }
                let Some(v) = r.prop(&["adminUserEnabled"]) else {
                    continue;
                };
                if scope.bool(v) != Some(true) {
                    continue;
                }
                let res = scope.follow(v);
                let related: Vec<_> = res
                    .via
                    .iter()
                    .map(|o| sink.related(o, "`adminUserEnabled` is set from here"))
                    .collect();
                let message = format!(
                    "Container registry `{}` enables the admin user, a shared password with push rights; use managed identities or tokens with scope maps",
                    r.symbol.name
                );
                if let Some(f) = once.report(sink, &res.origin(), message) {
                    f.related = related;
                }
            }
        }
    }
}
