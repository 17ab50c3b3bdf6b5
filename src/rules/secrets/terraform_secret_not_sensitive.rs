//! SEC051 terraform-secret-not-sensitive: a variable that carries a secret (its name means
//! one, or it feeds an attribute whose name does) without `sensitive = true`, and an output
//! that exposes such a variable, or a secret attribute of a resource, without it. Terraform
//! then prints the value in every plan and apply log, where CI keeps it.

use crate::model::secret::is_secret_name;
use crate::render::terraform::{Body, Expr, Module, Node, Output, Variable};
use crate::rules::terraform::each_module;
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformSecretNotSensitive;

impl Rule for TerraformSecretNotSensitive {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        each_module(ctx, sink, |m, sink| {
            let feeding = feeding_secret_attributes(m);
            let mut carriers: Vec<&str> = Vec::new();
            for v in &m.variables {
                let name = v.name.value.as_str();
                let fed = feeding
                    .iter()
                    .find(|(var, _)| var == name)
                    .map(|(_, attr)| attr.as_str());
                if !(is_secret_name(name) || fed.is_some()) || !holds_text(v) {
                    continue;
                }
                carriers.push(name);
                if v.is_sensitive() {
                    continue;
                }
                let why = match fed {
                    Some(attr) if !is_secret_name(name) => format!(" (it sets `{attr}`)"),
                    _ => String::new(),
                };
                let f = sink.report_at(
                &v.name.at,
                format!(
                    "Variable `{name}` carries a secret{why} but is not `sensitive = true`, so plans and logs print it"
                ),
            );
                // A literal default in the same file is the secret: masked wherever it is shown.
                if let Some(d) = &v.default
                    && matches!(d.expr, Expr::Str(_) | Expr::Template(_))
                    && d.at.file.display_path == v.name.at.file.display_path
                {
                    f.secrets.push(d.at.span);
                }
            }
            for o in &m.outputs {
                if o.is_sensitive() {
                    continue;
                }
                if let Some(source) = exposed(o, &carriers) {
                    sink.report_at(
                    &o.name.at,
                    format!(
                        "Output `{}` exposes {source} but is not `sensitive = true`, so `terraform output` and logs print it",
                        o.name.value
                    ),
                );
                }
            }
        });
    }
}

/// Whether a variable can hold a secret value: typed `string` or `map(string)` (or
/// untyped), not defaulting to a boolean or a number, and not described as a name, a path
/// or an id of one. Structured types (`list(object({ name, valueFrom }))`) describe where
/// secrets are, not what they are.
fn holds_text(v: &Variable) -> bool {
    let typed_text = v.type_.as_ref().is_none_or(|t| {
        let ty: String = t.at.text().split_whitespace().collect();
        matches!(ty.as_str(), "string" | "map(string)" | "any")
    });
    let scalar_default = v
        .default
        .as_ref()
        .is_some_and(|d| matches!(d.expr, Expr::Bool(_) | Expr::Number(_)));
    let description = v
        .block
        .body
        .get("description")
        .and_then(|d| match &d.value.expr {
            Expr::Str(s) => Some(s.to_ascii_lowercase()),
            _ => None,
        })
        .unwrap_or_default();
    const NOT_A_VALUE: &[&str] = &[
        "name of",
        "names of",
        "file",
        "path",
        "arn",
        "id of",
        "key of",
        "resource name",
        "suffix",
        "prefix",
    ];
    let pointer = NOT_A_VALUE.iter().any(|w| description.contains(w));
    typed_text && !scalar_default && !pointer
}

/// `(variable, attribute)` for each secret-named attribute (or object key) of a resource,
/// provider or module block whose value is exactly `var.<variable>`.
fn feeding_secret_attributes(m: &Module) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let bodies = m
        .resources
        .iter()
        .filter(|r| !r.data)
        .map(|r| &r.block.body)
        .chain(m.providers.iter().map(|p| &p.body))
        .chain(m.modules.iter().map(|c| &c.block.body));
    for b in bodies {
        collect(b, &mut out);
    }
    out
}

fn collect(b: &Body, out: &mut Vec<(String, String)>) {
    for a in &b.attributes {
        pairs(&a.key.value, &a.value, out);
    }
    for nested in &b.blocks {
        collect(&nested.body, out);
    }
}

fn pairs(key: &str, value: &Node, out: &mut Vec<(String, String)>) {
    match &value.expr {
        Expr::Object(entries) => {
            for (k, v) in entries {
                pairs(&k.value, v, out);
            }
        }
        _ => {
            if is_secret_name(key)
                && let Some(["var", name]) = value.ref_names().as_deref()
            {
                out.push(((*name).to_string(), key.to_string()));
            }
        }
    }
}

/// What secret an output's value exposes: a secret-carrying variable, or a resource's
/// secret attribute (`azurerm_container_registry.acr.admin_password`,
/// `random_password.db.result`). An explicit `nonsensitive(…)` is a decision, not an
/// accident, and is left alone.
fn exposed(o: &Output, carriers: &[&str]) -> Option<String> {
    let value = &o.value.as_ref()?.value;
    if matches!(&value.expr, Expr::Call(name, _) if name == "nonsensitive") {
        return None;
    }
    let mut nodes = Vec::new();
    value.walk(&mut nodes);
    for n in nodes {
        let Some(names) = n.ref_names() else { continue };
        match names.as_slice() {
            ["var", name, ..] if carriers.contains(name) => {
                return Some(format!("the secret variable `{name}`"));
            }
            [
                "data" | "var" | "local" | "module" | "each" | "count" | "path",
                ..,
            ] => {}
            [kind, name, attr, ..]
                if is_secret_name(attr) || (*kind == "random_password" && *attr == "result") =>
            {
                return Some(format!("`{kind}.{name}.{attr}`"));
            }
            _ => {}
        }
    }
    None
}
