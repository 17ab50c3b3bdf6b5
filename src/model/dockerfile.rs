//! The image a Dockerfile builds, as the rules and the service graph see it: which stages make
//! up the final image, the variables in force at its end, the ports it exposes, the commands
//! its `RUN`s execute, and whether it runs as root.

use crate::parse::dockerfile::{
    Dockerfile, ExposedPort, From, ImageRef, Instruction, InstructionKind, Stage, Vars, substitute,
};
use crate::parse::shell::SimpleCommand;
use crate::source::Span;

/// The stages whose instructions end up in the final image: the last stage and, when it is
/// built `FROM` an earlier stage, that stage and its own base, in build order (base first).
pub fn final_chain(df: &Dockerfile) -> Vec<&Stage> {
    let mut chain = Vec::new();
    let mut current = df.stages.len().checked_sub(1);
    while let Some(i) = current {
        let Some(stage) = df.stages.get(i) else { break };
        if chain.iter().any(|s: &&Stage| std::ptr::eq(*s, stage)) {
            break; // a cycle cannot be built; stop rather than loop
        }
        chain.push(stage);
        current = df
            .from_of(stage)
            .and_then(|f| f.base_stage)
            .filter(|&b| b < i);
    }
    chain.reverse();
    chain
}

/// Every `FROM` that pulls an image not pinned by digest, with its resolved name and
/// reference. Left out: stages built on an earlier stage (they inherit its pin), `scratch`,
/// and images whose variables have no default (they are chosen at build time).
pub fn bases_without_digest(df: &Dockerfile) -> Vec<(&From, &str, &ImageRef)> {
    df.stages
        .iter()
        .filter_map(|stage| {
            let from = df.from_of(stage)?;
            let (resolved, reference) = (from.resolved.as_deref()?, from.reference.as_ref()?);
            let pulled = from.base_stage.is_none() && resolved != "scratch";
            (pulled && reference.digest.is_none()).then_some((from, resolved, reference))
        })
        .collect()
}

/// Instructions of the final image in build order (base stages first).
pub fn final_instructions(df: &Dockerfile) -> Vec<&Instruction> {
    final_chain(df)
        .into_iter()
        .flat_map(|s| df.stage_instructions(s))
        .collect()
}

/// `ENV` values and `ARG` defaults in force at the end of `instructions` (later wins), plus
/// global `ARG` defaults, for reading `EXPOSE $PORT` or `curl localhost:${PORT}` literally.
/// Values are substituted as they are declared, so `ENV URL=http://localhost:$PORT` reads.
pub fn variables(df: &Dockerfile, instructions: &[&Instruction]) -> Vars {
    let mut vars = Vars::new();
    let declare = |vars: &mut Vars, name: &str, value: Option<&str>| {
        let value = value.map(|v| substitute(v, vars).unwrap_or_else(|| v.to_string()));
        match value {
            Some(v) => {
                vars.insert(name.to_string(), Some(v));
            }
            // `ARG X` without a default keeps a value declared earlier.
            None => {
                vars.entry(name.to_string()).or_insert(None);
            }
        }
    };
    for arg in &df.global_args {
        declare(
            &mut vars,
            &arg.name.text,
            arg.default.as_ref().map(|d| d.text.as_str()),
        );
    }
    for ins in instructions {
        match &ins.kind {
            InstructionKind::Env(pairs) => {
                for kv in pairs.iter().filter(|kv| kv.value.is_some()) {
                    declare(
                        &mut vars,
                        &kv.key.text,
                        kv.value.as_ref().map(|v| v.text.as_str()),
                    );
                }
            }
            InstructionKind::Arg(args) => {
                for a in args {
                    declare(
                        &mut vars,
                        &a.name.text,
                        a.default.as_ref().map(|d| d.text.as_str()),
                    );
                }
            }
            _ => {}
        }
    }
    vars
}

/// Every simple command of every `RUN`, as written, in file order.
pub fn raw_run_commands(df: &Dockerfile) -> Vec<SimpleCommand> {
    df.instructions
        .iter()
        .filter_map(|ins| match &ins.kind {
            InstructionKind::Run(run) => Some(run.command.commands()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Every `RUN` with its simple commands as written, in file order: rules that judge a whole
/// instruction report once per `RUN` (one instruction is one edit), however many of its
/// commands are at fault.
pub fn raw_runs(df: &Dockerfile) -> Vec<(&Instruction, Vec<SimpleCommand>)> {
    df.instructions
        .iter()
        .filter_map(|ins| match &ins.kind {
            InstructionKind::Run(run) => Some((ins, run.command.commands())),
            _ => None,
        })
        .collect()
}

/// Every `RUN` with its simple commands, `sudo`/`env` wrappers removed, in file order.
pub fn runs(df: &Dockerfile) -> Vec<(&Instruction, Vec<SimpleCommand>)> {
    raw_runs(df)
        .into_iter()
        .map(|(i, cmds)| (i, cmds.iter().map(SimpleCommand::unwrapped).collect()))
        .collect()
}

/// Every simple command of every `RUN`, with `sudo`/`env` wrappers removed, in file order.
pub fn run_commands(df: &Dockerfile) -> Vec<SimpleCommand> {
    raw_run_commands(df)
        .into_iter()
        .map(|c| c.unwrapped())
        .collect()
}

/// Whether a `USER` value means root: `root`, `0`, with any group.
pub fn is_root_user(user: &str) -> bool {
    let user = user.split(':').next().unwrap_or(user).trim();
    user == "root" || user == "0"
}

/// The `EXPOSE`d ports among `instructions` (the final image's, from [`final_with_vars`]),
/// with `$VAR`s read from `vars`. `None` when some port cannot be read literally, since any
/// comparison would then be a guess.
pub fn exposed_ports<'a>(
    instructions: &[&'a Instruction],
    vars: &Vars,
) -> Option<Vec<(u16, &'a ExposedPort)>> {
    let mut ports = Vec::new();
    for ins in instructions {
        let InstructionKind::Expose(list) = &ins.kind else {
            continue;
        };
        for p in list {
            match (p.port, p.end_port) {
                (Some(start), Some(end)) => {
                    for port in start..=end.max(start) {
                        ports.push((port, p));
                    }
                }
                (Some(start), None) => ports.push((start, p)),
                _ => {
                    let text = substitute(&p.word.text, vars)?;
                    let port = text.split('/').next()?.parse().ok()?;
                    ports.push((port, p));
                }
            }
        }
    }
    Some(ports)
}

/// The final image's instructions and its variables, for rules that read commands.
pub fn final_with_vars(df: &Dockerfile) -> (Vec<&Instruction>, Vars) {
    let instructions = final_instructions(df);
    let vars = variables(df, &instructions);
    (instructions, vars)
}

/// A port read from a URL such as `http://localhost:8080/health`: the explicit port, or the
/// scheme's default. Only local hosts count — a probe of another host says nothing about this
/// container.
pub fn local_url_port(url: &str) -> Option<u16> {
    let (scheme, rest) = url.split_once("://")?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let (h, p) = v6.split_once(']')?;
        (h, p.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let local = matches!(
        host,
        "localhost" | "127.0.0.1" | "0.0.0.0" | "::1" | "::" | ""
    ) || host.starts_with("127.");
    if !local {
        return None;
    }
    match port {
        Some(p) => p.parse().ok(),
        None => Some(default),
    }
}

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

/// Why an image runs as root, and where that is decided.
pub struct RunsAsRoot {
    pub span: Span,
    pub message: String,
}

/// Whether the image a Dockerfile builds runs as root: its final stage's last `USER` is root,
/// or it has none and nothing suggests the base or the entrypoint switches user. Shared by
/// ROOT001 and the cross-file rules that deploy the image.
pub fn runs_as_root(df: &Dockerfile) -> Option<RunsAsRoot> {
    runs_as_root_with(df, &final_instructions(df))
}

/// [`runs_as_root`] given the final image's instructions ([`final_instructions`]), for callers
/// that already have them.
pub fn runs_as_root_with(df: &Dockerfile, instructions: &[&Instruction]) -> Option<RunsAsRoot> {
    let chain = final_chain(df);
    let base = df.from_of(chain.first()?)?;
    let base_name = base
        .resolved
        .clone()
        .unwrap_or_else(|| base.image.text.clone());
    if is_windows(&base_name) {
        return None;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::dockerfile::parse;

    #[test]
    fn variables_are_read_like_the_dockerfile_frontend() {
        let df = parse(
            "ARG HOST=0.0.0.0\nFROM a\nARG HOST\nENV PORT=8080 URL=http://localhost:$PORT\nARG NOPE\n",
        );
        let instructions = final_instructions(&df);
        let vars = variables(&df, &instructions);
        let s = |t: &str| substitute(t, &vars);
        assert_eq!(s("localhost:$PORT/x").as_deref(), Some("localhost:8080/x"));
        assert_eq!(s("${PORT}").as_deref(), Some("8080"));
        assert_eq!(
            s("${HOST:-127.0.0.1}:${PORT}").as_deref(),
            Some("0.0.0.0:8080")
        );
        assert_eq!(s("$URL").as_deref(), Some("http://localhost:8080"));
        assert_eq!(s("${NOPE}"), None);
        assert_eq!(s("${MISSING}"), None);
        assert_eq!(s("${NOPE:-5000}").as_deref(), Some("5000"));
        // `$` before something that is not a name stays literal, as in BuildKit.
        assert_eq!(s("a $ b $5").as_deref(), Some("a $ b $5"));
    }

    #[test]
    fn url_ports() {
        assert_eq!(local_url_port("http://localhost:8080/health"), Some(8080));
        assert_eq!(local_url_port("http://127.0.0.1/"), Some(80));
        assert_eq!(local_url_port("https://localhost"), Some(443));
        assert_eq!(local_url_port("http://[::1]:9000/x"), Some(9000));
        assert_eq!(local_url_port("http://example.com:8080/"), None);
        assert_eq!(local_url_port("ftp://localhost:21"), None);
    }
}
