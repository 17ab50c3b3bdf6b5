//! SEC042 bicep-literal-secret: a secret written as a literal into a Bicep template or its
//! `.bicepparam` file: a secret-named property (`administratorLoginPassword`, `clientSecret`,
//! `connectionString`, `accessKey`), a `{ name: 'DB_PASSWORD', value: '…' }` pair, a container
//! app secret's `value`, a `@secure()` param's default or its `.bicepparam` value. Values from
//! a `@secure()` param without a literal, `getSecret()`, Key Vault references, `newGuid()` or
//! `uniqueString()` are expressions, not literals, and are not findings.

use crate::finding::mask_secret;
use crate::model::secret::contains_token;
use crate::model::secret::is_placeholder;
use crate::model::secret::is_substitution_marker;
use crate::render::bicep::syntax::{Expr, ExprKind};
use crate::render::bicep::{Resolved, Scope};
use crate::rules::bicep::is_secret_name;
use crate::rules::bicep::{Once, document};
use crate::rules::{FileContext, Rule, Sink};

pub struct BicepLiteralSecret;

/// The literal a value resolves to, when it is a plain string that could be a real secret.
fn literal<'d>(scope: &Scope<'d>, expr: &'d Expr) -> Option<(Resolved<'d>, String)> {
    let r = scope.follow(expr);
    let text = r.expr.as_plain_str()?;
    if text.len() < 4
        || is_placeholder(&text)
        || is_substitution_marker(&text)
        || contains_token(&text)
    {
        return None;
    }
    Some((r, text))
}

fn report(once: &mut Once, sink: &mut Sink<'_>, r: &Resolved<'_>, text: &str, what: &str) {
    let related: Vec<_> = r
        .via
        .iter()
        .map(|o| sink.related(o, format!("`{}` takes the value from there", o.text())))
        .collect();
    let at = r.origin();
    let message = format!(
        "{what} is the literal `{}`: anyone who can read the repository has it",
        mask_secret(text)
    );
    if let Some(f) = once.report(sink, &at, message) {
        f.related = related;
        f.secrets.push(at.span);
    }
}

/// Looks for secret-named properties and name/value pairs in `expr`.
/// Whether each key met so far is a secret's name: a template called as a module is scanned
/// once per instance, and its keys are the same each time.
type Names = std::collections::HashMap<String, bool>;

fn scan<'d>(
    scope: &Scope<'d>,
    expr: &'d Expr,
    owner: &str,
    once: &mut Once,
    sink: &mut Sink<'_>,
    names: &mut Names,
) {
    expr.walk(&mut |e| {
        let ExprKind::Object(props) = &e.kind else {
            return;
        };
        // `{ name: 'DB_PASSWORD', value: '…' }` (env, app settings) and container app secrets.
        if let (Some(n), Some(v)) = (e.get("name"), e.get("value"))
            && let Some(name) = scope.text(n).and_then(|t| t.literal())
            && is_secret_name(&name)
            && let Some((r, text)) = literal(scope, v)
        {
            report(once, sink, &r, &text, &format!("`{name}` in {owner}"));
        }
        for p in props {
            let Some(key) = p.key.as_ref().and_then(|k| k.name.as_deref()) else {
                continue;
            };
            let secret = match names.get(key) {
                Some(b) => *b,
                None => {
                    let b = is_secret_name(key);
                    names.insert(key.to_string(), b);
                    b
                }
            };
            if key.eq_ignore_ascii_case("value") || !secret {
                continue;
            }
            if let Some((r, text)) = literal(scope, &p.value) {
                report(once, sink, &r, &text, &format!("`{key}` of {owner}"));
            }
        }
    });
}

impl Rule for BicepLiteralSecret {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(doc) = document(ctx) else { return };
        let mut once = Once::default();
        let mut names = Names::new();
        for scope in doc.scopes() {
            for r in scope.doc.resources().filter(|r| !r.existing) {
                if let Some(props) = r.body.get("properties") {
                    let owner = format!("resource `{}`", r.symbol.name);
                    scan(&scope, props, &owner, &mut once, sink, &mut names);
                    if r.is("Microsoft.App/containerApps") || r.is("Microsoft.App/jobs") {
                        let Some(secrets) = props.at(&["configuration", "secrets"]) else {
                            continue;
                        };
                        for s in scope.items(secrets) {
                            if s.get("keyVaultUrl").is_some() {
                                continue;
                            }
                            let (Some(n), Some(v)) = (s.get("name"), s.get("value")) else {
                                continue;
                            };
                            let name = scope.text(n).and_then(|t| t.literal()).unwrap_or_default();
                            if let Some((res, text)) = literal(&scope, v) {
                                let what =
                                    format!("Secret `{name}` of container app `{}`", r.symbol.name);
                                report(&mut once, sink, &res, &text, &what);
                            }
                        }
                    }
                }
            }
            for s in &scope.doc.statements {
                if let crate::render::bicep::syntax::StmtKind::Module { name, value, .. } = &s.kind
                    && let Some(params) = value.body().get("params")
                {
                    scan(
                        &scope,
                        params,
                        &format!("module `{}`", name.name),
                        &mut once,
                        sink,
                        &mut names,
                    );
                }
            }
            for p in scope.doc.params().filter(|p| p.is_secure()) {
                let Some(r) = scope.param_value_of(&p.name.name) else {
                    continue;
                };
                let text = r.expr.as_plain_str().unwrap_or_default();
                if text.len() < 4
                    || is_placeholder(&text)
                    || is_substitution_marker(&text)
                    || contains_token(&text)
                {
                    continue;
                }
                report(
                    &mut once,
                    sink,
                    &r,
                    &text,
                    &format!("The value of the `@secure()` param `{}`", p.name.name),
                );
            }
            // A parameter file's own literals: a secret-named value, or a private key whatever
            // its name, is a secret written into the repository even when the template does
            // not declare the param `@secure()`.
            if let Some(pf) = scope.params.filter(|p| p.caller.is_none()) {
                for (name, value) in &pf.values {
                    if scope.doc.param(&name.name).is_some_and(|p| p.is_secure()) {
                        continue;
                    }
                    let Some(text) = value.as_plain_str() else {
                        continue;
                    };
                    // Tokens of a known format are SEC004's, in every file.
                    let key = text.contains("PRIVATE KEY-----");
                    if text.len() < 4
                        || is_placeholder(&text)
                        || is_substitution_marker(&text)
                        || contains_token(&text)
                        || !(key || is_secret_name(&name.name))
                    {
                        continue;
                    }
                    let r = Resolved {
                        expr: value,
                        file: std::sync::Arc::clone(&pf.file),
                        via: Vec::new(),
                        secure_param: None,
                        unset_param: None,
                    };
                    report(
                        &mut once,
                        sink,
                        &r,
                        &text,
                        &format!("The parameter file's value for `{}`", name.name),
                    );
                }
            }
        }
    }
}
