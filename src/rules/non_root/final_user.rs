//! ROOT001 final-stage-runs-as-root: the image's last `USER` is root, or no stage of the final
//! image sets a `USER` at all.

use crate::parse::dockerfile::{ImageRef, InstructionKind};
use crate::rules::docker::{dockerfile, final_chain, final_instructions, is_root_user};
use crate::rules::{FileContext, Rule, Sink};

pub struct FinalStageRunsAsRoot;

/// Base images known to set a non-root `USER` themselves.
fn base_is_non_root(image: &str) -> bool {
    let lower = image.to_ascii_lowercase();
    ["nonroot", "non-root", "unprivileged", "rootless"]
        .iter()
        .any(|m| lower.contains(m))
        || lower.starts_with("bitnami/")
        || lower.contains("/bitnami/")
        || lower.starts_with("cgr.dev/chainguard/")
        // Images that set a non-root USER themselves.
        || ["grafana/", "prom/", "quay.io/prometheus/", "jaegertracing/"].iter().any(|p| lower.starts_with(p))
}

/// Official images whose own entrypoint starts as root only to drop to a service user
/// (`gosu`/`su-exec` in `docker-entrypoint.sh`); an image built on them keeps that
/// behaviour as long as it does not replace the `ENTRYPOINT`.
const DROPPING_BASES: &[&str] = &[
    "redis",
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "rabbitmq",
    "cassandra",
    "couchdb",
    "elasticsearch",
    "memcached",
    "percona",
    "neo4j",
    "solr",
    "zookeeper",
];

/// Windows images have no root user; their default user is a different model.
fn is_windows(image: &str) -> bool {
    let lower = image.to_ascii_lowercase();
    lower.contains("windows/") || lower.contains("nanoserver") || lower.contains("servercore")
}

/// Programs that entrypoints use to drop from root to another user at start-up.
const PRIVILEGE_DROPPERS: &[&str] = &[
    "gosu",
    "su-exec",
    "setpriv",
    "s6-setuidgid",
    "chpst",
    "runuser",
];

impl Rule for FinalStageRunsAsRoot {
    fn id(&self) -> &'static str {
        "ROOT001"
    }

    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        if let Some(root) = runs_as_root(df) {
            sink.report(root.span, root.message);
        }
    }
}

/// Why an image runs as root, and where that is decided.
pub struct RunsAsRoot {
    pub span: crate::source::Span,
    pub message: String,
}

/// Whether the image a Dockerfile builds runs as root: its final stage's last `USER` is root,
/// or it has none and nothing suggests the base or the entrypoint switches user. Shared by
/// ROOT001 and the cross-file rules that deploy the image.
pub fn runs_as_root(df: &crate::parse::dockerfile::Dockerfile) -> Option<RunsAsRoot> {
    let chain = final_chain(df);
    let base = df.from_of(chain.first()?)?;
    let base_name = base
        .resolved
        .clone()
        .unwrap_or_else(|| base.image.text.clone());
    if is_windows(&base_name) {
        return None;
    }
    let instructions = final_instructions(df);
    let last_user = instructions.iter().rev().find_map(|ins| match &ins.kind {
        InstructionKind::User { user, .. } => Some(user),
        _ => None,
    });
    if let Some(user) = last_user {
        return is_root_user(&user.text).then(|| RunsAsRoot {
            span: user.span,
            message: format!(
                "The image's last `USER` is `{}`, so its containers run as root",
                user.text
            ),
        });
    }
    if base_is_non_root(&base_name) {
        return None;
    }
    let keeps_entrypoint = !instructions.iter().any(|i| i.keyword == "ENTRYPOINT");
    if keeps_entrypoint
        && ImageRef::parse(&base_name)
            .is_some_and(|r| DROPPING_BASES.contains(&r.short_name().as_str()))
    {
        return None;
    }
    // An entrypoint that drops privileges (the docker-library pattern) runs its service as
    // another user even though the image starts as root.
    let drops = instructions.iter().any(|ins| {
        let text = ins.rest.text.as_str();
        PRIVILEGE_DROPPERS.iter().any(|p| text.contains(p))
    });
    if drops {
        return None;
    }
    let last = chain.last().and_then(|s| df.from_of(s))?;
    Some(RunsAsRoot {
        span: last.image.span,
        message: format!(
            "No `USER` in the final stage: the image runs as root unless its base `{base_name}` sets a user"
        ),
    })
}
