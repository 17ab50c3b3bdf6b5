//! The traversal: a root's kustomization, the resources, bases and components it includes
//! (depth first, as kustomize accumulates them), its generators, then its transformers in
//! kustomize's order; at the end of the root, the hash suffixes and the name references.
//! Also [`plan`]: roots and roles from the kustomization files alone.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::parse::yaml::{self, Node, Value};
use crate::source::{Origin, SourceFile, Span};

use super::helm_charts;
use super::kustomization::{self, Kind, Kustomization, Patch, PatchList};
use super::reader::{self, Reader};
use super::resource::{Behavior, Res, ResId, size, string_from};
use super::{
    Build, Class, Diagnostic, Files, HelmFailure, Options, Plan, PlannedUse, Replaced, Role, Root,
    Use, environment_name, generators, json6902, replacements, strategic_merge, transformers,
};

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The error was recorded; stop the root.
struct Stop;

type R<T> = Result<T, Stop>;

/// `..` and `.` resolved without touching the file system.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

fn is_remote(s: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "https://",
        "http://",
        "git::",
        "git@",
        "ssh://",
        "github.com/",
        "gitlab.com/",
        "bitbucket.org/",
        "file://",
        "s3::",
        "gcs::",
    ];
    PREFIXES.iter().any(|p| s.starts_with(p)) || s.contains("?ref=") || s.contains(".git//")
}

pub(crate) struct Builder<'a, 'h> {
    files: &'a dyn Files,
    opts: &'a Options<'h>,
    root: PathBuf,
    diags: Vec<Diagnostic>,
    replaced: Vec<Replaced>,
    uses: Vec<Use>,
    stack: Vec<PathBuf>,
    loads: usize,
    patches: usize,
    objects: usize,
    /// Every `vars:` entry of the build so far (one set for the whole build: a name
    /// declared twice anywhere is kustomize's error).
    vars: Vec<super::kustomization::Var>,
    /// What the build's `configurations:` files add to the builtin field specs. One for the
    /// whole build: kustomize merges a kustomization's into its accumulator, which its
    /// parents absorb (a sibling's reaching another sibling is the difference).
    config: super::kustomization::Configuration,
}

impl<'a, 'h> Builder<'a, 'h> {
    pub fn new(files: &'a dyn Files, opts: &'a Options<'h>) -> Self {
        Self {
            files,
            opts,
            root: normalize(&opts.repo_root),
            diags: Vec::new(),
            replaced: Vec::new(),
            uses: Vec::new(),
            stack: Vec::new(),
            loads: 0,
            patches: 0,
            objects: 0,
            vars: Vec::new(),
            config: Default::default(),
        }
    }

    pub fn run(mut self, dir: &Path) -> Build {
        let dir = normalize(dir);
        let result = self.kustomize_dir(&dir, None, Mode::Root, Vec::new());
        let mut objects = Vec::new();
        if let Ok(mut acc) = result {
            self.finish(&mut acc);
            if !self.diags.iter().any(Diagnostic::is_error) {
                sort_legacy(&mut acc);
                objects = acc.into_iter().map(|r| r.node).collect();
            }
        }
        let kustomization = self.uses.first().and_then(|u| {
            (u.role == Role::Kustomization || u.role == Role::Component)
                .then(|| self.files.read(&u.path).ok())
                .flatten()
        });
        Build {
            environment: environment_name(&dir),
            dir,
            kustomization,
            objects,
            replaced: self.replaced,
            diagnostics: self.diags,
            uses: self.uses,
        }
    }

    fn fail(&mut self, class: Class, message: String, at: Origin) -> Stop {
        self.diags.push(Diagnostic::error(class, message, at));
        Stop
    }

    /// Where to put an error about `dir` when no entry names it: the start of its
    /// kustomization file, or an empty file named after the directory.
    fn dir_origin(&self, dir: &Path) -> Origin {
        for name in KUSTOMIZATION_FILES {
            if let Ok(f) = self.files.read(&dir.join(name)) {
                return Origin::new(&f, Span::new(0, 0));
            }
        }
        let f = Arc::new(SourceFile::new(
            dir.to_path_buf(),
            dir.display().to_string(),
            crate::source::Format::Kubernetes,
            String::new(),
        ));
        Origin::new(&f, Span::new(0, 0))
    }

    fn inside_repo(&self, path: &Path) -> bool {
        path.starts_with(&self.root)
    }

    // ---- kustomization directories ----

    fn kustomize_dir(
        &mut self,
        dir: &Path,
        at: Option<&Node>,
        mode: Mode,
        acc: Vec<Res>,
    ) -> R<Vec<Res>> {
        let origin = at.map_or_else(|| self.dir_origin(dir), Node::origin);
        if self.stack.len() >= self.opts.limits.depth {
            return Err(self.fail(
                Class::Limit,
                format!(
                    "limit: kustomizations nest deeper than {} levels at '{}'",
                    self.opts.limits.depth,
                    dir.display()
                ),
                origin,
            ));
        }
        self.loads += 1;
        if self.loads > self.opts.limits.kustomizations {
            return Err(self.fail(
                Class::Limit,
                format!(
                    "limit: more than {} kustomizations loaded for one root",
                    self.opts.limits.kustomizations
                ),
                origin,
            ));
        }
        if !self.inside_repo(dir) {
            return Err(self.fail(
                Class::Restricted,
                format!(
                    "security; file '{}' is not in or below '{}'",
                    dir.display(),
                    self.root.display()
                ),
                origin,
            ));
        }
        if let Some(visited) = self.stack.iter().find(|v| v.starts_with(dir)).cloned() {
            return Err(self.fail(
                Class::Cycle,
                format!(
                    "cycle detected: candidate root '{}' contains visited root '{}'",
                    dir.display(),
                    visited.display()
                ),
                origin,
            ));
        }
        let found: Vec<PathBuf> = KUSTOMIZATION_FILES
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| self.files.exists(p))
            .collect();
        let path = match found.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(self.fail(
                    Class::Missing,
                    format!(
                        "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                        dir.display()
                    ),
                    origin,
                ));
            }
            _ => {
                return Err(self.fail(
                    Class::Invalid,
                    format!(
                        "Found multiple kustomization files under: {}",
                        dir.display()
                    ),
                    origin,
                ));
            }
        };
        let file = match self.files.read(&path) {
            Ok(f) => f,
            Err(e) => {
                return Err(self.fail(Class::Missing, format!("{}: {e}", path.display()), origin));
            }
        };
        let role = if mode == Mode::Component {
            Role::Component
        } else {
            Role::Kustomization
        };
        self.uses.push(Use {
            path: path.clone(),
            role,
            at: at.map(Node::origin),
        });
        let Some(k) = kustomization::read(&file, &mut self.diags) else {
            return Err(Stop);
        };
        match (mode, k.kind) {
            (Mode::Component, Kind::Kustomization) => {
                return Err(self.fail(
                    Class::Invalid,
                    format!(
                        "accumulateDirectory: \"expected kind 'Component' for path '{}' but got 'Kustomization'\"",
                        dir.display()
                    ),
                    origin,
                ));
            }
            (Mode::Resource, Kind::Component) => {
                return Err(self.fail(
                    Class::Invalid,
                    format!("expected kind != 'Component' for path '{}'", dir.display()),
                    origin,
                ));
            }
            _ => {}
        }
        self.stack.push(dir.to_path_buf());
        let out = self.accumulate(&k, dir, acc);
        self.stack.pop();
        out
    }

    fn accumulate(&mut self, k: &Kustomization, dir: &Path, mut acc: Vec<Res>) -> R<Vec<Res>> {
        for c in &k.configurations {
            let text = c.as_str().unwrap_or("");
            let file = match load_restricted(self.files, &self.root, dir, text, c) {
                Ok(f) => f,
                Err((m, class)) => return Err(self.fail(class, m, c.origin())),
            };
            self.uses.push(Use {
                path: normalize(&dir.join(text)),
                role: Role::TransformerConfig,
                at: Some(c.origin()),
            });
            let read = super::kustomization::read_configuration(&file, &mut self.diags);
            self.config.absorb(read);
        }
        for r in &k.resources {
            self.resource(k, dir, r, &mut acc)?;
        }
        // Generators: every ConfigMap, then every Secret, then Helm charts.
        let mut gens: Vec<&kustomization::Generator> =
            k.generators.iter().filter(|g| !g.secret).collect();
        gens.extend(k.generators.iter().filter(|g| g.secret));
        for g in gens {
            let res = {
                let files = self.files;
                let root = self.root.clone();
                let mut load =
                    |entry: &Node, rel: &str| load_generator_input(files, &root, dir, rel, entry);
                generators::generate(g, k.generator_options.as_ref(), &mut load)
            };
            match res {
                Ok(res) => {
                    self.record_generator_inputs(g, dir);
                    self.absorb(&mut acc, res, &g.at)?;
                }
                Err((m, at, class)) => return Err(self.fail(class, m, at.origin())),
            }
        }
        for chart in &k.helm_charts {
            match self.opts.helm {
                None => self.diags.push(Diagnostic::note(
                    "not checked: helmCharts needs the Helm renderer".into(),
                    chart.origin(),
                )),
                Some(h) => match h.render(dir, chart, k.helm_globals.as_ref(), self.files) {
                    Ok(out) => {
                        for (message, at) in out.notes {
                            self.diags.push(Diagnostic::note(message, at));
                        }
                        let mut new = Vec::new();
                        for d in out.docs {
                            self.objects_from_doc(&d, &mut new, 0)?;
                        }
                        self.append(&mut acc, new, chart)?;
                    }
                    Err(HelmFailure::NotChecked(m)) => {
                        self.diags.push(Diagnostic::note(
                            format!("not checked: {m}"),
                            chart.origin(),
                        ));
                    }
                    Err(HelmFailure::Invalid(e)) => {
                        return Err(self.fail(
                            Class::Invalid,
                            format!("helmCharts: {e}"),
                            chart.origin(),
                        ));
                    }
                },
            }
        }
        for c in &k.components {
            let text = c.as_str().unwrap_or("");
            if is_remote(text) {
                self.diags.push(Diagnostic::note(
                    format!("not checked: remote resource '{text}'"),
                    c.origin(),
                ));
                continue;
            }
            let path = normalize(&dir.join(text));
            if !self.files.is_dir(&path) {
                return Err(self.fail(
                    Class::Missing,
                    format!(
                        "accumulating components: loader.New \"must build at directory: not a valid directory: '{}'\"",
                        path.display()
                    ),
                    c.origin(),
                ));
            }
            acc = self.kustomize_dir(&path, Some(c), Mode::Component, acc)?;
        }
        self.transform(k, dir, &mut acc)?;
        // kustomize's `MergeVars`, last at each kustomization.
        if let Err((m, at)) = super::vars::mark(&k.vars, &mut acc) {
            return Err(self.fail(Class::Invalid, m, at.origin()));
        }
        for v in &k.vars {
            if self.vars.iter().any(|w| w.name == v.name) {
                return Err(self.fail(
                    Class::Invalid,
                    format!("var '{}' already encountered", v.name),
                    v.at.origin(),
                ));
            }
            self.vars.push(v.clone());
        }
        for (field, node) in &k.unsupported {
            self.diags.push(Diagnostic::note(
                format!("not checked: `{field}` is not applied by plumbline's kustomize builder"),
                node.origin(),
            ));
        }
        Ok(acc)
    }

    fn record_generator_inputs(&mut self, g: &kustomization::Generator, dir: &Path) {
        for f in g.files.iter().chain(g.envs.iter()) {
            let text = f.as_str().unwrap_or("");
            let rel = match text.split_once('=') {
                Some((_, p)) if g.files.iter().any(|x| std::ptr::eq(x, f)) => p,
                _ => text,
            };
            self.uses.push(Use {
                path: normalize(&dir.join(rel)),
                role: Role::GeneratorInput,
                at: Some(f.origin()),
            });
        }
    }

    fn resource(&mut self, _k: &Kustomization, dir: &Path, r: &Node, acc: &mut Vec<Res>) -> R<()> {
        let text = r.as_str().unwrap_or("");
        if is_remote(text) {
            self.diags.push(Diagnostic::note(
                format!("not checked: remote resource '{text}'"),
                r.origin(),
            ));
            return Ok(());
        }
        let path = normalize(&dir.join(text));
        if !self.inside_repo(&path) {
            return Err(self.fail(
                Class::Restricted,
                format!(
                    "accumulating resources from '{text}': security; file '{}' is not in or below '{}'",
                    path.display(),
                    self.root.display()
                ),
                r.origin(),
            ));
        }
        if self.files.exists(&path) {
            if !path.starts_with(dir) {
                return Err(self.fail(
                    Class::Restricted,
                    format!(
                        "accumulating resources from '{text}': security; file '{}' is not in or below '{}'",
                        path.display(),
                        dir.display()
                    ),
                    r.origin(),
                ));
            }
            let file = match self.files.read(&path) {
                Ok(f) => f,
                Err(e) => {
                    return Err(self.fail(
                        Class::Missing,
                        format!("accumulating resources from '{text}': {e}"),
                        r.origin(),
                    ));
                }
            };
            self.uses.push(Use {
                path: path.clone(),
                role: Role::Resource,
                at: Some(r.origin()),
            });
            let new = self.load_manifests(&file, text)?;
            return self.append(acc, new, r);
        }
        if self.files.is_dir(&path) {
            let sub = self.kustomize_dir(&path, Some(r), Mode::Resource, Vec::new())?;
            return self.append(acc, sub, r);
        }
        Err(self.fail(
            Class::Missing,
            format!(
                "accumulating resources: accumulation err='accumulating resources from '{text}': evalsymlink failure on '{p}' : lstat {p}: no such file or directory'",
                p = path.display()
            ),
            r.origin(),
        ))
    }

    fn load_manifests(&mut self, file: &Arc<SourceFile>, text: &str) -> R<Vec<Res>> {
        let stream = yaml::load(file);
        if let Some(e) = stream.errors.first() {
            return Err(self.fail(
                Class::Yaml,
                format!(
                    "accumulating resources from '{text}': MalformedYAMLError: {}",
                    e.message
                ),
                Origin::new(file, e.span),
            ));
        }
        let mut out = Vec::new();
        for doc in &stream.docs {
            self.objects_from_doc(doc, &mut out, 0)?;
        }
        Ok(out)
    }

    fn objects_from_doc(&mut self, doc: &Node, out: &mut Vec<Res>, depth: usize) -> R<()> {
        if doc.is_null() {
            return Ok(());
        }
        if doc.as_map().is_none() {
            return Err(self.fail(
                Class::Invalid,
                "missing Resource metadata: the document is not a mapping".into(),
                doc.origin(),
            ));
        }
        let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
        if kind.ends_with("List") && doc.get("items").is_some() && depth < 4 {
            for item in doc.get("items").and_then(Node::as_seq).unwrap_or_default() {
                self.objects_from_doc(item, out, depth + 1)?;
            }
            return Ok(());
        }
        if kind.is_empty() {
            return Err(self.fail(
                Class::Invalid,
                "missing kind in object".into(),
                doc.origin(),
            ));
        }
        if doc
            .at(&["metadata", "name"])
            .and_then(Node::as_str)
            .unwrap_or("")
            .is_empty()
        {
            return Err(self.fail(
                Class::Invalid,
                format!("missing metadata.name in object of kind {kind}"),
                doc.origin(),
            ));
        }
        out.push(Res::new(doc.clone()));
        Ok(())
    }

    fn append(&mut self, acc: &mut Vec<Res>, new: Vec<Res>, at: &Node) -> R<()> {
        for res in new {
            let id = res.id();
            if acc.iter().any(|r| r.id().equals(&id)) {
                return Err(self.fail(
                    Class::Duplicate,
                    format!("may not add resource with an already registered id: {id}"),
                    at.origin(),
                ));
            }
            self.objects += 1;
            if acc.len() >= self.opts.limits.objects || self.objects > self.opts.limits.objects * 4
            {
                return Err(self.fail(
                    Class::Limit,
                    format!(
                        "limit: more than {} objects in one build",
                        self.opts.limits.objects
                    ),
                    at.origin(),
                ));
            }
            acc.push(res);
        }
        Ok(())
    }

    /// Adds a generated object, merging it into or replacing an existing one as its
    /// `behavior` says.
    fn absorb(&mut self, acc: &mut Vec<Res>, mut res: Res, at: &Node) -> R<()> {
        let id = res.id();
        let matches: Vec<usize> = acc
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches_any_id(&id))
            .map(|(i, _)| i)
            .collect();
        match (matches.as_slice(), res.behavior) {
            ([], Behavior::Create) => self.append(acc, vec![res], at),
            ([], _) => Err(self.fail(
                Class::NoMatch,
                format!("id {id} does not exist; cannot merge or replace"),
                at.origin(),
            )),
            ([i], Behavior::Merge | Behavior::Replace) => {
                let old = &acc[*i];
                let merge = res.behavior == Behavior::Merge;
                merge_generated(&mut res, old, merge);
                acc[*i] = res;
                Ok(())
            }
            ([_], Behavior::Create) => Err(self.fail(
                Class::Duplicate,
                format!("id {id} exists; behavior must be merge or replace"),
                at.origin(),
            )),
            _ => Err(self.fail(
                Class::Invalid,
                format!("found multiple objects that could accept merge of {id}"),
                at.origin(),
            )),
        }
    }

    // ---- transformers ----

    fn transform(&mut self, k: &Kustomization, dir: &Path, acc: &mut Vec<Res>) -> R<()> {
        for p in k.patches.iter().filter(|p| p.list != PatchList::Json6902) {
            self.patch(k, dir, p, acc)?;
        }
        if let Some(ns) = &k.namespace
            && !ns.as_str().unwrap_or("").is_empty()
        {
            transformers::namespace(acc, ns, &self.config.namespace, &mut self.replaced);
        }
        let prefix = k
            .name_prefix
            .as_ref()
            .filter(|n| !n.as_str().unwrap_or("").is_empty());
        let suffix = k
            .name_suffix
            .as_ref()
            .filter(|n| !n.as_str().unwrap_or("").is_empty());
        if prefix.is_some() {
            transformers::prefix_suffix(acc, prefix, None, &mut self.replaced);
        }
        if suffix.is_some() {
            transformers::prefix_suffix(acc, None, suffix, &mut self.replaced);
        }
        for l in &k.labels {
            let specs = transformers::label_entry_specs(
                l.include_selectors,
                l.include_templates,
                &l.fields,
            );
            transformers::set_pairs(acc, &l.pairs, &specs, "label", &mut self.replaced);
        }
        transformers::common_labels(acc, &k.common_labels, &mut self.replaced);
        transformers::common_annotations(acc, &k.common_annotations, &mut self.replaced);
        for p in k.patches.iter().filter(|p| p.list == PatchList::Json6902) {
            self.patch(k, dir, p, acc)?;
        }
        for r in &k.replicas {
            if let Err(m) = transformers::replicas(acc, &r.name, &r.count, &mut self.replaced) {
                return Err(self.fail(Class::NoMatch, m, r.name.origin()));
            }
        }
        for img in &k.images {
            transformers::images(acc, img, &mut self.replaced);
        }
        if !k.replacements.is_empty() {
            let reps = self.read_replacements(k, dir)?;
            if let Err((m, at)) = replacements::apply(acc, &reps, &mut self.replaced) {
                return Err(self.fail(Class::NoMatch, m, at.origin()));
            }
        }
        for t in &k.transformers {
            self.external_transformer(dir, t, acc)?;
        }
        Ok(())
    }

    fn read_replacements(
        &mut self,
        k: &Kustomization,
        dir: &Path,
    ) -> R<Vec<replacements::Replacement>> {
        let mut out = Vec::new();
        let mut items: Vec<Node> = Vec::new();
        for entry in &k.replacements {
            match entry.get("path") {
                Some(p) => {
                    let rel = p.as_str().unwrap_or("").to_string();
                    let file = match load_restricted(self.files, &self.root, dir, &rel, p) {
                        Ok(f) => f,
                        Err((m, c)) => return Err(self.fail(c, m, p.origin())),
                    };
                    self.uses.push(Use {
                        path: file.path.clone(),
                        role: Role::TransformerConfig,
                        at: Some(p.origin()),
                    });
                    let stream = yaml::load(&file);
                    if let Some(e) = stream.errors.first() {
                        return Err(self.fail(
                            Class::Yaml,
                            e.message.clone(),
                            Origin::new(&file, e.span),
                        ));
                    }
                    for d in &stream.docs {
                        match d.as_seq() {
                            Some(s) => items.extend(s.iter().cloned()),
                            None => items.push(d.clone()),
                        }
                    }
                }
                None => items.push(entry.clone()),
            }
        }
        let before = self.diags.len();
        let mut r = Reader {
            diags: &mut self.diags,
            context: "ReplacementField",
        };
        for i in &items {
            if let Some(rep) = replacements::read(&mut r, i) {
                out.push(rep);
            }
        }
        if self.diags.len() > before {
            return Err(Stop);
        }
        Ok(out)
    }

    fn external_transformer(&mut self, dir: &Path, t: &Node, acc: &mut [Res]) -> R<()> {
        let text = t.as_str().unwrap_or("");
        let docs: Vec<Node> = if text.contains('\n') {
            match relocated_docs(t) {
                Ok(d) => d,
                Err((m, o)) => return Err(self.fail(Class::Yaml, m, o)),
            }
        } else {
            let path = normalize(&dir.join(text));
            if self.files.is_dir(&path) {
                self.diags.push(Diagnostic::note(
                    "not checked: transformers from a kustomization directory".into(),
                    t.origin(),
                ));
                return Ok(());
            }
            let file = match load_restricted(self.files, &self.root, dir, text, t) {
                Ok(f) => f,
                Err((m, c)) => return Err(self.fail(c, m, t.origin())),
            };
            self.uses.push(Use {
                path: file.path.clone(),
                role: Role::TransformerConfig,
                at: Some(t.origin()),
            });
            let stream = yaml::load(&file);
            if let Some(e) = stream.errors.first() {
                return Err(self.fail(Class::Yaml, e.message.clone(), Origin::new(&file, e.span)));
            }
            stream.docs
        };
        for d in docs {
            let kind = d.get("kind").and_then(Node::as_str).unwrap_or("");
            let api = d.get("apiVersion").and_then(Node::as_str).unwrap_or("");
            let specs = || -> Vec<reader::FieldSpec> {
                let mut diags = Vec::new();
                let mut r = Reader {
                    diags: &mut diags,
                    context: "FieldSpec",
                };
                d.get("fieldSpecs")
                    .map(|f| reader::read_field_specs(&mut r, f))
                    .unwrap_or_default()
            };
            let pairs = |key: &str| -> Vec<(String, Node)> {
                let mut diags = Vec::new();
                let mut r = Reader {
                    diags: &mut diags,
                    context: "Transformer",
                };
                d.get(key).map(|n| r.string_map(n, key)).unwrap_or_default()
            };
            match (api, kind) {
                ("builtin", "LabelTransformer") => {
                    transformers::set_pairs(
                        acc,
                        &pairs("labels"),
                        &specs(),
                        "label",
                        &mut self.replaced,
                    );
                }
                ("builtin", "AnnotationsTransformer") => {
                    transformers::set_pairs(
                        acc,
                        &pairs("annotations"),
                        &specs(),
                        "annotation",
                        &mut self.replaced,
                    );
                }
                ("builtin", "NamespaceTransformer") => {
                    if let Some(ns) = d.at(&["metadata", "namespace"]) {
                        transformers::namespace(
                            acc,
                            ns,
                            &self.config.namespace,
                            &mut self.replaced,
                        );
                    }
                }
                (
                    "builtin",
                    "PrefixSuffixTransformer" | "PrefixTransformer" | "SuffixTransformer",
                ) => {
                    transformers::prefix_suffix(
                        acc,
                        d.get("prefix"),
                        d.get("suffix"),
                        &mut self.replaced,
                    );
                }
                ("builtin", "ImageTagTransformer") => {
                    if let Some(it) = d.get("imageTag")
                        && let Some(name) = it.get("name")
                    {
                        let img = kustomization::Image {
                            name: name.clone(),
                            new_name: it.get("newName").cloned(),
                            new_tag: it.get("newTag").cloned(),
                            digest: it.get("digest").cloned(),
                            tag_suffix: it.get("tagSuffix").cloned(),
                        };
                        transformers::images(acc, &img, &mut self.replaced);
                    }
                }
                ("builtin", "ReplicaCountTransformer") => {
                    if let Some(r) = d.get("replica")
                        && let (Some(n), Some(c)) = (r.get("name"), r.get("count"))
                        && let Err(m) = transformers::replicas(acc, n, c, &mut self.replaced)
                    {
                        return Err(self.fail(Class::NoMatch, m, n.origin()));
                    }
                }
                _ => self.diags.push(Diagnostic::note(
                    format!("not checked: transformer plugin {api}/{kind}"),
                    d.origin(),
                )),
            }
        }
        Ok(())
    }

    fn count_patch(&mut self, n: usize, at: &Node) -> R<()> {
        self.patches += n;
        if self.patches > self.opts.limits.patches {
            return Err(self.fail(
                Class::Limit,
                format!(
                    "limit: more than {} patches in one build",
                    self.opts.limits.patches
                ),
                at.origin(),
            ));
        }
        Ok(())
    }

    fn patch(&mut self, _k: &Kustomization, dir: &Path, p: &Patch, acc: &mut Vec<Res>) -> R<()> {
        self.count_patch(1, &p.at)?;
        let (docs, source) = match (&p.path, &p.inline) {
            (Some(path), _) => {
                let rel = path.as_str().unwrap_or("");
                let file = match load_restricted(self.files, &self.root, dir, rel, path) {
                    Ok(f) => f,
                    Err((m, c)) => {
                        let msg = if p.list == PatchList::StrategicMerge {
                            format!(
                                "trouble configuring builtin PatchStrategicMergeTransformer with config: {m}"
                            )
                        } else {
                            format!("failed to get the patch file from path({rel}): {m}")
                        };
                        return Err(self.fail(c, msg, path.origin()));
                    }
                };
                self.uses.push(Use {
                    path: file.path.clone(),
                    role: Role::Patch,
                    at: Some(path.origin()),
                });
                let stream = yaml::load(&file);
                if let Some(e) = stream.errors.first() {
                    return Err(self.fail(
                        Class::Yaml,
                        format!(
                            "unable to parse SM or JSON patch from [path: {rel:?}]: {}",
                            e.message
                        ),
                        Origin::new(&file, e.span),
                    ));
                }
                (stream.docs, format!("[path: {rel:?}]"))
            }
            (None, Some(inline)) => match relocated_docs(inline) {
                Ok(d) => (d, "[patch: inline]".to_string()),
                Err((m, o)) => {
                    return Err(self.fail(
                        Class::Yaml,
                        format!("unable to parse SM or JSON patch: {m}"),
                        o,
                    ));
                }
            },
            (None, None) => return Ok(()),
        };
        let docs: Vec<Node> = docs.into_iter().filter(|d| !d.is_null()).collect();
        let json = match p.list {
            PatchList::Json6902 => true,
            PatchList::StrategicMerge => false,
            PatchList::Patches => docs.first().is_some_and(|d| d.as_seq().is_some()),
        };
        if docs.is_empty() {
            return Err(self.fail(
                Class::Invalid,
                format!("unable to parse SM or JSON patch from {source}"),
                p.at.origin(),
            ));
        }
        if json {
            self.json_patch(p, &docs, &source, acc)
        } else {
            self.smp(p, &docs, &source, acc)
        }
    }

    fn json_patch(&mut self, p: &Patch, docs: &[Node], source: &str, acc: &mut [Res]) -> R<()> {
        let Some(target) = &p.target else {
            return Err(self.fail(
                Class::Invalid,
                format!("must specify a target for JSON patch {source}"),
                p.at.origin(),
            ));
        };
        let ops = match json6902::read_ops(&docs[0]) {
            Ok(o) => o,
            Err(m) => return Err(self.fail(Class::Invalid, m, docs[0].origin())),
        };
        self.count_patch(ops.len(), &p.at)?;
        let sel = match target.compile() {
            Ok(s) => s,
            Err(m) => return Err(self.fail(Class::Invalid, m, p.at.origin())),
        };
        let mut any = false;
        for res in acc.iter_mut().filter(|r| sel.matches(r)) {
            any = true;
            res.store_previous();
            // kustomize keeps internal annotations on every object while it builds, so a
            // patch may add to `/metadata/annotations/…` of an object that has none; an
            // empty mapping is dropped from its output.
            let had_annotations = res.node.at(&["metadata", "annotations"]).is_some();
            if !had_annotations
                && let Some(meta) = super::resource::get_mut(&mut res.node, "metadata")
                && meta.as_map().is_some()
            {
                let at = meta.clone();
                super::resource::set_key(
                    meta,
                    "annotations",
                    super::resource::map_from(Vec::new(), &at),
                );
            }
            let applied = json6902::apply(
                &mut res.node,
                &ops,
                &mut self.replaced,
                self.opts.limits.object_nodes,
            );
            if let Some(meta) = super::resource::get_mut(&mut res.node, "metadata")
                && meta
                    .get("annotations")
                    .is_some_and(|a| a.as_map().is_some_and(<[_]>::is_empty))
            {
                super::resource::remove_key(meta, "annotations");
            }
            if let Err(m) = applied {
                let class = if m.starts_with("limit") {
                    Class::Limit
                } else {
                    Class::Invalid
                };
                return Err(self.fail(class, m, p.at.origin()));
            }
        }
        if !any {
            self.no_target_warning(p, target);
        }
        Ok(())
    }

    fn no_target_warning(&mut self, p: &Patch, target: &super::select::Selector) {
        self.diags.push(Diagnostic {
            severity: super::Severity::Warning,
            class: Class::NoMatch,
            message: format!(
                "patch target {} selects no object (kustomize applies such a patch to nothing, silently)",
                target.describe()
            ),
            at: target.at.as_ref().unwrap_or(&p.at).origin(),
        });
    }

    fn smp(&mut self, p: &Patch, docs: &[Node], source: &str, acc: &mut Vec<Res>) -> R<()> {
        for d in docs {
            if d.as_map().is_none() {
                return Err(self.fail(
                    Class::Invalid,
                    format!("unable to parse SM or JSON patch from {source}"),
                    d.origin(),
                ));
            }
        }
        if let Some(target) = &p.target {
            if docs.len() > 1 {
                return Err(self.fail(
                    Class::Invalid,
                    format!("Multiple Strategic-Merge Patches in one `patches` entry is not allowed to set `patches.target` field: {source}"),
                    p.at.origin(),
                ));
            }
            let sel = match target.compile() {
                Ok(s) => s,
                Err(m) => return Err(self.fail(Class::Invalid, m, p.at.origin())),
            };
            let selected: Vec<usize> = acc
                .iter()
                .enumerate()
                .filter(|(_, r)| sel.matches(r))
                .map(|(i, _)| i)
                .collect();
            if selected.is_empty() {
                self.no_target_warning(p, target);
            }
            let mut deleted = Vec::new();
            for i in selected {
                // The patch takes the target's group and version; its own name is ignored
                // unless allowNameChange.
                let mut patch = docs[0].clone();
                if let Some(api) = acc[i].node.get("apiVersion").cloned() {
                    super::resource::set_key(&mut patch, "apiVersion", api);
                }
                if self.apply_smp(&mut acc[i], &patch, p)? {
                    deleted.push(i);
                }
            }
            for i in deleted.into_iter().rev() {
                acc.remove(i);
            }
            return Ok(());
        }
        for d in docs {
            let id = ResId::of(d);
            let found: Vec<usize> = acc
                .iter()
                .enumerate()
                .filter(|(_, r)| r.matches_any_id(&id))
                .map(|(i, _)| i)
                .collect();
            let i = match found.as_slice() {
                [one] => *one,
                [] => {
                    return Err(self.fail(
                        Class::NoMatch,
                        format!(
                            "no resource matches strategic merge patch \"{id}\": no matches for Id {id}; failed to find unique target for patch {id}"
                        ),
                        d.origin(),
                    ));
                }
                _ => {
                    return Err(self.fail(
                        Class::NoMatch,
                        format!(
                            "no resource matches strategic merge patch \"{id}\": multiple matches for Id {id}; failed to find unique target for patch {id}"
                        ),
                        d.origin(),
                    ));
                }
            };
            if self.apply_smp(&mut acc[i], d, p)? {
                acc.remove(i);
            }
        }
        Ok(())
    }

    /// Applies one strategic merge patch; `true` when it deletes the object.
    fn apply_smp(&mut self, res: &mut Res, patch: &Node, p: &Patch) -> R<bool> {
        if strategic_merge::is_delete(patch) {
            return Ok(true);
        }
        let name = res.node.at(&["metadata", "name"]).cloned();
        let ns = res.node.at(&["metadata", "namespace"]).cloned();
        let kind = res.node.get("kind").cloned();
        if p.allow_name_change || p.allow_kind_change {
            res.store_previous();
        }
        let merged = match strategic_merge::apply(&res.node, patch, &mut self.replaced) {
            Ok(m) => m,
            Err(e) => return Err(self.fail(Class::Invalid, e, patch.origin())),
        };
        let Some(mut merged) = merged else {
            return Ok(true);
        };
        // kustomize's merge clears every field of the object it patches that is written
        // with no value (`key:`), not only those the patch names.
        drop_null_fields(&mut merged);
        if !p.allow_kind_change
            && let Some(k) = kind
        {
            super::resource::set_key(&mut merged, "kind", k);
        }
        if let Some(meta) = super::resource::ensure_map(&mut merged, "metadata", patch) {
            if !p.allow_name_change
                && let Some(n) = name
            {
                super::resource::set_key(meta, "name", n);
            }
            match ns {
                Some(n) => {
                    super::resource::set_key(meta, "namespace", n);
                }
                None => {
                    super::resource::remove_key(meta, "namespace");
                }
            }
        }
        if size(&merged) > self.opts.limits.object_nodes {
            return Err(self.fail(
                Class::Limit,
                format!(
                    "limit: a patch grew an object past {} nodes",
                    self.opts.limits.object_nodes
                ),
                p.at.origin(),
            ));
        }
        res.node = merged;
        Ok(false)
    }

    // ---- the end of a root ----

    fn finish(&mut self, acc: &mut [Res]) {
        // kustomize rewrites each object's annotations (its build annotations come and go):
        // null or empty annotations are dropped; labels are left as they are.
        for res in acc.iter_mut() {
            if let Some(Value::Map(meta)) =
                super::resource::get_mut(&mut res.node, "metadata").map(|m| &mut m.value)
            {
                meta.retain(|e| {
                    e.key.as_str() != Some("annotations")
                        || !(e.value.is_null() || e.value.as_map().is_some_and(|m| m.is_empty()))
                });
            }
        }
        for res in acc.iter_mut().filter(|r| r.needs_hash) {
            let h = generators::hash(&res.node);
            res.store_previous();
            if let Some(n) = super::resource::at_mut(&mut res.node, &["metadata", "name"]) {
                let name = n.as_str().unwrap_or("").to_string();
                *n = string_from(format!("{name}-{h}"), n);
            }
        }
        transformers::fix_name_references(acc, &self.config.name_reference, &mut self.replaced);
        // With the names final, the vars (kustomize's `ResolveVars`).
        if let Err((m, at)) = super::vars::resolve(
            &self.vars,
            &self.config.var_reference,
            acc,
            &mut self.replaced,
        ) {
            self.diags
                .push(Diagnostic::error(Class::Invalid, m, at.origin()));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Root,
    Resource,
    Component,
}

/// Removes every map entry written with no value at all (`key:`), at any depth, as
/// kustomize's strategic merge does to the object it patches; `key: null` and `key: ~` stay
/// (checked with kubectl kustomize: kyaml tells the two apart).
fn drop_null_fields(node: &mut Node) {
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(
                |e| !matches!(&e.value.value, Value::Scalar(s) if s.plain && s.text.is_empty()),
            );
            for e in entries.iter_mut() {
                drop_null_fields(&mut e.value);
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(drop_null_fields),
        Value::Scalar(_) => {}
    }
}

/// Reads a file a generator names as [`load_restricted`] does; a file the text reader
/// refuses is read again as bytes, and taken when it is not text (NUL bytes, invalid UTF-8),
/// which kustomize base64-encodes. Any other refusal stays the text reader's.
fn load_generator_input(
    files: &dyn Files,
    root: &Path,
    dir: &Path,
    rel: &str,
    _at: &Node,
) -> Result<generators::Loaded, (String, Class)> {
    let path = restricted_path(root, dir, rel)?;
    match files.read(&path) {
        Ok(f) => Ok(generators::Loaded::Text(f)),
        Err(e) => match files.read_bytes(&path) {
            Ok(b) if b.contains(&0) || std::str::from_utf8(&b).is_err() => {
                Ok(generators::Loaded::Bytes(b))
            }
            _ => Err(read_error(files, &path, &e)),
        },
    }
}

/// Reads a file a kustomization names, refusing what the load restrictor refuses.
fn load_restricted(
    files: &dyn Files,
    root: &Path,
    dir: &Path,
    rel: &str,
    _at: &Node,
) -> Result<Arc<SourceFile>, (String, Class)> {
    let path = restricted_path(root, dir, rel)?;
    files.read(&path).map_err(|e| read_error(files, &path, &e))
}

/// `rel` below `dir`, or the load restrictor's refusal when it leaves `dir` or `root`.
fn restricted_path(root: &Path, dir: &Path, rel: &str) -> Result<PathBuf, (String, Class)> {
    let path = normalize(&dir.join(rel));
    if !path.starts_with(dir) || !path.starts_with(root) {
        return Err((
            format!(
                "security; file '{}' is not in or below '{}'",
                path.display(),
                dir.display()
            ),
            Class::Restricted,
        ));
    }
    Ok(path)
}

/// kustomize's words for a file it cannot read.
fn read_error(files: &dyn Files, path: &Path, e: &str) -> (String, Class) {
    let class = if files.is_dir(path) || e.contains("no such") {
        Class::Missing
    } else {
        Class::Invalid
    };
    (
        format!("evalsymlink failure on '{}' : {e}", path.display()),
        class,
    )
}

/// Merges a generated ConfigMap or Secret into the one it replaces (`behavior: merge`) or
/// takes its place (`replace`): the old name, namespace, labels and annotations are kept
/// where the new object does not set them, and for a merge the old data keys too.
fn merge_generated(new: &mut Res, old: &Res, merge_data: bool) {
    use super::resource::{ensure_map, get_mut, set_key};
    let old_meta = old.node.get("metadata");
    let at = new.node.clone();
    if let Some(meta) = ensure_map(&mut new.node, "metadata", &at) {
        for key in ["labels", "annotations"] {
            let olds = old_meta
                .and_then(|m| m.get(key))
                .and_then(Node::as_map)
                .unwrap_or_default()
                .to_vec();
            if olds.is_empty() {
                continue;
            }
            if let Some(m) = ensure_map(meta, key, &at) {
                for e in olds {
                    let k = e.key.as_str().unwrap_or("").to_string();
                    if m.get(&k).is_none() {
                        set_key(m, &k, e.value.clone());
                    }
                }
            }
        }
        if let Some(n) = old_meta.and_then(|m| m.get("name")) {
            set_key(meta, "name", n.clone());
        }
        if let Some(n) = old_meta.and_then(|m| m.get("namespace")) {
            set_key(meta, "namespace", n.clone());
        }
    }
    if merge_data {
        for key in ["data", "binaryData"] {
            let olds = old
                .node
                .get(key)
                .and_then(Node::as_map)
                .unwrap_or_default()
                .to_vec();
            if olds.is_empty() {
                continue;
            }
            if let Some(m) = ensure_map(&mut new.node, key, &at) {
                let mut merged = olds.clone();
                for e in m.as_map().unwrap_or_default() {
                    match merged.iter_mut().find(|o| o.key.as_str() == e.key.as_str()) {
                        Some(o) => o.value = e.value.clone(),
                        None => merged.push(e.clone()),
                    }
                }
                merged.sort_by(|a, b| a.key.as_str().cmp(&b.key.as_str()));
                m.value = Value::Map(merged);
            }
        }
        let _ = get_mut;
    }
    new.previous = old.all_ids();
    new.needs_hash = new.needs_hash && (old.needs_hash || old.previous.is_empty());
}

/// An inline patch's documents, with spans into the kustomization file. A literal block
/// scalar (`patch: |-`) holds its lines verbatim, indented: the file with everything but
/// those lines blanked is the same YAML at the same offsets. Other scalars (quoted, folded)
/// are parsed from their text, every node pointing at the whole scalar.
fn relocated_docs(node: &Node) -> Result<Vec<Node>, (String, Origin)> {
    let file = &node.file;
    let text = node.as_str().unwrap_or("");
    let plain = Arc::new(SourceFile::new(
        file.path.clone(),
        file.display_path.clone(),
        file.format,
        text.to_string(),
    ));
    let plain_stream = yaml::load(&plain);
    if let Some(docs) = block_relocation(node)
        && docs.len() == plain_stream.docs.len()
    {
        return Ok(docs);
    }
    if let Some(e) = plain_stream.errors.first() {
        return Err((e.message.clone(), node.origin()));
    }
    Ok(plain_stream
        .docs
        .into_iter()
        .map(|mut d| {
            repoint(&mut d, file, Some(node.span));
            d
        })
        .collect())
}

fn block_relocation(node: &Node) -> Option<Vec<Node>> {
    let file = &node.file;
    let full = &file.text;
    let raw = file.slice(node.span);
    let content_start = if raw.starts_with('|') {
        node.span.start + raw.find('\n')? + 1
    } else {
        // The span may start at the content: the indicator ends the line above.
        let line_start = full
            .get(..node.span.start)?
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let above = full.get(..line_start)?.trim_end();
        let indicator = above.rsplit(|c: char| c.is_whitespace()).next()?;
        let is_literal = indicator.starts_with('|')
            && indicator[1..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '+');
        if !is_literal {
            return None;
        }
        line_start
    };
    let content_end = node.span.end.min(full.len());
    if content_start >= content_end {
        return None;
    }
    let content = full.get(content_start..content_end)?;
    let first = content.lines().find(|l| !l.trim().is_empty())?;
    let indent = first.len() - first.trim_start_matches(' ').len();
    let mut rebuilt = String::new();
    for line in content.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if body.trim().is_empty() {
            rebuilt.push('\n');
        } else {
            rebuilt.push_str(body.get(indent..)?);
            rebuilt.push('\n');
        }
    }
    let want = node.as_str().unwrap_or("");
    if rebuilt.trim_end() != want.trim_end() {
        return None;
    }
    let mut synth = String::with_capacity(full.len());
    for (i, ch) in full.char_indices() {
        if (content_start..content_end).contains(&i) || ch == '\n' || ch == '\r' {
            synth.push(ch);
        } else {
            for _ in 0..ch.len_utf8() {
                synth.push(' ');
            }
        }
    }
    let sf = Arc::new(SourceFile::new(
        file.path.clone(),
        file.display_path.clone(),
        file.format,
        synth,
    ));
    let stream = yaml::load(&sf);
    if !stream.errors.is_empty() {
        return None;
    }
    Some(
        stream
            .docs
            .into_iter()
            .map(|mut d| {
                repoint(&mut d, file, None);
                d
            })
            .collect(),
    )
}

fn repoint(node: &mut Node, file: &Arc<SourceFile>, span: Option<Span>) {
    node.file = Arc::clone(file);
    if let Some(s) = span {
        node.span = s;
    }
    match &mut node.value {
        Value::Scalar(_) => {}
        Value::Seq(items) => items.iter_mut().for_each(|i| repoint(i, file, span)),
        Value::Map(entries) => {
            for e in entries {
                repoint(&mut e.key, file, span);
                repoint(&mut e.value, file, span);
            }
        }
    }
}

/// kustomize's legacy output order: Namespaces, then the kinds others depend on, then
/// everything else by kind; webhooks last; ties by group/version/kind, namespace and name.
fn sort_legacy(acc: &mut [Res]) {
    const FIRST: &[&str] = &[
        "Namespace",
        "ResourceQuota",
        "StorageClass",
        "CustomResourceDefinition",
        "ServiceAccount",
        "PodSecurityPolicy",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "ConfigMap",
        "Secret",
        "Endpoints",
        "Service",
        "LimitRange",
        "PriorityClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Deployment",
        "StatefulSet",
        "CronJob",
        "PodDisruptionBudget",
    ];
    const LAST: &[&str] = &[
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ];
    let rank = |k: &str| -> i64 {
        if let Some(i) = FIRST.iter().position(|x| *x == k) {
            return i as i64 - FIRST.len() as i64;
        }
        if let Some(i) = LAST.iter().position(|x| *x == k) {
            return 1 + i as i64;
        }
        0
    };
    acc.sort_by_cached_key(|r| {
        let id = r.id();
        (
            rank(&id.kind),
            format!("{}~{}~{}", id.group, id.version, id.kind),
            id.namespace.clone(),
            id.name.clone(),
        )
    });
}

// ---- roots and roles ----

/// Roots and roles from the kustomization files alone (no object is built).
pub(crate) fn plan(files: &dyn Files, kustomizations: &[PathBuf], opts: &Options<'_>) -> Plan {
    let mut plan = Plan::default();
    let root_dir = normalize(&opts.repo_root);
    let mut parsed: Vec<(PathBuf, Option<Kustomization>)> = Vec::new();
    for path in kustomizations {
        let path = normalize(path);
        let k = files.read(&path).ok().and_then(|f| {
            let mut diags = Vec::new();
            let k = kustomization::read(&f, &mut diags);
            plan.diagnostics.extend(diags);
            k
        });
        parsed.push((path, k));
    }
    let dir_of = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut included: HashSet<PathBuf> = HashSet::new();
    for (path, k) in &parsed {
        let Some(k) = k else { continue };
        let dir = dir_of(path);
        for (node, role) in kustomization::references(k) {
            if matches!(role, Role::Resource | Role::Component) {
                let target = normalize(&dir.join(node.as_str().unwrap_or("")));
                if files.is_dir(&target) {
                    included.insert(target);
                }
            }
        }
    }
    for (path, k) in &parsed {
        let dir = dir_of(path);
        if included.contains(&dir) {
            continue;
        }
        // A Component is built into the kustomizations that name it; alone it is nothing to
        // deploy (its patches select objects it does not have).
        if let Some(k) = k.as_ref().filter(|k| k.kind == Kind::Component) {
            if let Ok(f) = files.read(path) {
                let _ = k;
                plan.diagnostics.push(Diagnostic::note(
                    "not checked: a Component is checked only inside the kustomizations that \
                     list it in `components`, and none here does"
                        .into(),
                    Origin::new(&f, crate::source::Span::new(0, 0)),
                ));
            }
            continue;
        }
        let index = plan.roots.len();
        plan.roots.push(Root {
            environment: environment_name(&dir),
            dir: dir.clone(),
            file: path.clone(),
        });
        let mut seen = HashSet::new();
        walk_uses(
            files,
            &root_dir,
            path,
            Role::Kustomization,
            index,
            &mut seen,
            &mut plan.uses,
            0,
            opts.limits.depth,
        );
    }
    plan
}

#[allow(clippy::too_many_arguments)]
fn walk_uses(
    files: &dyn Files,
    root: &Path,
    kfile: &Path,
    role: Role,
    index: usize,
    seen: &mut HashSet<PathBuf>,
    uses: &mut Vec<PlannedUse>,
    depth: usize,
    max_depth: usize,
) {
    if depth > max_depth || !seen.insert(kfile.to_path_buf()) || !kfile.starts_with(root) {
        return;
    }
    uses.push(PlannedUse {
        path: kfile.to_path_buf(),
        role,
        root: index,
    });
    let Ok(file) = files.read(kfile) else { return };
    let mut diags = Vec::new();
    let Some(k) = kustomization::read(&file, &mut diags) else {
        return;
    };
    let dir = kfile.parent().map(Path::to_path_buf).unwrap_or_default();
    for (node, role) in kustomization::references(&k) {
        let text = node.as_str().unwrap_or("");
        if is_remote(text) {
            continue;
        }
        let path = normalize(&dir.join(text));
        if matches!(role, Role::Resource | Role::Component) && files.is_dir(&path) {
            for name in KUSTOMIZATION_FILES {
                let candidate = path.join(name);
                if files.exists(&candidate) {
                    let r = if role == Role::Component {
                        Role::Component
                    } else {
                        Role::Kustomization
                    };
                    walk_uses(
                        files,
                        root,
                        &candidate,
                        r,
                        index,
                        seen,
                        uses,
                        depth + 1,
                        max_depth,
                    );
                    break;
                }
            }
            continue;
        }
        if files.exists(&path) && seen.insert(path.clone()) {
            uses.push(PlannedUse {
                path,
                role,
                root: index,
            });
        }
    }
    for chart in &k.helm_charts {
        if let Some(path) = helm_charts::chart_dir(&dir, chart, k.helm_globals.as_ref())
            && files.is_dir(&path)
            && seen.insert(path.clone())
        {
            uses.push(PlannedUse {
                path,
                role: Role::HelmChart,
                root: index,
            });
        }
    }
}
