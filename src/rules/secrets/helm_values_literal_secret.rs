//! SEC030 helm-values-literal-secret: a literal credential in a chart's values file
//! (`auth.rootPassword: s3cret`, `apiKey: …`, a URL with a password), committed with the
//! chart and rendered into every release.

use crate::finding::mask_secret;
use crate::model::Document;
use crate::model::helm::EnvValues;
use crate::model::secret::contains_token;
use crate::model::secret::{is_placeholder, is_secret_name, url_password};
use crate::parse::yaml::{Node, Value};
use crate::render::helm::is_example_name;
use crate::rules::{FileContext, Rule, Sink};
use crate::source::{Origin, Span};

pub struct HelmValuesLiteralSecret;

/// Values files are walked this deep.
const MAX_DEPTH: usize = 32;

impl Rule for HelmValuesLiteralSecret {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Document::HelmChart(chart) = ctx.doc else {
            return;
        };
        for vf in &chart.values_files {
            let Some(root) = &vf.root else { continue };
            let disabled = |path: &[String]| disabled_everywhere(&chart.environments, path);
            let name = vf
                .file
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let example = is_example_name(name);
            walk(root, &mut Vec::new(), example, &disabled, sink, 0);
        }
    }
}

/// Whether a key names a reference to a secret kept elsewhere rather than the secret itself:
/// `existingSecret`, `existingSecretPasswordKey`, `passwordKey`, `adminPasswordSecretKey`,
/// `secretKeyRef`, `tokenSecretName`.
fn is_reference_key(key: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in key.chars() {
        if c == '_' || c == '-' || c == '.' || (c.is_uppercase() && !cur.is_empty()) {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            if c == '_' || c == '-' || c == '.' {
                continue;
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    if w.first() == Some(&"existing") || w.contains(&"ref") || w.contains(&"selector") {
        return true;
    }
    let Some((last, before)) = w.split_last() else {
        return false;
    };
    if !matches!(*last, "key" | "keys" | "name" | "names") {
        return false;
    }
    // `passwordKey`, `tokenKey`, `passwordsSecretKeystoreKey`: the key inside a Secret
    // that holds the value.
    let names_value = |x: &&str| matches!(*x, "password" | "passwords" | "token" | "passwd");
    if before.iter().any(names_value) {
        return true;
    }
    // `userSecretKey`-style keys ending in `…SecretName`, but not `secretKey` or
    // `awsSecretKey` (an AWS-style secret key is itself the secret).
    matches!(before, [.., "secret"]) && *last != "key"
}

/// Keys whose only secret marker is "connection string": the value is a secret only when
/// it carries a credential.
fn connection_only(key: &str) -> bool {
    let upper = key.to_ascii_uppercase().replace(['-', '.'], "_");
    let plain = upper.replace('_', "");
    (plain.contains("CONNECTIONSTRING") || plain.contains("CONNSTR"))
        && !["PASSWORD", "SECRET", "TOKEN", "KEY", "PWD"]
            .iter()
            .any(|m| {
                plain
                    .replace("CONNECTIONSTRING", "")
                    .replace("CONNSTR", "")
                    .contains(m)
            })
}

/// Whether a connection string carries a credential (`Password=…`, `AccountKey=…`).
fn has_credential(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    [
        "password=",
        "pwd=",
        "accountkey=",
        "sharedaccesskey=",
        "secret=",
        "token=",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

/// Whether every environment switches the feature holding `path` off (`smtp.enabled: false`
/// around `smtp.password`): its values are never rendered.
fn disabled_everywhere(envs: &[EnvValues], path: &[String]) -> bool {
    !envs.is_empty()
        && envs.iter().all(|env| {
            let mut node = Some(&env.values);
            path.iter().any(|key| {
                let off = node
                    .and_then(|n| n.get("enabled"))
                    .is_some_and(|e| e.as_bool() == Some(false));
                node = node.and_then(|n| n.get(key));
                off
            })
        })
}

/// What the walk reads besides the tree: whether the file is an example, and whether a
/// path is switched off in every environment.
type Disabled<'d> = dyn Fn(&[String]) -> bool + 'd;

fn walk(
    node: &Node,
    path: &mut Vec<String>,
    example: bool,
    disabled: &Disabled<'_>,
    sink: &mut Sink<'_>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                let Some(key) = e.key.as_str() else { continue };
                // `valueFrom: secretKeyRef:` and `existingSecret:` blocks only point at
                // secrets.
                if is_reference_key(key) || key == "valueFrom" {
                    continue;
                }
                path.push(key.to_string());
                if e.value.as_map().is_some() || e.value.as_seq().is_some() {
                    walk(&e.value, path, example, disabled, sink, depth + 1);
                } else if !disabled(path) {
                    check_scalar(key, &e.value, path, example, sink);
                }
                path.pop();
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                // `env: [{name: DB_URL, value: …}]` items are named by their `name`.
                let label = match item.get("name").and_then(Node::as_str) {
                    Some(n) => format!("[{n}]"),
                    None => format!("[{i}]"),
                };
                match path.last_mut() {
                    Some(last) => last.push_str(&label),
                    None => path.push(label.clone()),
                }
                match &item.value {
                    Value::Scalar(_) => url_secret(item, path, sink),
                    _ => walk(item, path, example, disabled, sink, depth + 1),
                }
                if let Some(last) = path.last_mut()
                    && let Some(cut) = last.len().checked_sub(label.len())
                {
                    last.truncate(cut);
                    if last.is_empty() {
                        path.pop();
                    }
                }
            }
        }
        Value::Scalar(_) => {}
    }
}

/// Values typed as booleans or numbers are settings, not credentials.
fn typed_scalar(node: &Node) -> bool {
    let Value::Scalar(s) = &node.value else {
        return false;
    };
    s.plain && (node.as_bool().is_some() || s.text.parse::<f64>().is_ok())
}

/// Values that example files use for "put yours here".
fn example_placeholder(value: &str, key: &str) -> bool {
    let v = value.to_ascii_lowercase();
    v == key.to_ascii_lowercase()
        || [
            "password", "secret", "token", "pass", "admin", "test", "demo", "sample",
        ]
        .iter()
        .any(|w| v.contains(w))
}

fn check_scalar(key: &str, value: &Node, path: &[String], example: bool, sink: &mut Sink<'_>) {
    let Some(text) = value.as_str() else { return };
    if text.contains("{{") {
        return;
    }
    // A `{name: DB_PASSWORD, value: …}` entry (an `env` list) is named by its `name`.
    if !is_secret_name(key) || typed_scalar(value) || is_placeholder(text) || contains_token(text) {
        url_secret(value, path, sink);
        return;
    }
    if example && example_placeholder(text, key) {
        return;
    }
    if connection_only(key) && !has_credential(text) {
        url_secret(value, path, sink);
        return;
    }
    let at = value.origin();
    let dotted = path.join(".");
    let finding = sink.report_at(
        &at,
        format!(
            "Helm value `{dotted}` holds a literal secret (`{}`): it is committed with the chart and rendered into every release",
            mask_secret(text)
        ),
    );
    finding.secrets.push(at.span);
}

/// A literal password in a URL's user-info, in any value (`postgresql://app:s3cret@db`).
fn url_secret(value: &Node, path: &[String], sink: &mut Sink<'_>) {
    let origin = value.origin();
    let written = origin.text();
    if written.contains("{{") || contains_token(written) {
        return;
    }
    let Some(rel) = url_password(written) else {
        return;
    };
    let span = Span::new(origin.span.start + rel.start, origin.span.start + rel.end);
    let at = Origin::new(&origin.file, span);
    let password = written.get(rel.start..rel.end).unwrap_or_default();
    let finding = sink.report_at(
        &at,
        format!(
            "Helm value `{}` holds a URL with a literal password (`{}`): it is committed with the chart and rendered into every release",
            path.join("."),
            mask_secret(password)
        ),
    );
    finding.secrets.push(span);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_keys() {
        for yes in [
            "existingSecret",
            "existingSecretPasswordKey",
            "passwordKey",
            "adminPasswordSecretKey",
            "secretKeyRef",
            "tokenSecretName",
            "userPasswordKey",
            "passwordsSecretKeystoreKey",
            "passwordSecretName",
        ] {
            assert!(is_reference_key(yes), "{yes}");
        }
        for no in [
            "password",
            "rootPassword",
            "secretKey",
            "awsSecretKey",
            "apiKey",
            "clientSecret",
            "token",
        ] {
            assert!(!is_reference_key(no), "{no}");
        }
    }

    #[test]
    fn connection_strings() {
        assert!(connection_only("connectionString"));
        assert!(connection_only("DB_CONN_STR"));
        assert!(!connection_only("password"));
        assert!(has_credential("Server=db;User Id=app;Password=x"));
        assert!(!has_credential("redis-cart:6379"));
    }
}
