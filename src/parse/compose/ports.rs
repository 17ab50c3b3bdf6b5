//! Compose port syntax: the short form `[[HOST_IP:]HOST:]CONTAINER[/PROTOCOL]` in all its
//! variants (`"80"`, `"8080:80"`, `"127.0.0.1:8080:80"`, `"[::1]:8080:80"`,
//! `"127.0.0.1::80"`, ranges `"8000-8010:8000-8010"`, `"53:53/udp"`), and `expose` entries
//! (`"3000"`, `"3000-3005/tcp"`).

/// An inclusive range of ports; a single port has `start == end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

impl PortRange {
    pub fn single(port: u16) -> Self {
        Self {
            start: port,
            end: port,
        }
    }

    pub fn contains(&self, port: u16) -> bool {
        self.start <= port && port <= self.end
    }

    pub fn overlaps(&self, other: &PortRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// Reads `8080` or `8000-8010`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (a, b) = match text.split_once('-') {
            Some((a, b)) => (a, b),
            None => (text, text),
        };
        let start = port_number(a)?;
        let end = port_number(b)?;
        if end < start {
            return Err(format!("port range `{text}` ends before it starts"));
        }
        Ok(Self { start, end })
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

fn port_number(text: &str) -> Result<u16, String> {
    let text = text.trim();
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("`{text}` is not a port number (1-65535)")),
    }
}

/// A short-form port, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortPort {
    pub host_ip: Option<String>,
    pub host: Option<PortRange>,
    pub container: PortRange,
    pub protocol: String,
}

/// Splits off `/protocol` (lower-cased; `tcp` when absent).
pub fn split_protocol(text: &str) -> Result<(&str, String), String> {
    match text.rsplit_once('/') {
        Some((rest, proto)) => {
            let proto = proto.to_ascii_lowercase();
            if matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
                Ok((rest, proto))
            } else {
                Err(format!("`{proto}` is not a port protocol (tcp, udp, sctp)"))
            }
        }
        None => Ok((text, "tcp".to_string())),
    }
}

/// Reads a short-form `ports` entry.
pub fn parse_short(text: &str) -> Result<ShortPort, String> {
    let (rest, protocol) = split_protocol(text.trim())?;
    let (host_ip, host, container) = if let Some(v6) = rest.strip_prefix('[') {
        let (ip, after) = v6.split_once(']').ok_or_else(|| {
            format!("`{text}` opens an IPv6 address with `[` but never closes it")
        })?;
        let after = after
            .strip_prefix(':')
            .ok_or_else(|| format!("`{text}`: expected `:` after the IPv6 address"))?;
        let (host, container) = after
            .split_once(':')
            .ok_or_else(|| format!("`{text}`: expected HOST:CONTAINER after the address"))?;
        (Some(ip.to_string()), host, container)
    } else {
        let mut parts: Vec<&str> = rest.split(':').collect();
        let container = parts.pop().unwrap_or_default();
        let host = parts.pop();
        let ip = (!parts.is_empty()).then(|| parts.join(":"));
        match host {
            Some(h) => (ip, h, container),
            None => (None, "", container),
        }
    };
    if host_ip.as_deref() == Some("") {
        return Err(format!("`{text}` has an empty host IP"));
    }
    let host = if host.is_empty() {
        None
    } else {
        Some(PortRange::parse(host)?)
    };
    let container = PortRange::parse(container)?;
    if let Some(h) = host
        && h.start != h.end
        && container.start != container.end
        && h.end - h.start != container.end - container.start
    {
        return Err(format!(
            "`{text}` maps {} host ports onto {} container ports",
            u32::from(h.end - h.start) + 1,
            u32::from(container.end - container.start) + 1
        ));
    }
    Ok(ShortPort {
        host_ip,
        host,
        container,
        protocol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(text: &str) -> ShortPort {
        parse_short(text).unwrap()
    }

    #[test]
    fn every_short_form() {
        let p = short("80");
        assert_eq!(
            (p.host, p.container, p.protocol.as_str()),
            (None, PortRange::single(80), "tcp")
        );
        let p = short("8080:80");
        assert_eq!(
            (p.host, p.container),
            (Some(PortRange::single(8080)), PortRange::single(80))
        );
        let p = short("127.0.0.1:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.host, Some(PortRange::single(8080)));
        let p = short("[::1]:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        assert_eq!(p.container, PortRange::single(80));
        let p = short("127.0.0.1::80");
        assert_eq!((p.host_ip.as_deref(), p.host), (Some("127.0.0.1"), None));
        let p = short("8000-8010:8000-8010");
        assert_eq!(
            p.host,
            Some(PortRange {
                start: 8000,
                end: 8010
            })
        );
        assert_eq!(
            p.container,
            PortRange {
                start: 8000,
                end: 8010
            }
        );
        let p = short("53:53/udp");
        assert_eq!(p.protocol, "udp");
        let p = short("9000-9005:80");
        assert_eq!(
            p.host,
            Some(PortRange {
                start: 9000,
                end: 9005
            })
        );
        let p = short("3000-3005");
        assert_eq!(
            p.container,
            PortRange {
                start: 3000,
                end: 3005
            }
        );
    }

    #[test]
    fn bad_ports_are_errors() {
        for bad in [
            "",
            "abc",
            "0",
            "70000",
            "80:",
            "8080:80/xyz",
            "[::1:8080:80",
            "[::1]8080:80",
            "10-5",
            ":8080:80",
            "8000-8010:80-81",
        ] {
            assert!(parse_short(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges() {
        let a = PortRange::parse("8000-8010").unwrap();
        assert!(a.contains(8005) && !a.contains(8011));
        assert!(a.overlaps(&PortRange::single(8010)));
        assert!(!a.overlaps(&PortRange::single(7999)));
        assert_eq!(a.to_string(), "8000-8010");
    }
}
