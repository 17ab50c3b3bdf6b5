//! The builtin transformers of a kustomization, in kustomize's order of application after the
//! patches: `namespace`, `namePrefix`/`nameSuffix`, `labels`/`commonLabels`,
//! `commonAnnotations`, `replicas`, `images`; and, once at the end of a build, the name
//! references (a ConfigMap renamed by a prefix or a hash is renamed where pods use it).
//!
//! Each transformer writes nodes that point at the kustomization value that caused them, and
//! records a (new, replaced) origin pair when it changed a value that was already set.
//! The field lists (which paths hold labels, selectors, images, references) restate those of
//! kustomize's builtin configuration.

use regex::Regex;

use crate::parse::yaml::{Node, Value};

use super::Replaced;
use super::kustomization::Image;
use super::reader::{FieldSpec, split_path};
use super::resource::{Res, as_string_node, is_cluster_scoped, map_from, set_key, string_from};

/// Calls `f` on every node at `path` below `node`; creates missing mappings on the way (and
/// the last node with `make_last`) when `create` is set.
pub(crate) fn visit_path(
    node: &mut Node,
    path: &[String],
    create: Option<&dyn Fn() -> Node>,
    f: &mut dyn FnMut(&mut Node),
) {
    if let Value::Seq(items) = &mut node.value {
        for item in items {
            visit_path(item, path, create, f);
        }
        return;
    }
    let Some((first, rest)) = path.split_first() else {
        f(node);
        return;
    };
    if node.as_map().is_none() {
        return;
    }
    // `containers[]`: the key of a list, never created.
    let (first, list) = match first.strip_suffix("[]") {
        Some(key) => (key, true),
        None => (first.as_str(), false),
    };
    let missing = node.get(first).is_none_or(Node::is_null);
    if missing {
        if list {
            return;
        }
        let Some(make) = create else { return };
        let made = if rest.is_empty() {
            make()
        } else {
            let n = make();
            map_from(Vec::new(), &n)
        };
        set_key(node, first, made);
    }
    if let Some(child) = super::resource::get_mut(node, first) {
        visit_path(child, rest, create, f);
    }
}

// ---- the builtin field lists ----

const WORKLOAD_TEMPLATE_LABELS: &[(&str, &str)] = &[
    ("ReplicationController", ""),
    ("Deployment", ""),
    ("ReplicaSet", ""),
    ("DaemonSet", ""),
    ("StatefulSet", "apps"),
    ("Job", "batch"),
];

/// kustomize's `metadataLabels` list: where labels go without selectors.
fn metadata_label_specs() -> Vec<FieldSpec> {
    let mut v = vec![FieldSpec::new("", "", "metadata/labels", true)];
    v.extend(template_label_specs());
    v
}

fn template_label_specs() -> Vec<FieldSpec> {
    let mut v: Vec<FieldSpec> = WORKLOAD_TEMPLATE_LABELS
        .iter()
        .map(|(k, g)| FieldSpec::new(k, g, "spec/template/metadata/labels", true))
        .collect();
    v.push(FieldSpec::new(
        "StatefulSet",
        "apps",
        "spec/volumeClaimTemplates[]/metadata/labels",
        true,
    ));
    v.push(FieldSpec::new(
        "CronJob",
        "batch",
        "spec/jobTemplate/metadata/labels",
        true,
    ));
    v.push(FieldSpec::new(
        "CronJob",
        "batch",
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ));
    v
}

/// kustomize's `commonLabels` list: metadata, templates and selectors.
pub(crate) fn common_label_specs() -> Vec<FieldSpec> {
    let mut v = vec![
        FieldSpec::new("Service", "", "spec/selector", true),
        FieldSpec::new("ReplicationController", "", "spec/selector", true),
        FieldSpec::new("Deployment", "", "spec/selector/matchLabels", true),
    ];
    let affinity = [
        "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
    ];
    for p in affinity {
        v.push(FieldSpec::new("Deployment", "apps", p, false));
    }
    v.push(FieldSpec::new(
        "ReplicaSet",
        "",
        "spec/selector/matchLabels",
        true,
    ));
    v.push(FieldSpec::new(
        "DaemonSet",
        "",
        "spec/selector/matchLabels",
        true,
    ));
    v.push(FieldSpec::new(
        "StatefulSet",
        "apps",
        "spec/selector/matchLabels",
        true,
    ));
    for p in affinity {
        v.push(FieldSpec::new("StatefulSet", "apps", p, false));
    }
    v.push(FieldSpec::new(
        "Job",
        "batch",
        "spec/selector/matchLabels",
        false,
    ));
    v.push(FieldSpec::new(
        "CronJob",
        "batch",
        "spec/jobTemplate/spec/selector/matchLabels",
        false,
    ));
    v.push(FieldSpec::new(
        "PodDisruptionBudget",
        "policy",
        "spec/selector/matchLabels",
        false,
    ));
    v.push(FieldSpec::new(
        "NetworkPolicy",
        "networking.k8s.io",
        "spec/podSelector/matchLabels",
        false,
    ));
    v.push(FieldSpec::new(
        "NetworkPolicy",
        "networking.k8s.io",
        "spec/ingress/from/podSelector/matchLabels",
        false,
    ));
    v.push(FieldSpec::new(
        "NetworkPolicy",
        "networking.k8s.io",
        "spec/egress/to/podSelector/matchLabels",
        false,
    ));
    v.extend(metadata_label_specs());
    v
}

fn common_annotation_specs() -> Vec<FieldSpec> {
    let mut v = vec![FieldSpec::new("", "", "metadata/annotations", true)];
    for (k, g) in WORKLOAD_TEMPLATE_LABELS {
        v.push(FieldSpec::new(
            k,
            g,
            "spec/template/metadata/annotations",
            true,
        ));
    }
    v.push(FieldSpec::new(
        "CronJob",
        "batch",
        "spec/jobTemplate/metadata/annotations",
        true,
    ));
    v.push(FieldSpec::new(
        "CronJob",
        "batch",
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ));
    v
}

/// Fieldspecs for one `labels:` entry (kustomize's `LabelTransformer` configuration).
pub(crate) fn label_entry_specs(
    include_selectors: bool,
    include_templates: bool,
    extra: &[FieldSpec],
) -> Vec<FieldSpec> {
    let mut v = extra.to_vec();
    let mut add = |specs: Vec<FieldSpec>| {
        for s in specs {
            if !v.contains(&s) {
                v.push(s);
            }
        }
    };
    if include_selectors {
        add(common_label_specs());
    } else {
        if include_templates {
            add(template_label_specs());
        }
        add(vec![FieldSpec::new("", "", "metadata/labels", true)]);
    }
    v
}

// ---- transformers ----

/// Sets string pairs (labels or annotations) at every fieldspec of every object.
pub(crate) fn set_pairs(
    resources: &mut [Res],
    pairs: &[(String, Node)],
    specs: &[FieldSpec],
    what: &str,
    replaced: &mut Vec<Replaced>,
) {
    if pairs.is_empty() {
        return;
    }
    let Some(first) = pairs.first().map(|(_, n)| n.clone()) else {
        return;
    };
    for res in resources.iter_mut() {
        let selected: Vec<&FieldSpec> = specs.iter().filter(|fs| fs.selects(res)).collect();
        for fs in selected {
            let make = || map_from(Vec::new(), &first);
            let create: Option<&dyn Fn() -> Node> = if fs.create { Some(&make) } else { None };
            visit_path(&mut res.node, &fs.path, create, &mut |target: &mut Node| {
                if target.as_map().is_none() && !target.is_null() {
                    return;
                }
                for (k, v) in pairs {
                    let new = as_string_node(v);
                    if let Some(old) = set_key(target, k, new)
                        && old.as_str() != v.as_str()
                    {
                        replaced.push(Replaced {
                            what: format!("{what} {k}"),
                            new: v.origin(),
                            old: old.origin(),
                            removed: None,
                        });
                    }
                }
            });
        }
    }
}

pub(crate) fn common_labels(
    resources: &mut [Res],
    pairs: &[(String, Node)],
    replaced: &mut Vec<Replaced>,
) {
    set_pairs(resources, pairs, &common_label_specs(), "label", replaced);
}

pub(crate) fn common_annotations(
    resources: &mut [Res],
    pairs: &[(String, Node)],
    replaced: &mut Vec<Replaced>,
) {
    set_pairs(
        resources,
        pairs,
        &common_annotation_specs(),
        "annotation",
        replaced,
    );
}

fn set_scalar(target: &mut Node, value: &Node, what: &str, replaced: &mut Vec<Replaced>) {
    if let Value::Scalar(_) = target.value {
        if !target.is_null() && target.as_str() != value.as_str() {
            replaced.push(Replaced {
                what: what.to_string(),
                new: value.origin(),
                old: target.origin(),
                removed: None,
            });
        }
        *target = as_string_node(value);
    }
}

/// `namespace:` — every namespaced object, Namespace objects' names, and the subjects named
/// `default` of role bindings (kustomize's `defaultOnly` mode).
pub(crate) fn namespace(
    resources: &mut [Res],
    ns: &Node,
    configured: &[FieldSpec],
    replaced: &mut Vec<Replaced>,
) {
    let make = || string_from("", ns);
    // The builtin field specs beyond `metadata.namespace`, then the configured ones.
    let mut specs: Vec<FieldSpec> = vec![
        FieldSpec::new(
            "APIService",
            "apiregistration.k8s.io",
            "spec/service/namespace",
            true,
        ),
        FieldSpec::new(
            "CustomResourceDefinition",
            "apiextensions.k8s.io",
            "spec/conversion/webhook/clientConfig/service/namespace",
            false,
        ),
    ];
    specs.extend(configured.iter().cloned());
    for res in resources.iter_mut() {
        let id = res.id();
        let before = res.id();
        let mut changed = false;
        if !is_cluster_scoped(&id.kind)
            && let Some(meta) = super::resource::ensure_map(&mut res.node, "metadata", ns)
        {
            let old = meta.get("namespace").cloned();
            if old.as_ref().and_then(Node::as_str) != ns.as_str() {
                changed = true;
            }
            if let Some(old) = old
                && !old.is_null()
                && old.as_str() != ns.as_str()
            {
                replaced.push(Replaced {
                    what: "namespace".into(),
                    new: ns.origin(),
                    old: old.origin(),
                    removed: None,
                });
            }
            set_key(meta, "namespace", as_string_node(ns));
        }
        let api = res
            .node
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        if id.kind == "Namespace" && api == "v1" {
            visit_path(
                &mut res.node,
                &split_path("metadata/name"),
                Some(&make),
                &mut |t| {
                    if t.as_str() != ns.as_str() {
                        changed = true;
                    }
                    set_scalar(t, ns, "namespace", replaced);
                },
            );
        }
        let selected: Vec<&FieldSpec> = specs.iter().filter(|fs| fs.selects(res)).collect();
        for fs in selected {
            visit_path(
                &mut res.node,
                &fs.path,
                fs.create.then_some(&make as &dyn Fn() -> Node),
                &mut |t| {
                    set_scalar(t, ns, "namespace", replaced);
                },
            );
        }
        if matches!(id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding")
            && let Some(Value::Seq(subjects)) =
                super::resource::get_mut(&mut res.node, "subjects").map(|n| &mut n.value)
        {
            for s in subjects {
                if s.get("name").and_then(Node::as_str) == Some("default") {
                    set_key(s, "namespace", as_string_node(ns));
                }
            }
        }
        if changed {
            res.previous.push(before);
        }
    }
}

/// `namePrefix` and `nameSuffix` on `metadata.name` (not on CRDs, APIServices, Namespaces).
pub(crate) fn prefix_suffix(
    resources: &mut [Res],
    prefix: Option<&Node>,
    suffix: Option<&Node>,
    replaced: &mut Vec<Replaced>,
) {
    for res in resources.iter_mut() {
        let id = res.original_id();
        if matches!(id.kind.as_str(), "CustomResourceDefinition" | "Namespace")
            || (id.kind == "APIService" && id.group == "apiregistration.k8s.io")
        {
            continue;
        }
        let Some(name_node) = res.node.at(&["metadata", "name"]).cloned() else {
            continue;
        };
        let name = name_node.as_str().unwrap_or("").to_string();
        let p = prefix.and_then(Node::as_str).unwrap_or("");
        let s = suffix.and_then(Node::as_str).unwrap_or("");
        let from = prefix.or(suffix);
        let Some(from) = from else { continue };
        res.store_previous();
        let new = string_from(format!("{p}{name}{s}"), from);
        if let Some(n) = super::resource::at_mut(&mut res.node, &["metadata", "name"]) {
            replaced.push(Replaced {
                what: "name".into(),
                new: from.origin(),
                old: name_node.origin(),
                removed: None,
            });
            *n = new;
        }
    }
}

/// `replicas:` — the count of every Deployment, ReplicationController, ReplicaSet and
/// StatefulSet with that name (current or original). An entry that matches nothing is an
/// error, as in kustomize.
pub(crate) fn replicas(
    resources: &mut [Res],
    name: &Node,
    count: &Node,
    replaced: &mut Vec<Replaced>,
) -> Result<(), String> {
    let want = name.as_str().unwrap_or("");
    let mut found = false;
    for res in resources.iter_mut() {
        let kind = res.kind().to_string();
        if !matches!(
            kind.as_str(),
            "Deployment" | "ReplicationController" | "ReplicaSet" | "StatefulSet"
        ) {
            continue;
        }
        if !res.all_ids().iter().any(|id| id.name == want) {
            continue;
        }
        found = true;
        let Some(spec) = super::resource::ensure_map(&mut res.node, "spec", count) else {
            continue;
        };
        let new = super::resource::scalar_at(
            count.as_i64().unwrap_or(0).to_string(),
            true,
            &count.file,
            count.span,
        );
        if let Some(old) = set_key(spec, "replicas", new)
            && old.as_i64() != count.as_i64()
        {
            replaced.push(Replaced {
                what: "replicas".into(),
                new: count.origin(),
                old: old.origin(),
                removed: None,
            });
        }
    }
    if found {
        Ok(())
    } else {
        Err(format!(
            "resource with name {want} does not match a config with the following GVK [Deployment.[noVer].[noGrp] ReplicationController.[noVer].[noGrp] ReplicaSet.[noVer].[noGrp] StatefulSet.[noVer].[noGrp]]"
        ))
    }
}

/// Splits an image reference as kustomize does: name, tag, digest.
pub(crate) fn split_image(image: &str) -> (String, String, String) {
    let (search_from, offset) = match image.find('/') {
        Some(i) if i > 0 => (&image[i..], i),
        _ => (image, 0),
    };
    let id = search_from.find('@');
    let ic = search_from.find(':');
    match (ic, id) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (ic, Some(d)) if ic.is_none_or(|c| d < c) => {
            let d = d + offset;
            (
                image[..d].to_string(),
                String::new(),
                image[d + 1..].to_string(),
            )
        }
        (Some(c), Some(d)) => {
            let (c, d) = (c + offset, d + offset);
            (
                image[..c].to_string(),
                image[c + 1..d].to_string(),
                image[d + 1..].to_string(),
            )
        }
        (Some(c), None) => {
            let c = c + offset;
            (
                image[..c].to_string(),
                image[c + 1..].to_string(),
                String::new(),
            )
        }
        (None, Some(_)) => unreachable!("covered by the digest arm"),
    }
}

/// kustomize's image matcher: the `name:` of an images entry is used as a regular
/// expression, anchored, followed by an optional tag and digest.
pub(crate) fn image_matcher(name: &str) -> Option<Regex> {
    Regex::new(&format!(
        "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$"
    ))
    .ok()
}

/// One `images:` entry on every container and init container image: kustomize's legacy
/// filter (every `containers`/`initContainers` list anywhere in an object, so CronJobs and
/// custom resources are covered) and its field list (the same paths) give the same result,
/// so one walk does both. The new image text points at the value that set it (`newTag`,
/// `digest`, `newName`, `tagSuffix`), and the replaced image is recorded.
pub(crate) fn images(resources: &mut [Res], img: &Image, replaced: &mut Vec<Replaced>) {
    let name = img.name.as_str().unwrap_or("");
    let Some(re) = image_matcher(name) else {
        return;
    };
    for res in resources.iter_mut() {
        if res.kind() == "CustomResourceDefinition" {
            continue;
        }
        walk_containers(
            &mut res.node,
            &mut |image: &mut Node| {
                update_image(image, img, &re, replaced);
            },
            0,
        );
    }
}

fn walk_containers(node: &mut Node, f: &mut dyn FnMut(&mut Node), depth: usize) {
    if depth > 300 {
        return;
    }
    match &mut node.value {
        Value::Map(entries) => {
            for e in entries.iter_mut() {
                walk_containers(&mut e.value, f, depth + 1);
                let key = e.key.as_str().unwrap_or("");
                if matches!(key, "containers" | "initContainers")
                    && let Value::Seq(items) = &mut e.value.value
                {
                    for c in items {
                        if let Some(image) = super::resource::get_mut(c, "image") {
                            f(image);
                        }
                    }
                }
            }
        }
        Value::Seq(items) => {
            for i in items {
                walk_containers(i, f, depth + 1);
            }
        }
        Value::Scalar(_) => {}
    }
}

fn update_image(image: &mut Node, img: &Image, re: &Regex, replaced: &mut Vec<Replaced>) {
    let Value::Scalar(s) = &image.value else {
        return;
    };
    let value = s.text.clone();
    if !re.is_match(&value) {
        return;
    }
    let (mut name, mut tag, mut digest) = split_image(&value);
    let text = |n: &Option<Node>| n.as_ref().and_then(Node::as_str).unwrap_or("").to_string();
    if let Some(n) = &img.new_name {
        name = n.as_str().unwrap_or("").to_string();
    }
    let (nt, dg, ts) = (text(&img.new_tag), text(&img.digest), text(&img.tag_suffix));
    if !nt.is_empty() && !dg.is_empty() {
        tag = nt;
        digest = dg;
    } else if !nt.is_empty() {
        tag = nt;
        digest.clear();
    } else if !dg.is_empty() {
        tag.clear();
        digest = dg;
    } else if !ts.is_empty() {
        tag.push_str(&ts);
        digest.clear();
    }
    let mut out = name;
    if !tag.is_empty() {
        out = format!("{out}:{tag}");
    }
    if !digest.is_empty() {
        out = format!("{out}@{digest}");
    }
    if out == value {
        return;
    }
    // The value that decided the new text: the tag or digest when set, else the name.
    let from = img
        .new_tag
        .as_ref()
        .or(img.digest.as_ref())
        .or(img.tag_suffix.as_ref())
        .or(img.new_name.as_ref())
        .unwrap_or(&img.name);
    replaced.push(Replaced {
        what: "image".into(),
        new: from.origin(),
        old: image.origin(),
        removed: None,
    });
    *image = string_from(out, from);
}

// ---- name references ----

/// Which kinds refer to objects of a kind, and where (paths below an object).
fn referrers(kind: &str) -> Vec<(&'static str, String)> {
    const POD_SPECS: &[(&str, &str)] = &[
        ("Pod", "spec"),
        ("PodTemplate", "template/spec"),
        ("Deployment", "spec/template/spec"),
        ("ReplicaSet", "spec/template/spec"),
        ("DaemonSet", "spec/template/spec"),
        ("StatefulSet", "spec/template/spec"),
        ("Job", "spec/template/spec"),
        ("ReplicationController", "spec/template/spec"),
        ("CronJob", "spec/jobTemplate/spec/template/spec"),
    ];
    let in_pods = |paths: &[&str]| -> Vec<(&'static str, String)> {
        POD_SPECS
            .iter()
            .flat_map(|(k, prefix)| paths.iter().map(move |p| (*k, format!("{prefix}/{p}"))))
            .collect()
    };
    match kind {
        "ConfigMap" => in_pods(&[
            "volumes/configMap/name",
            "containers/env/valueFrom/configMapKeyRef/name",
            "initContainers/env/valueFrom/configMapKeyRef/name",
            "containers/envFrom/configMapRef/name",
            "initContainers/envFrom/configMapRef/name",
            "volumes/projected/sources/configMap/name",
        ]),
        "Secret" => {
            let mut v = in_pods(&[
                "volumes/secret/secretName",
                "containers/env/valueFrom/secretKeyRef/name",
                "initContainers/env/valueFrom/secretKeyRef/name",
                "containers/envFrom/secretRef/name",
                "initContainers/envFrom/secretRef/name",
                "imagePullSecrets/name",
                "volumes/projected/sources/secret/name",
            ]);
            v.push(("Ingress", "spec/tls/secretName".into()));
            v.push(("ServiceAccount", "imagePullSecrets/name".into()));
            v
        }
        "ServiceAccount" => {
            let mut v = in_pods(&["serviceAccountName"]);
            v.push(("RoleBinding", "subjects/name".into()));
            v.push(("ClusterRoleBinding", "subjects/name".into()));
            v
        }
        "PersistentVolumeClaim" => in_pods(&["volumes/persistentVolumeClaim/claimName"]),
        "PriorityClass" => in_pods(&["priorityClassName"]),
        "Service" => vec![
            ("StatefulSet", "spec/serviceName".into()),
            (
                "Ingress",
                "spec/rules/http/paths/backend/service/name".into(),
            ),
            ("Ingress", "spec/defaultBackend/service/name".into()),
            (
                "Ingress",
                "spec/rules/http/paths/backend/serviceName".into(),
            ),
            ("Ingress", "spec/backend/serviceName".into()),
            ("APIService", "spec/service/name".into()),
            // A map referral (see `MAP_REFERRALS`): the `service` map's name and namespace.
            (
                "ValidatingWebhookConfiguration",
                "webhooks/clientConfig/service/name".into(),
            ),
            (
                "MutatingWebhookConfiguration",
                "webhooks/clientConfig/service/name".into(),
            ),
        ],
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" => {
            vec![("HorizontalPodAutoscaler", "spec/scaleTargetRef/name".into())]
        }
        "Role" => vec![("RoleBinding", "roleRef/name".into())],
        "ClusterRole" => vec![
            ("RoleBinding", "roleRef/name".into()),
            ("ClusterRoleBinding", "roleRef/name".into()),
        ],
        _ => Vec::new(),
    }
}

/// References kustomize reads as a map of `name` and `namespace` (its nameref `setMapping`):
/// the referred object's namespace is written beside its name, not only the name. Paths are
/// those of [`referrers`] (the map's `name`).
const MAP_REFERRALS: &[(&str, &str)] = &[
    ("ServiceAccount", "subjects/name"),
    ("Service", "webhooks/clientConfig/service/name"),
];

const REFERRED_KINDS: &[&str] = &[
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "PersistentVolumeClaim",
    "PriorityClass",
    "Service",
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "Role",
    "ClusterRole",
];

/// Renames references to objects whose name changed (prefix, suffix, hash): a reference
/// holding an old name of exactly one object of the referred kind in the referrer's
/// namespace takes that object's current name. The new value points where the name was set.
pub(crate) fn fix_name_references(
    resources: &mut [Res],
    configured: &[(String, String, Vec<FieldSpec>)],
    replaced: &mut Vec<Replaced>,
) {
    struct Renamed {
        kind: String,
        old_names: Vec<String>,
        namespace: String,
        /// The namespace it was first read with (kustomize's original namespace).
        original_namespace: String,
        /// Its `metadata.namespace` as written now, when it has one.
        explicit_namespace: Option<Node>,
        cluster: bool,
        name: Node,
    }
    let mut renamed: Vec<Renamed> = Vec::new();
    for r in resources.iter() {
        let kind = r.kind().to_string();
        let referred = REFERRED_KINDS.contains(&kind.as_str())
            || configured.iter().any(|(k, _, _)| *k == kind);
        if !referred || r.previous.is_empty() {
            continue;
        }
        let Some(name) = r.node.at(&["metadata", "name"]).cloned() else {
            continue;
        };
        let id = r.id();
        renamed.push(Renamed {
            kind: kind.clone(),
            old_names: r.previous.iter().map(|p| p.name.clone()).collect(),
            namespace: id.effective_namespace().to_string(),
            original_namespace: r.original_id().effective_namespace().to_string(),
            explicit_namespace: r
                .node
                .at(&["metadata", "namespace"])
                .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
                .cloned(),
            cluster: is_cluster_scoped(&kind),
            name,
        });
    }
    if renamed.is_empty() {
        return;
    }
    // Where each referred kind is named: the builtin list, then the configured one.
    struct Ref {
        kind: String,
        at: FieldSpec,
        /// A builtin map referral (`MAP_REFERRALS`): the path's parent is the map.
        map_parent: bool,
    }
    let mut refs: Vec<Ref> = Vec::new();
    for kind in REFERRED_KINDS {
        for (k, path) in referrers(kind) {
            refs.push(Ref {
                kind: kind.to_string(),
                at: FieldSpec::new(k, "", &path, false),
                map_parent: MAP_REFERRALS.contains(&(*kind, path.as_str())),
            });
        }
    }
    for (kind, _, specs) in configured {
        for fs in specs.iter().filter(|fs| !fs.path.is_empty()) {
            refs.push(Ref {
                kind: kind.clone(),
                at: fs.clone(),
                map_parent: false,
            });
        }
    }
    for res in resources.iter_mut() {
        let referrer_kind = res.kind().to_string();
        let ns = res.id().effective_namespace().to_string();
        let referrer_cluster = is_cluster_scoped(&referrer_kind);
        let selected: Vec<&Ref> = refs.iter().filter(|r| r.at.selects(res)).collect();
        for r in selected {
            let kind = r.kind.as_str();
            let (parent_path, last) = r.at.path.split_at(r.at.path.len() - 1);
            visit_path(
                &mut res.node,
                parent_path,
                None,
                &mut |parent: &mut Node| {
                    // A map referral is matched by name and namespace alone: kustomize
                    // renames a `User` subject named as a renamed ServiceAccount too.
                    if r.map_parent {
                        fix_map_reference(parent, kind, &referrer_kind, &ns, &renamed, replaced);
                        return;
                    }
                    if let Some(pk) = parent.get("kind").and_then(Node::as_str)
                        && pk != kind
                    {
                        return;
                    }
                    let subject_ns = parent
                        .get("namespace")
                        .and_then(Node::as_str)
                        .map(str::to_string);
                    let key = last[0].trim_end_matches("[]");
                    let Some(target) = super::resource::get_mut(parent, key) else {
                        return;
                    };
                    let mut fix = |t: &mut Node| {
                        let Some(value) = t.as_str().map(str::to_string) else {
                            return;
                        };
                        let want_ns = subject_ns.clone().unwrap_or_else(|| ns.clone());
                        let candidates: Vec<&Renamed> = renamed
                            .iter()
                            .filter(|r| r.kind == kind && r.old_names.contains(&value))
                            // kustomize's `sameCurrentNamespaceAsReferrer`: any object for a
                            // cluster-scoped referrer; cluster-scoped objects and service
                            // accounts for any; otherwise only the referrer's namespace.
                            .filter(|r| {
                                referrer_cluster
                                    || r.cluster
                                    || r.kind == "ServiceAccount"
                                    || r.namespace == want_ns
                            })
                            .collect();
                        let Some(first) = candidates.first() else {
                            return;
                        };
                        let new = first.name.as_str().unwrap_or("");
                        if candidates
                            .iter()
                            .any(|c| c.name.as_str().unwrap_or("") != new)
                            || new == value
                        {
                            return;
                        }
                        replaced.push(Replaced {
                            what: format!("reference to {kind} {value}"),
                            new: first.name.origin(),
                            old: t.origin(),
                            removed: None,
                        });
                        *t = string_from(new, &first.name);
                    };
                    match &mut target.value {
                        Value::Seq(items) => items.iter_mut().for_each(&mut fix),
                        Value::Scalar(_) => fix(target),
                        // A configured path to a map (`webhooks/clientConfig/service`): the
                        // map's name and namespace, as kustomize's `setMapping`.
                        Value::Map(_) => {
                            fix_map_reference(target, kind, &referrer_kind, &ns, &renamed, replaced)
                        }
                    }
                },
            );
        }
    }

    /// kustomize's `setMapping`: the candidates are the objects of `kind` once named as the
    /// map's `name`, in the map's namespace when it gives one (first as they were read, then as
    /// they are now); one of them, or several alike, is the referral. Its name is written, and
    /// its namespace when it has one.
    fn fix_map_reference(
        map: &mut Node,
        kind: &str,
        referrer_kind: &str,
        referrer_ns: &str,
        renamed: &[Renamed],
        replaced: &mut Vec<Replaced>,
    ) {
        let Some(value) = map.get("name").and_then(Node::as_str).map(str::to_string) else {
            return;
        };
        let named = |r: &&Renamed| r.kind == kind && r.old_names.contains(&value);
        let mut candidates: Vec<&Renamed> = match map.get("namespace").and_then(Node::as_str) {
            None => renamed.iter().filter(named).collect(),
            Some(want) => {
                let first: Vec<&Renamed> = renamed
                    .iter()
                    .filter(named)
                    .filter(|r| r.original_namespace == want)
                    .collect();
                if first.is_empty() {
                    renamed
                        .iter()
                        .filter(named)
                        .filter(|r| r.namespace == want)
                        .collect()
                } else {
                    first
                }
            }
        };
        // Only objects the referrer can see: any from a cluster-scoped referrer; service
        // accounts from any namespace; otherwise its own namespace.
        if !is_cluster_scoped(referrer_kind) {
            candidates
                .retain(|r| r.cluster || r.kind == "ServiceAccount" || r.namespace == referrer_ns);
        }
        let Some(first) = candidates.first() else {
            return;
        };
        let explicit = |r: &Renamed| {
            r.explicit_namespace
                .as_ref()
                .and_then(Node::as_str)
                .map(str::to_string)
        };
        if candidates
            .iter()
            .any(|c| c.name.as_str() != first.name.as_str() || explicit(c) != explicit(first))
        {
            return;
        }
        let new = first.name.as_str().unwrap_or("").to_string();
        if new == value && first.explicit_namespace.is_none() {
            return;
        }
        if new != value
            && let Some(t) = super::resource::get_mut(map, "name")
        {
            replaced.push(Replaced {
                what: format!("reference to {kind} {value}"),
                new: first.name.origin(),
                old: t.origin(),
                removed: None,
            });
            *t = string_from(new, &first.name);
        }
        if let Some(ns) = &first.explicit_namespace {
            if let Some(old) = map.get("namespace")
                && !old.is_null()
                && old.as_str() != ns.as_str()
            {
                replaced.push(Replaced {
                    what: format!("namespace of the reference to {kind} {value}"),
                    new: ns.origin(),
                    old: old.origin(),
                    removed: None,
                });
            }
            set_key(map, "namespace", as_string_node(ns));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split_as_kustomize_splits_them() {
        let s = |i: &str| split_image(i);
        assert_eq!(s("nginx"), ("nginx".into(), "".into(), "".into()));
        assert_eq!(s("nginx:1.2"), ("nginx".into(), "1.2".into(), "".into()));
        assert_eq!(
            s("localhost:5000/app:v1"),
            ("localhost:5000/app".into(), "v1".into(), "".into())
        );
        assert_eq!(
            s("ghcr.io/a/b@sha256:abc"),
            ("ghcr.io/a/b".into(), "".into(), "sha256:abc".into())
        );
        assert_eq!(
            s("ghcr.io/a/b:1@sha256:abc"),
            ("ghcr.io/a/b".into(), "1".into(), "sha256:abc".into())
        );
    }

    #[test]
    fn image_names_match_with_tags_and_digests_only() {
        let re = image_matcher("ghcr.io/x/publisher").unwrap();
        assert!(re.is_match("ghcr.io/x/publisher"));
        assert!(re.is_match("ghcr.io/x/publisher:1.2.3"));
        assert!(re.is_match("ghcr.io/x/publisher@sha256:0af"));
        assert!(!re.is_match("ghcr.io/x/publisher-api:1"));
        assert!(!re.is_match("docker.io/ghcr.io/x/publisher"));
        assert!(image_matcher("a(").is_none());
    }

    #[test]
    fn paths_split_with_escapes() {
        assert_eq!(
            split_path("metadata/annotations/a.io\\/b"),
            ["metadata", "annotations", "a.io/b"]
        );
        assert_eq!(
            split_path("spec/containers[]/image"),
            ["spec", "containers[]", "image"]
        );
    }
}
