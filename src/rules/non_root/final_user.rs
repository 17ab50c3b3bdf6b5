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
        let chain = final_chain(df);
        let Some(first) = chain.first() else { return };
        let Some(base) = df.from_of(first) else {
            return;
        };
        let base_name = base
            .resolved
            .clone()
            .unwrap_or_else(|| base.image.text.clone());
        if is_windows(&base_name) {
            return;
        }
        let instructions = final_instructions(df);
        let last_user = instructions.iter().rev().find_map(|ins| match &ins.kind {
            InstructionKind::User { user, .. } => Some(user),
            _ => None,
        });
        match last_user {
            Some(user) => {
                if is_root_user(&user.text) {
                    sink.report(
                        user.span,
                        format!(
                            "The image's last `USER` is `{}`, so its containers run as root",
                            user.text
                        ),
                    );
                }
            }
            None => {
                if base_is_non_root(&base_name) {
                    return;
                }
                let keeps_entrypoint = !instructions.iter().any(|i| i.keyword == "ENTRYPOINT");
                if keeps_entrypoint
                    && ImageRef::parse(&base_name)
                        .is_some_and(|r| DROPPING_BASES.contains(&r.short_name().as_str()))
                {
                    return;
                }
                // An entrypoint that drops privileges (the docker-library pattern) runs its
                // service as another user even though the image starts as root.
                let drops = instructions.iter().any(|ins| {
                    let text = ins.rest.text.as_str();
                    PRIVILEGE_DROPPERS.iter().any(|p| text.contains(p))
                });
                if drops {
                    return;
                }
                let Some(last) = chain.last().and_then(|s| df.from_of(s)) else {
                    return;
                };
                sink.report(
                    last.image.span,
                    format!(
                        "No `USER` in the final stage: the image runs as root unless its base `{base_name}` sets a user"
                    ),
                );
            }
        }
    }
}
