//! Resolution: what an expression's value is, where that can be known without running
//! Terraform, and where it comes from when it cannot.
//!
//! Literals, `var.x` (its auto-loaded `.tfvars` value, else its `default`), `local.x`, string
//! templates whose parts are all known, lists, objects and indexing into them resolve to a
//! [`Value`] with the [`Origin`] of the literal that decided it (which may be in
//! `variables.tf` or a `.tfvars` file rather than at the attribute). Everything else is
//! [`Value::Unknown`] with its [`Provenance`]: a variable without a value, a data source, a
//! resource attribute, a module output, or another expression. Rules use the provenance to
//! tell, say, a literal password from one read from Key Vault.

use crate::parse::terraform::hcl::{Expr, Node, Piece, Step};
use crate::render::terraform::Module;
use crate::source::Origin;

/// A resolved value and where it was written.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub value: Value,
    /// The literal that decided the value (for an unknown value, the expression).
    pub at: Origin,
    /// Whether the value passed through a variable declared `sensitive = true`.
    pub sensitive: bool,
}

/// What a value is known to be.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number as written.
    Number(String),
    Str(String),
    List(Vec<Resolved>),
    Map(Vec<(String, Resolved)>),
    Unknown(Provenance),
}

/// Where an unknown value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// `var.name`, with no default and no `.tfvars` value: set at plan time.
    Variable(String),
    /// `data.kind.name…`: read from the provider at plan time.
    Data(String),
    /// `kind.name.attribute` of a managed resource (`random_password.db.result`).
    Resource { kind: String, attribute: String },
    /// `module.name.output`.
    Module(String),
    /// Anything else: a function call, a conditional, `each.value`, `count.index`…
    Expression,
}

impl Provenance {
    /// A secret read from Azure Key Vault: the `azurerm_key_vault_secret` data source or
    /// resource.
    pub fn is_key_vault(&self) -> bool {
        match self {
            Provenance::Data(kind) | Provenance::Resource { kind, .. } => {
                kind == "azurerm_key_vault_secret"
            }
            _ => false,
        }
    }
}

impl Resolved {
    /// The text of a string or number.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) | Value::Number(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean, also written as the string `"true"`/`"false"` (Terraform converts).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            Value::Str(s) => match s.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// A whole number, also written as a string (`"1000"`).
    pub fn as_i64(&self) -> Option<i64> {
        self.as_str().and_then(|s| s.trim().parse().ok())
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.value, Value::Unknown(_))
    }

    /// The entry `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Resolved> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// How deep `local`s may refer to each other before resolution gives up (a cycle, or a
/// pathological chain).
const MAX_DEPTH: usize = 12;

impl Module {
    /// Resolves an expression of this module.
    pub fn resolve(&self, node: &Node) -> Resolved {
        self.eval(node, 0)
    }

    /// The value of `var.name`: the caller's argument for a module instance, else its last
    /// auto-loaded `.tfvars` value, else its `default`.
    pub fn variable_value(&self, name: &str) -> Option<Resolved> {
        let sensitive = self.variable(name).is_some_and(|v| v.is_sensitive());
        if let Some(input) = self
            .inputs
            .as_ref()
            .and_then(|inputs| inputs.iter().find(|(n, _)| n == name))
        {
            let mut r = input.1.clone();
            mark_sensitive(&mut r, sensitive);
            return Some(r);
        }
        let node = self
            .tfvars
            .iter()
            .rev()
            .find(|a| a.key.value == name)
            .map(|a| &a.value)
            .or_else(|| self.variable(name).and_then(|v| v.default.as_ref()))?;
        let mut r = self.eval(node, 1);
        mark_sensitive(&mut r, sensitive);
        Some(r)
    }

    fn eval(&self, node: &Node, depth: usize) -> Resolved {
        let known = |value| Resolved {
            value,
            at: node.at.clone(),
            sensitive: false,
        };
        if depth > MAX_DEPTH {
            return known(Value::Unknown(Provenance::Expression));
        }
        match &node.expr {
            Expr::Null => known(Value::Null),
            Expr::Bool(b) => known(Value::Bool(*b)),
            Expr::Number(n) => known(Value::Number(n.clone())),
            Expr::Str(s) => known(Value::Str(s.clone())),
            Expr::Array(items) => {
                let items: Vec<Resolved> = items.iter().map(|n| self.eval(n, depth + 1)).collect();
                let sensitive = items.iter().any(|r| r.sensitive);
                Resolved {
                    sensitive,
                    ..known(Value::List(items))
                }
            }
            Expr::Object(entries) => {
                let entries: Vec<(String, Resolved)> = entries
                    .iter()
                    .map(|(k, v)| (k.value.clone(), self.eval(v, depth + 1)))
                    .collect();
                let sensitive = entries.iter().any(|(_, r)| r.sensitive);
                Resolved {
                    sensitive,
                    ..known(Value::Map(entries))
                }
            }
            Expr::Template(pieces) => {
                let mut text = String::new();
                let mut sensitive = false;
                for p in pieces {
                    match p {
                        Piece::Literal(s) => text.push_str(s),
                        Piece::Interpolation(n) => {
                            let r = self.eval(n, depth + 1);
                            sensitive |= r.sensitive;
                            match &r.value {
                                Value::Str(s) | Value::Number(s) => text.push_str(s),
                                Value::Bool(b) => text.push_str(if *b { "true" } else { "false" }),
                                Value::Unknown(p) => {
                                    return Resolved {
                                        sensitive,
                                        ..known(Value::Unknown(p.clone()))
                                    };
                                }
                                _ => {
                                    return Resolved {
                                        sensitive,
                                        ..known(Value::Unknown(Provenance::Expression))
                                    };
                                }
                            }
                        }
                    }
                }
                Resolved {
                    sensitive,
                    ..known(Value::Str(text))
                }
            }
            Expr::Ref(steps) => self.reference(node, steps, depth),
            Expr::Call(name, args) => match (name.as_str(), args.as_slice()) {
                // Conversions that keep the value.
                ("tostring" | "tonumber" | "tobool" | "sensitive" | "nonsensitive", [arg]) => {
                    let mut r = self.eval(arg, depth + 1);
                    if name == "sensitive" {
                        r.sensitive = true;
                    }
                    r
                }
                _ => known(Value::Unknown(Provenance::Expression)),
            },
            Expr::Other(_) => known(Value::Unknown(Provenance::Expression)),
        }
    }

    fn reference(&self, node: &Node, steps: &[Step], depth: usize) -> Resolved {
        let unknown = |p| Resolved {
            value: Value::Unknown(p),
            at: node.at.clone(),
            sensitive: false,
        };
        let attr = |i: usize| match steps.get(i) {
            Some(Step::Attr(a)) => Some(a.as_str()),
            _ => None,
        };
        let Some(root) = attr(0) else {
            return unknown(Provenance::Expression);
        };
        let (base, rest) = match root {
            "var" => {
                let Some(name) = attr(1) else {
                    return unknown(Provenance::Expression);
                };
                match self.variable_value(name) {
                    Some(r) => (r, &steps[2..]),
                    None => {
                        let mut r = unknown(Provenance::Variable(name.to_string()));
                        r.sensitive = self.variable(name).is_some_and(|v| v.is_sensitive());
                        return r;
                    }
                }
            }
            "local" => {
                let Some(name) = attr(1) else {
                    return unknown(Provenance::Expression);
                };
                match self.locals.iter().find(|a| a.key.value == name) {
                    Some(a) => (self.eval(&a.value, depth + 1), &steps[2..]),
                    None => return unknown(Provenance::Expression),
                }
            }
            "data" => {
                return unknown(Provenance::Data(attr(1).unwrap_or("").to_string()));
            }
            "module" => match self.module_output(steps, depth) {
                Some((r, rest)) => (r, rest),
                None => return unknown(Provenance::Module(attr(1).unwrap_or("").to_string())),
            },
            "each" | "count" => match (self.each.as_deref(), attr(1)) {
                (Some((key, _)), Some("key" | "index")) => (key.clone(), &steps[2..]),
                (Some((_, value)), Some("value")) => (value.clone(), &steps[2..]),
                _ => return unknown(Provenance::Expression),
            },
            "path" | "terraform" | "self" => {
                return unknown(Provenance::Expression);
            }
            kind => {
                // `kind.name.attribute`, or `kind.name[0].attribute` under `count`.
                let attribute = steps
                    .iter()
                    .skip(2)
                    .find_map(|s| match s {
                        Step::Attr(a) => Some(a.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                return unknown(Provenance::Resource {
                    kind: kind.to_string(),
                    attribute,
                });
            }
        };
        let mut current = base;
        for step in rest {
            let sensitive = current.sensitive;
            let next = match (step, &current.value) {
                (_, Value::Unknown(_)) => return current,
                (Step::Attr(key), Value::Map(entries)) => entries
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone()),
                (Step::Index(i), Value::Map(entries)) => {
                    let key = self.eval(i, depth + 1);
                    key.as_str()
                        .and_then(|k| entries.iter().find(|(e, _)| e == k).map(|(_, v)| v.clone()))
                }
                (Step::Index(i), Value::List(items)) => {
                    let index = self.eval(i, depth + 1);
                    index
                        .as_i64()
                        .and_then(|n| usize::try_from(n).ok())
                        .and_then(|n| items.get(n).cloned())
                }
                _ => None,
            };
            current = match next {
                Some(mut r) => {
                    r.sensitive |= sensitive;
                    r
                }
                None => Resolved {
                    sensitive,
                    ..unknown(Provenance::Expression)
                },
            };
        }
        current
    }
}

impl Module {
    /// `module.name.output` (or `module.name[key].output` for a repeated call): the output's
    /// value in that instance, and the steps left after it.
    fn module_output<'s>(&self, steps: &'s [Step], depth: usize) -> Option<(Resolved, &'s [Step])> {
        let Some(Step::Attr(name)) = steps.get(1) else {
            return None;
        };
        let mut instances = self.instances.iter().filter(|i| &i.call == name);
        let (instance, rest) = match steps.get(2)? {
            Step::Index(k) => {
                let key = self.eval(k, depth + 1);
                let key = key.as_str()?;
                let i = instances.find(|i| {
                    i.key
                        .as_deref()
                        .is_some_and(|ik| ik == key || ik.trim_matches('"') == key)
                })?;
                (i, &steps[3..])
            }
            Step::Attr(_) => {
                let i = instances.next()?;
                if i.key.is_some() {
                    return None;
                }
                (i, &steps[2..])
            }
            Step::Splat => return None,
        };
        let Some(Step::Attr(output)) = rest.first() else {
            return None;
        };
        let o = instance
            .module
            .outputs
            .iter()
            .find(|o| &o.name.value == output)?;
        let mut r = instance.module.eval(&o.value.as_ref()?.value, depth + 1);
        r.sensitive |= o.is_sensitive();
        Some((r, &rest[1..]))
    }
}

fn mark_sensitive(r: &mut Resolved, sensitive: bool) {
    if !sensitive {
        return;
    }
    r.sensitive = true;
    match &mut r.value {
        Value::List(items) => items.iter_mut().for_each(|i| mark_sensitive(i, true)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, v)| mark_sensitive(v, true)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::render::terraform::tests::module;
    use crate::render::terraform::{Provenance, Value};

    fn resolve(files: &[(&str, &str)], resource_attr: &str) -> crate::render::terraform::Resolved {
        let m = module(files);
        let r = m
            .resources
            .iter()
            .find_map(|r| r.body().get(resource_attr))
            .expect("the attribute");
        m.resolve(&r.value)
    }

    #[test]
    fn variables_locals_templates_and_tfvars() {
        let main = r#"
variable "registry" { default = "ghcr.io/acme" }
variable "tag" { default = "1.0" }
locals {
  image = "${var.registry}/api:${var.tag}"
  sizes = { small = "0.5", big = ["1", "2"] }
}
resource "x" "y" {
  image = local.image
  cpu   = local.sizes.small
  big   = local.sizes["big"][1]
}
"#;
        let r = resolve(&[("main.tf", main)], "image");
        assert_eq!(r.as_str(), Some("ghcr.io/acme/api:1.0"));
        assert_eq!(resolve(&[("main.tf", main)], "cpu").as_str(), Some("0.5"));
        assert_eq!(resolve(&[("main.tf", main)], "big").as_str(), Some("2"));
        // A `terraform.tfvars` value wins over the default, and the literal is located there.
        let files = [
            ("main.tf", main),
            ("terraform.tfvars", "tag = \"latest\"\n"),
            ("prod.tfvars", "tag = \"9\"\n"),
        ];
        let r = resolve(&files, "image");
        assert_eq!(r.as_str(), Some("ghcr.io/acme/api:latest"));
    }

    #[test]
    fn literal_location_is_where_it_was_written() {
        let files = [
            (
                "main.tf",
                "variable \"img\" {}\nresource \"x\" \"y\" { image = var.img }\n",
            ),
            ("terraform.tfvars", "img = \"nginx\"\n"),
        ];
        let r = resolve(&files, "image");
        assert_eq!(r.at.file.display_path, "terraform.tfvars");
        assert_eq!(r.at.text(), "\"nginx\"");
    }

    #[test]
    fn provenance_of_unknowns() {
        let main = r#"
variable "pw" { sensitive = true }
variable "free" {}
resource "x" "y" {
  a = var.pw
  b = data.azurerm_key_vault_secret.db.value
  c = random_password.db.result
  d = module.m.out
  e = var.free
  f = "${var.free}-x"
  g = upper("x")
  h = local.missing
}
"#;
        let files = [("main.tf", main)];
        let pw = resolve(&files, "a");
        assert!(pw.sensitive && matches!(pw.value, Value::Unknown(Provenance::Variable(_))));
        let kv = resolve(&files, "b");
        assert!(matches!(&kv.value, Value::Unknown(p) if p.is_key_vault()));
        let rp = resolve(&files, "c");
        assert!(
            matches!(&rp.value, Value::Unknown(Provenance::Resource { kind, attribute }) if kind == "random_password" && attribute == "result")
        );
        assert!(matches!(
            resolve(&files, "d").value,
            Value::Unknown(Provenance::Module(_))
        ));
        assert!(!resolve(&files, "e").sensitive);
        assert!(resolve(&files, "f").is_unknown());
        assert!(resolve(&files, "g").is_unknown());
        assert!(resolve(&files, "h").is_unknown());
    }

    #[test]
    fn cycles_end() {
        let main =
            "locals {\n  a = local.b\n  b = local.a\n}\nresource \"x\" \"y\" { v = local.a }\n";
        assert!(resolve(&[("main.tf", main)], "v").is_unknown());
    }
}
