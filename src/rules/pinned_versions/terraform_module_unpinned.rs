//! PIN052 terraform-module-unpinned: a `module` whose code can change under the same
//! configuration: a registry module without `version`, or a git source without a `?ref=`
//! that names a tag or a commit (`ref=main` follows a branch).

use crate::render::terraform::{ModuleCall, Value};
use crate::rules::terraform::module;
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformModuleUnpinned;

impl Rule for TerraformModuleUnpinned {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::terraform::hcl::Block;
    use crate::source::{Format, Origin, SourceFile, Span};
    use std::sync::Arc;

    fn call(version: bool) -> ModuleCall {
        let file = Arc::new(SourceFile::in_memory("main.tf", Format::Terraform, "x"));
        let at = Origin::new(&file, Span::new(0, 1));
        let block = Block {
            kind: crate::parse::Spanned::new("module".into(), at.clone()),
            labels: Vec::new(),
            body: Default::default(),
            at: at.clone(),
        };
        ModuleCall {
            name: crate::parse::Spanned::new("m".into(), at.clone()),
            source: None,
            version: version.then(|| crate::render::terraform::Attribute {
                key: crate::parse::Spanned::new("version".into(), at.clone()),
                value: crate::render::terraform::Node {
                    expr: crate::render::terraform::Expr::Str("1.0.0".into()),
                    at: at.clone(),
                },
                at: at.clone(),
            }),
            block,
        }
    }

    #[test]
    fn sources() {
        let unpinned = [
            "Azure/network/azurerm",
            "app.terraform.io/acme/network/azurerm",
            "terraform-aws-modules/vpc/aws//modules/vpc-endpoints",
            "git::https://example.com/net.git",
            "git@github.com:acme/net.git",
            "github.com/acme/net?ref=master",
            "git::ssh://git@example.com/net.git?ref=HEAD",
        ];
        for s in unpinned {
            assert!(problem(&call(false), s).is_some(), "{s}");
        }
        let pinned = [
            "./modules/net",
            "../net",
            "git::https://example.com/net.git?ref=v1.2.0",
            "github.com/acme/net?ref=51d462976d84fdea54b47d80dcabbf680badcdb8",
            "https://example.com/net.zip",
            "s3::https://s3.amazonaws.com/bucket/net.zip",
        ];
        for s in pinned {
            assert!(problem(&call(false), s).is_none(), "{s}");
        }
        assert!(problem(&call(true), "Azure/network/azurerm").is_none());
    }
}
