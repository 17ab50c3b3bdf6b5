//! SEC010 compose-literal-secret: a Compose file writes a secret in clear, as the value of a
//! secret-named `environment` variable or build argument (`*_PASSWORD`, `*_SECRET`,
//! `APP_KEYS`…), as a user and password under an `*_AUTH` name (`NEO4J_AUTH=neo4j/s3cret`),
//! or as the password of a URL or a connection string, whatever the variable is called.
//!
//! Only the Compose file's own literals count, including a literal default
//! (`${DB_PASSWORD:-s3cret}`), which is what runs whenever the variable is unset. Values that
//! come from `.env` are not reported: `.env` is the place Compose reads secrets from and is
//! usually kept out of the repository.

use crate::finding::mask_secret;
use crate::model::secret::contains_token;
use crate::model::secret::{
    connection_string_password, credential_pair, is_auth_name, is_file_path, is_placeholder,
    is_secret_name, url_password,
};
use crate::parse::compose::{EnvVar, Service, Str};
use crate::rules::compose::project;
use crate::rules::{FileContext, Rule, Sink};
use crate::source::{Origin, Span};

pub struct ComposeLiteralSecret;

impl Rule for ComposeLiteralSecret {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(project) = project(ctx) else { return };
        for svc in &project.services {
            for var in &svc.environment {
                check(sink, svc, var, "environment variable");
            }
            for arg in svc.build.iter().flat_map(|b| &b.args) {
                check(sink, svc, arg, "build argument");
            }
        }
    }
}

/// The literals of a value written in the Compose file: the whole value when it has no
/// variable, else the `${VAR:-default}` defaults it used.
fn literals(value: &Str) -> Vec<(String, Origin)> {
    if value.value().is_none() {
        return Vec::new();
    }
    if !value.raw.contains('$') {
        return vec![(value.raw.clone(), value.at.clone())];
    }
    value
        .defaults
        .iter()
        .map(|d| (d.text().trim_matches(['"', '\'']).to_string(), d.clone()))
        .filter(|(text, _)| !text.contains('$'))
        .collect()
}

fn check(sink: &mut Sink<'_>, svc: &Service, var: &EnvVar, what: &str) {
    let Some(value) = &var.value else { return };
    let name = &var.name.value;
    for (text, at) in literals(value) {
        if contains_token(&text) {
            continue;
        }
        if is_secret_name(name) {
            if is_placeholder(&text) || is_file_path(&text) || !holds_credentials(name, &text) {
                continue;
            }
            let how = if at.span == value.at.span {
                "a literal value"
            } else {
                "a literal default"
            };
            let finding = sink.report_at(
                &at,
                format!(
                    "Service `{}` sets {what} `{name}` to {how} (`{}`) in the Compose file; pass it from the environment or a Compose secret",
                    svc.name.value,
                    mask_secret(&text)
                ),
            );
            finding.secrets.push(at.span);
        } else if let Some(pw) = is_auth_name(name).then(|| credential_pair(&text)).flatten() {
            // `NEO4J_AUTH=neo4j/s3cret`: a user and its password in one value.
            let secret = inner(&at, &text, pw);
            let finding = sink.report_at(
                &Origin::new(&at.file, secret),
                format!(
                    "Service `{}` sets {what} `{name}` to a user and a literal password (`{}`) in the Compose file; pass it from the environment or a Compose secret",
                    svc.name.value,
                    mask_secret(&text[pw.start..pw.end])
                ),
            );
            finding.secrets.push(secret);
        } else if let Some(pw) = connection_string_password(&text) {
            let secret = inner(&at, &text, pw);
            let finding = sink.report_at(
                &Origin::new(&at.file, secret),
                format!(
                    "Service `{}` sets {what} `{name}` to a connection string with a literal password (`{}`)",
                    svc.name.value,
                    mask_secret(&text[pw.start..pw.end])
                ),
            );
            finding.secrets.push(secret);
        } else if let Some(pw) = url_password(&text) {
            let secret = inner(&at, &text, pw);
            let finding = sink.report_at(
                &Origin::new(&at.file, secret),
                format!(
                    "Service `{}` sets {what} `{name}` to a URL with a literal password (`{}`)",
                    svc.name.value,
                    mask_secret(&text[pw.start..pw.end])
                ),
            );
            finding.secrets.push(secret);
        }
    }
}

/// A connection string is a secret only when it carries one (`Password=`, `AccountKey=`, a
/// URL password); `redis:6379` names a server and nothing else.
fn holds_credentials(name: &str, value: &str) -> bool {
    let key: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    if !(key.contains("CONNECTIONSTRING") || key.contains("CONNSTR")) {
        return true;
    }
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
        || url_password(value).is_some()
}

/// The span of `range` of `text` where `at` holds `text` as-is or between quotes; else all of
/// `at`.
fn inner(at: &Origin, text: &str, range: Span) -> Span {
    let written = at.text();
    let offset = if written == text {
        0
    } else if written.len() == text.len() + 2 && written.get(1..written.len() - 1) == Some(text) {
        1
    } else {
        return at.span;
    };
    Span::new(
        at.span.start + offset + range.start,
        at.span.start + offset + range.end,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_bare_connection_strings_are_not_secrets() {
        assert!(is_file_path("/run/secrets/db-password"));
        assert!(!is_file_path("/"));
        assert!(!is_file_path("/s3cret pass"));
        assert!(!holds_credentials("Redis:ConnectionString", "redis:6379"));
        assert!(holds_credentials(
            "SQL_CONNECTION_STRING",
            "Server=db;User Id=sa;Password=Pa55w0rd!"
        ));
        assert!(holds_credentials("DB_CONN_STR", "postgres://u:p4ss@db/x"));
        assert!(holds_credentials("DB_PASSWORD", "hunter2"));
    }
}
