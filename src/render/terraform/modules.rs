//! Module calls, followed: each `module "x" { source = … }` whose source is on disk (a local
//! path, `./` or `../`, or a module `terraform init` vendored under `.terraform/modules/`)
//! becomes an [`Instance`]: the called module's files built again with the caller's
//! arguments bound to its variables (then their defaults; a child module reads no
//! `.tfvars`), its locals and resources evaluated with them, and its outputs available to
//! the caller as `module.x.output`. A value that came from the caller resolves to the
//! caller's literal, so findings land on the line the caller must edit.
//!
//! `count = N` and `for_each` over a literal map or set make one instance per key (`each.key`,
//! `each.value`, `count.index` bound in the caller's arguments); a collection that is not
//! literal gives one instance in which they are unknown.
//!
//! Registry and git sources that are not vendored are not read: the call is reported once
//! as not checked. Work is bounded: at most [`MAX_DEPTH`] levels of nesting and
//! [`MAX_INSTANCES`] instances under one root, each excess a located `limit` error.
//!
//! A module that another module of the run calls by a local path is checked through its
//! callers only ([`local_calls`] finds them before units are built); one that nothing
//! calls is checked once on its own, with its defaults.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Module, Resolved, Value, build, parse};
use crate::parse::json;
use crate::source::files::Files;
use crate::source::{Format, Origin, SourceFile, detect, normalize};

/// Deepest nesting of module calls followed.
pub const MAX_DEPTH: usize = 8;
/// Most module instances built under one root module.
pub const MAX_INSTANCES: usize = 256;

/// One instance of a called module.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The call's name (`module "web"` → `web`).
    pub call: String,
    /// The `count` index or `for_each` key, when the call is repeated.
    pub key: Option<String>,
    /// The module's directory.
    pub dir: PathBuf,
    pub module: Module,
}

/// What following the calls met: a call not followed, or a limit reached.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub at: Origin,
    pub message: String,
    /// A bound on the work was reached (reported as a `limit` error; otherwise a note).
    pub limit: bool,
}

/// Arguments of a module call that are Terraform's, not the module's variables.
const META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// Module directories already read and parsed, shared by every unit of a run (many roots
/// call the same modules: each `examples/*` of a module repository calls `../..`).
#[derive(Default)]
pub struct Cache(std::sync::Mutex<std::collections::HashMap<PathBuf, Arc<ParsedDir>>>);

/// A module directory's `.tf` files, parsed.
type ParsedDir = Vec<(Arc<SourceFile>, super::Parsed)>;

/// Follows every module call of `root`, written in `dir`, through `files`.
pub fn instantiate(root: &mut Module, dir: &Path, files: &dyn Files) {
    instantiate_with(root, dir, files, &Cache::default());
}

/// [`instantiate`] with the run's cache of parsed module directories.
pub fn instantiate_with(root: &mut Module, dir: &Path, files: &dyn Files, cache: &Cache) {
    let vendored = vendored(dir, files);
    let mut budget = MAX_INSTANCES;
    let mut diagnostics = Vec::new();
    let mut cx = Expand {
        vendored: &vendored,
        files,
        cache,
        budget: &mut budget,
        diagnostics: &mut diagnostics,
    };
    cx.expand(root, dir, "", 0);
    root.diagnostics = diagnostics;
}

struct Expand<'a> {
    /// `.terraform/modules/modules.json`: module key (`web`, `web.db`) → directory.
    vendored: &'a [(String, PathBuf)],
    files: &'a dyn Files,
    cache: &'a Cache,
    budget: &'a mut usize,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Expand<'_> {
    fn note(&mut self, at: &Origin, message: String, limit: bool) {
        self.diagnostics.push(Diagnostic {
            at: at.clone(),
            message,
            limit,
        });
    }

    fn expand(&mut self, m: &mut Module, dir: &Path, key_prefix: &str, depth: usize) {
        let calls = m.modules.clone();
        for call in &calls {
            let name = &call.name.value;
            let Some(source_attr) = &call.source else {
                continue;
            };
            let source = m.resolve(&source_attr.value);
            let Some(source) = source.as_str().map(str::to_string) else {
                continue;
            };
            let key = if key_prefix.is_empty() {
                name.clone()
            } else {
                format!("{key_prefix}.{name}")
            };
            let local = source.starts_with("./") || source.starts_with("../");
            let child_dir = if local {
                normalize(&dir.join(&source))
            } else if let Some((_, d)) = self.vendored.iter().find(|(k, _)| *k == key) {
                d.clone()
            } else {
                self.note(
                    &source_attr.value.at,
                    format!(
                        "module `{name}` (source `{source}`) is not checked: plumbline reads registry and git modules once `terraform init` has vendored them under `.terraform/modules/`"
                    ),
                    false,
                );
                continue;
            };
            if depth + 1 > MAX_DEPTH {
                self.note(
                    &call.name.at,
                    format!(
                        "module `{name}` is nested more than {MAX_DEPTH} calls deep; it is not followed further"
                    ),
                    true,
                );
                continue;
            }
            let parsed = self.read(&child_dir);
            if parsed.is_empty() {
                self.note(
                    &source_attr.value.at,
                    format!(
                        "module `{name}` is not checked: `{source}` has no `.tf` files plumbline can read"
                    ),
                    false,
                );
                continue;
            }
            let refs: Vec<(&Arc<SourceFile>, &super::Parsed)> =
                parsed.iter().map(|(f, p)| (f, p)).collect();
            for (index_key, binding) in repetitions(m, call) {
                if *self.budget == 0 {
                    self.note(
                        &call.name.at,
                        format!(
                            "more than {MAX_INSTANCES} module instances under one root module; module `{name}` is not followed"
                        ),
                        true,
                    );
                    return;
                }
                *self.budget -= 1;
                m.each = binding.map(Box::new);
                let inputs: Vec<(String, Resolved)> = call
                    .block
                    .body
                    .attributes
                    .iter()
                    .filter(|a| !META.contains(&a.key.value.as_str()))
                    .map(|a| (a.key.value.clone(), m.resolve(&a.value)))
                    .collect();
                m.each = None;
                let mut child = build(&refs, false);
                // A child module's own `.tfvars` files are not loaded by Terraform.
                child.tfvars.clear();
                child.var_files.clear();
                child.errors.clear();
                child.inputs = Some(inputs);
                child.call_path = m.call_path.clone();
                child.call_path.push(match &index_key {
                    Some(k) => format!("{name}[{k}]"),
                    None => name.clone(),
                });
                child.called_at = Some(call.name.at.clone());
                child.environment = m.environment.clone();
                self.expand(&mut child, &child_dir, &key, depth + 1);
                m.instances.push(Instance {
                    call: name.clone(),
                    key: index_key,
                    dir: child_dir.clone(),
                    module: child,
                });
            }
        }
    }

    /// The `.tf` files of a module directory, parsed.
    fn read(&self, dir: &Path) -> Arc<ParsedDir> {
        if let Some(hit) = self.cache.0.lock().ok().and_then(|c| c.get(dir).cloned()) {
            return hit;
        }
        let parsed = Arc::new(self.read_uncached(dir));
        if let Ok(mut c) = self.cache.0.lock() {
            c.insert(dir.to_path_buf(), Arc::clone(&parsed));
        }
        parsed
    }

    fn read_uncached(&self, dir: &Path) -> ParsedDir {
        let Ok(entries) = self.files.list(dir) else {
            return Vec::new();
        };
        entries
            .into_iter()
            .filter(|p| detect::by_name(p) == Some(Format::Terraform))
            .filter_map(|p| self.files.read(&p).ok())
            // Whoever read it, a `.tf` file is Terraform (the module is built from those).
            .map(|f| {
                if f.format == Format::Terraform {
                    f
                } else {
                    Arc::new(SourceFile::new(
                        f.path.clone(),
                        f.display_path.clone(),
                        Format::Terraform,
                        f.text.clone(),
                    ))
                }
            })
            .map(|f| {
                let p = parse(&f);
                (f, p)
            })
            .collect()
    }
}

/// The instances a call makes: one per `count` index or `for_each` key when the collection
/// is literal (with what `each`/`count` are bound to), else one.
type Binding = Option<(Resolved, Resolved)>;

fn repetitions(m: &Module, call: &super::ModuleCall) -> Vec<(Option<String>, Binding)> {
    let body = &call.block.body;
    if let Some(c) = body.get("count") {
        let r = m.resolve(&c.value);
        if let Some(n) = r.as_i64().filter(|n| (0..=64).contains(n)) {
            return (0..n)
                .map(|i| {
                    let index = Resolved {
                        value: Value::Number(i.to_string()),
                        at: c.value.at.clone(),
                        sensitive: false,
                    };
                    (Some(i.to_string()), Some((index.clone(), index)))
                })
                .collect();
        }
        return vec![(None, None)];
    }
    if let Some(f) = body.get("for_each") {
        let r = m.resolve(&f.value);
        let pairs: Vec<(String, Resolved)> = match &r.value {
            Value::Map(entries) => entries.clone(),
            Value::List(items) => items
                .iter()
                .filter_map(|i| Some((i.as_str()?.to_string(), i.clone())))
                .collect(),
            _ => return vec![(None, None)],
        };
        return pairs
            .into_iter()
            .take(64)
            .map(|(k, v)| {
                let key = Resolved {
                    value: Value::Str(k.clone()),
                    at: v.at.clone(),
                    sensitive: false,
                };
                (Some(format!("\"{k}\"")), Some((key, v)))
            })
            .collect();
    }
    vec![(None, None)]
}

/// `.terraform/modules/modules.json` beside a root module: `{"Modules": [{"Key": "web",
/// "Source": "…", "Dir": ".terraform/modules/web"}]}`, `Dir` relative to the root.
fn vendored(dir: &Path, files: &dyn Files) -> Vec<(String, PathBuf)> {
    let path = dir.join(".terraform").join("modules").join("modules.json");
    if !files.exists(&path) {
        return Vec::new();
    }
    let Ok(file) = files.read(&path) else {
        return Vec::new();
    };
    let (Some(doc), _) = json::parse(&file) else {
        return Vec::new();
    };
    doc.get("Modules")
        .and_then(|m| m.as_seq())
        .unwrap_or_default()
        .iter()
        .filter_map(|m| {
            let key = m.get("Key")?.as_str()?.to_string();
            let d = m.get("Dir")?.as_str()?;
            (!key.is_empty()).then(|| (key, normalize(&dir.join(d))))
        })
        .collect()
}

/// The directories a Terraform file calls as modules by a local path (`source = "./app"`),
/// read from its text before it is parsed, so that a called module is known to be checked
/// through its callers. Only a `module` block's `source` counts.
pub fn local_calls(file: &SourceFile) -> Vec<PathBuf> {
    let text = &file.text;
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("module") {
        let after = &rest[i + "module".len()..];
        rest = after;
        // `module "name" {` at the start of a line.
        let line_start = text.len() - after.len() - "module".len();
        let at_line_start = text[..line_start]
            .chars()
            .rev()
            .take_while(|c| *c != '\n')
            .all(char::is_whitespace);
        let head = after.trim_start();
        if !at_line_start || !head.starts_with('"') {
            continue;
        }
        let Some(open) = head.find('{') else { continue };
        // The block's body up to its closing brace at the start of a line.
        let body = &head[open + 1..];
        let end = body.find("\n}").unwrap_or(body.len());
        for line in body[..end].lines() {
            let line = line.trim();
            let Some(value) = line
                .strip_prefix("source")
                .map(str::trim_start)
                .and_then(|l| l.strip_prefix('='))
            else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            if value.starts_with("./") || value.starts_with("../") {
                out.push(normalize(&file.dir().join(value)));
            }
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::kustomize::tests::MemFiles;

    fn root(files: &MemFiles, dir: &str) -> Module {
        let dir = Path::new("/repo").join(dir);
        let parsed: Vec<(Arc<SourceFile>, super::super::Parsed)> = files
            .list(&dir)
            .unwrap()
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "tf"))
            .map(|p| {
                let f = files.read(&p).unwrap();
                let f = Arc::new(SourceFile::new(
                    f.path.clone(),
                    f.display_path.clone(),
                    Format::Terraform,
                    f.text.clone(),
                ));
                let parsed = parse(&f);
                (f, parsed)
            })
            .collect();
        let refs: Vec<_> = parsed.iter().map(|(f, p)| (f, p)).collect();
        let mut m = build(&refs, false);
        instantiate(&mut m, &dir, files);
        m
    }

    const APP: &str = "variable \"image\" { default = \"app:1.0\" }\nvariable \"port\" {}\nresource \"docker_container\" \"c\" {\n  image = var.image\n}\noutput \"image\" { value = var.image }\n";

    #[test]
    fn a_call_binds_the_callers_arguments() {
        let files = MemFiles::new(&[
            ("modules/app/main.tf", APP),
            (
                "env/prod/main.tf",
                "module \"web\" {\n  source = \"../../modules/app\"\n  image  = \"app:latest\"\n}\nmodule \"db\" {\n  source = \"../../modules/app\"\n}\nresource \"docker_container\" \"x\" { image = module.web.image }\n",
            ),
        ]);
        let m = root(&files, "env/prod");
        assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
        assert_eq!(m.instances.len(), 2);
        let web = &m.instances[0].module;
        let image = web.resolve(&web.resources[0].body().get("image").unwrap().value);
        assert_eq!(image.as_str(), Some("app:latest"));
        // Found where the caller wrote it.
        assert_eq!(image.at.file.display_path, "env/prod/main.tf");
        let db = &m.instances[1].module;
        let image = db.resolve(&db.resources[0].body().get("image").unwrap().value);
        assert_eq!(image.as_str(), Some("app:1.0"));
        assert_eq!(image.at.file.display_path, "modules/app/main.tf");
        // Outputs reach the caller.
        let x = m.resolve(&m.resources[0].body().get("image").unwrap().value);
        assert_eq!(x.as_str(), Some("app:latest"));
        assert_eq!(m.checked().len(), 3);
    }

    #[test]
    fn for_each_and_count_make_one_instance_per_key() {
        let files = MemFiles::new(&[
            ("modules/app/main.tf", APP),
            (
                "main.tf",
                "module \"w\" {\n  source   = \"./modules/app\"\n  for_each = { a = \"a:1\", b = \"b:latest\" }\n  image    = each.value\n}\nmodule \"n\" {\n  source = \"./modules/app\"\n  count  = 3\n  port   = count.index\n}\n",
            ),
        ]);
        let m = root(&files, "");
        let keys: Vec<String> = m
            .instances
            .iter()
            .map(|i| i.module.call_path.join("."))
            .collect();
        assert_eq!(keys, ["w[\"a\"]", "w[\"b\"]", "n[0]", "n[1]", "n[2]"]);
        let b = &m.instances[1].module;
        let image = b.resolve(&b.resources[0].body().get("image").unwrap().value);
        assert_eq!(image.as_str(), Some("b:latest"));
    }

    #[test]
    fn registry_modules_are_noted_and_vendored_ones_followed() {
        let files = MemFiles::new(&[
            (
                "main.tf",
                "module \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\nmodule \"app\" {\n  source = \"acme/app/aws\"\n  image  = \"x:latest\"\n}\n",
            ),
            (
                ".terraform/modules/modules.json",
                "{\"Modules\":[{\"Key\":\"\",\"Source\":\"\",\"Dir\":\".\"},{\"Key\":\"app\",\"Source\":\"registry.terraform.io/acme/app/aws\",\"Dir\":\".terraform/modules/app\"}]}",
            ),
            (".terraform/modules/app/main.tf", APP),
        ]);
        let m = root(&files, "");
        assert_eq!(m.diagnostics.len(), 1);
        assert!(m.diagnostics[0].message.contains("module `vpc`"));
        assert!(!m.diagnostics[0].limit);
        assert_eq!(m.instances.len(), 1);
        let app = &m.instances[0].module;
        let image = app.resolve(&app.resources[0].body().get("image").unwrap().value);
        assert_eq!(image.as_str(), Some("x:latest"));
    }

    #[test]
    fn nesting_is_bounded_with_a_located_limit() {
        // A module that calls itself.
        let files = MemFiles::new(&[("main.tf", "module \"again\" {\n  source = \"./\"\n}\n")]);
        let m = root(&files, "");
        let limits: Vec<&Diagnostic> = m.diagnostics.iter().filter(|d| d.limit).collect();
        assert_eq!(limits.len(), 1, "{:?}", m.diagnostics);
        assert!(limits[0].message.contains("nested more than"));
        assert_eq!(limits[0].at.text(), "again");
    }

    #[test]
    fn local_calls_are_found_in_the_text() {
        let f = SourceFile::in_memory(
            "infra/main.tf",
            Format::Terraform,
            "module \"a\" {\n  source = \"./modules/a\"\n}\nmodule \"b\" {\n  source  = \"acme/b/aws\"\n}\ndata \"archive_file\" \"z\" {\n  source = \"./lambda\"\n}\n",
        );
        assert_eq!(local_calls(&f), [PathBuf::from("infra/modules/a")]);
    }
}
