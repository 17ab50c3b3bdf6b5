//! SEC050 terraform-literal-secret: a secret written as a literal into Terraform: an
//! attribute (or object key) whose name means a secret (`administrator_login_password`,
//! `password`, `client_secret`, `connection_string`, `access_key`, `sas_token`…) in any block
//! that can hold one — a `resource`, a `data` source (a `terraform_remote_state`'s `config`),
//! a `provider`, a `module` call, the `terraform { backend … }` — set to a literal: directly,
//! or through a variable's `default`, a `.tfvars` value or a local. The finding is at the
//! literal.
//!
//! Not findings: values from a variable declared `sensitive = true`, the names a secret-reading
//! data source looks up (`azurerm_key_vault_secret`), values read from a data source, another
//! resource (`random_password.x.result`), a
//! module output or any other expression; placeholders (`changeme`, `<password>`); and values
//! in a known token format, which SEC004 reports.

use crate::finding::mask_secret;
use crate::model::secret::contains_token;
use crate::model::secret::{is_placeholder, is_secret_name, url_password};
use crate::model::workload::is_templated;
use crate::render::terraform::{Attribute, Body, Module, Node, Resolved, Value};
use crate::rules::terraform::each_module;
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformLiteralSecret;

impl Rule for TerraformLiteralSecret {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        each_module(ctx, sink, |m, sink| {
            let mut seen = Vec::new();
            // Every block of a module can hold a credential: resources, data sources (a
            // `terraform_remote_state` `config`, a database a data source logs in to),
            // providers, module calls and the state backend.
            for r in &m.resources {
                // A data source that reads a secret names it (`secret = "db-password"`).
                if r.data && r.kind.value.contains("secret") {
                    continue;
                }
                let what = if r.data {
                    format!("data source {} `{}`", r.kind.value, r.name.value)
                } else {
                    format!("{} `{}`", r.kind.value, r.name.value)
                };
                // The env of a container the container model reads (ECS, Cloud Run, App
                // Runner, Lambda) is SEC020's.
                if !r.data && crate::model::cloud::KINDS.contains(&r.kind.value.as_str()) {
                    let b = without_container_env(&r.block.body);
                    body(m, &b, &what, sink, &mut seen);
                    continue;
                }
                body(m, &r.block.body, &what, sink, &mut seen);
            }
            for backend in m.settings.iter().filter_map(|s| s.backend.as_ref()) {
                let what = format!("backend `{}`", backend.label(0).unwrap_or(""));
                body(m, &backend.body, &what, sink, &mut seen);
            }
            for p in &m.providers {
                let what = format!("provider `{}`", p.label(0).unwrap_or(""));
                body(m, &p.body, &what, sink, &mut seen);
            }
            // A call followed into its module is checked there, where the value is used.
            for call in m
                .modules
                .iter()
                .filter(|c| !m.instances.iter().any(|i| i.call == c.name.value))
            {
                let what = format!("module `{}`", call.name.value);
                body(m, &call.block.body, &what, sink, &mut seen);
            }
        });
    }
}

/// A body without what holds a container's environment (`env` blocks, environment maps),
/// for resources whose containers SEC020 checks.
fn without_container_env(b: &Body) -> Body {
    let mut out = b.clone();
    out.attributes.retain(|a| {
        !matches!(
            a.key.value.as_str(),
            "variables" | "runtime_environment_variables" | "runtime_environment_secrets"
        )
    });
    out.blocks.retain(|n| n.kind.value != "env");
    out.blocks = out
        .blocks
        .iter()
        .map(|n| {
            let mut n = n.clone();
            n.body = without_container_env(&n.body);
            n
        })
        .collect();
    out
}

/// Checks every attribute of a body and of its nested blocks.
fn body(
    m: &Module,
    b: &Body,
    what: &str,
    sink: &mut Sink<'_>,
    seen: &mut Vec<crate::source::Origin>,
) {
    for a in &b.attributes {
        attribute(m, a, what, sink, seen);
    }
    for nested in &b.blocks {
        // `secret_key_ref { secret = "api-token" }` names a secret; it does not hold one.
        if nested.kind.value == "secret_key_ref" {
            continue;
        }
        // `secret { name = "db-password" value = "…" }` (Container Apps) holds a secret
        // whatever its name; `env { name = "DB_PASSWORD" value = "…" }` when its name says
        // so (`kubernetes_*` env is SEC020's).
        let named = |key: &str| {
            nested
                .body
                .get(key)
                .and_then(|a| m.resolve(&a.value).as_str().map(str::to_string))
        };
        let kubernetes = what.starts_with("kubernetes_");
        let pair = match nested.kind.value.as_str() {
            "secret" => named("name").map(|n| (n, true)),
            "env" if !kubernetes => named("name")
                .filter(|n| is_secret_name(n))
                .map(|n| (n, false)),
            _ => None,
        };
        if let (Some((name, force)), Some(v)) = (pair, nested.body.get("value")) {
            let value = m.resolve(&v.value);
            check(&name, force, &v.value, &value, what, sink, seen);
        }
        body(m, &nested.body, what, sink, seen);
    }
}

fn attribute(
    m: &Module,
    a: &Attribute,
    what: &str,
    sink: &mut Sink<'_>,
    seen: &mut Vec<crate::source::Origin>,
) {
    let value = m.resolve(&a.value);
    // Azure Container Instances' secure variables are secrets whatever their names.
    let force = a.key.value == "secure_environment_variables";
    check(&a.key.value, force, &a.value, &value, what, sink, seen);
}

/// Checks a value set under `key`; maps are searched for secret-named keys. With `force`,
/// the value is a secret whatever the key's name.
fn check(
    key: &str,
    force: bool,
    written: &Node,
    value: &Resolved,
    what: &str,
    sink: &mut Sink<'_>,
    seen: &mut Vec<crate::source::Origin>,
) {
    if value.sensitive {
        return;
    }
    match &value.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                check(k, force, written, v, what, sink, seen);
            }
        }
        // `env = ["DB_PASSWORD=…"]` (`docker_container`, `docker_service`).
        Value::List(items) => {
            for item in items {
                let Some((name, v)) = item.as_str().and_then(|t| t.split_once('=')) else {
                    continue;
                };
                if item.sensitive
                    || !is_secret_name(name)
                    || is_placeholder(v)
                    || is_templated(v)
                    || contains_token(v)
                    || is_setting_word(v)
                {
                    continue;
                }
                let span = item.at.text().find(v).map_or(item.at.span, |i| {
                    let start = item.at.span.start + i;
                    crate::source::Span::new(start, start + v.len())
                });
                seen.push(item.at.clone());
                sink.report_at(
                    &item.at,
                    format!(
                        "{what} sets `{name}` in `{key}` to a literal secret (`{}`): anyone who can read the configuration or its state has it",
                        mask_secret(v)
                    ),
                )
                .secrets
                .push(span);
            }
        }
        Value::Str(text) => {
            let reported = |seen: &Vec<crate::source::Origin>| {
                seen.iter()
                    .any(|o| o.span == value.at.span && o.file.path == value.at.file.path)
            };
            if reported(seen) || is_templated(text) || contains_token(text) {
                return;
            }
            if (force || (is_secret_name(key) && !NOT_SECRETS.contains(&key)))
                && !is_placeholder(text)
                && !is_reference_like(text)
                && !is_setting_word(text)
            {
                seen.push(value.at.clone());
                let f = sink.report_at(
                    &value.at,
                    format!(
                        "{what} sets `{key}` to a literal secret (`{}`): anyone who can read the configuration or its state has it",
                        mask_secret(text)
                    ),
                );
                f.secrets.push(value.at.span);
                // Written elsewhere (a variable's default, a `.tfvars` value, a local).
                let inside = value.at.file.path == written.at.file.path
                    && value.at.span.start >= written.at.span.start
                    && value.at.span.end <= written.at.span.end;
                if !inside {
                    f.related.push(crate::finding::Related {
                        location: written.at.clone(),
                        message: format!("used for `{key}` here"),
                    });
                }
            } else if let Some(pw) = url_password(text) {
                let secret = &text[pw.start..pw.end];
                let span = value.at.text().find(secret).map_or(value.at.span, |i| {
                    let start = value.at.span.start + i;
                    crate::source::Span::new(start, start + secret.len())
                });
                seen.push(value.at.clone());
                let f = sink.report_at(
                    &value.at,
                    format!(
                        "{what} puts a password in the URL of `{key}` (`{}`): anyone who can read the configuration or its state has it",
                        mask_secret(secret)
                    ),
                );
                f.secrets.push(span);
            }
        }
        _ => {}
    }
}

/// Attributes whose name reads like a secret but which hold a setting (`http_tokens =
/// "required"` is the EC2 metadata service's IMDSv2 switch).
const NOT_SECRETS: &[&str] = &["http_tokens"];

/// A value that names or configures rather than holds a secret: an enumeration word
/// (`required`, `disabled`) or a constant in capitals (`AZURE-COSMOS-CONNECTION-STRING`, the
/// name of a Key Vault secret).
fn is_setting_word(text: &str) -> bool {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    // A duration (`PT1H`, `P30D`, `24h`, `2m`): an expiry or rotation setting.
    let duration = {
        let d = lower.strip_prefix("pt").or_else(|| lower.strip_prefix('p'));
        let body = d.unwrap_or(&lower);
        !body.is_empty()
            && body.ends_with(['s', 'm', 'h', 'd', 'w', 'y'])
            && body
                .trim_end_matches(['s', 'm', 'h', 'd', 'w', 'y'])
                .parse::<f64>()
                .is_ok()
    };
    duration
        || matches!(
            lower.as_str(),
            "required" | "optional" | "enabled" | "disabled" | "auto" | "default" | "none"
        )
        || (t.contains(['-', '_'])
            && t.starts_with(|c: char| c.is_ascii_uppercase())
            && t.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-'))
}

/// Values that name a secret rather than hold one: Key Vault secret URIs and ids,
/// `@Microsoft.KeyVault(...)` references, ARM ids.
fn is_reference_like(text: &str) -> bool {
    let t = text.trim();
    t.starts_with("@Microsoft.KeyVault(")
        || t.contains(".vault.azure.net/")
        || t.starts_with("/subscriptions/")
        || t.starts_with("arn:")
        || t.starts_with("projects/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_words() {
        for yes in [
            "required",
            "Disabled",
            "PT1H",
            "P30D",
            "24h",
            "2m",
            "AZURE-COSMOS-CONNECTION-STRING",
        ] {
            assert!(is_setting_word(yes), "{yes}");
        }
        for no in [
            "Sup3rS3cret!",
            "hunter2",
            "s3cr3t-Pa55",
            "P4ssw0rd",
            "15m-secret",
        ] {
            assert!(!is_setting_word(no), "{no}");
        }
    }
}
