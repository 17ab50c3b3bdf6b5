//! probe-port-alignment: the port a service listens on, the port it declares and the port its
//! health check probes must be the same port. When they drift, health checks fail (and
//! orchestrators restart healthy containers) or pass while the service is unreachable.

pub mod bicep_probe_port;
pub mod cmd_bind;
pub mod compose_depends_healthy;
pub mod compose_healthcheck_port;
pub mod compose_port_conflict;
pub mod container_probe_port;
pub mod container_probes;
pub mod healthcheck_not_deployed;
pub mod healthcheck_port;
pub mod k8s_service_target_port;
pub mod missing_healthcheck;
pub mod probe_vs_image;
pub mod service_ports;
pub mod terraform_container_app_probe;

use crate::parse::dockerfile::{
    Dockerfile, ExposedPort, Instruction, InstructionKind, Vars, substitute,
};
use crate::rules::docker::{final_instructions, variables};

/// The `EXPOSE`d ports among `instructions` (the final image's, from [`final_with_vars`]),
/// with `$VAR`s read from `vars`. `None` when some port cannot be read literally, since any
/// comparison would then be a guess.
pub(crate) fn exposed_ports<'a>(
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
pub(crate) fn final_with_vars(df: &Dockerfile) -> (Vec<&Instruction>, Vars) {
    let instructions = final_instructions(df);
    let vars = variables(df, &instructions);
    (instructions, vars)
}

/// A port read from a URL such as `http://localhost:8080/health`: the explicit port, or the
/// scheme's default. Only local hosts count — a probe of another host says nothing about this
/// container.
pub(crate) fn local_url_port(url: &str) -> Option<u16> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
