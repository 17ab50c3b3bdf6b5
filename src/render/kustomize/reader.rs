//! Reading a kustomization's fields with kustomize's typing (Go's JSON decoding: a value of
//! the wrong type is an error naming the Go type), and the field specs transformers write to.

use crate::parse::yaml::{Node, Value};

use super::resource::Res;
use super::{Class, Diagnostic};

/// Reads fields with kustomize's typing; every problem becomes a located diagnostic.
pub(crate) struct Reader<'a> {
    pub diags: &'a mut Vec<Diagnostic>,
    /// The Go type path kustomize names in type errors (`Kustomization.images`).
    pub context: &'static str,
}

impl Reader<'_> {
    pub(super) fn err(&mut self, message: String, at: &Node) {
        self.diags
            .push(Diagnostic::error(Class::Field, message, at.origin()));
    }

    /// The entries of a mapping whose keys must be among `known` (case-insensitive);
    /// an unknown key is an error.
    pub fn fields<'n, 'k>(
        &mut self,
        node: &'n Node,
        known: &[&'k str],
    ) -> Vec<(&'k str, &'n Node)> {
        let mut out = Vec::new();
        let Some(map) = node.as_map() else {
            if !node.is_null() {
                self.err(
                    format!(
                        "json: cannot unmarshal {} into Go value of type {}",
                        go_kind(node),
                        self.context
                    ),
                    node,
                );
            }
            return out;
        };
        for e in map {
            let key = e.key.as_str().unwrap_or("");
            match known.iter().find(|k| k.eq_ignore_ascii_case(key)) {
                Some(k) => out.push((*k, &e.value)),
                None => self.err(format!("json: unknown field \"{key}\""), &e.key),
            }
        }
        out
    }

    /// A string field; numbers and booleans are refused as Go's JSON decoding refuses them.
    pub fn string(&mut self, node: &Node, field: &str) -> Option<Node> {
        if node.is_null() {
            return None;
        }
        match &node.value {
            Value::Scalar(s) => {
                let typed = super::resource::scalar_json(s);
                if typed.is_string() {
                    Some(node.clone())
                } else {
                    self.err(
                        format!(
                            "json: cannot unmarshal {} into Go struct field {}.{field} of type string",
                            go_kind(node),
                            self.context
                        ),
                        node,
                    );
                    None
                }
            }
            _ => {
                self.err(
                    format!(
                        "json: cannot unmarshal {} into Go struct field {}.{field} of type string",
                        go_kind(node),
                        self.context
                    ),
                    node,
                );
                None
            }
        }
    }

    pub fn strings(&mut self, node: &Node, field: &str) -> Vec<Node> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(items) = node.as_seq() else {
            self.err(
                format!(
                    "json: cannot unmarshal {} into Go struct field {}.{field} of type []string",
                    go_kind(node),
                    self.context
                ),
                node,
            );
            return Vec::new();
        };
        items.iter().filter_map(|i| self.string(i, field)).collect()
    }

    pub fn boolean(&mut self, node: &Node, field: &str) -> Option<bool> {
        if node.is_null() {
            return None;
        }
        match node.as_bool() {
            Some(b) => Some(b),
            None => {
                self.err(
                    format!(
                        "json: cannot unmarshal {} into Go struct field {}.{field} of type bool",
                        go_kind(node),
                        self.context
                    ),
                    node,
                );
                None
            }
        }
    }

    /// A `map[string]string` (labels, annotations).
    pub fn string_map(&mut self, node: &Node, field: &str) -> Vec<(String, Node)> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(map) = node.as_map() else {
            self.err(
                format!(
                    "json: cannot unmarshal {} into Go struct field {}.{field} of type map[string]string",
                    go_kind(node),
                    self.context
                ),
                node,
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in map {
            let key = e.key.as_str().unwrap_or("").to_string();
            match &e.value.value {
                Value::Scalar(s) if !e.value.is_null() => {
                    if super::resource::scalar_json(s).is_string() {
                        out.push((key, super::resource::as_string_node(&e.value)));
                    } else {
                        self.err(
                            format!(
                                "json: cannot unmarshal {} into Go struct field {}.{field} of type string",
                                go_kind(&e.value),
                                self.context
                            ),
                            &e.value,
                        );
                    }
                }
                // A null value unmarshals to "" in Go.
                Value::Scalar(_) => out.push((key, super::resource::string_from("", &e.value))),
                _ => self.err(
                    format!(
                        "json: cannot unmarshal {} into Go struct field {}.{field} of type string",
                        go_kind(&e.value),
                        self.context
                    ),
                    &e.value,
                ),
            }
        }
        out
    }

    pub fn seq<'n>(&mut self, node: &'n Node, field: &str, of: &str) -> &'n [Node] {
        if node.is_null() {
            return &[];
        }
        match node.as_seq() {
            Some(items) => items,
            None => {
                self.err(
                    format!(
                        "json: cannot unmarshal {} into Go struct field {}.{field} of type []{of}",
                        go_kind(node),
                        self.context
                    ),
                    node,
                );
                &[]
            }
        }
    }
}

/// How Go's JSON decoder names the type of a YAML value in its errors.
pub(crate) fn go_kind(node: &Node) -> &'static str {
    match &node.value {
        Value::Map(_) => "object",
        Value::Seq(_) => "array",
        Value::Scalar(s) => match super::resource::scalar_json(s) {
            serde_json::Value::Number(_) => "number",
            serde_json::Value::Bool(_) => "bool",
            serde_json::Value::Null => "null",
            _ => "string",
        },
    }
}

/// Where a transformer writes: objects of a group/version/kind (empty means any) and a path
/// of keys (sequences on the way are entered element by element).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldSpec {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub path: Vec<String>,
    pub create: bool,
}

impl FieldSpec {
    pub fn new(kind: &str, group: &str, path: &str, create: bool) -> Self {
        Self {
            group: group.into(),
            version: String::new(),
            kind: kind.into(),
            path: split_path(path),
            create,
        }
    }

    pub(super) fn selects(&self, res: &Res) -> bool {
        let id = res.id();
        (self.kind.is_empty() || self.kind == id.kind)
            && (self.group.is_empty() || self.group == id.group)
            && (self.version.is_empty() || self.version == id.version)
    }
}

/// `spec/containers[]/image`, `metadata/annotations/a.io\/b` → keys. A key marked `[]` keeps
/// the mark: it names a list, which a field spec's `create` never makes (kustomize leaves a
/// StatefulSet without `volumeClaimTemplates` alone); [`super::transformers::visit_path`]
/// reads it as the key.
pub(crate) fn split_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                cur.push('/');
                chars.next();
            }
            '/' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .filter(|s| !s.is_empty() && s != "[]")
        .collect()
}

pub(crate) fn read_field_specs(r: &mut Reader<'_>, node: &Node) -> Vec<FieldSpec> {
    let mut out = Vec::new();
    for item in r.seq(node, "fieldSpecs", "types.FieldSpec") {
        let mut fs = FieldSpec {
            group: String::new(),
            version: String::new(),
            kind: String::new(),
            path: Vec::new(),
            create: false,
        };
        for (f, v) in r.fields(item, &["group", "version", "kind", "path", "create"]) {
            if f == "create" {
                fs.create = r.boolean(v, f).unwrap_or(false);
                continue;
            }
            let s = r
                .string(v, f)
                .and_then(|n| n.as_str().map(str::to_string))
                .unwrap_or_default();
            match f {
                "group" => fs.group = s,
                "version" => fs.version = s,
                "kind" => fs.kind = s,
                _ => fs.path = split_path(&s),
            }
        }
        out.push(fs);
    }
    out
}
