//! Strategic merge patches, as kustomize v5 applies them (kyaml's `merge2` walker with the
//! Kubernetes schema), on our span-keeping tree:
//!
//! - mappings merge key by key; a `null` value deletes its key;
//! - lists the Kubernetes API declares with a merge key merge element by element on that key
//!   (`containers`/`initContainers`/`ephemeralContainers`/`volumes`/`imagePullSecrets` by
//!   `name`, container `ports` by `containerPort`(+`protocol`), `env` by `name`,
//!   `volumeMounts` by `mountPath`, Service `ports` by `port`(+`protocol`), …); the patch's
//!   elements come first, then the target's other elements, in their order, as kyaml does;
//! - every other list is replaced whole, and so is every list of a kind the Kubernetes API
//!   does not define (custom resources have no schema, so no merge keys);
//! - directives: `$patch: delete|replace|merge` on a mapping, a list (as the lone key of an
//!   element) or an element; `$deleteFromPrimitiveList/<list>` removes values from a list of
//!   scalars; `$setElementOrder/<list>` and `$retainKeys` are dropped. (kyaml copies these
//!   last three into its output verbatim, where the API server would refuse them; we apply
//!   Kubernetes' meaning instead. The differential test lists this as a known difference.)
//!
//! A value the patch replaced is recorded as a (patch origin, replaced origin) pair.

use crate::parse::yaml::{Entry, Node, Value};

use super::Replaced;
use super::resource::{map_from, seq_from};

/// Where in a Kubernetes object a node sits, as far as merge keys are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// No schema (a custom resource), or a field with no list strategy below it.
    Plain,
    Root(RootKind),
    Meta,
    WorkloadSpec,
    CronJobSpec,
    JobTemplate,
    PodTemplate,
    PodSpec,
    Container,
    ServiceSpec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootKind {
    Pod,
    Workload,
    CronJob,
    Service,
    PodTemplate,
    Other,
}

enum ListStrategy {
    Replace,
    Keys(&'static [&'static str]),
    Primitive,
}

/// The schema root for a kind (by `apiVersion` and `kind`, as kyaml looks it up in the
/// Kubernetes 1.21 OpenAPI document it ships).
fn root(api_version: &str, kind: &str) -> Ty {
    let builtin_group = matches!(
        api_version,
        "v1" | "apps/v1"
            | "apps/v1beta1"
            | "apps/v1beta2"
            | "extensions/v1beta1"
            | "batch/v1"
            | "batch/v1beta1"
            | "networking.k8s.io/v1"
            | "networking.k8s.io/v1beta1"
            | "policy/v1"
            | "policy/v1beta1"
            | "rbac.authorization.k8s.io/v1"
            | "autoscaling/v1"
            | "autoscaling/v2beta1"
            | "autoscaling/v2beta2"
            | "storage.k8s.io/v1"
            | "scheduling.k8s.io/v1"
            | "admissionregistration.k8s.io/v1"
            | "apiextensions.k8s.io/v1"
            | "coordination.k8s.io/v1"
            | "discovery.k8s.io/v1"
            | "node.k8s.io/v1"
            | "certificates.k8s.io/v1"
    );
    if !builtin_group {
        return Ty::Plain;
    }
    let rk = match (api_version, kind) {
        ("v1", "Pod") => RootKind::Pod,
        ("v1", "ReplicationController") => RootKind::Workload,
        ("v1", "Service") => RootKind::Service,
        ("v1", "PodTemplate") => RootKind::PodTemplate,
        ("apps/v1" | "apps/v1beta1" | "apps/v1beta2", "Deployment" | "StatefulSet")
        | ("apps/v1" | "apps/v1beta2", "DaemonSet" | "ReplicaSet")
        | ("extensions/v1beta1", "Deployment" | "DaemonSet" | "ReplicaSet")
        | ("batch/v1", "Job") => RootKind::Workload,
        ("batch/v1" | "batch/v1beta1", "CronJob") => RootKind::CronJob,
        _ => RootKind::Other,
    };
    Ty::Root(rk)
}

fn field(ty: Ty, key: &str) -> Ty {
    match (ty, key) {
        (Ty::Root(_), "metadata") | (Ty::PodTemplate | Ty::JobTemplate, "metadata") => Ty::Meta,
        (Ty::Root(RootKind::Pod), "spec") => Ty::PodSpec,
        (Ty::Root(RootKind::Workload), "spec") => Ty::WorkloadSpec,
        (Ty::Root(RootKind::CronJob), "spec") => Ty::CronJobSpec,
        (Ty::Root(RootKind::Service), "spec") => Ty::ServiceSpec,
        (Ty::Root(RootKind::PodTemplate), "template") => Ty::PodTemplate,
        (Ty::WorkloadSpec, "template") => Ty::PodTemplate,
        (Ty::CronJobSpec, "jobTemplate") => Ty::JobTemplate,
        (Ty::JobTemplate, "spec") => Ty::WorkloadSpec,
        (Ty::PodTemplate, "spec") => Ty::PodSpec,
        (Ty::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => Ty::Container,
        _ => Ty::Plain,
    }
}

fn list(ty: Ty, key: &str) -> ListStrategy {
    use ListStrategy::*;
    match (ty, key) {
        (Ty::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => Keys(&["name"]),
        (Ty::PodSpec, "volumes" | "imagePullSecrets") => Keys(&["name"]),
        (Ty::PodSpec, "hostAliases") => Keys(&["ip"]),
        (Ty::PodSpec, "topologySpreadConstraints") => Keys(&["topologyKey", "whenUnsatisfiable"]),
        (Ty::Container, "ports") => Keys(&["containerPort", "protocol"]),
        (Ty::Container, "env") => Keys(&["name"]),
        (Ty::Container, "volumeMounts") => Keys(&["mountPath"]),
        (Ty::Container, "volumeDevices") => Keys(&["devicePath"]),
        (Ty::ServiceSpec, "ports") => Keys(&["port", "protocol"]),
        (Ty::Meta, "ownerReferences") => Keys(&["uid"]),
        (Ty::Meta, "finalizers") => Primitive,
        _ => Replace,
    }
}

const DIRECTIVE: &str = "$patch";

/// The outcome of merging one node.
enum Out {
    Keep(Node),
    Delete,
}

/// Applies a strategic merge patch to an object. `Ok(None)`: the patch deletes the object.
pub(crate) fn apply(
    target: &Node,
    patch: &Node,
    replaced: &mut Vec<Replaced>,
) -> Result<Option<Node>, String> {
    let api = target
        .get("apiVersion")
        .and_then(Node::as_str)
        .unwrap_or("");
    let kind = target.get("kind").and_then(Node::as_str).unwrap_or("");
    let mut m = Merger { replaced };
    match m.merge(Some(target), patch, root(api, kind), 0)? {
        Out::Keep(n) => Ok(Some(n)),
        Out::Delete => Ok(None),
    }
}

/// Whether a patch document deletes its whole target (`$patch: delete` at the top).
pub(crate) fn is_delete(patch: &Node) -> bool {
    patch.get(DIRECTIVE).and_then(Node::as_str) == Some("delete")
}

struct Merger<'a> {
    replaced: &'a mut Vec<Replaced>,
}

fn node_kind(n: &Node) -> &'static str {
    match &n.value {
        Value::Map(_) => "MappingNode",
        Value::Seq(_) => "SequenceNode",
        Value::Scalar(_) => "ScalarNode",
    }
}

fn map_directive(patch: &Node) -> Result<Option<&str>, String> {
    match patch.get(DIRECTIVE) {
        None => Ok(None),
        Some(v) => match v.as_str() {
            Some(d @ ("delete" | "replace" | "merge")) => Ok(Some(d)),
            other => Err(format!("unknown patch strategy '{}'", other.unwrap_or(""))),
        },
    }
}

/// A list-level directive: an element whose only key is `$patch`.
fn list_directive(items: &[Node]) -> Result<Option<(usize, &str)>, String> {
    for (i, it) in items.iter().enumerate() {
        if let Some(m) = it.as_map()
            && m.len() == 1
            && m[0].key.as_str() == Some(DIRECTIVE)
        {
            return match m[0].value.as_str() {
                Some(d @ ("delete" | "replace" | "merge")) => Ok(Some((i, d))),
                other => Err(format!("unknown patch strategy '{}'", other.unwrap_or(""))),
            };
        }
    }
    Ok(None)
}

fn is_meta_key(k: &str) -> bool {
    k == DIRECTIVE
        || k == "$retainKeys"
        || k.starts_with("$setElementOrder/")
        || k.starts_with("$deleteFromPrimitiveList/")
}

impl Merger<'_> {
    fn merge(
        &mut self,
        dest: Option<&Node>,
        patch: &Node,
        ty: Ty,
        depth: usize,
    ) -> Result<Out, String> {
        if depth > 300 {
            return Err("strategic merge patch nests too deeply".into());
        }
        let dest = dest.filter(|d| !d.is_null());
        if patch.is_null() {
            return Ok(Out::Delete);
        }
        if let Some(d) = dest
            && node_kind(d) != node_kind(patch)
        {
            return Err(format!(
                "wrong node kind: expected {} but got {}",
                node_kind(d),
                node_kind(patch)
            ));
        }
        match &patch.value {
            Value::Scalar(_) => {
                if let Some(d) = dest
                    && d.as_str() != patch.as_str()
                {
                    self.replaced.push(Replaced {
                        what: "strategic merge patch".into(),
                        new: patch.origin(),
                        old: d.origin(),
                        removed: None,
                    });
                }
                Ok(Out::Keep(patch.clone()))
            }
            Value::Map(_) => self.merge_map(dest, patch, ty, depth),
            Value::Seq(_) => Ok(Out::Keep(patch.clone())),
        }
    }

    fn merge_map(
        &mut self,
        dest: Option<&Node>,
        patch: &Node,
        ty: Ty,
        depth: usize,
    ) -> Result<Out, String> {
        let directive = map_directive(patch)?;
        match directive {
            Some("delete") => return Ok(Out::Delete),
            Some("replace") => {
                return self.merge_map(None, &without_key(patch, DIRECTIVE), ty, depth);
            }
            _ => {}
        }
        let pmap = patch.as_map().unwrap_or_default();
        let base = dest.unwrap_or(patch);
        let mut entries: Vec<Entry> = match (dest, &base.value) {
            (Some(_), Value::Map(e)) => e.clone(),
            _ => Vec::new(),
        };
        // Primitive lists to take values from.
        let mut deletions: Vec<(String, &Node)> = Vec::new();
        for pe in pmap {
            let Some(key) = pe.key.as_str() else { continue };
            if let Some(list) = key.strip_prefix("$deleteFromPrimitiveList/") {
                deletions.push((list.to_string(), &pe.value));
            }
            if is_meta_key(key) {
                continue;
            }
            let sub_ty = field(ty, key);
            let existing = entries.iter().position(|e| e.key.as_str() == Some(key));
            let dest_value = existing.map(|i| &entries[i].value);
            let out = match &pe.value.value {
                Value::Seq(_) => self.merge_list(dest_value, &pe.value, ty, key, sub_ty, depth)?,
                _ => self.merge(dest_value, &pe.value, sub_ty, depth + 1)?,
            };
            match (out, existing) {
                (Out::Keep(v), Some(i)) => entries[i].value = v,
                (Out::Keep(v), None) => entries.push(Entry {
                    key: pe.key.clone(),
                    value: v,
                }),
                (Out::Delete, Some(i)) => {
                    let gone = entries.remove(i);
                    self.replaced.push(Replaced {
                        what: format!("strategic merge patch deleting `{key}`"),
                        new: pe.key.origin(),
                        old: gone.value.origin(),
                        removed: Some(key.to_string()),
                    });
                }
                (Out::Delete, None) => {}
            }
        }
        for (list, values) in deletions {
            let drop: Vec<&str> = values
                .as_seq()
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            if let Some(e) = entries
                .iter_mut()
                .find(|e| e.key.as_str() == Some(list.as_str()))
                && let Value::Seq(items) = &mut e.value.value
            {
                items.retain(|i| !i.as_str().is_some_and(|s| drop.contains(&s)));
            }
        }
        Ok(Out::Keep(map_from(entries, base)))
    }

    fn merge_list(
        &mut self,
        dest: Option<&Node>,
        patch: &Node,
        parent: Ty,
        key: &str,
        elem_ty: Ty,
        depth: usize,
    ) -> Result<Out, String> {
        let dest = dest.filter(|d| !d.is_null());
        if let Some(d) = dest
            && d.as_seq().is_none()
        {
            return Err(format!(
                "wrong node kind: expected {} but got SequenceNode",
                node_kind(d)
            ));
        }
        let strategy = list(parent, key);
        if matches!(strategy, ListStrategy::Replace) {
            if let Some(d) = dest {
                self.replaced.push(Replaced {
                    what: "strategic merge patch".into(),
                    new: patch.origin(),
                    old: d.origin(),
                    removed: None,
                });
            }
            return Ok(Out::Keep(patch.clone()));
        }
        let mut pitems: Vec<Node> = patch.as_seq().unwrap_or_default().to_vec();
        let directive = list_directive(&pitems)?.map(|(i, d)| (i, d.to_string()));
        match directive {
            Some((_, d)) if d == "delete" => return Ok(Out::Delete),
            Some((i, d)) => {
                pitems.remove(i);
                if d == "replace" {
                    let cleaned = self.merge_list(
                        None,
                        &seq_from(pitems, patch),
                        parent,
                        key,
                        elem_ty,
                        depth,
                    )?;
                    return Ok(cleaned);
                }
            }
            None => {}
        }
        let ditems: Vec<Node> = dest.and_then(Node::as_seq).unwrap_or_default().to_vec();
        let keys = match strategy {
            ListStrategy::Primitive => {
                let mut out: Vec<Node> = Vec::new();
                for it in pitems.iter().chain(ditems.iter()) {
                    if !out.iter().any(|o| o.as_str() == it.as_str()) {
                        out.push(it.clone());
                    }
                }
                return Ok(Out::Keep(seq_from(out, dest.unwrap_or(patch))));
            }
            ListStrategy::Keys(k) => k,
            ListStrategy::Replace => unreachable!("handled above"),
        };
        self.merge_keyed(dest, patch, pitems, ditems, keys, elem_ty, depth)
    }

    /// kyaml's associative list merge, step for step (`walk/associative_sequence.go`):
    /// the key tuples of the patch's elements then the target's; tuples that agree where
    /// both have values become one; each tuple's elements are merged (the target's element
    /// in place); the merged elements are listed in tuple order, then the target's elements
    /// are set over that list by their keys (replacing, or appended at the end).
    #[allow(clippy::too_many_arguments)]
    fn merge_keyed(
        &mut self,
        dest: Option<&Node>,
        patch: &Node,
        pitems: Vec<Node>,
        mut ditems: Vec<Node>,
        keys: &'static [&'static str],
        elem_ty: Ty,
        depth: usize,
    ) -> Result<Out, String> {
        let tuple = |n: &Node| -> Vec<String> {
            keys.iter()
                .map(|k| n.get(k).and_then(Node::as_str).unwrap_or("").to_string())
                .collect()
        };
        let mut tuples: Vec<Vec<String>> = Vec::new();
        for it in pitems.iter().chain(ditems.iter()) {
            let t = tuple(it);
            if !tuples.contains(&t) {
                tuples.push(t);
            }
        }
        if keys.len() > 1 {
            let n = tuples.len();
            for i in 0..n {
                for j in 0..n {
                    if let Some(m) = match_tuples(&tuples[i], &tuples[j]) {
                        tuples[i] = m.clone();
                        tuples[j] = m;
                    }
                }
            }
        }
        let key_set: Vec<bool> = (0..keys.len())
            .map(|i| tuples.iter().any(|t| !t[i].is_empty()))
            .collect();
        let valid = |t: &[String]| -> (Vec<&'static str>, Vec<String>) {
            if !key_set.iter().any(|b| *b) {
                return (keys.to_vec(), t.to_vec());
            }
            let ks = keys
                .iter()
                .zip(&key_set)
                .filter(|(_, b)| **b)
                .map(|(k, _)| *k)
                .collect();
            let vs = t
                .iter()
                .zip(&key_set)
                .filter(|(v, b)| !v.is_empty() || **b)
                .map(|(v, _)| v.clone())
                .collect();
            (ks, vs)
        };
        let mut added: Vec<Node> = Vec::new();
        let mut last_keys: Vec<&'static str> = keys.to_vec();
        for t in &tuples {
            let (vkeys, vvalues) = valid(t);
            last_keys = vkeys.clone();
            // The elements are looked up by the keys that have a value in this tuple.
            let (mkeys, mvalues): (Vec<&str>, Vec<String>) = vkeys
                .iter()
                .zip(&vvalues)
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (*k, v.clone()))
                .unzip();
            let (mkeys, mvalues) = if mkeys.is_empty() {
                (vkeys.clone(), vvalues.clone())
            } else {
                (mkeys, mvalues)
            };
            let di = match_element(&ditems, &mkeys, &mvalues);
            let pi = match_element(&pitems, &mkeys, &mvalues);
            let merged = match (di, pi) {
                (_, Some(p)) => self.merge(
                    di.map(|i| &ditems[i]),
                    &pitems[p].clone(),
                    elem_ty,
                    depth + 1,
                )?,
                (Some(d), None) => Out::Keep(ditems[d].clone()),
                (None, None) => Out::Delete,
            };
            let mut val = match merged {
                Out::Keep(v) if v.as_map().is_none_or(|m| !m.is_empty()) => v,
                _ => {
                    element_setter(&mut ditems, None, &vkeys, &vvalues);
                    continue;
                }
            };
            for (k, v) in vkeys.iter().zip(&vvalues) {
                if val.get(k).is_none() && !v.is_empty() {
                    let at = val.clone();
                    super::resource::set_key(
                        &mut val,
                        k,
                        super::resource::scalar_at(v.clone(), true, &at.file, at.span),
                    );
                }
            }
            if let Some(d) = di {
                ditems[d] = val.clone();
            }
            element_setter(&mut added, Some(val), &vkeys, &vvalues);
        }
        // kyaml's appendListNode: the target's elements over the merged list.
        for elem in ditems {
            let mut v = Vec::new();
            for k in &last_keys {
                match elem.get(k) {
                    Some(f) if !f.is_null() => v.push(f.as_str().unwrap_or("").to_string()),
                    _ => added.push(elem.clone()),
                }
            }
            if last_keys.len() > 1 {
                element_setter(&mut added, None, &last_keys, &v);
            }
            element_setter(&mut added, Some(elem), &last_keys, &v);
        }
        Ok(Out::Keep(seq_from(added, dest.unwrap_or(patch))))
    }
}

/// kyaml's `ElementMatcher`: the first mapping whose every key field exists with the value.
fn match_element(items: &[Node], keys: &[&str], values: &[String]) -> Option<usize> {
    items.iter().position(|it| {
        it.as_map().is_some()
            && keys
                .iter()
                .zip(values)
                .all(|(k, v)| it.get(k).is_some_and(|f| f.as_str().unwrap_or("") == v))
    })
}

/// kyaml's `ElementSetter`: replaces the elements matching the keys (a field matches when it
/// exists and, for a non-empty value, equals it) by `element`, or removes them when there
/// is none; appends `element` when nothing matched. Like kyaml, it drops empty mappings and
/// nulls, and elements that do not match when no values are given.
fn element_setter(list: &mut Vec<Node>, element: Option<Node>, keys: &[&str], values: &[String]) {
    let mut out = Vec::with_capacity(list.len() + 1);
    let mut found_any = false;
    for elem in list.drain(..) {
        if elem.is_null() || elem.as_map().is_some_and(<[_]>::is_empty) {
            continue;
        }
        if elem.as_map().is_none() {
            out.push(elem);
            continue;
        }
        let mut matched: Option<bool> = None;
        for (j, k) in keys.iter().enumerate() {
            if j < values.len() {
                let v = &values[j];
                matched = Some(
                    elem.get(k)
                        .is_some_and(|f| v.is_empty() || f.as_str().unwrap_or("") == v),
                );
            }
            if matched != Some(true) {
                matched = Some(false);
                break;
            }
        }
        if matched != Some(true) {
            if !values.is_empty() {
                out.push(elem);
            }
            continue;
        }
        found_any = true;
        if let Some(e) = &element {
            out.push(e.clone());
        }
    }
    if let Some(e) = element
        && !found_any
    {
        out.push(e);
    }
    *list = out;
}

fn match_tuples(a: &[String], b: &[String]) -> Option<Vec<String>> {
    let mut common = false;
    let mut res = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            res.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else if !x.is_empty() {
            res.push(x.clone());
        } else {
            res.push(y.clone());
        }
    }
    common.then_some(res)
}

fn without_key(node: &Node, key: &str) -> Node {
    let entries = node
        .as_map()
        .unwrap_or_default()
        .iter()
        .filter(|e| e.key.as_str() != Some(key))
        .cloned()
        .collect();
    map_from(entries, node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;
    use crate::render::kustomize::resource::to_json;
    use crate::source::{Format, SourceFile};
    use std::sync::Arc;

    fn doc(name: &str, text: &str) -> Node {
        let f = Arc::new(SourceFile::in_memory(name, Format::Kubernetes, text));
        let s = yaml::load(&f);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        s.docs[0].clone()
    }

    fn run(base: &str, patch: &str) -> (Option<serde_json::Value>, Vec<Replaced>) {
        let mut rep = Vec::new();
        let out = apply(&doc("base.yaml", base), &doc("patch.yaml", patch), &mut rep).unwrap();
        (out.as_ref().map(to_json), rep)
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a:1\n        env: [{name: X, value: '0'}, {name: A, value: '1'}]\n        ports: [{containerPort: 8080}]\n      - name: b\n        image: b:1\n      volumes: [{name: v1, emptyDir: {}}]\n";

    #[test]
    fn containers_merge_by_name_and_patch_elements_come_first() {
        let (out, rep) = run(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: b\n        image: b:2\n      - name: c\n        image: c:1\n",
        );
        let out = out.unwrap();
        let names: Vec<_> = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["b", "c", "a"]);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["image"],
            "b:2"
        );
        assert_eq!(rep.len(), 1);
        assert_eq!(rep[0].new.file.display_path, "patch.yaml");
        assert_eq!(rep[0].old.text(), "b:1");
    }

    #[test]
    fn env_merges_by_name_with_delete_directive() {
        let (out, _) = run(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        env:\n        - {name: A, $patch: delete}\n        - {name: Z, value: z}\n",
        );
        let env = &out.unwrap()["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(
            env,
            &serde_json::json!([{"name": "Z", "value": "z"}, {"name": "X", "value": "0"}])
        );
    }

    #[test]
    fn replace_and_delete_directives_and_null() {
        let (out, _) = run(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - $patch: replace\n      - name: only\n        image: o\n      volumes: null\n",
        );
        let spec = &out.unwrap()["spec"]["template"]["spec"];
        assert_eq!(
            spec["containers"],
            serde_json::json!([{"name": "only", "image": "o"}])
        );
        assert!(spec.get("volumes").is_none());
        let (out, _) = run(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n$patch: delete\n",
        );
        assert!(out.is_none());
        let (out, _) = run(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    $patch: replace\n    spec: {containers: [{name: r, image: r}]}\n",
        );
        assert_eq!(
            out.unwrap()["spec"]["template"],
            serde_json::json!({"spec": {"containers": [{"name": "r", "image": "r"}]}})
        );
    }

    #[test]
    fn ports_merge_by_container_port_and_directives_are_dropped() {
        let (out, _) = run(
            DEPLOY,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, finalizers: [x], $deleteFromPrimitiveList/finalizers: [y]}\nspec:\n  template:\n    spec:\n      $setElementOrder/containers: [{name: a}]\n      containers:\n      - name: a\n        ports: [{containerPort: 9090}]\n",
        );
        let out = out.unwrap();
        let c = &out["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["ports"],
            serde_json::json!([{"containerPort": 9090}, {"containerPort": 8080}])
        );
        assert!(
            out["spec"]["template"]["spec"]
                .get("$setElementOrder/containers")
                .is_none()
        );
        assert_eq!(out["metadata"]["finalizers"], serde_json::json!(["x"]));
    }

    #[test]
    fn custom_resources_replace_lists() {
        let base = "apiVersion: x.io/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: a}]\n";
        let (out, _) = run(
            base,
            "apiVersion: x.io/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  template:\n    spec:\n      containers: [{name: b}]\n",
        );
        assert_eq!(
            out.unwrap()["spec"]["template"]["spec"]["containers"],
            serde_json::json!([{"name": "b"}])
        );
    }

    #[test]
    fn wrong_kinds_are_errors_not_panics() {
        let mut rep = Vec::new();
        let r = apply(
            &doc("b", "kind: A\nspec: {a: 1}\n"),
            &doc("p", "kind: A\nspec: [1]\n"),
            &mut rep,
        );
        assert!(r.is_err());
        let r = apply(
            &doc("b", "kind: A\nspec: {a: 1}\n"),
            &doc("p", "kind: A\n$patch: bogus\n"),
            &mut rep,
        );
        assert!(r.unwrap_err().contains("unknown patch strategy"));
    }
}
