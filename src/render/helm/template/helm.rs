//! Helm's objects (`.Files`, `.Capabilities`, `.Chart`, `.Release`, `.Template`) and the
//! chart renderer (Helm's engine: one template set per chart tree, sorted like Helm).

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;

use super::exec::{Error, Limits, Rendered, TemplateSet};
use super::funcs::to_yaml_text;
use super::value::{List, ListTy, Map, MapTy, Mark, Object, Text, Value};

// ------------------------------------------------------------------ Files

/// `.Files`: a chart's non-template files (Helm's `engine.files`).
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Optional provenance of each file's content (applied to the whole text of `Get`).
    pub marks: BTreeMap<String, Mark>,
}

impl Files {
    pub fn new(files: BTreeMap<String, Vec<u8>>) -> Files {
        Files {
            files,
            marks: BTreeMap::new(),
        }
    }
    fn get_text(&self, name: &str) -> Text {
        match self.files.get(name) {
            Some(b) => Text::marked(
                String::from_utf8_lossy(b).into_owned(),
                self.marks.get(name).cloned(),
            ),
            None => Text::plain(""),
        }
    }
    fn base_map(&self, secrets: bool) -> Value {
        let m = Map::with_ty(MapTy::Str);
        for (k, v) in &self.files {
            let base = k.rsplit('/').next().unwrap_or(k).to_string();
            let text = if secrets {
                Text::marked(
                    base64::engine::general_purpose::STANDARD.encode(v),
                    self.marks.get(k).cloned(),
                )
            } else {
                Text::marked(
                    String::from_utf8_lossy(v).into_owned(),
                    self.marks.get(k).cloned(),
                )
            };
            m.insert(base, Value::text(text));
        }
        Value::Map(m)
    }
}

impl Object for Files {
    fn type_name(&self) -> String {
        "engine.files".into()
    }
    fn kind(&self) -> &'static str {
        "map"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "Get" | "GetBytes" | "Glob" | "AsConfig" | "AsSecrets" | "Lines"
        )
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let want = match name {
            "Get" | "GetBytes" | "Glob" | "Lines" => 1,
            _ => 0,
        };
        if args.len() != want {
            return Err(format!(
                "wrong number of args for {}: want {} got {}",
                name,
                want,
                args.len()
            ));
        }
        let arg = |i: usize| -> Result<String, String> {
            match &args[i] {
                Value::Str(t) => Ok(t.s.clone()),
                Value::Nil => Err("invalid value; expected string".into()),
                v => Err(format!(
                    "wrong type for value; expected string; got {}",
                    v.type_name()
                )),
            }
        };
        match name {
            "Get" => Ok(Value::text(self.get_text(&arg(0)?))),
            "GetBytes" => {
                let p = arg(0)?;
                let m = self.marks.get(&p).cloned();
                let items = self
                    .files
                    .get(&p)
                    .map(|b| b.iter().map(|x| Value::Int(*x as i64, m.clone())).collect())
                    .unwrap_or_default();
                Ok(Value::List(List::typed(items, ListTy::Bytes)))
            }
            "Lines" => {
                let p = arg(0)?;
                let Some(b) = self.files.get(&p) else {
                    return Ok(Value::List(List::typed(vec![], ListTy::Str)));
                };
                let mut s = String::from_utf8_lossy(b).into_owned();
                if s.ends_with('\n') {
                    s.pop();
                }
                let t = Text::marked(s, self.marks.get(&p).cloned());
                let items = super::funcs_split(&t, "\n");
                Ok(Value::List(List::typed(
                    items.into_iter().map(Value::text).collect(),
                    ListTy::Str,
                )))
            }
            "Glob" => {
                let pat = arg(0)?;
                let g = Glob::compile(&pat);
                let mut out = Files::default();
                for (k, v) in &self.files {
                    if g.matches(k) {
                        out.files.insert(k.clone(), v.clone());
                        if let Some(m) = self.marks.get(k) {
                            out.marks.insert(k.clone(), m.clone());
                        }
                    }
                }
                Ok(Value::Object(Rc::new(out)))
            }
            "AsConfig" => Ok(Value::text(to_yaml_text(&self.base_map(false)))),
            "AsSecrets" => Ok(Value::text(to_yaml_text(&self.base_map(true)))),
            _ => Err(format!(
                "can't evaluate field {} in type engine.files",
                name
            )),
        }
    }
    fn format(&self) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}:[{}]",
                    k,
                    v.iter()
                        .map(|b| b.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            })
            .collect();
        format!("map[{}]", parts.join(" "))
    }
    fn len(&self) -> Option<usize> {
        Some(self.files.len())
    }
    fn truthy(&self) -> bool {
        !self.files.is_empty()
    }
    fn to_data(&self) -> Option<Value> {
        let m = Map::new();
        for k in self.files.keys() {
            m.insert(k.clone(), Value::text(self.get_text(k)));
        }
        Some(Value::Map(m))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// gobwas/glob with '/' as separator.
#[derive(Debug)]
enum GTok {
    Lit(char),
    Any,   // ?
    Star,  // *
    Super, // **
    Class(bool, Vec<(char, char)>),
    Alt(Vec<Vec<GTok>>),
}

struct Glob(Vec<GTok>);

impl Glob {
    fn compile(p: &str) -> Glob {
        let chars: Vec<char> = p.chars().collect();
        let mut i = 0;
        Glob(parse_glob(&chars, &mut i, false))
    }
    fn matches(&self, s: &str) -> bool {
        let cs: Vec<char> = s.chars().collect();
        let mut budget = 200_000usize;
        glob_match(&self.0, &cs, &mut budget)
    }
}

fn parse_glob(c: &[char], i: &mut usize, in_alt: bool) -> Vec<GTok> {
    let mut out = Vec::new();
    while *i < c.len() {
        let ch = c[*i];
        match ch {
            ',' | '}' if in_alt => return out,
            '\\' => {
                *i += 1;
                if *i < c.len() {
                    out.push(GTok::Lit(c[*i]));
                }
            }
            '?' => out.push(GTok::Any),
            '*' => {
                if *i + 1 < c.len() && c[*i + 1] == '*' {
                    *i += 1;
                    out.push(GTok::Super);
                } else {
                    out.push(GTok::Star);
                }
            }
            '[' => {
                let mut j = *i + 1;
                let neg = j < c.len() && c[j] == '!';
                if neg {
                    j += 1;
                }
                let mut ranges = Vec::new();
                while j < c.len() && c[j] != ']' {
                    if j + 2 < c.len() && c[j + 1] == '-' && c[j + 2] != ']' {
                        ranges.push((c[j], c[j + 2]));
                        j += 3;
                    } else {
                        ranges.push((c[j], c[j]));
                        j += 1;
                    }
                }
                *i = j;
                out.push(GTok::Class(neg, ranges));
            }
            '{' => {
                *i += 1;
                let mut alts = Vec::new();
                loop {
                    let a = parse_glob(c, i, true);
                    alts.push(a);
                    if *i < c.len() && c[*i] == ',' {
                        *i += 1;
                        continue;
                    }
                    break;
                }
                out.push(GTok::Alt(alts));
            }
            ch => out.push(GTok::Lit(ch)),
        }
        *i += 1;
    }
    out
}

fn glob_match(p: &[GTok], s: &[char], budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some(first) = p.first() else {
        return s.is_empty();
    };
    match first {
        GTok::Lit(c) => !s.is_empty() && s[0] == *c && glob_match(&p[1..], &s[1..], budget),
        GTok::Any => !s.is_empty() && s[0] != '/' && glob_match(&p[1..], &s[1..], budget),
        GTok::Class(neg, r) => {
            !s.is_empty()
                && s[0] != '/'
                && (r.iter().any(|(a, b)| *a <= s[0] && s[0] <= *b) != *neg)
                && glob_match(&p[1..], &s[1..], budget)
        }
        GTok::Star => {
            for k in 0..=s.len() {
                if k > 0 && s[k - 1] == '/' {
                    break;
                }
                if glob_match(&p[1..], &s[k..], budget) {
                    return true;
                }
            }
            false
        }
        GTok::Super => (0..=s.len()).any(|k| glob_match(&p[1..], &s[k..], budget)),
        GTok::Alt(alts) => alts.iter().any(|a| {
            let mut joined: Vec<&GTok> = a.iter().collect();
            joined.extend(p[1..].iter());
            glob_match_refs(&joined, s, budget)
        }),
    }
}

fn glob_match_refs(p: &[&GTok], s: &[char], budget: &mut usize) -> bool {
    // small adapter: rebuild owned-free matching over references
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some(first) = p.first() else {
        return s.is_empty();
    };
    match first {
        GTok::Lit(c) => !s.is_empty() && s[0] == *c && glob_match_refs(&p[1..], &s[1..], budget),
        GTok::Any => !s.is_empty() && s[0] != '/' && glob_match_refs(&p[1..], &s[1..], budget),
        GTok::Class(neg, r) => {
            !s.is_empty()
                && s[0] != '/'
                && (r.iter().any(|(a, b)| *a <= s[0] && s[0] <= *b) != *neg)
                && glob_match_refs(&p[1..], &s[1..], budget)
        }
        GTok::Star => {
            for k in 0..=s.len() {
                if k > 0 && s[k - 1] == '/' {
                    break;
                }
                if glob_match_refs(&p[1..], &s[k..], budget) {
                    return true;
                }
            }
            false
        }
        GTok::Super => (0..=s.len()).any(|k| glob_match_refs(&p[1..], &s[k..], budget)),
        GTok::Alt(alts) => alts.iter().any(|a| {
            let mut joined: Vec<&GTok> = a.iter().collect();
            joined.extend(p[1..].iter().copied());
            glob_match_refs(&joined, s, budget)
        }),
    }
}

// ------------------------------------------------------------------ Capabilities

/// The API versions `helm template` 3.17.3 reports without flags.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1alpha1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1alpha1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

#[derive(Debug, Clone)]
pub struct KubeVersion {
    pub version: String,
    pub major: String,
    pub minor: String,
}

impl Object for KubeVersion {
    fn type_name(&self) -> String {
        "chartutil.KubeVersion".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::str(self.version.clone())),
            "Major" => Some(Value::str(self.major.clone())),
            "Minor" => Some(Value::str(self.minor.clone())),
            _ => None,
        }
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(name, "GitVersion" | "String")
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        if !args.is_empty() {
            return Err(format!(
                "wrong number of args for {}: want 0 got {}",
                name,
                args.len()
            ));
        }
        Ok(Value::str(self.version.clone()))
    }
    fn format(&self) -> String {
        self.version.clone()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[derive(Debug, Clone)]
pub struct VersionSet(pub Vec<String>);

impl Object for VersionSet {
    fn type_name(&self) -> String {
        "chartutil.VersionSet".into()
    }
    fn kind(&self) -> &'static str {
        "slice"
    }
    fn field(&self, _: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        name == "Has"
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        if args.len() != 1 {
            return Err(format!(
                "wrong number of args for {}: want 1 got {}",
                name,
                args.len()
            ));
        }
        match &args[0] {
            Value::Str(t) => Ok(Value::Bool(self.0.iter().any(|x| *x == t.s), None)),
            Value::Nil => Err("invalid value; expected string".into()),
            v => Err(format!(
                "wrong type for value; expected string; got {}",
                v.type_name()
            )),
        }
    }
    fn format(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn len(&self) -> Option<usize> {
        Some(self.0.len())
    }
    fn truthy(&self) -> bool {
        !self.0.is_empty()
    }
    fn to_data(&self) -> Option<Value> {
        Some(Value::List(List::typed(
            self.0.iter().map(|s| Value::str(s.clone())).collect(),
            ListTy::Str,
        )))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[derive(Debug, Clone)]
pub struct HelmVersion {
    pub version: String,
    pub git_commit: String,
    pub git_tree_state: String,
    pub go_version: String,
}

impl Object for HelmVersion {
    fn type_name(&self) -> String {
        "version.BuildInfo".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(Value::str(match name {
            "Version" => self.version.clone(),
            "GitCommit" => self.git_commit.clone(),
            "GitTreeState" => self.git_tree_state.clone(),
            "GoVersion" => self.go_version.clone(),
            _ => return None,
        }))
    }
    fn format(&self) -> String {
        format!(
            "{{{} {} {} {}}}",
            self.version, self.git_commit, self.git_tree_state, self.go_version
        )
    }
    fn to_data(&self) -> Option<Value> {
        let m = Map::new();
        m.insert("version", Value::str(self.version.clone()));
        m.insert("git_commit", Value::str(self.git_commit.clone()));
        m.insert("git_tree_state", Value::str(self.git_tree_state.clone()));
        m.insert("go_version", Value::str(self.go_version.clone()));
        Some(Value::Map(m))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `.Capabilities`.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub kube_version: KubeVersion,
    pub api_versions: VersionSet,
    pub helm_version: HelmVersion,
}

impl Default for Capabilities {
    /// What `helm template` 3.17.3 reports without `--kube-version`/`--api-versions`.
    fn default() -> Self {
        Capabilities {
            kube_version: KubeVersion {
                version: "v1.32.0".into(),
                major: "1".into(),
                minor: "32".into(),
            },
            api_versions: VersionSet(DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect()),
            helm_version: HelmVersion {
                version: "v3.17.3".into(),
                git_commit: "e4da49785aa6e6ee2b86efd5dd9e43400318262b".into(),
                git_tree_state: "clean".into(),
                go_version: "go1.23.7".into(),
            },
        }
    }
}

impl Object for Capabilities {
    fn type_name(&self) -> String {
        "*chartutil.Capabilities".into()
    }
    fn kind(&self) -> &'static str {
        "ptr"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::Object(Rc::new(self.kube_version.clone()))),
            "APIVersions" => Some(Value::Object(Rc::new(self.api_versions.clone()))),
            "HelmVersion" => Some(Value::Object(Rc::new(self.helm_version.clone()))),
            _ => None,
        }
    }
    fn format(&self) -> String {
        // fmt prints the struct behind the pointer; nested structs print their fields
        let k = &self.kube_version;
        format!(
            "{{{{{} {} {}}} {} {}}}",
            k.version,
            k.major,
            k.minor,
            self.api_versions.format(),
            self.helm_version.format()
        )
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

// ------------------------------------------------------------------ Chart

/// `.Chart`: Chart.yaml's fields capitalised as Helm's `chart.Metadata`, plus `IsRoot`.
#[derive(Debug, Clone)]
pub struct ChartObj {
    pub meta: Map,
    pub is_root: bool,
}

const CHART_FIELDS: &[(&str, &str)] = &[
    ("Name", "name"),
    ("Home", "home"),
    ("Sources", "sources"),
    ("Version", "version"),
    ("Description", "description"),
    ("Keywords", "keywords"),
    ("Maintainers", "maintainers"),
    ("Icon", "icon"),
    ("APIVersion", "apiVersion"),
    ("Condition", "condition"),
    ("Tags", "tags"),
    ("AppVersion", "appVersion"),
    ("Deprecated", "deprecated"),
    ("Annotations", "annotations"),
    ("KubeVersion", "kubeVersion"),
    ("Dependencies", "dependencies"),
    ("Type", "type"),
];

impl ChartObj {
    fn get(&self, field: &str) -> Option<Value> {
        if field == "IsRoot" {
            return Some(Value::Bool(self.is_root, None));
        }
        let key = CHART_FIELDS.iter().find(|(f, _)| *f == field)?.1;
        let v = self.meta.get(key);
        Some(match field {
            "Deprecated" => match v {
                Some(b @ Value::Bool(..)) => b,
                _ => Value::Bool(false, None),
            },
            "Sources" | "Keywords" | "Maintainers" | "Dependencies" => match v {
                Some(l @ Value::List(_)) => l,
                _ => Value::List(List::nil()),
            },
            "Annotations" => match v {
                Some(m @ Value::Map(_)) => m,
                _ => Value::Map(Map {
                    data: Map::nil_map().data,
                    ty: MapTy::Str,
                }),
            },
            _ => match v {
                Some(Value::Str(t)) => Value::Str(t),
                Some(Value::Nil) | None => Value::str(""),
                Some(other) => Value::text(super::gofmt::strval(&other)),
            },
        })
    }
}

impl Object for ChartObj {
    fn type_name(&self) -> String {
        "struct { chart.Metadata; IsRoot bool }".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        self.get(name)
    }
    fn format(&self) -> String {
        let parts: Vec<String> = CHART_FIELDS
            .iter()
            .map(|(f, _)| super::gofmt::sprint_v(&self.get(f).unwrap_or(Value::Nil)))
            .collect();
        format!("{{{{{}}} {}}}", parts.join(" "), self.is_root)
    }
    fn to_data(&self) -> Option<Value> {
        let m = Map::new();
        for (f, k) in CHART_FIELDS {
            if let Some(v) = self.meta.get(k) {
                let _ = f;
                m.insert(k.to_string(), v);
            }
        }
        m.insert("IsRoot", Value::Bool(self.is_root, None));
        Some(Value::Map(m))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

// ------------------------------------------------------------------ renderer

/// One chart (and its subcharts) as plain data.
#[derive(Debug, Clone, Default)]
pub struct ChartInput {
    /// Chart.yaml as loaded (keys as in the file: `name`, `version`, `appVersion`, ...).
    pub metadata: Map,
    /// Template files: path inside the chart (`templates/x.yaml`) and text.
    pub templates: Vec<(String, String)>,
    /// Non-template files for `.Files` (path inside the chart → content).
    pub files: Files,
    pub subcharts: Vec<ChartInput>,
}

impl ChartInput {
    pub fn name(&self) -> String {
        self.metadata
            .get("name")
            .and_then(|v| v.as_str().map(|s| s.to_string()))
            .unwrap_or_default()
    }
    fn is_library(&self) -> bool {
        self.metadata
            .get("type")
            .and_then(|v| v.as_str().map(|s| s.eq_ignore_ascii_case("library")))
            .unwrap_or(false)
    }
}

/// `helm template NAME` settings.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub release_name: String,
    pub namespace: String,
    pub capabilities: Capabilities,
    pub limits: Limits,
    /// First template id to assign (ids go up in Helm's parse order).
    pub first_template_id: u32,
    /// Go on where Helm stops: a template that does not parse is left out (its error in
    /// [`ChartRender::parse_errors`]) and the others still render; `required` without a value
    /// gives Unknown ([`Rendered::required`]). Off: exactly Helm's behaviour.
    pub keep_going: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            release_name: "release-name".into(),
            namespace: "default".into(),
            capabilities: Capabilities::default(),
            limits: Limits::default(),
            first_template_id: 0,
            keep_going: false,
        }
    }
}

/// The result of rendering a chart.
pub struct ChartRender {
    /// Full template name (`chart/templates/x.yaml`) → output or error, for non-partial templates,
    /// in Helm's order.
    pub outputs: Vec<(String, Result<Rendered, Error>)>,
    /// Template id → full template name and source text (for mapping Template marks back).
    pub sources: Rc<BTreeMap<u32, (String, String)>>,
    /// A parse error of the set (Helm fails the whole render).
    pub parse_error: Option<Error>,
    /// Every template that did not parse, with its name (with [`RenderOptions::keep_going`];
    /// without it, only the first).
    pub parse_errors: Vec<(String, Error)>,
}

impl ChartRender {
    /// The first error in Helm's order (what `helm template` would report).
    pub fn first_error(&self) -> Option<&Error> {
        self.parse_error
            .as_ref()
            .or_else(|| self.outputs.iter().find_map(|(_, r)| r.as_ref().err()))
    }
}

struct Renderable {
    name: String,
    text: Rc<str>,
    vals: Map,
    base_path: String,
}

/// A chart as the renderer keeps it between renders: texts and files shared, not copied.
struct Tree {
    name: String,
    metadata: Map,
    library: bool,
    templates: Vec<(String, Rc<str>)>,
    files: Rc<Files>,
    subcharts: Vec<Tree>,
}

impl Tree {
    fn new(c: &ChartInput) -> Tree {
        Tree {
            name: c.name(),
            metadata: c.metadata.clone(),
            library: c.is_library(),
            templates: c
                .templates
                .iter()
                .map(|(p, t)| (p.clone(), Rc::from(t.as_str())))
                .collect(),
            files: Rc::new(c.files.clone()),
            subcharts: c.subcharts.iter().map(Tree::new).collect(),
        }
    }
}

/// Helm's `sortTemplates`: more path segments first, then reverse lexical order.
pub fn sort_templates(names: &mut [String]) {
    names.sort_by(|a, b| {
        let (ca, cb) = (a.matches('/').count(), b.matches('/').count());
        cb.cmp(&ca).then_with(|| b.cmp(a))
    });
}

#[allow(clippy::too_many_arguments)]
fn rec_all_tpls(
    c: &Tree,
    out: &mut Vec<Renderable>,
    vals: &Map,
    parent_path: &str,
    is_root: bool,
    release: &Value,
    caps: &Value,
) -> Map {
    let sub = Map::new();
    let next = Map::with_ty(MapTy::Values);
    next.insert(
        "Chart",
        Value::Object(Rc::new(ChartObj {
            meta: c.metadata.clone(),
            is_root,
        })),
    );
    next.insert("Files", Value::Object(c.files.clone()));
    next.insert("Release", release.clone());
    next.insert("Capabilities", caps.clone());
    let values = if is_root {
        match vals.get("Values") {
            Some(Value::Map(m)) => Value::Map(m),
            _ => Value::Map(Map::with_ty(MapTy::Values)),
        }
    } else {
        match vals.get("Values") {
            Some(Value::Map(pm)) => match pm.get(&c.name) {
                Some(Value::Map(m)) => Value::Map(Map {
                    data: m.data.clone(),
                    ty: MapTy::Values,
                }),
                _ => Value::Map(Map::with_ty(MapTy::Values)),
            },
            _ => Value::Map(Map::with_ty(MapTy::Values)),
        }
    };
    next.insert("Values", values);
    next.insert("Subcharts", Value::Map(sub.clone()));
    let full = if parent_path.is_empty() {
        c.name.clone()
    } else {
        format!("{}/charts/{}", parent_path, c.name)
    };
    for child in &c.subcharts {
        let v = rec_all_tpls(child, out, &next, &full, false, release, caps);
        sub.insert(child.name.clone(), Value::Map(v));
    }
    let lib = c.library;
    for (path, text) in &c.templates {
        let base = path.rsplit('/').next().unwrap_or(path);
        if lib && !base.starts_with('_') {
            continue;
        }
        out.push(Renderable {
            name: format!("{}/{}", full, path),
            text: text.clone(),
            vals: next.clone(),
            base_path: format!("{}/templates", full),
        });
    }
    next
}

/// A chart whose templates are parsed once (Helm's order and override rules) and can be
/// rendered with many value sets.
pub struct PreparedChart {
    tree: Tree,
    set: TemplateSet,
    names: Vec<String>,
    /// Shared with every render (one copy of the texts, however many environments).
    sources: Rc<BTreeMap<u32, (String, String)>>,
    parse_errors: Vec<(String, Error)>,
    tpl_id: u32,
}

fn release_value(opts: &RenderOptions) -> Value {
    let release = Map::new();
    release.insert("Name", Value::str(opts.release_name.clone()));
    release.insert("Namespace", Value::str(opts.namespace.clone()));
    release.insert("IsUpgrade", Value::Bool(false, None));
    release.insert("IsInstall", Value::Bool(true, None));
    release.insert("Revision", Value::Int(1, None));
    release.insert("Service", Value::str("Helm"));
    Value::Map(release)
}

impl PreparedChart {
    /// Parses every template of the chart tree into one set (ids from `first_template_id`).
    pub fn new(chart: &ChartInput, opts: &RenderOptions) -> PreparedChart {
        let tree = Tree::new(chart);
        let mut tpls = Vec::new();
        let empty = Map::new();
        rec_all_tpls(&tree, &mut tpls, &empty, "", true, &Value::Nil, &Value::Nil);
        let mut names: Vec<String> = tpls.iter().map(|t| t.name.clone()).collect();
        sort_templates(&mut names);
        let by_name: BTreeMap<&str, &Renderable> =
            tpls.iter().map(|t| (t.name.as_str(), t)).collect();
        let mut set = TemplateSet::new();
        let mut sources = BTreeMap::new();
        let mut parse_errors = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let Some(r) = by_name.get(n.as_str()) else {
                continue;
            };
            let id = opts.first_template_id.saturating_add(i as u32);
            sources.insert(id, (n.clone(), r.text.to_string()));
            if let Err(e) = set.add(n, &r.text, id) {
                parse_errors.push((n.clone(), e));
                if !opts.keep_going {
                    break;
                }
            }
        }
        let tpl_id = opts.first_template_id.saturating_add(names.len() as u32);
        PreparedChart {
            tree,
            set,
            names,
            sources: Rc::new(sources),
            parse_errors,
            tpl_id,
        }
    }

    /// Template id → full template name and source text.
    pub fn sources(&self) -> &BTreeMap<u32, (String, String)> {
        &self.sources
    }

    /// Renders every non-partial template with `values` (already coalesced: the root chart's
    /// values with each subchart's values under its name, `global` copied in).
    pub fn render(&self, values: &Map, opts: &RenderOptions) -> ChartRender {
        let mut outputs = Vec::new();
        if self.parse_errors.is_empty() || opts.keep_going {
            let release = release_value(opts);
            let caps = Value::Object(Rc::new(opts.capabilities.clone()));
            let top = Map::new();
            top.insert(
                "Values",
                Value::Map(Map {
                    data: values.data.clone(),
                    ty: MapTy::Values,
                }),
            );
            let mut tpls = Vec::new();
            rec_all_tpls(&self.tree, &mut tpls, &top, "", true, &release, &caps);
            let by_name: BTreeMap<&str, &Renderable> =
                tpls.iter().map(|t| (t.name.as_str(), t)).collect();
            for n in &self.names {
                let base = n.rsplit('/').next().unwrap_or(n);
                if base.starts_with('_') {
                    continue;
                }
                let Some(r) = by_name.get(n.as_str()) else {
                    continue;
                };
                if self.parse_errors.iter().any(|(failed, _)| failed == n) {
                    continue;
                }
                let tm = Map::with_ty(MapTy::Values);
                tm.insert("Name", Value::str(n.clone()));
                tm.insert("BasePath", Value::str(r.base_path.clone()));
                r.vals.insert("Template", Value::Map(tm));
                let mut ex = super::exec::Exec::new(&self.set, opts.limits.clone());
                ex.tpl_template_id = self.tpl_id;
                ex.required_unknown = opts.keep_going;
                let res = ex.execute_top(n, &Value::Map(r.vals.clone()));
                outputs.push((n.clone(), res));
            }
        }
        ChartRender {
            outputs,
            sources: Rc::clone(&self.sources),
            parse_error: self.parse_errors.first().map(|(_, e)| e.clone()),
            parse_errors: self.parse_errors.clone(),
        }
    }
}

/// Renders a chart like `helm template` (values already coalesced: the root chart's values with
/// each subchart's values under its name, `global` copied in).
pub fn render_chart(chart: &ChartInput, values: &Map, opts: &RenderOptions) -> ChartRender {
    PreparedChart::new(chart, opts).render(values, opts)
}
