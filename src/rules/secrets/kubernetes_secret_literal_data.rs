//! SEC021 kubernetes-secret-literal-data: a Kubernetes `Secret` manifest committed with its values
//! (`data`, `stringData`) written in. A Secret's `data` is base64, not encryption: anyone who
//! can read the repository can read the secret.

use crate::finding::mask_secret;
use crate::model::secret::contains_token;
use crate::model::secret::is_placeholder;
use crate::model::secret::is_substitution_marker;
use crate::model::workload::is_templated;
use crate::rules::{FileContext, Rule, Sink};

pub struct KubernetesSecretLiteralData;

/// Keys that hold public material by convention (certificates, public keys) or name an
/// identity or a place rather than a credential (`username`, `apiAddress`,
/// `azurestorageaccountname`): committing those is not a leak.
fn is_not_secret_key(key: &str) -> bool {
    let lower: String = key
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    const ENDINGS: &[&str] = &[
        ".crt",
        ".cert",
        ".pub",
        "ca.pem",
        "cert.pem",
        "cabundle",
        "user",
        "username",
        "usernamein",
        "userin",
        "login",
        "name",
        "address",
        "host",
        "hostname",
        "url",
        "uri",
        "endpoint",
        "port",
        "database",
        "email",
    ];
    ENDINGS
        .iter()
        .any(|s| lower.ends_with(s) || lower.trim_end_matches("in") == *s)
}

impl Rule for KubernetesSecretLiteralData {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(m) = ctx.doc.manifests() else {
            return;
        };
        for secret in &m.secrets {
            let name = secret.name.as_ref().map_or_else(
                || "A Secret".to_string(),
                |n| format!("Secret `{}`", n.value),
            );
            for e in &secret.entries {
                let raw = e.value.value.trim();
                if raw.is_empty() || is_templated(raw) || is_not_secret_key(&e.key.value) {
                    continue;
                }
                // What the pod will see: `data` is base64 of it.
                let plain = if e.encoded {
                    match decode_base64(raw) {
                        Some(p) => p,
                        None => continue,
                    }
                } else {
                    raw.to_string()
                };
                if is_placeholder(&plain)
                    || is_templated(&plain)
                    || is_substitution_marker(&plain)
                    || contains_token(raw)
                {
                    continue;
                }
                let (field, why) = if e.encoded {
                    ("data", "base64 is not encryption, ")
                } else {
                    ("stringData", "")
                };
                let f = sink.report_at(
                    &e.value.at,
                    format!(
                        "{name} commits a literal value for `{}` in `{field}` (`{}`): {why}anyone who can read the repository has it",
                        e.key.value,
                        mask_secret(raw)
                    ),
                );
                f.secrets.push(e.value.at.span);
            }
        }
    }
}

/// Standard base64 (with or without padding, whitespace ignored) decoded to text; `None`
/// when it is not base64. Binary content decodes lossily: only its emptiness and placeholder
/// look matter here.
fn decode_base64(s: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("aHVudGVyMg==").as_deref(), Some("hunter2"));
        assert_eq!(decode_base64("YWRtaW4").as_deref(), Some("admin"));
        assert_eq!(decode_base64("").as_deref(), Some(""));
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn identity_keys_are_not_secrets() {
        for no in [
            "username",
            "RABBITMQ_DEFAULT_USER",
            "apiAddress",
            "tls.crt",
            "node.session.auth.username_in",
        ] {
            assert!(is_not_secret_key(no), "{no}");
        }
        for yes in [
            "password",
            "RABBITMQ_DEFAULT_PASS",
            "key",
            "tls.key",
            ".dockerconfigjson",
            "token",
        ] {
            assert!(!is_not_secret_key(yes), "{yes}");
        }
    }
}
