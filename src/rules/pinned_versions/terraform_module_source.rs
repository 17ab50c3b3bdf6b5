//! PIN052 terraform-module-unpinned: a `module` whose code can change under the same
//! configuration: a registry module without `version`, or a git source without a `?ref=`
//! that names a tag or a commit (`ref=main` follows a branch).

use crate::parse::terraform::{ModuleCall, Value};
use crate::rules::terraform::module;
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformModuleUnpinned;

impl Rule for TerraformModuleUnpinned {
    fn id(&self) -> &'static str {
        "PIN052"
    }

    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(m) = module(ctx) else { return };
        for call in &m.modules {
            let Some(source) = &call.source else { continue };
            let r = m.resolve(&source.value);
            let Value::Str(text) = &r.value else { continue };
            if let Some(message) = problem(call, text) {
                sink.report_at(&r.at, message);
            }
        }
    }
}

/// Branch names that a `ref` may follow; anything else is taken for a tag or a commit.
const BRANCHES: &[&str] = &[
    "main", "master", "develop", "dev", "trunk", "head", "latest", "stable", "release",
];

fn problem(call: &ModuleCall, source: &str) -> Option<String> {
    let name = &call.name.value;
    let s = source.trim();
    if s.starts_with("./") || s.starts_with("../") || s.starts_with('/') {
        return None;
    }
    let git = s.starts_with("git::")
        || s.starts_with("git@")
        || s.starts_with("github.com/")
        || s.starts_with("bitbucket.org/")
        || s.contains(".git?")
        || s.ends_with(".git");
    if git {
        let reference = s
            .split_once('?')
            .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("ref=")));
        return match reference {
            None => Some(format!(
                "Module `{name}` comes from git without a `?ref=`, so each `terraform init` takes whatever the default branch holds"
            )),
            Some(r) if BRANCHES.contains(&r.to_ascii_lowercase().as_str()) => Some(format!(
                "Module `{name}` follows the branch `{r}`, which moves: pin a tag or a commit"
            )),
            Some(_) => None,
        };
    }
    // Other remote kinds (archives over HTTP, S3, GCS, Mercurial) carry their own version in
    // the address or are outside this rule.
    if s.contains("::") || s.contains("://") {
        return None;
    }
    // A registry address: `[host/]namespace/name/provider`, optionally `//subdir`.
    let address = s.split("//").next().unwrap_or(s);
    let parts = address.split('/').filter(|p| !p.is_empty()).count();
    let registry =
        parts == 3 || (parts == 4 && address.split('/').next().is_some_and(|h| h.contains('.')));
    if registry && call.version.is_none() {
        return Some(format!(
            "Registry module `{name}` (`{s}`) has no `version`, so each `terraform init` takes the newest release"
        ));
    }
    None
}
