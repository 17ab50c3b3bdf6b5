//! `vars:` — kustomize's variables: `$(NAME)` in the fields of kustomize's builtin
//! `varReference` list becomes the value of a field (`fieldref.fieldPath`, by default
//! `metadata.name`) of the object `objref` names. Deprecated in favour of `replacements`,
//! but kustomize v5.4.2 still builds them, and kubebuilder scaffolds and kubeflow use them.
//!
//! Ported from kustomize v5.4.2 (no crate implements it): `api/types/var.go` (reading and
//! merging, a name declared twice anywhere in the build is an error),
//! `api/internal/accumulator` (`MergeVars` marks the one object each var names among the
//! objects of its kustomization, by any of its ids; `ResolveVars` runs once, at the end of
//! the root, after the hash suffixes and name references), `api/filters/refvar` (the
//! `$(NAME)` expansion: `$$` is `$`, an unknown name stays as written, a field that is
//! exactly `$(NAME)` takes the value's type) and `builtinpluginconsts/varreference.go`.

use crate::parse::yaml::{Node, Value};

use super::Replaced;
use super::kustomization::Var;
use super::reader::FieldSpec;
use super::replacements::{lookup, split_field_path};
use super::resource::{Res, ResId, is_cluster_scoped, scalar_at, scalar_json, string_from};

/// kustomize's `MergeVars` for one kustomization: the one object of `acc` each var names (by
/// any of its ids) is marked with the var's name. Several objects named alike are an error.
pub(crate) fn mark(vars: &[Var], acc: &mut [Res]) -> Result<(), (String, Node)> {
    for v in vars {
        let t = &v.target;
        let strict = !t.namespace.is_empty() || is_cluster_scoped(&t.kind);
        let matches = |id: &ResId| {
            id.group == t.group
                && id.version == t.version
                && id.kind == t.kind
                && id.name == t.name
                && (!strict || id.effective_namespace() == t.effective_namespace())
        };
        let found: Vec<usize> = acc
            .iter()
            .enumerate()
            .filter(|(_, r)| r.all_ids().iter().any(matches))
            .map(|(i, _)| i)
            .collect();
        match found.as_slice() {
            [] => {}
            [one] => acc[*one].vars.push(v.name.clone()),
            many => {
                return Err((
                    format!(
                        "found {} resId matches for var {} (unable to disambiguate)",
                        many.len(),
                        describe(v)
                    ),
                    v.at.clone(),
                ));
            }
        }
    }
    Ok(())
}

/// How kustomize prints a var in its errors (Go's `%v` of the struct: the object reference
/// prints as its embedded group-version-kind).
pub(crate) fn describe(v: &Var) -> String {
    format!("{{{} {} {{{}}}}}", v.name, v.target.gvk(), v.field_path)
}

/// A var's value, as kustomize's `MakePrimitiveReplacer` uses it.
enum Found {
    /// A string: written as it is.
    Text(String, Node),
    /// A number or boolean: a field that is exactly `$(NAME)` takes it untyped (plain).
    Plain(String, Node),
    /// A map, a list or null: `$(NAME)` stays as written.
    Unusable,
}

/// kustomize's `ResolveVars`: each var's value read from the object it marked, then every
/// `$(NAME)` in the varReference fields replaced. Errors are kustomize's.
pub(crate) fn resolve(
    vars: &[Var],
    configured: &[FieldSpec],
    acc: &mut [Res],
    replaced: &mut Vec<Replaced>,
) -> Result<(), (String, Node)> {
    if vars.is_empty() {
        return Ok(());
    }
    let mut values: Vec<(&str, Found)> = Vec::with_capacity(vars.len());
    for v in vars {
        let Some(res) = acc.iter().find(|r| r.vars.contains(&v.name)) else {
            return Err((
                format!(
                    "var '{}' cannot be mapped to a field in the set of known resources",
                    describe(v)
                ),
                v.at.clone(),
            ));
        };
        // kyaml's field paths: `spec.ports[0].port` as well as `spec.ports.0.port`.
        let segs: Vec<String> = split_field_path(&v.field_path)
            .into_iter()
            .map(
                |s| match s.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                    Some(i) if i.parse::<usize>().is_ok() => i.to_string(),
                    _ => s,
                },
            )
            .collect();
        let Some(node) = lookup(&res.node, &segs) else {
            return Err((
                format!(
                    "field specified in var '{}' not found in corresponding resource",
                    describe(v)
                ),
                v.at.clone(),
            ));
        };
        let found = match &node.value {
            Value::Scalar(s) => match scalar_json(s) {
                serde_json::Value::String(t) => Found::Text(t, node.clone()),
                serde_json::Value::Null => Found::Unusable,
                other => Found::Plain(other.to_string(), node.clone()),
            },
            _ => Found::Unusable,
        };
        values.push((v.name.as_str(), found));
    }
    let mut specs = var_references();
    specs.extend(configured.iter().cloned());
    for res in acc.iter_mut() {
        let selected: Vec<&FieldSpec> = specs.iter().filter(|fs| fs.selects(res)).collect();
        for fs in selected {
            super::transformers::visit_path(&mut res.node, &fs.path, None, &mut |t| match &mut t
                .value
            {
                Value::Map(entries) => {
                    for e in entries.iter_mut() {
                        expand_node(&mut e.value, &values, replaced);
                    }
                }
                Value::Scalar(_) => expand_node(t, &values, replaced),
                Value::Seq(_) => {}
            });
        }
    }
    Ok(())
}

/// Expands `$(NAME)` in one string scalar (kustomize's `DoReplacements`).
fn expand_node(t: &mut Node, values: &[(&str, Found)], replaced: &mut Vec<Replaced>) {
    let Value::Scalar(s) = &t.value else { return };
    if !scalar_json(s).is_string() || !s.text.contains('$') {
        return;
    }
    let input = s.text.clone();
    let mut out = String::new();
    let mut used: Vec<&Node> = Vec::new();
    let mut cursor = 0;
    let mut checkpoint = 0;
    let bytes = input.as_bytes();
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(close) => {
                        let name = &rest[1..1 + close];
                        let found = match values.iter().find(|(n, _)| *n == name) {
                            Some((_, Found::Text(v, from))) => Some((v, from, false)),
                            Some((_, Found::Plain(v, from))) => Some((v, from, true)),
                            _ => None,
                        };
                        match found {
                            Some((v, from, plain)) => {
                                // The whole field is `$(NAME)`: it takes the value, typed.
                                if input.len() == name.len() + 3 {
                                    replaced.push(Replaced {
                                        what: format!("var {name}"),
                                        new: from.origin(),
                                        old: t.origin(),
                                        removed: None,
                                    });
                                    *t = if plain {
                                        scalar_at(v.clone(), true, &from.file, from.span)
                                    } else {
                                        string_from(v.clone(), from)
                                    };
                                    return;
                                }
                                out.push_str(v);
                                used.push(from);
                            }
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        close + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // `$x`: kept, and the cursor moves past the `$` and the next character
                    // (kustomize reads it byte-wise; a multi-byte character is kept whole).
                    let c = rest.chars().next().map_or(1, char::len_utf8);
                    out.push('$');
                    out.push_str(&rest[..c]);
                    c
                }
            };
            cursor += 1 + advance;
            checkpoint = cursor;
        } else {
            cursor += 1;
        }
    }
    out.push_str(&input[checkpoint..]);
    if out == input {
        return;
    }
    for from in used {
        replaced.push(Replaced {
            what: "var".into(),
            new: from.origin(),
            old: t.origin(),
            removed: None,
        });
    }
    *t = string_from(out, t);
}

/// kustomize v5.4.2's builtin `varReference` field specs.
fn var_references() -> Vec<FieldSpec> {
    const POD: &[&str] = &[
        "containers/args",
        "containers/command",
        "containers/env/value",
        "containers/volumeMounts/mountPath",
        "initContainers/args",
        "initContainers/command",
        "initContainers/env/value",
        "initContainers/volumeMounts/mountPath",
    ];
    const WORKLOADS: &[(&str, &str, &str)] = &[
        // (kind, pod spec, where its volumes' nfs servers are)
        (
            "CronJob",
            "spec/jobTemplate/spec/template/spec",
            "spec/jobTemplate/spec/template/volumes/nfs/server",
        ),
        (
            "DaemonSet",
            "spec/template/spec",
            "spec/template/spec/volumes/nfs/server",
        ),
        (
            "Deployment",
            "spec/template/spec",
            "spec/template/spec/volumes/nfs/server",
        ),
        (
            "Job",
            "spec/template/spec",
            "spec/template/spec/volumes/nfs/server",
        ),
        ("Pod", "spec", "spec/volumes/nfs/server"),
        (
            "ReplicaSet",
            "spec/template/spec",
            "spec/template/spec/volumes/nfs/server",
        ),
        (
            "StatefulSet",
            "spec/template/spec",
            "spec/volumeClaimTemplates/spec/nfs/server",
        ),
    ];
    let mut out = Vec::new();
    for (kind, spec, nfs) in WORKLOADS {
        for p in POD {
            out.push(FieldSpec::new(kind, "", &format!("{spec}/{p}"), false));
        }
        out.push(FieldSpec::new(kind, "", nfs, false));
    }
    out.push(FieldSpec::new(
        "Deployment",
        "",
        "spec/template/metadata/annotations",
        false,
    ));
    out.push(FieldSpec::new("Ingress", "", "spec/rules/host", false));
    out.push(FieldSpec::new("Ingress", "", "spec/tls/hosts", false));
    out.push(FieldSpec::new("Ingress", "", "metadata/annotations", false));
    out.push(FieldSpec::new("Service", "", "spec/ports/port", false));
    out.push(FieldSpec::new(
        "Service",
        "",
        "spec/ports/targetPort",
        false,
    ));
    out.push(FieldSpec::new(
        "PersistentVolume",
        "",
        "spec/nfs/server",
        false,
    ));
    out.push(FieldSpec::new("", "", "metadata/labels", false));
    out.push(FieldSpec::new("", "", "metadata/annotations", false));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_kustomize() {
        let file = std::sync::Arc::new(crate::source::SourceFile::in_memory(
            "v.yaml",
            crate::source::Format::Kubernetes,
            "a: x\n",
        ));
        let src = scalar_at("db", false, &file, crate::source::Span::new(0, 1));
        let port = scalar_at("3306", true, &file, crate::source::Span::new(0, 1));
        let values = vec![
            ("DB", Found::Text("db".into(), src.clone())),
            ("PORT", Found::Plain("3306".into(), port.clone())),
            ("MAP", Found::Unusable),
        ];
        let run = |text: &str| {
            let mut n = string_from(text, &src);
            let mut replaced = Vec::new();
            expand_node(&mut n, &values, &mut replaced);
            let Value::Scalar(s) = &n.value else { panic!() };
            (s.text.clone(), s.plain)
        };
        assert_eq!(run("$(DB)").0, "db");
        assert_eq!(run("$(PORT)"), ("3306".into(), true));
        assert_eq!(run("host $(DB):$(PORT)"), ("host db:3306".into(), false));
        assert_eq!(
            run("$$(DB) $(NONE) $(MAP) $x $( $"),
            ("$(DB) $(NONE) $(MAP) $x $( $".into(), false)
        );
        assert_eq!(run("é$é$(DB"), ("é$é$(DB".into(), false));
    }
}
