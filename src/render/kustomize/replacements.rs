//! `replacements:` — copy a value from one object (`source` with a `fieldPath`, by default
//! `metadata.name`) into fields of others (`targets` with `select`, `reject`, `fieldPaths`,
//! and `options`: `delimiter`/`index` to replace one part of a string, `create` to make a
//! missing field). Field paths are kustomize's: dot-separated keys, `[key=value]` to pick
//! a list element, a number for a list index, `*` for every element.
//!
//! The copied value keeps the source's origin, and the replaced one is recorded.

use crate::parse::yaml::{Node, Value};

use super::Replaced;
use super::reader::Reader;
use super::resource::{Res, map_from, seq_from, set_key, string_from};
use super::select::Selector;

#[derive(Debug, Clone, Default)]
struct Options {
    delimiter: Option<String>,
    index: i64,
    create: bool,
}

#[derive(Debug)]
struct Target {
    select: Option<Selector>,
    reject: Vec<Selector>,
    field_paths: Vec<String>,
    options: Options,
}

#[derive(Debug)]
pub(crate) struct Replacement {
    source: Selector,
    field_path: String,
    options: Options,
    targets: Vec<Target>,
    at: Node,
}

fn read_options(r: &mut Reader<'_>, node: &Node) -> Options {
    let mut o = Options::default();
    for (f, v) in r.fields(node, &["delimiter", "index", "create", "encoding"]) {
        match f {
            "delimiter" => {
                o.delimiter = r.string(v, f).and_then(|n| n.as_str().map(str::to_string))
            }
            "index" => o.index = v.as_i64().unwrap_or(0),
            "create" => o.create = r.boolean(v, f).unwrap_or(false),
            _ => {}
        }
    }
    o
}

/// Reads one replacement (already loaded from a file when given by `path:`).
pub(crate) fn read(r: &mut Reader<'_>, node: &Node) -> Option<Replacement> {
    let mut rep = Replacement {
        source: Selector::default(),
        field_path: "metadata.name".into(),
        options: Options::default(),
        targets: Vec::new(),
        at: node.clone(),
    };
    let mut has_source = false;
    for (f, v) in r.fields(node, &["source", "targets"]) {
        if f == "source" {
            has_source = true;
            let mut sel = Selector {
                at: Some(v.clone()),
                ..Default::default()
            };
            for (sf, sv) in r.fields(
                v,
                &[
                    "group",
                    "version",
                    "kind",
                    "name",
                    "namespace",
                    "fieldPath",
                    "options",
                ],
            ) {
                if sf == "options" {
                    rep.options = read_options(r, sv);
                    continue;
                }
                let s = r
                    .string(sv, sf)
                    .and_then(|n| n.as_str().map(str::to_string))
                    .unwrap_or_default();
                match sf {
                    "group" => sel.group = s,
                    "version" => sel.version = s,
                    "kind" => sel.kind = s,
                    "name" => sel.name = s,
                    "namespace" => sel.namespace = s,
                    _ => {
                        if !s.is_empty() {
                            rep.field_path = s;
                        }
                    }
                }
            }
            rep.source = sel;
        } else {
            for t in r.seq(v, "targets", "types.TargetSelector") {
                let mut target = Target {
                    select: None,
                    reject: Vec::new(),
                    field_paths: Vec::new(),
                    options: Options::default(),
                };
                for (tf, tv) in r.fields(t, &["select", "reject", "fieldPaths", "options"]) {
                    match tf {
                        "select" => target.select = Selector::read(r, tv),
                        "reject" => {
                            for rj in r.seq(tv, "reject", "types.Selector") {
                                if let Some(s) = Selector::read(r, rj) {
                                    target.reject.push(s);
                                }
                            }
                        }
                        "fieldPaths" => {
                            target.field_paths = r
                                .strings(tv, "fieldPaths")
                                .iter()
                                .filter_map(|n| n.as_str().map(str::to_string))
                                .collect();
                        }
                        _ => target.options = read_options(r, tv),
                    }
                }
                rep.targets.push(target);
            }
        }
    }
    has_source.then_some(rep)
}

/// Splits `a.b[name=x].c` into segments, keeping dots inside brackets, as kustomize's
/// `SmarterPathSplitter` does: a bracketed segment without `=` is a plain key
/// (`metadata.annotations.[cert-manager.io/inject-ca-from]`), and `\.` is a dot in a key.
pub(crate) fn split_field_path(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    let close = |cur: &mut String, out: &mut Vec<String>| {
        let seg = std::mem::take(cur);
        match seg.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(key) if !seg.contains('=') => out.push(key.to_string()),
            _ => out.push(seg),
        }
    };
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if depth == 0 && chars.peek() == Some(&'.') => {
                cur.push('.');
                chars.next();
            }
            '[' => {
                if depth == 0 && !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                depth += 1;
                cur.push(c);
            }
            ']' => {
                depth -= i32::from(depth > 0);
                cur.push(c);
                if depth == 0 {
                    close(&mut cur, &mut out);
                }
            }
            '.' if depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(crate) fn lookup<'a>(node: &'a Node, segs: &[String]) -> Option<&'a Node> {
    let Some((first, rest)) = segs.split_first() else {
        return Some(node);
    };
    let next = match &node.value {
        Value::Map(_) => node.get(first)?,
        Value::Seq(items) => {
            if let Some(sel) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                let (k, v) = sel.split_once('=')?;
                items
                    .iter()
                    .find(|i| i.get(k).and_then(Node::as_str) == Some(v))?
            } else {
                items.get(first.parse::<usize>().ok()?)?
            }
        }
        Value::Scalar(_) => return None,
    };
    lookup(next, rest)
}

/// Calls `f` on every node at the path; creates missing mappings (and list elements for
/// `[k=v]`) when `create`. Returns whether anything was found.
fn visit(
    node: &mut Node,
    segs: &[String],
    create: bool,
    from: &Node,
    f: &mut dyn FnMut(&mut Node),
) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        f(node);
        return true;
    };
    if node.is_null() && create {
        *node = if first.starts_with('[') {
            seq_from(Vec::new(), from)
        } else {
            map_from(Vec::new(), from)
        };
    }
    match &mut node.value {
        Value::Map(_) => {
            if first == "*" {
                let Value::Map(entries) = &mut node.value else {
                    return false;
                };
                let mut any = false;
                for e in entries.iter_mut() {
                    any |= visit(&mut e.value, rest, create, from, f);
                }
                return any;
            }
            if node.get(first).is_none() {
                if !create {
                    return false;
                }
                let made = if rest.first().is_some_and(|s| s.starts_with('[')) {
                    seq_from(Vec::new(), from)
                } else if rest.is_empty() {
                    string_from("", from)
                } else {
                    map_from(Vec::new(), from)
                };
                set_key(node, first, made);
            }
            match super::resource::get_mut(node, first) {
                Some(child) => visit(child, rest, create, from, f),
                None => false,
            }
        }
        Value::Seq(items) => {
            if first == "*" {
                let mut any = false;
                for i in items.iter_mut() {
                    any |= visit(i, rest, create, from, f);
                }
                return any;
            }
            if let Some(sel) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                let Some((k, v)) = sel.split_once('=') else {
                    return false;
                };
                let pos = items
                    .iter()
                    .position(|i| i.get(k).and_then(Node::as_str) == Some(v));
                let i = match pos {
                    Some(i) => i,
                    None if create => {
                        items.push(map_from(
                            vec![super::resource::entry(k, string_from(v, from))],
                            from,
                        ));
                        items.len() - 1
                    }
                    None => return false,
                };
                return visit(&mut items[i], rest, create, from, f);
            }
            match first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(item) => visit(item, rest, create, from, f),
                None => false,
            }
        }
        Value::Scalar(_) => false,
    }
}

/// Applies the replacements in order to the objects.
pub(crate) fn apply(
    resources: &mut [Res],
    reps: &[Replacement],
    replaced: &mut Vec<Replaced>,
) -> Result<(), (String, Node)> {
    for rep in reps {
        let compiled = rep.source.compile().map_err(|e| (e, rep.at.clone()))?;
        let sources: Vec<&Res> = resources.iter().filter(|r| compiled.matches(r)).collect();
        let source = match sources.as_slice() {
            [one] => *one,
            [] => {
                return Err((
                    format!("nothing selected by {}", rep.source.describe()),
                    rep.source.at.clone().unwrap_or_else(|| rep.at.clone()),
                ));
            }
            _ => {
                return Err((
                    format!("multiple matches for selector {}", rep.source.describe()),
                    rep.source.at.clone().unwrap_or_else(|| rep.at.clone()),
                ));
            }
        };
        let segs = split_field_path(&rep.field_path);
        let Some(mut value) = lookup(&source.node, &segs).cloned() else {
            return Err((
                format!(
                    "fieldPath `{}` is missing for replacement source {}",
                    rep.field_path,
                    source.id()
                ),
                rep.at.clone(),
            ));
        };
        if let Some(d) = &rep.options.delimiter
            && let Some(text) = value.as_str()
        {
            let parts: Vec<&str> = text.split(d.as_str()).collect();
            let i = usize::try_from(rep.options.index)
                .ok()
                .filter(|i| *i < parts.len());
            let Some(i) = i else {
                return Err(("options.index out of bounds".into(), rep.at.clone()));
            };
            value = string_from(parts[i], &value);
        }
        for t in &rep.targets {
            let select = match &t.select {
                Some(s) => Some(s.compile().map_err(|e| (e, rep.at.clone()))?),
                None => None,
            };
            let rejects = t
                .reject
                .iter()
                .map(Selector::compile)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| (e, rep.at.clone()))?;
            for res in resources.iter_mut() {
                if !select.as_ref().is_some_and(|s| s.matches(res))
                    || rejects.iter().any(|r| r.matches(res))
                {
                    continue;
                }
                for fp in &t.field_paths {
                    let segs = split_field_path(fp);
                    let id = res.id();
                    let found = visit(
                        &mut res.node,
                        &segs,
                        t.options.create,
                        &value,
                        &mut |target: &mut Node| {
                            let text = match (&t.options.delimiter, target.as_str(), value.as_str())
                            {
                                (Some(d), Some(old), Some(v)) => {
                                    let mut parts: Vec<String> =
                                        old.split(d.as_str()).map(str::to_string).collect();
                                    match usize::try_from(t.options.index) {
                                        Err(_) => parts.insert(0, v.to_string()),
                                        Ok(i) if i < parts.len() => parts[i] = v.to_string(),
                                        Ok(_) => parts.push(v.to_string()),
                                    }
                                    Some(parts.join(d))
                                }
                                _ => value.as_str().map(str::to_string),
                            };
                            // A scalar target keeps its own type and takes the text (kustomize
                            // sets the node's value and keeps its tag): a string stays a
                            // string (`false`, or an empty text, written quoted); anything
                            // else takes the source node.
                            let new = match (&target.value, text) {
                                (Value::Scalar(s), Some(text)) => Node {
                                    value: Value::Scalar({
                                        let was_string =
                                            super::resource::scalar_json(s).is_string();
                                        let mut n = crate::parse::yaml::Scalar {
                                            text,
                                            plain: s.plain,
                                        };
                                        if was_string
                                            && !super::resource::scalar_json(&n).is_string()
                                        {
                                            n.plain = false;
                                        }
                                        n
                                    }),
                                    span: value.span,
                                    file: std::sync::Arc::clone(&value.file),
                                },
                                _ => value.clone(),
                            };
                            if !target.is_null() && target.as_str() != new.as_str() {
                                replaced.push(Replaced {
                                    what: format!("replacement {fp}"),
                                    new: value.origin(),
                                    old: target.origin(),
                                    removed: None,
                                });
                            }
                            *target = new;
                        },
                    );
                    if !found {
                        return Err((
                            format!("unable to find field \"{fp}\" in replacement target {id}"),
                            rep.at.clone(),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_split_outside_brackets() {
        assert_eq!(
            split_field_path("spec.template.spec.containers.[name=a.b].image"),
            [
                "spec",
                "template",
                "spec",
                "containers",
                "[name=a.b]",
                "image"
            ]
        );
        assert_eq!(split_field_path("a.0.b"), ["a", "0", "b"]);
        // A bracketed key without `=` is the key itself; `\.` is a dot in a key.
        assert_eq!(
            split_field_path("metadata.annotations.[cert-manager.io/inject-ca-from]"),
            ["metadata", "annotations", "cert-manager.io/inject-ca-from"]
        );
        assert_eq!(
            split_field_path("spec.ports.[0].port"),
            ["spec", "ports", "0", "port"]
        );
        assert_eq!(
            split_field_path("metadata.labels.app\\.kubernetes\\.io/name"),
            ["metadata", "labels", "app.kubernetes.io/name"]
        );
    }
}
