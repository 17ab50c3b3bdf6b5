//! Bicep templates as deployed: a template with the parameter files that use it, and the
//! resources the rules care about (container apps, registries, Key Vaults…) with their
//! properties resolved to literals where a literal, a param default, a var or a `.bicepparam`
//! value decides them.
//!
//! A [`Scope`] is the template with at most one parameter file. [`Scope::follow`] takes an
//! expression through `var`s and `param`s (the parameter file's value, else the default) to the
//! expression that decides it, remembering the way ([`Resolved::via`]) and whether a
//! `@secure()` param was crossed; [`Scope::text`] resolves strings, interpolation included, to
//! literal text with holes where a value is not known.

use std::sync::Arc;

use crate::parse::ParseError;
pub use crate::parse::bicep::{Parsed, lexer, parse, syntax};
#[cfg(test)]
use crate::source::Format;
use crate::source::{Origin, SourceFile, Span};
use syntax::{Expr, ExprKind, Ident, Statement, StmtKind, StrPart};

/// Deepest chain of `var`/`param` references followed (they cannot be cyclic in valid Bicep,
/// but input need not be valid).
const MAX_FOLLOW: usize = 32;

/// A Bicep template with the parameter files that name it (`using './main.bicep'`).
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub errors: Vec<ParseError>,
    /// The template file (`None` only for a default-constructed document).
    pub file: Option<Arc<SourceFile>>,
    pub statements: Vec<Statement>,
    pub param_files: Vec<ParamFile>,
    /// The templates this one calls as modules (`module x './app.bicep' = { params: … }`),
    /// each bound to this call's params ([`instantiate`]).
    pub instances: Vec<Document>,
    /// Another template of the run calls this one as a module: it is checked through its
    /// callers' instances, not on its own with its defaults.
    pub called: bool,
    /// Module calls not followed (registry modules) and limits reached.
    pub notes: Vec<Note>,
    /// The first `param` and the first `var` statement of each name, built on first use:
    /// rules look names up for every reference, and a linear search per reference made a
    /// template of n params and n outputs cost n².
    names: std::sync::OnceLock<Names>,
}

#[derive(Debug, Clone, Default)]
struct Names {
    params: std::collections::HashMap<String, usize>,
    vars: std::collections::HashMap<String, usize>,
}

/// A module call not followed, or a bound reached while following calls.
#[derive(Debug, Clone)]
pub struct Note {
    pub at: Origin,
    pub message: String,
    /// A bound on the work was reached (a `limit` error; otherwise a note).
    pub limit: bool,
}

/// Values for the template's params: a `.bicepparam` file's, or a module call's `params`.
#[derive(Debug, Clone)]
pub struct ParamFile {
    /// The parameter file, or the calling template.
    pub file: Arc<SourceFile>,
    pub values: Vec<(Ident, Expr)>,
    /// For a module call: the file each value is written in (the caller's template, or the
    /// caller's parameter file whose value decided it), by index; empty for a parameter
    /// file, whose values are all in `file`.
    pub value_files: Vec<Arc<SourceFile>>,
    /// For a module call: the call's symbol in the calling template.
    pub caller: Option<Origin>,
    /// The environment a parameter file deploys, from its name (`main.parameters.prod.json`,
    /// `params.prod.json`, `prod.parameters.json`, `main.prod.bicepparam` → `prod`).
    pub environment: Option<String>,
}

/// The environment a parameter file's name gives, for a template named `template_stem`.
pub fn environment_of(path: &std::path::Path, template_stem: &str) -> Option<String> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let stem = name
        .strip_suffix(".json")
        .or_else(|| name.strip_suffix(".bicepparam"))?;
    let template = template_stem.to_ascii_lowercase();
    let parts: Vec<&str> = stem.split('.').collect();
    let env = match parts.as_slice() {
        // `main.parameters.prod`, `params.prod`, `parameters.prod`, `main.prod`.
        [_, "parameters", env] => *env,
        ["params" | "parameters", env] => *env,
        // `prod.parameters`, unless it is the template's own (`main.parameters`).
        [env, "parameters"] if *env != template => *env,
        [_, "parameters"] => return None,
        [t, env] if *t == template => *env,
        [env] if *env != template && !matches!(*env, "parameters" | "params") => *env,
        _ => return None,
    };
    (!env.is_empty()).then(|| env.to_string())
}

/// Builds the document of one template from its parse and the parameter files that use it.
pub fn build(
    main: (&Arc<SourceFile>, &Parsed),
    params: &[(&Arc<SourceFile>, &Parsed)],
) -> Document {
    let param_files = params
        .iter()
        .map(|(file, parsed)| ParamFile {
            file: Arc::clone(file),
            values: parsed
                .statements
                .iter()
                .filter_map(|s| match &s.kind {
                    StmtKind::Param {
                        name,
                        value: Some(v),
                        ..
                    } => Some((name.clone(), v.clone())),
                    _ => None,
                })
                .collect(),
            value_files: Vec::new(),
            caller: None,
            environment: environment_of(
                &file.path,
                main.0
                    .path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default(),
            ),
        })
        .collect();
    Document {
        errors: Vec::new(),
        file: Some(Arc::clone(main.0)),
        statements: main.1.statements.clone(),
        param_files,
        ..Document::default()
    }
}

/// The templates a Bicep file calls as modules by a local path (`module x './app.bicep'`),
/// read from its text before it is parsed, so that a called template is known to be checked
/// through its callers.
pub fn module_paths(file: &SourceFile) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for line in file.text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("module ") else {
            continue;
        };
        let Some(open) = rest.find('\'') else {
            continue;
        };
        let Some(len) = rest[open + 1..].find('\'') else {
            continue;
        };
        let path = &rest[open + 1..open + 1 + len];
        if !path.contains(':') && path.ends_with(".bicep") {
            out.push(crate::source::normalize(&file.dir().join(path)));
        }
    }
    out
}

/// Deepest nesting of module calls followed.
pub const MAX_MODULE_DEPTH: usize = 8;
/// Most module instances built under one template.
pub const MAX_INSTANCES: usize = 1024;

/// Follows the template's module calls whose path is a local file (`'./app.bicep'`,
/// `'../core/host/container-app.bicep'`), read through `files`: each becomes an instance of
/// the called template whose params are the call's `params`, followed in the caller (through
/// its vars, param defaults and parameter files) to what decides them, once per way the
/// caller is deployed. A loop or condition around the call still gives one instance. Registry
/// modules (`br:`, `br/`, `ts:`) are not read: each is one note at the call.
pub fn instantiate(doc: &mut Document, files: &dyn crate::source::files::Files) {
    instantiate_with(doc, files, &Cache::default());
}

/// [`instantiate`] with the run's cache of parsed templates.
pub fn instantiate_with(
    doc: &mut Document,
    files: &dyn crate::source::files::Files,
    cache: &Cache,
) {
    let mut budget = MAX_INSTANCES;
    let mut notes = Vec::new();
    expand(doc, files, 0, &mut budget, &mut notes, cache);
    doc.notes.extend(notes);
}

/// Templates read for module calls, each parsed once however often it is called, shared by
/// every unit of a run.
#[derive(Default)]
pub struct Cache(
    std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, Option<Arc<ParsedTemplate>>>>,
);

/// A template file and its parse.
type ParsedTemplate = (Arc<SourceFile>, Parsed);

fn expand(
    doc: &mut Document,
    files: &dyn crate::source::files::Files,
    depth: usize,
    budget: &mut usize,
    notes: &mut Vec<Note>,
    cache: &Cache,
) {
    let Some(file) = doc.file.clone() else {
        return;
    };
    let mut instances = Vec::new();
    for s in &doc.statements {
        let StmtKind::Module { name, path, value } = &s.kind else {
            continue;
        };
        let at = Origin::new(&file, name.span);
        let target = &path.0;
        if target.starts_with("br:") || target.starts_with("br/") || target.starts_with("ts:") {
            notes.push(Note {
                at: Origin::new(&file, path.1),
                message: format!(
                    "module `{}` (`{target}`) is not checked: plumbline does not read registry modules",
                    name.name
                ),
                limit: false,
            });
            continue;
        }
        if depth + 1 > MAX_MODULE_DEPTH {
            notes.push(Note {
                at,
                message: format!(
                    "module `{}` is nested more than {MAX_MODULE_DEPTH} calls deep; it is not followed further",
                    name.name
                ),
                limit: true,
            });
            continue;
        }
        let child_path = crate::source::normalize(&file.dir().join(target));
        let cached = cache
            .0
            .lock()
            .ok()
            .and_then(|c| c.get(&child_path).cloned());
        let entry = cached.unwrap_or_else(|| {
            let read = || -> Option<Arc<ParsedTemplate>> {
                let child = files.read(&child_path).ok()?;
                let child = if child.format == crate::source::Format::Bicep {
                    child
                } else {
                    Arc::new(SourceFile::new(
                        child.path.clone(),
                        child.display_path.clone(),
                        crate::source::Format::Bicep,
                        child.text.clone(),
                    ))
                };
                let parsed = parse(&child);
                Some(Arc::new((child, parsed)))
            };
            let entry = read();
            if let Ok(mut c) = cache.0.lock() {
                c.insert(child_path.clone(), entry.clone());
            }
            entry
        });
        let Some(entry) = entry else {
            continue;
        };
        let (child, parsed) = (&entry.0, &entry.1);
        let params: Vec<(Ident, &Expr)> = value
            .body()
            .get("params")
            .map(|p| {
                p.props()
                    .iter()
                    .filter_map(|prop| {
                        let key = prop.key.as_ref()?;
                        let ident = Ident {
                            name: key.name.clone()?,
                            span: key.span,
                        };
                        Some((ident, &prop.value))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut bindings = Vec::new();
        for scope in doc.scopes_of_own() {
            let mut values = Vec::new();
            let mut value_files = Vec::new();
            for (key, expr) in &params {
                let r = scope.follow(expr);
                values.push((key.clone(), r.expr.clone()));
                value_files.push(r.file);
            }
            bindings.push(ParamFile {
                file: Arc::clone(&file),
                values,
                value_files,
                caller: Some(at.clone()),
                environment: scope.params.and_then(|p| p.environment.clone()),
            });
        }
        if *budget == 0 {
            notes.push(Note {
                at,
                message: format!(
                    "more than {MAX_INSTANCES} module instances under one template; module `{}` is not followed",
                    name.name
                ),
                limit: true,
            });
            break;
        }
        *budget -= 1;
        let mut instance = build((child, parsed), &[]);
        instance.param_files = bindings;
        expand(&mut instance, files, depth + 1, budget, notes, cache);
        instances.push(instance);
    }
    doc.instances = instances;
}

/// A `param` declaration of the template.
#[derive(Debug, Clone, Copy)]
pub struct Param<'d> {
    pub stmt: &'d Statement,
    pub name: &'d Ident,
    pub ty: Option<&'d (String, Span)>,
    pub default: Option<&'d Expr>,
}

impl Param<'_> {
    pub fn is_secure(&self) -> bool {
        self.stmt.has_decorator("secure")
    }
}

/// A `resource` declaration.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'d> {
    pub stmt: &'d Statement,
    pub symbol: &'d Ident,
    /// `Microsoft.App/containerApps` (without the API version).
    pub type_name: &'d str,
    pub existing: bool,
    /// The resource's object, through `if (...)` and `[for ...]`.
    pub body: &'d Expr,
}

impl<'d> Resource<'d> {
    /// Whether the resource is of type `ty` (case-insensitive, as ARM compares them).
    pub fn is(&self, ty: &str) -> bool {
        self.type_name.eq_ignore_ascii_case(ty)
    }

    /// `properties.<path>`.
    pub fn prop(&self, path: &[&str]) -> Option<&'d Expr> {
        self.body.get("properties")?.at(path)
    }
}

impl Document {
    pub fn params(&self) -> impl Iterator<Item = Param<'_>> {
        self.statements.iter().filter_map(|s| match &s.kind {
            StmtKind::Param { name, ty, value } => Some(Param {
                stmt: s,
                name,
                ty: ty.as_ref(),
                default: value.as_ref(),
            }),
            _ => None,
        })
    }

    fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            let mut names = Names::default();
            for (i, s) in self.statements.iter().enumerate() {
                match &s.kind {
                    StmtKind::Param { name, .. } => {
                        names.params.entry(name.name.clone()).or_insert(i);
                    }
                    StmtKind::Var { name, .. } => {
                        names.vars.entry(name.name.clone()).or_insert(i);
                    }
                    _ => {}
                }
            }
            names
        })
    }

    pub fn param(&self, name: &str) -> Option<Param<'_>> {
        let s = self.statements.get(*self.names().params.get(name)?)?;
        match &s.kind {
            StmtKind::Param { name, ty, value } => Some(Param {
                stmt: s,
                name,
                ty: ty.as_ref(),
                default: value.as_ref(),
            }),
            _ => None,
        }
    }

    /// The first `var` of this name and its value.
    pub fn var(&self, name: &str) -> Option<(&Ident, &Expr)> {
        let s = self.statements.get(*self.names().vars.get(name)?)?;
        match &s.kind {
            StmtKind::Var { name: n, value } => Some((n, value)),
            _ => None,
        }
    }

    /// Resources declared in the template (not `existing` ones unless asked).
    pub fn resources(&self) -> impl Iterator<Item = Resource<'_>> {
        self.statements.iter().filter_map(|s| match &s.kind {
            StmtKind::Resource {
                name,
                type_ref,
                existing,
                value,
            } => Some(Resource {
                stmt: s,
                symbol: name,
                type_name: type_ref.0.split('@').next().unwrap_or_default(),
                existing: *existing,
                body: value.body(),
            }),
            _ => None,
        })
    }

    /// The ways the template and the templates it calls as modules are deployed: the
    /// template once per parameter file, or with its defaults when no parameter file uses it,
    /// then each instance of each module it calls, with the caller's params. None when another
    /// template of the run calls this one: its callers check it and what it calls.
    pub fn scopes(&self) -> Vec<Scope<'_>> {
        if self.called {
            return Vec::new();
        }
        self.instance_scopes()
    }

    /// One scope per template instance, as the graph shows it: the template's first (unless
    /// its callers check it), then each instance's first, depth first.
    pub fn deployed_scopes(&self) -> Vec<Scope<'_>> {
        let mut out: Vec<Scope<'_>> = Vec::new();
        if !self.called {
            self.first_scopes(&mut out);
        }
        out
    }

    fn first_scopes<'s>(&'s self, out: &mut Vec<Scope<'s>>) {
        out.extend(self.scopes_of_own().into_iter().take(1));
        for i in &self.instances {
            i.first_scopes(out);
        }
    }

    /// An instance's scopes: one per binding of its caller, and its own instances'.
    fn instance_scopes(&self) -> Vec<Scope<'_>> {
        let mut out = self.scopes_of_own();
        for i in &self.instances {
            out.extend(i.instance_scopes());
        }
        out
    }

    /// The template's own ways of being deployed (see [`Document::scopes`]).
    pub fn scopes_of_own(&self) -> Vec<Scope<'_>> {
        let Some(file) = &self.file else {
            return Vec::new();
        };
        if self.param_files.is_empty() {
            return vec![Scope {
                doc: self,
                file,
                params: None,
            }];
        }
        self.param_files
            .iter()
            .map(|p| Scope {
                doc: self,
                file,
                params: Some(p),
            })
            .collect()
    }
}

/// The template with at most one parameter file: what decides each value.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'d> {
    pub doc: &'d Document,
    /// The template file.
    pub file: &'d Arc<SourceFile>,
    pub params: Option<&'d ParamFile>,
}

/// An expression followed to what decides it.
#[derive(Debug, Clone)]
pub struct Resolved<'d> {
    pub expr: &'d Expr,
    /// The file `expr` is written in (the template or a parameter file).
    pub file: Arc<SourceFile>,
    /// The references followed to get here, in order (`image` → the param default).
    pub via: Vec<Origin>,
    /// A `@secure()` param crossed on the way.
    pub secure_param: Option<String>,
    /// A param with no value in this scope (no default, not in the parameter file).
    pub unset_param: Option<String>,
}

impl Resolved<'_> {
    pub fn origin(&self) -> Origin {
        Origin::new(&self.file, self.expr.span)
    }
}

/// A piece of resolved text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Lit(String),
    /// A value not known here (an expression, a param without a value).
    Hole,
}

/// Resolved text: literal pieces and holes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(pub Vec<Seg>);

impl Text {
    /// The whole text, when no piece is unknown.
    pub fn literal(&self) -> Option<String> {
        self.0
            .iter()
            .map(|s| match s {
                Seg::Lit(t) => Some(t.as_str()),
                Seg::Hole => None,
            })
            .collect()
    }

    /// The text after the last hole (all of it when there is none).
    pub fn known_tail(&self) -> String {
        let start = self
            .0
            .iter()
            .rposition(|s| *s == Seg::Hole)
            .map_or(0, |i| i + 1);
        self.0
            .get(start..)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| match s {
                Seg::Lit(t) => Some(t.as_str()),
                Seg::Hole => None,
            })
            .collect()
    }

    pub fn has_hole(&self) -> bool {
        self.0.contains(&Seg::Hole)
    }
}

impl<'d> Scope<'d> {
    /// The parameter file's value for `name`, if it sets one.
    fn param_value(&self, name: &str) -> Option<(&'d Ident, &'d Expr, &'d Arc<SourceFile>)> {
        let pf = self.params?;
        let i = pf.values.iter().rposition(|(n, _)| n.name == name)?;
        let (n, v) = &pf.values[i];
        Some((n, v, pf.value_files.get(i).unwrap_or(&pf.file)))
    }

    /// For an instance of a module: the call that made it, in its caller.
    pub fn caller(&self) -> Option<&'d Origin> {
        self.params?.caller.as_ref()
    }

    /// The value a param has in this scope (the parameter file's, else its default), followed
    /// to what decides it; `None` when it has neither.
    pub fn param_value_of(&self, name: &str) -> Option<Resolved<'d>> {
        let (expr, file) = match self.param_value(name) {
            Some((_, v, f)) => (v, f),
            None => (self.doc.param(name)?.default?, self.file),
        };
        let mut r = if Arc::ptr_eq(file, self.file) {
            self.follow(expr)
        } else {
            Resolved {
                expr,
                file: Arc::clone(file),
                via: Vec::new(),
                secure_param: None,
                unset_param: None,
            }
        };
        if self.doc.param(name).is_some_and(|p| p.is_secure()) {
            r.secure_param = Some(name.to_string());
        }
        Some(r)
    }

    /// Follows `var`s, `param`s, parentheses and `!` from an expression written in the
    /// template to the expression that decides its value.
    pub fn follow(&self, expr: &'d Expr) -> Resolved<'d> {
        self.follow_in(expr, self.file)
    }

    /// [`Scope::follow`] for an expression written in `file` (the template, a parameter
    /// file, or a calling template); only the template's own expressions refer to its names.
    pub fn follow_in(&self, expr: &'d Expr, file: &Arc<SourceFile>) -> Resolved<'d> {
        let mut r = Resolved {
            expr,
            file: Arc::clone(file),
            via: Vec::new(),
            secure_param: None,
            unset_param: None,
        };
        for _ in 0..MAX_FOLLOW {
            // Only template expressions refer to the template's names.
            let in_template = Arc::ptr_eq(&r.file, self.file);
            match &r.expr.kind {
                ExprKind::NonNull(inner) => r.expr = inner,
                ExprKind::Ident(name) if in_template => {
                    if let Some((_, value)) = self.doc.var(name) {
                        r.via.push(Origin::new(&r.file, r.expr.span));
                        r.expr = value;
                    } else if let Some(p) = self.doc.param(name) {
                        if p.is_secure() {
                            r.secure_param = Some(name.clone());
                        }
                        if let Some((_, value, file)) = self.param_value(name) {
                            r.via.push(Origin::new(&r.file, r.expr.span));
                            r.expr = value;
                            r.file = Arc::clone(file);
                        } else if let Some(d) = p.default {
                            r.via.push(Origin::new(&r.file, r.expr.span));
                            r.expr = d;
                        } else {
                            r.unset_param = Some(name.clone());
                            return r;
                        }
                    } else {
                        return r;
                    }
                }
                _ => return r,
            }
        }
        r
    }

    /// The text of a string-valued expression, following references; `None` when it is not
    /// a string at all (a number, an object).
    pub fn text(&self, expr: &'d Expr) -> Option<Text> {
        self.text_in(expr, self.file)
    }

    /// [`Scope::text`] for an expression written in `file`.
    pub fn text_in(&self, expr: &'d Expr, file: &Arc<SourceFile>) -> Option<Text> {
        let mut out = Text::default();
        self.text_into(expr, file, &mut out, 0).then_some(out)
    }

    fn text_into(
        &self,
        expr: &'d Expr,
        file: &Arc<SourceFile>,
        out: &mut Text,
        depth: usize,
    ) -> bool {
        if depth > MAX_FOLLOW {
            out.0.push(Seg::Hole);
            return true;
        }
        let r = self.follow_in(expr, file);
        match &r.expr.kind {
            ExprKind::Str(parts) => {
                let in_template = Arc::ptr_eq(&r.file, self.file);
                for p in parts {
                    match p {
                        StrPart::Text(t, _) => out.0.push(Seg::Lit(t.clone())),
                        StrPart::Interp(e) if in_template => {
                            if !self.text_into(e, self.file, out, depth + 1) {
                                out.0.push(Seg::Hole);
                            }
                        }
                        StrPart::Interp(_) => out.0.push(Seg::Hole),
                    }
                }
                true
            }
            ExprKind::Int(i) => {
                out.0.push(Seg::Lit(i.to_string()));
                true
            }
            ExprKind::Bool(_) | ExprKind::Null | ExprKind::Object(_) | ExprKind::Array(_) => false,
            _ => {
                out.0.push(Seg::Hole);
                true
            }
        }
    }

    /// A boolean, when literals decide it.
    pub fn bool(&self, expr: &'d Expr) -> Option<bool> {
        match self.follow(expr).expr.kind {
            ExprKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An object or array followed through references (so rules can read a container list
    /// held in a var or param default).
    /// Only values written in the template are followed, so spans stay in the template.
    pub fn value(&self, expr: &'d Expr) -> &'d Expr {
        let r = self.follow(expr);
        if Arc::ptr_eq(&r.file, self.file) {
            r.expr
        } else {
            expr
        }
    }

    /// The items of an array value (through references and `[for ...]`, whose body counts as
    /// one item).
    pub fn items(&self, expr: &'d Expr) -> Vec<&'d Expr> {
        let v = self.value(expr);
        match &v.kind {
            ExprKind::Array(items) => items
                .iter()
                .map(|i| self.value(i.body()))
                .filter(|i| matches!(i.kind, ExprKind::Object(_)))
                .collect(),
            ExprKind::For { body, .. } => vec![self.value(body.body())],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(main: &str, params: &[&str]) -> Document {
        let m = Arc::new(SourceFile::in_memory("main.bicep", Format::Bicep, main));
        let pm = parse(&m);
        assert!(pm.errors.is_empty(), "{:?}", pm.errors);
        let ps: Vec<(Arc<SourceFile>, Parsed)> = params
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let f = Arc::new(SourceFile::in_memory(
                    &format!("p{i}.bicepparam"),
                    Format::BicepParams,
                    *t,
                ));
                let p = parse(&f);
                assert!(p.errors.is_empty(), "{:?}", p.errors);
                (f, p)
            })
            .collect();
        let refs: Vec<(&Arc<SourceFile>, &Parsed)> = ps.iter().map(|(f, p)| (f, p)).collect();
        build((&m, &pm), &refs)
    }

    const MAIN: &str = "param tag string = 'latest'\n@secure()\nparam pw string\n\
        var repo = 'acr.io/app'\nresource app 'Microsoft.App/containerApps@2024-03-01' = {\n\
        name: 'app'\n  properties: {\n    image: '${repo}:${tag}'\n    secret: pw\n    other: acr.properties.loginServer\n  }\n}\n";

    #[test]
    fn resolves_vars_defaults_and_param_files() {
        let d = doc(MAIN, &[]);
        let s = d.scopes()[0];
        let app = d.resources().next().unwrap();
        assert!(app.is("microsoft.app/containerapps"));
        let img = s.text(app.prop(&["image"]).unwrap()).unwrap();
        assert_eq!(img.literal().as_deref(), Some("acr.io/app:latest"));
        let pw = s.follow(app.prop(&["secret"]).unwrap());
        assert_eq!(pw.secure_param.as_deref(), Some("pw"));
        assert_eq!(pw.unset_param.as_deref(), Some("pw"));
        let other = s.text(app.prop(&["other"]).unwrap()).unwrap();
        assert!(other.has_hole());

        let d = doc(MAIN, &["using './main.bicep'\nparam tag = '1.2.3'\n"]);
        let s = d.scopes()[0];
        let app = d.resources().next().unwrap();
        let r = s.follow(app.prop(&["image"]).unwrap());
        assert_eq!(r.via.len(), 0);
        let img = s.text(app.prop(&["image"]).unwrap()).unwrap();
        assert_eq!(img.literal().as_deref(), Some("acr.io/app:1.2.3"));
        let t = d.param("tag").unwrap();
        let tag = Expr {
            kind: ExprKind::Ident("tag".into()),
            span: t.name.span,
        };
        let r = s.follow(&tag);
        assert_eq!(r.file.display_path, "p0.bicepparam");
        assert_eq!(r.origin().text(), "'1.2.3'");
    }

    #[test]
    fn parameter_files_name_their_environments() {
        use std::path::Path;
        let env = |p: &str| environment_of(Path::new(p), "main");
        assert_eq!(env("main.parameters.prod.json").as_deref(), Some("prod"));
        assert_eq!(env("params.staging.json").as_deref(), Some("staging"));
        assert_eq!(
            env("parameters/prod.parameters.json").as_deref(),
            Some("prod")
        );
        assert_eq!(env("main.prod.bicepparam").as_deref(), Some("prod"));
        assert_eq!(env("main.parameters.json"), None);
        assert_eq!(env("main.bicepparam"), None);
    }

    #[test]
    fn cyclic_vars_terminate() {
        let d = doc("var a = b\nvar b = a\nvar c = '${a}'\n", &[]);
        let s = d.scopes()[0];
        let StmtKind::Var { value, .. } = &d.statements[2].kind else {
            panic!()
        };
        assert!(s.text(value).unwrap().has_hole());
    }

    #[test]
    fn every_prefix_of_a_real_file_is_safe() {
        let text = "targetScope = 'resourceGroup'\n@secure()\nparam p string\nvar v = {\n  a: [for (x, i) in range(0, 2): '${x}-${i}']\n  b: '''\nmulti\n'''\n}\nresource r 'A/b@1' = if (true) {\n  name: 'x${v.a[0]}'\n  properties: { c: r2.listKeys().keys[0].value }\n}\noutput o string = p\n";
        for end in 0..=text.len() {
            if !text.is_char_boundary(end) {
                continue;
            }
            let f = Arc::new(SourceFile::in_memory(
                "x.bicep",
                Format::Bicep,
                &text[..end],
            ));
            let p = parse(&f);
            for e in &p.errors {
                assert!(e.span.end <= end, "{e:?} at prefix {end}");
            }
        }
    }
}
