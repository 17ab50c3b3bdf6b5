//! Objects under construction: a [`Res`] is one Kubernetes object (a YAML tree) with the ids
//! it had before names and namespaces were changed, and the small tree operations every
//! transformer needs. Nodes made here always take the file and span of the value that
//! caused them, so a built object can say where each of its values was set.

use std::sync::Arc;

use crate::parse::yaml::{Entry, Node, Scalar, Value};
use crate::source::{SourceFile, Span};

/// Kinds that live outside namespaces (kustomize's list, the common ones).
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "StorageClass",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

pub(crate) fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// What identifies an object: group, version, kind, name and namespace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ResId {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

impl ResId {
    pub fn of(node: &Node) -> Self {
        let api = node.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        let (group, version) = split_api_version(api);
        Self {
            group,
            version,
            kind: text_at(node, &["kind"]),
            name: text_at(node, &["metadata", "name"]),
            namespace: text_at(node, &["metadata", "namespace"]),
        }
    }

    /// The namespace as Kubernetes reads it: none for cluster-scoped kinds, `default` when
    /// unset.
    pub fn effective_namespace(&self) -> &str {
        if is_cluster_scoped(&self.kind) {
            "~X"
        } else if self.namespace.is_empty() {
            "default"
        } else {
            &self.namespace
        }
    }

    /// kustomize's `ResId.Equals`.
    pub fn equals(&self, o: &ResId) -> bool {
        self.group == o.group
            && self.version == o.version
            && self.kind == o.kind
            && self.name == o.name
            && self.effective_namespace() == o.effective_namespace()
    }
}

/// `s`, or kustomize's placeholder for it when it is empty.
fn or_none<'a>(s: &'a str, none: &'a str) -> &'a str {
    if s.is_empty() { none } else { s }
}

impl ResId {
    /// kustomize's form of the group, version and kind: `Deployment.v1.apps`.
    pub fn gvk(&self) -> String {
        format!(
            "{}.{}.{}",
            or_none(&self.kind, "[noKind]"),
            or_none(&self.version, "[noVer]"),
            or_none(&self.group, "[noGrp]")
        )
    }
}

impl std::fmt::Display for ResId {
    /// kustomize's form: `Deployment.v1.apps/name.[noNs]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}.{}",
            self.gvk(),
            self.name,
            or_none(&self.namespace, "[noNs]")
        )
    }
}

pub(crate) fn split_api_version(api: &str) -> (String, String) {
    match api.rsplit_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api.to_string()),
    }
}

fn text_at(node: &Node, path: &[&str]) -> String {
    node.at(path)
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string()
}

/// How a generated object joins objects already accumulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Behavior {
    #[default]
    Create,
    Merge,
    Replace,
}

/// One object being built.
#[derive(Debug, Clone)]
pub(crate) struct Res {
    pub node: Node,
    /// Every id the object had before its current one, oldest first (kustomize's
    /// "previous ids"): patches and name references may use any of them.
    pub previous: Vec<ResId>,
    /// A generated ConfigMap or Secret whose name gets kustomize's content hash.
    pub needs_hash: bool,
    pub behavior: Behavior,
    /// The `vars:` that name this object (kustomize marks them with an annotation).
    pub vars: Vec<String>,
}

impl Res {
    pub fn new(node: Node) -> Self {
        Self {
            node,
            previous: Vec::new(),
            needs_hash: false,
            behavior: Behavior::Create,
            vars: Vec::new(),
        }
    }

    pub fn id(&self) -> ResId {
        ResId::of(&self.node)
    }

    pub fn kind(&self) -> &str {
        self.node.get("kind").and_then(Node::as_str).unwrap_or("")
    }

    /// The id before any rename (the oldest).
    pub fn original_id(&self) -> ResId {
        self.previous.first().cloned().unwrap_or_else(|| self.id())
    }

    /// Remembers the current id before a change of name or namespace.
    pub fn store_previous(&mut self) {
        let id = self.id();
        if self.previous.last() != Some(&id) {
            self.previous.push(id);
        }
    }

    /// The current id and every previous one.
    pub fn all_ids(&self) -> Vec<ResId> {
        let mut ids = self.previous.clone();
        ids.push(self.id());
        ids
    }

    pub fn matches_any_id(&self, id: &ResId) -> bool {
        self.all_ids().iter().any(|x| x.equals(id))
    }
}

// ---- building nodes ----

pub(crate) fn scalar_at(
    text: impl Into<String>,
    plain: bool,
    file: &Arc<SourceFile>,
    span: Span,
) -> Node {
    Node {
        value: Value::Scalar(Scalar {
            text: text.into(),
            plain,
        }),
        span,
        file: Arc::clone(file),
    }
}

/// A string scalar set from the value `from`: the text is ours, the place is `from`'s.
pub(crate) fn string_from(text: impl Into<String>, from: &Node) -> Node {
    scalar_at(text, false, &from.file, from.span)
}

/// A copy of `from` typed as a string (map[string]string fields of kustomize: labels,
/// annotations, names), keeping its place.
pub(crate) fn as_string_node(from: &Node) -> Node {
    match &from.value {
        Value::Scalar(s) => string_from(s.text.clone(), from),
        _ => from.clone(),
    }
}

pub(crate) fn map_from(entries: Vec<Entry>, from: &Node) -> Node {
    Node {
        value: Value::Map(entries),
        span: from.span,
        file: Arc::clone(&from.file),
    }
}

pub(crate) fn seq_from(items: Vec<Node>, from: &Node) -> Node {
    Node {
        value: Value::Seq(items),
        span: from.span,
        file: Arc::clone(&from.file),
    }
}

pub(crate) fn entry(key: &str, value: Node) -> Entry {
    Entry {
        key: string_from(key, &value),
        value,
    }
}

// ---- reading and changing trees ----

pub(crate) fn get_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key.as_str() == Some(key))
            .map(|e| &mut e.value),
        _ => None,
    }
}

pub(crate) fn at_mut<'a>(node: &'a mut Node, path: &[&str]) -> Option<&'a mut Node> {
    let mut n = node;
    for k in path {
        n = get_mut(n, k)?;
    }
    Some(n)
}

/// Sets `key` in a mapping (replacing its value, or adding the entry at the end); returns
/// the value replaced. Does nothing on a node that is not a mapping.
pub(crate) fn set_key(node: &mut Node, key: &str, value: Node) -> Option<Node> {
    if node.is_null() {
        node.value = Value::Map(Vec::new());
    }
    let Value::Map(entries) = &mut node.value else {
        return None;
    };
    if let Some(e) = entries.iter_mut().find(|e| e.key.as_str() == Some(key)) {
        return Some(std::mem::replace(&mut e.value, value));
    }
    entries.push(entry(key, value));
    None
}

pub(crate) fn remove_key(node: &mut Node, key: &str) -> Option<Entry> {
    let Value::Map(entries) = &mut node.value else {
        return None;
    };
    let i = entries.iter().position(|e| e.key.as_str() == Some(key))?;
    Some(entries.remove(i))
}

/// The mapping at `key`, made (as an empty mapping placed at `from`) when missing or null.
pub(crate) fn ensure_map<'a>(node: &'a mut Node, key: &str, from: &Node) -> Option<&'a mut Node> {
    let missing = node.get(key).is_none_or(Node::is_null);
    if missing {
        set_key(node, key, map_from(Vec::new(), from));
    }
    get_mut(node, key)
}

/// The number of nodes in a tree (bounded walk: trees are at most a few hundred deep).
pub(crate) fn size(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(_) => 1,
        Value::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|e| 1 + size(&e.value)).sum::<usize>(),
    }
}

// ---- typed values, as YAML reads plain scalars ----

/// A scalar's value as YAML types it: plain scalars by their text (YAML 1.2 core schema),
/// quoted and block scalars as strings.
pub(crate) fn scalar_json(s: &Scalar) -> serde_json::Value {
    use serde_json::Value as J;
    if !s.plain {
        return J::String(s.text.clone());
    }
    let t = s.text.as_str();
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return J::Null,
        "true" | "True" | "TRUE" => return J::Bool(true),
        "false" | "False" | "FALSE" => return J::Bool(false),
        _ => {}
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(i) = t.parse::<i64>()
    {
        return J::from(i);
    }
    if let Some(hex) = t.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return J::from(i);
    }
    if let Some(oct) = t.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return J::from(i);
    }
    if is_yaml_float(t)
        && let Ok(f) = t.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return J::Number(n);
    }
    match t {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => J::String("+Inf".into()),
        "-.inf" | "-.Inf" | "-.INF" => J::String("-Inf".into()),
        ".nan" | ".NaN" | ".NAN" => J::String("NaN".into()),
        _ => J::String(t.to_string()),
    }
}

fn is_yaml_float(t: &str) -> bool {
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let b = t.strip_prefix(['-', '+']).unwrap_or(t).as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// A tree as JSON data (the value kustomize would marshal); mapping keys as strings.
pub(crate) fn to_json(node: &Node) -> serde_json::Value {
    match &node.value {
        Value::Scalar(s) => scalar_json(s),
        Value::Seq(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => {
            let mut m = serde_json::Map::new();
            for e in entries {
                let k = match &e.key.value {
                    Value::Scalar(s) => s.text.clone(),
                    _ => to_json(&e.key).to_string(),
                };
                m.insert(k, to_json(&e.value));
            }
            serde_json::Value::Object(m)
        }
    }
}

/// A mapping of strings (`labels:`, `matchLabels:`) as (key node, value node) pairs; values
/// that are not scalars are left out.
pub(crate) fn string_pairs(node: Option<&Node>) -> Vec<(String, Node)> {
    node.and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            let k = e.key.as_str()?.to_string();
            match &e.value.value {
                Value::Scalar(_) => Some((k, e.value.clone())),
                _ => None,
            }
        })
        .collect()
}

/// Go's `encoding/json` output for a value (sorted keys, HTML-safe escapes), which
/// kustomize's hash is computed over.
pub(crate) fn go_json(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value as J;
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => out.push_str(&n.to_string()),
        J::String(s) => go_json_string(s, out),
        J::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(x, out);
            }
            out.push(']');
        }
        J::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(k, out);
                out.push(':');
                go_json(&m[k], out);
            }
            out.push('}');
        }
    }
}

fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_json_escapes_as_go_does() {
        let v = serde_json::json!({"b": "<a&b>\n", "a": [1, true, null]});
        let mut s = String::new();
        go_json(&v, &mut s);
        assert_eq!(s, r#"{"a":[1,true,null],"b":"\u003ca\u0026b\u003e\n"}"#);
    }

    #[test]
    fn scalars_are_typed_as_yaml_types_them() {
        let t = |text: &str, plain| {
            scalar_json(&Scalar {
                text: text.into(),
                plain,
            })
        };
        assert_eq!(t("8080", true), serde_json::json!(8080));
        assert_eq!(t("8080", false), serde_json::json!("8080"));
        assert_eq!(t("1.5", true), serde_json::json!(1.5));
        assert_eq!(t("1.", true), serde_json::json!(1.0));
        assert_eq!(t("true", true), serde_json::json!(true));
        assert_eq!(t("~", true), serde_json::Value::Null);
        assert_eq!(t("1.2.3", true), serde_json::json!("1.2.3"));
        assert_eq!(t("e5", true), serde_json::json!("e5"));
    }

    #[test]
    fn ids_print_as_kustomize_prints_them() {
        let id = ResId {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            name: "x".into(),
            namespace: String::new(),
        };
        assert_eq!(id.to_string(), "Deployment.v1.apps/x.[noNs]");
    }
}
