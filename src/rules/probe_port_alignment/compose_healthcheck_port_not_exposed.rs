//! PORT010 compose-healthcheck-port-not-exposed: a Compose `healthcheck` probes a local port
//! that is not the container side of any of the service's `ports` or `expose` entries.

use crate::model::dockerfile::local_url_port;
use crate::parse::compose::{HealthTest, Service, Str};
use crate::rules::compose::project;
use crate::rules::{FileContext, Rule, Sink};
use crate::source::Origin;

pub struct ComposeHealthcheckPortNotExposed;

impl Rule for ComposeHealthcheckPortNotExposed {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(project) = project(ctx) else { return };
        for svc in &project.services {
            // Without declared ports, or with some we cannot read, there is nothing to
            // compare against (the image's `EXPOSE` is another file's business).
            if !svc.ports_known || (svc.ports.is_empty() && svc.expose.is_empty()) {
                continue;
            }
            let Some(hc) = &svc.healthcheck else { continue };
            if hc.disabled {
                continue;
            }
            let words: Vec<&Str> = match &hc.test {
                HealthTest::Exec(words) => words.iter().collect(),
                HealthTest::Shell(s) => vec![s],
                _ => continue,
            };
            for word in words {
                let Some(text) = word.value() else { continue };
                let Some((port, range)) = probed_port(text) else {
                    continue;
                };
                if declares(svc, port) {
                    continue;
                }
                report(sink, svc, word, port, range);
            }
        }
    }
}

fn declares(svc: &Service, port: u16) -> bool {
    svc.ports.iter().any(|p| p.container.contains(port))
        || svc.expose.iter().any(|e| e.ports.contains(port))
}

fn report(
    sink: &mut Sink<'_>,
    svc: &Service,
    word: &Str,
    port: u16,
    range: std::ops::Range<usize>,
) {
    let mut declared: Vec<String> = svc
        .ports
        .iter()
        .map(|p| p.container.to_string())
        .chain(svc.expose.iter().map(|e| e.ports.to_string()))
        .collect();
    declared.dedup();
    let host_side = svc
        .ports
        .iter()
        .find(|p| p.host.is_some_and(|h| h.contains(port)));
    let message = match host_side {
        Some(p) => format!(
            "Service `{}` health check probes port {port}, the host side of `{}`; inside the container the service listens on {}",
            svc.name.value,
            p.at.text().trim_matches(['"', '\'']),
            p.container
        ),
        None => format!(
            "Service `{}` health check probes port {port}, but the service declares {}",
            svc.name.value,
            declared.join(", ")
        ),
    };
    let related: Vec<_> = svc
        .ports
        .iter()
        .map(|p| &p.at)
        .chain(svc.expose.iter().map(|e| &e.at))
        .map(|at: &Origin| {
            let entry = at.text().trim_matches(['"', '\'']);
            sink.related(at, format!("`{entry}` declared here"))
        })
        .collect();
    // Point at the port in the command when the text is written as-is.
    let at = if word.raw == word.value().unwrap_or_default() {
        word.sub(range)
    } else {
        word.at.clone()
    };
    sink.report_at(&at, message).related = related;
}

/// The first local port a health-check command probes, with the byte range of the probe in
/// the text: `http://localhost:8080/health` (curl, wget), `localhost:8080` without a scheme,
/// bash's `/dev/tcp/localhost/8080`, and a local host followed by a port number
/// (`nc -z localhost 8080`, `TCPSocket.new('localhost', 8080)`). A bare host with no port
/// (`mysqladmin ping -h 127.0.0.1`) says nothing about the port.
fn probed_port(text: &str) -> Option<(u16, std::ops::Range<usize>)> {
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut offset = 0;
    for word in text.split(|c: char| {
        c.is_ascii_whitespace() || matches!(c, '\'' | '"' | ';' | '(' | ')' | '<' | '>' | ',')
    }) {
        if !word.is_empty() {
            words.push((offset, word));
        }
        offset += word.len() + 1;
    }
    for (i, (start, word)) in words.iter().enumerate() {
        let range = *start..start + word.len();
        if let Some(rest) = word.strip_prefix("/dev/tcp/") {
            if let Some((host, port)) = rest.split_once('/')
                && is_local(host)
                && let Ok(p) = port.parse()
            {
                return Some((p, range));
            }
            continue;
        }
        if is_local(word) {
            if let Some((next_start, next)) = words.get(i + 1)
                && let Ok(p) = next.parse::<u16>()
            {
                return Some((p, *start..next_start + next.len()));
            }
            continue;
        }
        let url = if word.contains("://") {
            word.to_string()
        } else if ["localhost:", "127.", "0.0.0.0:", "[::1]:"]
            .iter()
            .any(|h| word.starts_with(h))
            && word.contains(':')
        {
            format!("http://{word}")
        } else {
            continue;
        };
        if let Some(p) = local_url_port(&url) {
            return Some((p, range));
        }
    }
    None
}

fn is_local(host: &str) -> bool {
    matches!(host, "localhost" | "0.0.0.0" | "::1") || host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes() {
        let t = "curl -f http://localhost:8080/health || exit 1";
        let (p, r) = probed_port(t).unwrap();
        assert_eq!((p, &t[r]), (8080, "http://localhost:8080/health"));
        assert_eq!(
            probed_port("wget -qO- localhost:3000").map(|x| x.0),
            Some(3000)
        );
        let t = "bash -c 'echo > /dev/tcp/localhost/9555'";
        let (p, r) = probed_port(t).unwrap();
        assert_eq!((p, &t[r]), (9555, "/dev/tcp/localhost/9555"));
        assert_eq!(probed_port("curl http://127.0.0.1/").map(|x| x.0), Some(80));
        assert_eq!(probed_port("curl http://db:5432"), None);
        assert_eq!(probed_port("pg_isready -U postgres"), None);
        assert_eq!(probed_port("mysqladmin ping -h 127.0.0.1 --silent"), None);
        assert_eq!(probed_port("nc -z localhost 7001").map(|x| x.0), Some(7001));
        assert_eq!(
            probed_port("require 'socket'; TCPSocket.new('localhost', 6060).close").map(|x| x.0),
            Some(6060)
        );
        assert_eq!(probed_port("c.connect(50051,'127.0.0.1',()=>{})"), None);
    }
}
