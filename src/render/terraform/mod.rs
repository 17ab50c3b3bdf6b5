//! Terraform modules: the `.tf` files of one directory are one module; `.tfvars` beside them
//! give variable values. Files are parsed by [`crate::parse::terraform`]; here `var.x`,
//! `local.x` and `.tfvars` values are resolved to literals where they are literals ([`eval`]).
//!
//! The module keeps the top-level blocks rules care about, typed just enough: the
//! `terraform` settings (`required_version`, `required_providers`, `backend`), `provider`s,
//! `module` calls, `variable`s, `locals`, `resource`s and `data` sources (their bodies as
//! written) and `output`s. `kubernetes_*` workloads and Services are turned into the shared
//! container model by [`crate::model::terraform`].
//!
//! Which `.tfvars` files count: Terraform itself loads `terraform.tfvars` and then every
//! `*.auto.tfvars` (in lexical order, later files winning) without being asked; other
//! `.tfvars` files are only read with `-var-file`, so they are parsed (their syntax errors are
//! reported) but do not decide a variable's value here.

pub mod eval;
pub mod modules;

pub use crate::parse::terraform::{
    Attribute, Block, Body, Expr, Node, Parsed, Piece, Step, hcl, parse,
};
pub use eval::{Provenance, Resolved, Value};
pub use modules::{Diagnostic, Instance};

use std::sync::Arc;

use crate::parse::{ParseError, Spanned};
use crate::source::{Format, Origin, SourceFile};

/// A module: every `.tf` file of a directory, and the `.tfvars` files beside them.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// `terraform { … }` blocks (a module may split them across files).
    pub settings: Vec<Settings>,
    /// `provider "name" { … }` blocks.
    pub providers: Vec<Block>,
    /// `module "name" { source = … }` calls.
    pub modules: Vec<ModuleCall>,
    pub variables: Vec<Variable>,
    /// Every entry of every `locals { … }` block.
    pub locals: Vec<Attribute>,
    /// `resource` and `data` blocks, in file order.
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
    /// Values from the auto-loaded `.tfvars` files, in load order (a later one wins).
    pub tfvars: Vec<Attribute>,
    /// Values from the other `.tfvars` files (`prod.tfvars`, read with `-var-file`): each is
    /// one way the module may be deployed, so rules may check what they set, but they do not
    /// decide a variable's value.
    pub var_files: Vec<Attribute>,
    /// Whether a `.terraform.lock.hcl` (the dependency lock file, which pins each provider's
    /// exact release) is beside the module's files.
    pub lock_file: bool,
    pub errors: Vec<ParseError>,
    /// The names of the module calls that instantiated this module, outermost first (empty
    /// for a root module, or a module checked on its own with its defaults).
    pub call_path: Vec<String>,
    /// For an instance: the caller's arguments, resolved where the caller wrote them, which
    /// decide the variables before their defaults.
    pub inputs: Option<Vec<(String, Resolved)>>,
    /// For an instance: the call's name in its caller.
    pub called_at: Option<Origin>,
    /// The instances of the modules this module calls ([`modules`]).
    pub instances: Vec<Instance>,
    /// Calls not followed, and limits reached, while instantiating.
    pub diagnostics: Vec<Diagnostic>,
    /// Another module of the run calls this one by a local path: it is checked through its
    /// callers' instances, not on its own with its defaults.
    pub called: bool,
    /// The environment this module is deployed as: a non-auto-loaded `<env>.tfvars` beside
    /// it, or an `environments/<env>/` root (and every instance either one calls).
    pub environment: Option<String>,
    /// One copy of the module per `<env>.tfvars` beside it, with that file's values on top of
    /// the auto-loaded ones ([`Module::with_environments`]); the module itself is then the
    /// `default` environment.
    pub variants: Vec<Module>,
    /// The other `.tfvars` files by environment (`prod.tfvars` → `prod`).
    pub var_file_sets: Vec<(String, Vec<Attribute>)>,
    /// What `each.key`/`each.value` (and `count.index`, as both) are while a repeated module
    /// call's arguments are resolved.
    pub(crate) each: Option<Box<(Resolved, Resolved)>>,
}

/// A `terraform { … }` block.
#[derive(Debug, Clone)]
pub struct Settings {
    pub required_version: Option<Attribute>,
    pub required_providers: Vec<RequiredProvider>,
    /// `backend "kind" { … }`.
    pub backend: Option<Block>,
    /// The `terraform` keyword.
    pub at: Origin,
}

/// An entry of `required_providers`: `azurerm = { source = "…", version = "…" }`, or the
/// legacy `azurerm = "~> 3.0"` (a version alone).
#[derive(Debug, Clone)]
pub struct RequiredProvider {
    pub name: Spanned<String>,
    pub source: Option<Node>,
    pub version: Option<Node>,
    /// The entry's value.
    pub at: Origin,
}

/// A `module "name" { … }` call.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: Spanned<String>,
    pub source: Option<Attribute>,
    pub version: Option<Attribute>,
    pub block: Block,
}

/// A `variable "name" { … }` declaration.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: Spanned<String>,
    /// `type = …`, as written (`string`, `map(string)`, `object({ … })`).
    pub type_: Option<Node>,
    pub default: Option<Node>,
    /// `sensitive = …`, as written.
    pub sensitive: Option<Attribute>,
    pub block: Block,
}

impl Variable {
    /// Whether `sensitive = true` (literally) is set.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
            .as_ref()
            .is_some_and(|a| matches!(a.value.expr, Expr::Bool(true)))
    }
}

/// A `resource "type" "name"` or `data "type" "name"` block.
#[derive(Debug, Clone)]
pub struct Resource {
    /// A `data` source rather than a managed resource.
    pub data: bool,
    pub kind: Spanned<String>,
    pub name: Spanned<String>,
    /// `count` or `for_each`, when the block is repeated.
    pub repeat: Option<Attribute>,
    pub block: Block,
}

impl Resource {
    pub fn body(&self) -> &Body {
        &self.block.body
    }
}

/// An `output "name" { … }` block.
#[derive(Debug, Clone)]
pub struct Output {
    pub name: Spanned<String>,
    pub value: Option<Attribute>,
    pub sensitive: Option<Attribute>,
    pub block: Block,
}

impl Output {
    /// Whether `sensitive = true` (literally) is set.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
            .as_ref()
            .is_some_and(|a| matches!(a.value.expr, Expr::Bool(true)))
    }
}

/// Whether Terraform loads a `.tfvars` file without being asked.
fn auto_loaded(file: &SourceFile) -> bool {
    let name = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
}

/// Builds a module from its files (`.tf` and `.tfvars`, in path order); `lock_file` says
/// whether a `.terraform.lock.hcl` is beside them.
pub fn build(files: &[(&Arc<SourceFile>, &Parsed)], lock_file: bool) -> Module {
    let mut m = Module::default();
    // `terraform.tfvars` first, then `*.auto.tfvars` in name order.
    let mut vars: Vec<&(&Arc<SourceFile>, &Parsed)> = files
        .iter()
        .filter(|(f, _)| f.format == Format::TerraformVars && auto_loaded(f))
        .collect();
    vars.sort_by_key(|(f, _)| {
        let name = f.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        (name != "terraform.tfvars", name.to_string())
    });
    for (_, p) in vars {
        m.tfvars.extend(p.body.attributes.iter().cloned());
    }
    m.var_files = files
        .iter()
        .filter(|(f, _)| f.format == Format::TerraformVars && !auto_loaded(f))
        .flat_map(|(_, p)| p.body.attributes.iter().cloned())
        .collect();
    m.var_file_sets = files
        .iter()
        .filter(|(f, _)| f.format == Format::TerraformVars && !auto_loaded(f))
        .filter_map(|(f, p)| {
            let name = f.path.file_name()?.to_str()?.to_ascii_lowercase();
            let stem = name.strip_suffix(".tfvars")?;
            // `prod.tfvars`, `terraform.prod.tfvars`, `prod.terraform.tfvars`.
            let env = stem
                .split('.')
                .find(|w| *w != "terraform" && !w.is_empty())?
                .to_string();
            Some((env, p.body.attributes.clone()))
        })
        .collect();
    m.lock_file = lock_file;
    for (f, p) in files {
        if f.format != Format::Terraform {
            continue;
        }
        for b in &p.body.blocks {
            read_block(b, &mut m);
        }
    }
    m
}

fn read_block(b: &Block, m: &mut Module) {
    let label = |n: usize| b.labels.get(n).cloned();
    match b.kind.value.as_str() {
        "terraform" => m.settings.push(Settings {
            required_version: b.body.get("required_version").cloned(),
            required_providers: b
                .body
                .blocks_of("required_providers")
                .flat_map(|rp| &rp.body.attributes)
                .map(|a| RequiredProvider {
                    name: a.key.clone(),
                    source: a.value.entry("source").cloned(),
                    version: match &a.value.expr {
                        Expr::Object(_) => a.value.entry("version").cloned(),
                        _ => Some(a.value.clone()),
                    },
                    at: a.value.at.clone(),
                })
                .collect(),
            backend: b.body.block("backend").cloned(),
            at: b.kind.at.clone(),
        }),
        "provider" => m.providers.push(b.clone()),
        "module" => {
            if let Some(name) = label(0) {
                m.modules.push(ModuleCall {
                    name,
                    source: b.body.get("source").cloned(),
                    version: b.body.get("version").cloned(),
                    block: b.clone(),
                });
            }
        }
        "variable" => {
            if let Some(name) = label(0) {
                m.variables.push(Variable {
                    name,
                    type_: b.body.get("type").map(|a| a.value.clone()),
                    default: b.body.get("default").map(|a| a.value.clone()),
                    sensitive: b.body.get("sensitive").cloned(),
                    block: b.clone(),
                });
            }
        }
        "locals" => m.locals.extend(b.body.attributes.iter().cloned()),
        "resource" | "data" => {
            if let (Some(kind), Some(name)) = (label(0), label(1)) {
                m.resources.push(Resource {
                    data: b.kind.value == "data",
                    kind,
                    name,
                    repeat: b
                        .body
                        .get("count")
                        .or_else(|| b.body.get("for_each"))
                        .cloned(),
                    block: b.clone(),
                });
            }
        }
        "output" => {
            if let Some(name) = label(0) {
                m.outputs.push(Output {
                    name,
                    value: b.body.get("value").cloned(),
                    sensitive: b.body.get("sensitive").cloned(),
                    block: b.clone(),
                });
            }
        }
        _ => {}
    }
}

impl Module {
    /// The managed resources (not data sources) whose type is one of `kinds`.
    pub fn resources_of<'a>(
        &'a self,
        kinds: &'a [&'a str],
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources
            .iter()
            .filter(move |r| !r.data && kinds.contains(&r.kind.value.as_str()))
    }

    /// The variable declared as `name`.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name.value == name)
    }

    /// This module, unless it is checked only through its callers, and every instance of
    /// the modules it calls, depth first: the modules whose values rules check.
    pub fn checked(&self) -> Vec<&Module> {
        let mut out = Vec::new();
        if self.called {
            return out;
        }
        self.collect(&mut out);
        for v in &self.variants {
            v.collect(&mut out);
        }
        out
    }

    /// One variant per `<env>.tfvars` beside the module ([`Module::variants`]): its values on
    /// top of the auto-loaded ones.
    pub fn with_environments(&mut self) {
        let sets = std::mem::take(&mut self.var_file_sets);
        // Deployed without `-var-file` too: the `default` environment, as a chart's
        // `values.yaml` alone is.
        if !sets.is_empty() && self.environment.is_none() {
            self.environment = Some("default".to_string());
        }
        // Each file's values are judged in its own environment, not as the default's.
        if !sets.is_empty() {
            self.var_files.clear();
        }
        for (env, attrs) in &sets {
            let mut v = self.clone();
            v.tfvars.extend(attrs.iter().cloned());
            v.var_files.clear();
            v.instances.clear();
            v.diagnostics.clear();
            v.environment = Some(env.clone());
            self.variants.push(v);
        }
        self.var_file_sets = sets;
    }

    /// Whether the environment's name marks production.
    pub fn is_production(&self) -> bool {
        self.environment
            .as_deref()
            .is_some_and(|e| ["prod", "production", "prd", "live"].contains(&e))
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Module>) {
        out.push(self);
        for i in &self.instances {
            i.module.collect(out);
        }
    }

    /// Whether the module uses anything that needs Terraform to run: a provider, a
    /// resource, a data source or a module call.
    pub fn has_infrastructure(&self) -> bool {
        !self.resources.is_empty() || !self.modules.is_empty() || !self.providers.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn module(files: &[(&str, &str)]) -> Module {
        let loaded: Vec<(Arc<SourceFile>, Parsed)> = files
            .iter()
            .map(|(name, text)| {
                let format = if name.ends_with(".tfvars") {
                    Format::TerraformVars
                } else {
                    Format::Terraform
                };
                let f = Arc::new(SourceFile::in_memory(name, format, *text));
                let p = parse(&f);
                (f, p)
            })
            .collect();
        let refs: Vec<(&Arc<SourceFile>, &Parsed)> = loaded.iter().map(|(f, p)| (f, p)).collect();
        build(&refs, false)
    }

    #[test]
    fn reads_the_top_level_blocks() {
        let m = module(&[(
            "main.tf",
            r#"
terraform {
  required_version = ">= 1.3"
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "~> 3.0" }
    random  = "2.0"
  }
  backend "azurerm" {}
}
provider "azurerm" {
  features {}
}
module "net" {
  source  = "Azure/network/azurerm"
  version = "5.3.0"
}
variable "pw" {
  type      = string
  sensitive = true
}
locals { name = "app" }
resource "azurerm_resource_group" "rg" { name = local.name }
data "azurerm_client_config" "current" {}
output "id" { value = azurerm_resource_group.rg.id }
"#,
        )]);
        assert!(m.errors.is_empty());
        let s = &m.settings[0];
        assert!(s.required_version.is_some() && s.backend.is_some());
        let providers: Vec<_> = s
            .required_providers
            .iter()
            .map(|p| {
                (
                    p.name.value.as_str(),
                    p.version.as_ref().map(|v| v.at.text().to_string()),
                )
            })
            .collect();
        assert_eq!(
            providers,
            [
                ("azurerm", Some("\"~> 3.0\"".to_string())),
                ("random", Some("\"2.0\"".to_string()))
            ]
        );
        assert_eq!(m.providers.len(), 1);
        assert_eq!(m.modules[0].name.value, "net");
        assert!(m.variables[0].is_sensitive());
        assert_eq!(m.locals.len(), 1);
        assert_eq!(m.resources.len(), 2);
        assert!(m.resources[1].data);
        assert_eq!(m.outputs[0].name.value, "id");
        assert!(m.has_infrastructure());
    }

    #[test]
    fn an_empty_file_is_an_empty_module() {
        let m = module(&[("main.tf", "")]);
        assert!(m.errors.is_empty() && !m.has_infrastructure());
    }
}
