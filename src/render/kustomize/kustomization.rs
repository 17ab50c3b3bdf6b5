//! A `kustomization.yaml` read into typed fields that keep their nodes (so every value has
//! its file and span), with kustomize's strictness: an unknown field, or a value of the
//! wrong type, is an error as `kustomize build` reports it (Go's JSON decoding, which
//! kustomize uses, matches field names without regard to case; so do we).

use std::sync::Arc;

use crate::parse::yaml::{self, Node};
use crate::source::{Origin, SourceFile};

use super::reader::{FieldSpec, Reader, go_kind, read_field_specs};
use super::resource::ResId;
use super::select::Selector;
use super::{Class, Diagnostic};

/// `kind: Kustomization` or `kind: Component`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Kustomization,
    Component,
}

/// Which list a patch came from: `patches` decides by content, the legacy lists say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatchList {
    Patches,
    StrategicMerge,
    Json6902,
}

#[derive(Debug, Clone)]
pub(crate) struct Patch {
    pub list: PatchList,
    /// `path:` (or the legacy string entry naming a file).
    pub path: Option<Node>,
    /// `patch:` (or the legacy string entry holding the patch).
    pub inline: Option<Node>,
    pub target: Option<Selector>,
    pub allow_name_change: bool,
    pub allow_kind_change: bool,
    /// The entry itself.
    pub at: Node,
}

#[derive(Debug, Clone)]
pub(crate) struct Image {
    pub name: Node,
    pub new_name: Option<Node>,
    pub new_tag: Option<Node>,
    pub digest: Option<Node>,
    pub tag_suffix: Option<Node>,
}

#[derive(Debug, Clone)]
pub(crate) struct Replica {
    pub name: Node,
    pub count: Node,
}

#[derive(Debug, Clone)]
pub(crate) struct Labels {
    pub pairs: Vec<(String, Node)>,
    pub include_selectors: bool,
    pub include_templates: bool,
    pub fields: Vec<FieldSpec>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct GeneratorOptions {
    pub labels: Vec<(String, Node)>,
    pub annotations: Vec<(String, Node)>,
    pub disable_name_suffix_hash: Option<bool>,
    pub immutable: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct Generator {
    pub secret: bool,
    pub name: Option<Node>,
    pub namespace: Option<Node>,
    pub behavior: Option<Node>,
    pub literals: Vec<Node>,
    pub files: Vec<Node>,
    pub envs: Vec<Node>,
    pub kind_type: Option<Node>,
    pub options: GeneratorOptions,
    pub at: Node,
}

/// One kustomization file, typed.
#[derive(Debug, Clone)]
pub(crate) struct Kustomization {
    pub kind: Kind,
    /// `resources` then the legacy `bases`.
    pub resources: Vec<Node>,
    pub components: Vec<Node>,
    pub patches: Vec<Patch>,
    pub images: Vec<Image>,
    pub replicas: Vec<Replica>,
    pub name_prefix: Option<Node>,
    pub name_suffix: Option<Node>,
    pub namespace: Option<Node>,
    pub labels: Vec<Labels>,
    pub common_labels: Vec<(String, Node)>,
    pub common_annotations: Vec<(String, Node)>,
    pub generators: Vec<Generator>,
    pub generator_options: Option<GeneratorOptions>,
    /// Each entry of `replacements`: inline, or `{path: file}`.
    pub replacements: Vec<Node>,
    pub helm_charts: Vec<Node>,
    /// `helmGlobals` (`chartHome`, `configHome`).
    pub helm_globals: Option<Node>,
    /// `transformers:` entries (files, directories or inline configurations).
    pub transformers: Vec<Node>,
    /// `vars:` entries.
    pub vars: Vec<Var>,
    /// `configurations:` files (transformer field specs added to the builtin ones).
    pub configurations: Vec<Node>,
    /// Fields we read but do not apply; each is reported once as not checked.
    pub unsupported: Vec<(String, Node)>,
}

const FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "bases",
    "components",
    "crds",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// Reads a kustomization file. `None` when the file cannot be used at all (bad YAML, not a
/// mapping, wrong kind); the reasons are in `diags`.
pub(crate) fn read(file: &Arc<SourceFile>, diags: &mut Vec<Diagnostic>) -> Option<Kustomization> {
    let stream = yaml::load(file);
    if let Some(e) = stream.errors.first() {
        diags.push(Diagnostic::error(
            Class::Yaml,
            format!("invalid Kustomization: {}", e.message),
            Origin::new(file, e.span),
        ));
        return None;
    }
    let whole = Origin::new(file, crate::source::Span::new(0, 0));
    let Some(doc) = stream.docs.first().cloned() else {
        diags.push(Diagnostic::error(
            Class::Invalid,
            "kustomization.yaml is empty".into(),
            whole,
        ));
        return None;
    };
    if stream.docs.len() > 1 {
        // kustomize reads the stream as one JSON document and fails on the second.
        diags.push(Diagnostic::error(
            Class::Yaml,
            "invalid Kustomization: yaml: more than one document in a kustomization file".into(),
            stream.docs[1].origin(),
        ));
        return None;
    }
    if doc.as_map().is_none() {
        diags.push(Diagnostic::error(
            Class::Field,
            format!(
                "invalid Kustomization: json: cannot unmarshal {} into Go value of type types.Kustomization",
                go_kind(&doc)
            ),
            doc.origin(),
        ));
        return None;
    }
    let before = diags.len();
    let mut r = Reader {
        diags,
        context: "Kustomization",
    };
    let mut k = Kustomization {
        kind: Kind::Kustomization,
        resources: Vec::new(),
        components: Vec::new(),
        patches: Vec::new(),
        images: Vec::new(),
        replicas: Vec::new(),
        name_prefix: None,
        name_suffix: None,
        namespace: None,
        labels: Vec::new(),
        common_labels: Vec::new(),
        common_annotations: Vec::new(),
        generators: Vec::new(),
        generator_options: None,
        replacements: Vec::new(),
        helm_charts: Vec::new(),
        helm_globals: None,
        transformers: Vec::new(),
        vars: Vec::new(),
        configurations: Vec::new(),
        unsupported: Vec::new(),
    };
    let mut bases = Vec::new();
    let mut psm = Vec::new();
    let mut pj = Vec::new();
    let mut api_version = None;
    let mut kind = None;
    let mut image_tags = Vec::new();
    let mut anything = false;
    for (field, value) in r.fields(&doc, FIELDS) {
        if !matches!(field, "apiVersion" | "kind") && !value.is_null() {
            anything = true;
        }
        match field {
            "apiVersion" => api_version = r.string(value, "apiVersion"),
            "kind" => kind = r.string(value, "kind"),
            "metadata" | "buildMetadata" | "sortOptions" => {}
            "resources" => k.resources = r.strings(value, "resources"),
            "bases" => bases = r.strings(value, "bases"),
            "components" => k.components = r.strings(value, "components"),
            "namePrefix" => k.name_prefix = r.string(value, "namePrefix"),
            "nameSuffix" => k.name_suffix = r.string(value, "nameSuffix"),
            "namespace" => k.namespace = r.string(value, "namespace"),
            "commonLabels" => k.common_labels = r.string_map(value, "commonLabels"),
            "commonAnnotations" => {
                k.common_annotations = r.string_map(value, "commonAnnotations");
            }
            "labels" => {
                for item in r.seq(value, "labels", "types.Label") {
                    if let Some(l) = read_labels(&mut r, item) {
                        k.labels.push(l);
                    }
                }
            }
            "patches" => {
                for item in r.seq(value, "patches", "types.Patch") {
                    if let Some(p) = read_patch(&mut r, item, PatchList::Patches) {
                        k.patches.push(p);
                    }
                }
            }
            "patchesJson6902" => {
                for item in r.seq(value, "patchesJson6902", "types.Patch") {
                    if let Some(p) = read_patch(&mut r, item, PatchList::Json6902) {
                        pj.push(p);
                    }
                }
            }
            "patchesStrategicMerge" => {
                for item in r.strings(value, "patchesStrategicMerge") {
                    let text = item.as_str().unwrap_or("");
                    let inline = text.contains('\n') || text.contains(": ");
                    psm.push(Patch {
                        list: PatchList::StrategicMerge,
                        path: (!inline).then(|| item.clone()),
                        inline: inline.then(|| item.clone()),
                        target: None,
                        allow_name_change: false,
                        allow_kind_change: false,
                        at: item,
                    });
                }
            }
            "images" | "imageTags" => {
                for item in r.seq(value, field, "image.Image") {
                    if let Some(i) = read_image(&mut r, item) {
                        if field == "images" {
                            k.images.push(i);
                        } else {
                            image_tags.push(i);
                        }
                    }
                }
            }
            "replicas" => {
                for item in r.seq(value, "replicas", "types.Replica") {
                    let mut name = None;
                    let mut count = None;
                    for (f, v) in r.fields(item, &["name", "count"]) {
                        match f {
                            "name" => name = r.string(v, "name"),
                            _ => {
                                if v.as_i64().is_some() {
                                    count = Some(v.clone());
                                } else {
                                    r.err(
                                        format!(
                                            "json: cannot unmarshal {} into Go struct field Replica.replicas.count of type int64",
                                            go_kind(v)
                                        ),
                                        v,
                                    );
                                }
                            }
                        }
                    }
                    if let Some(name) = name {
                        let count = count.unwrap_or_else(|| {
                            super::resource::scalar_at("0", true, &item.file, item.span)
                        });
                        k.replicas.push(Replica { name, count });
                    }
                }
            }
            "configMapGenerator" | "secretGenerator" => {
                let secret = field == "secretGenerator";
                for item in r.seq(value, field, "types.GeneratorArgs") {
                    if let Some(g) = read_generator(&mut r, item, secret) {
                        k.generators.push(g);
                    }
                }
            }
            "generatorOptions" => k.generator_options = Some(read_options(&mut r, value)),
            "replacements" => {
                k.replacements = r
                    .seq(value, "replacements", "types.ReplacementField")
                    .to_vec()
            }
            "helmCharts" | "helmChartInflationGenerator" => {
                k.helm_charts
                    .extend(r.seq(value, field, "types.HelmChart").iter().cloned());
            }
            "transformers" => k.transformers = r.strings(value, "transformers"),
            "helmGlobals" => k.helm_globals = Some(value.clone()),
            "vars" => k.vars = read_vars(&mut r, value),
            "configurations" => k.configurations = r.strings(value, "configurations"),
            other => {
                if !value.is_null() && value.as_seq().is_none_or(|s| !s.is_empty()) {
                    k.unsupported.push((other.to_string(), value.clone()));
                }
            }
        }
    }
    k.resources.extend(bases);
    k.images.extend(image_tags);
    // Legacy lists run as their own transformers: strategic merge first, JSON 6902 later.
    k.patches = psm.into_iter().chain(k.patches).chain(pj).collect();
    let kind_text = kind.as_ref().and_then(|n| n.as_str()).unwrap_or("");
    k.kind = match kind_text {
        "" | "Kustomization" => Kind::Kustomization,
        "Component" => Kind::Component,
        _ => {
            r.err(
                format!(
                    "Failed to read kustomization file under {}:\nkind should be Kustomization or Component",
                    file.dir().display()
                ),
                kind.as_ref().unwrap_or(&doc),
            );
            Kind::Kustomization
        }
    };
    if let Some(v) = &api_version {
        let want = match k.kind {
            Kind::Kustomization => "kustomize.config.k8s.io/v1beta1",
            Kind::Component => "kustomize.config.k8s.io/v1alpha1",
        };
        let got = v.as_str().unwrap_or("");
        if !got.is_empty() && got != want {
            r.err(
                format!(
                    "Failed to read kustomization file under {}:\napiVersion for {} should be {want}",
                    file.dir().display(),
                    kind_text
                ),
                v,
            );
        }
    }
    if !anything && r.diags.len() == before {
        r.diags.push(Diagnostic::error(
            Class::Invalid,
            "kustomization.yaml is empty".into(),
            doc.origin(),
        ));
    }
    (r.diags.len() == before).then_some(k)
}

fn read_labels(r: &mut Reader<'_>, item: &Node) -> Option<Labels> {
    let mut l = Labels {
        pairs: Vec::new(),
        include_selectors: false,
        include_templates: false,
        fields: Vec::new(),
    };
    for (f, v) in r.fields(
        item,
        &["pairs", "includeSelectors", "includeTemplates", "fields"],
    ) {
        match f {
            "pairs" => l.pairs = r.string_map(v, "pairs"),
            "includeSelectors" => l.include_selectors = r.boolean(v, f).unwrap_or(false),
            "includeTemplates" => l.include_templates = r.boolean(v, f).unwrap_or(false),
            _ => l.fields = read_field_specs(r, v),
        }
    }
    Some(l)
}

fn read_patch(r: &mut Reader<'_>, item: &Node, list: PatchList) -> Option<Patch> {
    let mut p = Patch {
        list,
        path: None,
        inline: None,
        target: None,
        allow_name_change: false,
        allow_kind_change: false,
        at: item.clone(),
    };
    for (f, v) in r.fields(item, &["path", "patch", "target", "options"]) {
        match f {
            "path" => p.path = r.string(v, "path"),
            "patch" => p.inline = r.string(v, "patch"),
            "target" => p.target = Selector::read(r, v),
            _ => {
                for (o, b) in r.fields(v, &["allowNameChange", "allowKindChange"]) {
                    let b = r.boolean(b, o).unwrap_or(false);
                    if o == "allowNameChange" {
                        p.allow_name_change = b;
                    } else {
                        p.allow_kind_change = b;
                    }
                }
            }
        }
    }
    let has_inline = p
        .inline
        .as_ref()
        .is_some_and(|n| !n.as_str().unwrap_or("").trim().is_empty());
    if !has_inline {
        p.inline = None;
    }
    match (&p.path, &p.inline) {
        (None, None) => {
            r.err("must specify one of patch and path".into(), item);
            None
        }
        (Some(_), Some(_)) => {
            r.err("patch and path can't be set at the same time".into(), item);
            None
        }
        _ => Some(p),
    }
}

fn read_image(r: &mut Reader<'_>, item: &Node) -> Option<Image> {
    let ctx = r.context;
    r.context = "Image.images";
    let mut name = None;
    let mut img = Image {
        name: item.clone(),
        new_name: None,
        new_tag: None,
        digest: None,
        tag_suffix: None,
    };
    for (f, v) in r.fields(item, &["name", "newName", "newTag", "digest", "tagSuffix"]) {
        let s = r.string(v, f);
        match f {
            "name" => name = s,
            "newName" => img.new_name = s,
            "newTag" => img.new_tag = s,
            "digest" => img.digest = s,
            _ => img.tag_suffix = s,
        }
    }
    r.context = ctx;
    let keep = |n: &Option<Node>| {
        n.as_ref()
            .is_some_and(|n| !n.as_str().unwrap_or("").is_empty())
    };
    for slot in [
        &mut img.new_name,
        &mut img.new_tag,
        &mut img.digest,
        &mut img.tag_suffix,
    ] {
        if !keep(slot) {
            *slot = None;
        }
    }
    img.name = name?;
    Some(img)
}

fn read_options(r: &mut Reader<'_>, node: &Node) -> GeneratorOptions {
    let mut o = GeneratorOptions::default();
    for (f, v) in r.fields(
        node,
        &[
            "labels",
            "annotations",
            "disableNameSuffixHash",
            "immutable",
        ],
    ) {
        match f {
            "labels" => o.labels = r.string_map(v, f),
            "annotations" => o.annotations = r.string_map(v, f),
            "disableNameSuffixHash" => o.disable_name_suffix_hash = r.boolean(v, f),
            _ => o.immutable = r.boolean(v, f),
        }
    }
    o
}

fn read_generator(r: &mut Reader<'_>, item: &Node, secret: bool) -> Option<Generator> {
    let mut g = Generator {
        secret,
        name: None,
        namespace: None,
        behavior: None,
        literals: Vec::new(),
        files: Vec::new(),
        envs: Vec::new(),
        kind_type: None,
        options: GeneratorOptions::default(),
        at: item.clone(),
    };
    let mut known = vec![
        "name",
        "namespace",
        "behavior",
        "literals",
        "files",
        "envs",
        "env",
        "options",
    ];
    if secret {
        known.push("type");
    }
    let mut env = None;
    for (f, v) in r.fields(item, &known) {
        match f {
            "name" => g.name = r.string(v, f),
            "namespace" => g.namespace = r.string(v, f),
            "behavior" => g.behavior = r.string(v, f),
            "literals" => g.literals = r.strings(v, f),
            "files" => g.files = r.strings(v, f),
            "envs" => g.envs = r.strings(v, f),
            "env" => env = r.string(v, f),
            "type" => g.kind_type = r.string(v, f),
            _ => g.options = read_options(r, v),
        }
    }
    if let Some(e) = env
        && !e.as_str().unwrap_or("").is_empty()
    {
        g.envs.push(e);
    }
    Some(g)
}

/// Every path a kustomization names, with the role the named file plays (used to find
/// roots and roles before building).
pub(crate) fn references(k: &Kustomization) -> Vec<(Node, super::Role)> {
    use super::Role;
    let mut out = Vec::new();
    for r in &k.resources {
        out.push((r.clone(), Role::Resource));
    }
    for c in &k.components {
        out.push((c.clone(), Role::Component));
    }
    for p in &k.patches {
        if let Some(path) = &p.path {
            out.push((path.clone(), Role::Patch));
        }
    }
    for g in &k.generators {
        for f in g.files.iter() {
            let text = f.as_str().unwrap_or("");
            let path = match text.split_once('=') {
                Some((_, p)) => p,
                None => text,
            };
            out.push((super::resource::string_from(path, f), Role::GeneratorInput));
        }
        for e in &g.envs {
            out.push((e.clone(), Role::GeneratorInput));
        }
    }
    for t in &k.transformers {
        if !t.as_str().unwrap_or("").contains('\n') {
            out.push((t.clone(), Role::TransformerConfig));
        }
    }
    for rep in &k.replacements {
        if let Some(p) = rep.get("path") {
            out.push((p.clone(), Role::TransformerConfig));
        }
    }
    out
}

/// One entry of `vars:`.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub name: String,
    /// What `objref` names (group and version from `apiVersion` when it is given).
    pub target: ResId,
    pub field_path: String,
    pub at: Node,
}

/// Reads `vars:` (applied by `vars.rs`) with kustomize's typing (keys case-insensitive, as Go's JSON decoding
/// matches them: kubebuilder writes `fieldref: {fieldpath: …}`).
fn read_vars(r: &mut Reader<'_>, value: &Node) -> Vec<Var> {
    let mut out = Vec::new();
    for item in r.seq(value, "vars", "types.Var") {
        let mut var = Var {
            name: String::new(),
            target: ResId::default(),
            field_path: "metadata.name".into(),
            at: item.clone(),
        };
        let mut api_version = None;
        for (k, v) in r.fields(item, &["name", "objref", "fieldref"]) {
            match k {
                "name" => var.name = text(r, v, "name"),
                "objref" => {
                    for (k, v) in r.fields(
                        v,
                        &[
                            "apiVersion",
                            "group",
                            "version",
                            "kind",
                            "name",
                            "namespace",
                        ],
                    ) {
                        let t = text(r, v, k);
                        match k {
                            "apiVersion" => api_version = Some(t),
                            "group" => var.target.group = t,
                            "version" => var.target.version = t,
                            "kind" => var.target.kind = t,
                            "name" => var.target.name = t,
                            _ => var.target.namespace = t,
                        }
                    }
                }
                _ => {
                    for (_, v) in r.fields(v, &["fieldPath"]) {
                        let t = text(r, v, "fieldPath");
                        if !t.is_empty() {
                            var.field_path = t;
                        }
                    }
                }
            }
        }
        // `Target.GVK()`: a given `apiVersion` sets the group and version.
        if let Some(api) = api_version.filter(|a| !a.is_empty()) {
            match api.split_once('/') {
                Some((g, v)) if !v.contains('/') => {
                    var.target.group = g.to_string();
                    var.target.version = v.to_string();
                }
                Some(_) => {}
                None => var.target.version = api,
            }
        }
        out.push(var);
    }
    out
}

fn text(r: &mut Reader<'_>, v: &Node, field: &str) -> String {
    r.string(v, field)
        .and_then(|n| n.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// What a `configurations:` file adds to kustomize's builtin transformer configuration: the
/// field specs plumbline applies (`namespace`, `nameReference`, `varReference`), and the
/// sections it does not, each named once as not checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Configuration {
    pub namespace: Vec<FieldSpec>,
    /// Each referred kind (`kind`, `group`), with where other objects name it.
    pub name_reference: Vec<(String, String, Vec<FieldSpec>)>,
    pub var_reference: Vec<FieldSpec>,
}

impl Configuration {
    /// Adds another file's field specs (kustomize's `TransformerConfig.Merge`).
    pub(crate) fn absorb(&mut self, other: Configuration) {
        self.namespace.extend(other.namespace);
        self.name_reference.extend(other.name_reference);
        self.var_reference.extend(other.var_reference);
    }
}

/// Reads one `configurations:` file (kustomize's `TransformerConfig`).
pub(crate) fn read_configuration(
    file: &Arc<SourceFile>,
    diags: &mut Vec<Diagnostic>,
) -> Configuration {
    let mut c = Configuration::default();
    let stream = yaml::load(file);
    if let Some(e) = stream.errors.first() {
        diags.push(Diagnostic::error(
            Class::Yaml,
            format!("invalid transformer configuration: {}", e.message),
            Origin::new(file, e.span),
        ));
        return c;
    }
    let Some(doc) = stream.docs.first() else {
        return c;
    };
    let mut r = Reader {
        diags,
        context: "builtinconfig.TransformerConfig",
    };
    let known = [
        "namePrefix",
        "nameSuffix",
        "nameSpace",
        "commonLabels",
        "templateLabels",
        "commonAnnotations",
        "nameReference",
        "varReference",
        "images",
        "replicas",
    ];
    for (field, value) in r.fields(doc, &known) {
        match field {
            // Go's JSON decoding matches `namespace` to the field tagged `namespace`.
            "nameSpace" => c.namespace = read_field_specs(&mut r, value),
            "varReference" => c.var_reference = read_field_specs(&mut r, value),
            "nameReference" => {
                for item in r.seq(value, "nameReference", "builtinconfig.NameBackReferences") {
                    let (mut kind, mut group) = (String::new(), String::new());
                    let mut specs = Vec::new();
                    for (f, v) in r.fields(item, &["kind", "group", "version", "fieldSpecs"]) {
                        match f {
                            "fieldSpecs" => specs = read_field_specs(&mut r, v),
                            "kind" | "group" => {
                                let s = r
                                    .string(v, f)
                                    .and_then(|n| n.as_str().map(str::to_string))
                                    .unwrap_or_default();
                                if f == "kind" {
                                    kind = s;
                                } else {
                                    group = s;
                                }
                            }
                            _ => {}
                        }
                    }
                    c.name_reference.push((kind, group, specs));
                }
            }
            other => {
                if !value.is_null() && value.as_seq().is_none_or(|s| !s.is_empty()) {
                    r.diags.push(Diagnostic::note(
                        format!(
                            "not checked: `{other}` in a transformer configuration is not applied by plumbline's kustomize builder"
                        ),
                        value.origin(),
                    ));
                }
            }
        }
    }
    c
}
