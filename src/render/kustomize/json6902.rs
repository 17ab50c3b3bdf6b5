//! JSON patches (RFC 6902: `add`, `remove`, `replace`, `move`, `copy`, `test`; JSON
//! pointers of RFC 6901 with `~0`/`~1` escapes and `-` for the end of an array), applied as
//! kustomize applies them (evanphx/json-patch v4 semantics: `replace` and `remove` need the
//! value to exist, `add` needs its parent).
//!
//! Written on our YAML tree rather than with the `json-patch` crate: that crate works on
//! `serde_json::Value`, which has no spans, and every value a patch sets must keep the
//! patch's file and line.

use crate::parse::yaml::{Entry, Node, Value};

use super::Replaced;
use super::resource::{size, to_json};

#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub op: String,
    pub path: String,
    pub from: Option<String>,
    pub value: Option<Node>,
    /// The operation's mapping in the patch.
    pub at: Node,
}

/// Reads the operations of a patch document (a YAML or JSON list of mappings).
pub(crate) fn read_ops(doc: &Node) -> Result<Vec<Op>, String> {
    let Some(items) = doc.as_seq() else {
        return Err("json patch must be a list of operations".into());
    };
    let mut ops = Vec::new();
    for item in items {
        if item.as_map().is_none() {
            return Err("json patch operation must be a mapping".into());
        }
        let op = item
            .get("op")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let path = item.get("path").and_then(Node::as_str).map(str::to_string);
        let from = item.get("from").and_then(Node::as_str).map(str::to_string);
        let value = item.get("value").cloned();
        if !matches!(
            op.as_str(),
            "add" | "remove" | "replace" | "move" | "copy" | "test"
        ) {
            return Err(format!("Unexpected kind: {op}"));
        }
        let Some(path) = path else {
            return Err(format!("{op} operation missing path"));
        };
        if matches!(op.as_str(), "add" | "replace" | "test") && value.is_none() {
            return Err(format!("{op} operation missing value"));
        }
        if matches!(op.as_str(), "move" | "copy") && from.is_none() {
            return Err(format!("{op} operation missing from"));
        }
        ops.push(Op {
            op,
            path,
            from,
            value,
            at: item.clone(),
        });
    }
    Ok(ops)
}

fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!(
            "JSON pointer must be empty or start with a \"/\": {pointer:?}"
        ));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn index(tok: &str, len: usize, allow_end: bool) -> Option<usize> {
    if allow_end && tok == "-" {
        return Some(len);
    }
    if tok.is_empty() || !tok.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let i: usize = tok.parse().ok()?;
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    (i <= max && (allow_end || len > 0)).then_some(i)
}

fn get<'a>(doc: &'a Node, toks: &[String]) -> Option<&'a Node> {
    let mut n = doc;
    for t in toks {
        n = match &n.value {
            Value::Map(entries) => &entries.iter().find(|e| e.key.as_str() == Some(t))?.value,
            Value::Seq(items) => items.get(index(t, items.len(), false)?)?,
            Value::Scalar(_) => return None,
        };
    }
    Some(n)
}

fn get_mut<'a>(doc: &'a mut Node, toks: &[String]) -> Option<&'a mut Node> {
    let mut n = doc;
    for t in toks {
        n = match &mut n.value {
            Value::Map(entries) => {
                &mut entries
                    .iter_mut()
                    .find(|e| e.key.as_str() == Some(t))?
                    .value
            }
            Value::Seq(items) => {
                let i = index(t, items.len(), false)?;
                items.get_mut(i)?
            }
            Value::Scalar(_) => return None,
        };
    }
    Some(n)
}

fn missing(op: &str, path: &str) -> String {
    format!("{op} operation does not apply: doc is missing path: \"{path}\": missing value")
}

fn add(doc: &mut Node, path: &str, value: Node, op: &str) -> Result<Option<Node>, String> {
    let toks = tokens(path)?;
    let Some((last, parent)) = toks.split_last() else {
        return Ok(Some(std::mem::replace(doc, value)));
    };
    let Some(p) = get_mut(doc, parent) else {
        return Err(missing(op, path));
    };
    match &mut p.value {
        Value::Map(entries) => {
            if let Some(e) = entries.iter_mut().find(|e| e.key.as_str() == Some(last)) {
                return Ok(Some(std::mem::replace(&mut e.value, value)));
            }
            let key = super::resource::string_from(last.clone(), &value);
            entries.push(Entry { key, value });
            Ok(None)
        }
        Value::Seq(items) => {
            let Some(i) = index(last, items.len(), true) else {
                return Err(format!(
                    "{op} operation does not apply: doc is missing path: \"{path}\": invalid index"
                ));
            };
            items.insert(i, value);
            Ok(None)
        }
        Value::Scalar(_) => Err(missing(op, path)),
    }
}

/// `replace` as kustomize's JSON patch library (evanphx/json-patch v4.12) does it: the
/// parent must exist; a key missing from an object is set (v4's object `get` never fails),
/// an index outside a list is an error. The value replaced, when there was one.
fn replace(
    doc: &mut Node,
    toks: &[String],
    path: &str,
    value: Node,
) -> Result<Option<Node>, String> {
    let Some((last, parent)) = toks.split_last() else {
        return Ok(Some(std::mem::replace(doc, value)));
    };
    let missing_path =
        || format!("replace operation does not apply: doc is missing path: {path}: missing value");
    let Some(p) = get_mut(doc, parent) else {
        return Err(missing_path());
    };
    match &mut p.value {
        Value::Map(entries) => match entries.iter_mut().find(|e| e.key.as_str() == Some(last)) {
            Some(e) => Ok(Some(std::mem::replace(&mut e.value, value))),
            None => {
                let key = super::resource::string_from(last.clone(), &value);
                entries.push(Entry { key, value });
                Ok(None)
            }
        },
        Value::Seq(items) => match index(last, items.len(), false) {
            Some(i) => Ok(Some(std::mem::replace(&mut items[i], value))),
            None => Err(format!(
                "replace operation does not apply: doc is missing key: {path}: missing value"
            )),
        },
        Value::Scalar(_) => Err(missing_path()),
    }
}

fn remove(doc: &mut Node, path: &str, op: &str) -> Result<Node, String> {
    let toks = tokens(path)?;
    let Some((last, parent)) = toks.split_last() else {
        return Err(format!(
            "{op} operation does not apply: cannot remove the whole document"
        ));
    };
    let Some(p) = get_mut(doc, parent) else {
        return Err(missing(op, path));
    };
    match &mut p.value {
        Value::Map(entries) => {
            let Some(i) = entries.iter().position(|e| e.key.as_str() == Some(last)) else {
                return Err(missing(op, path));
            };
            Ok(entries.remove(i).value)
        }
        Value::Seq(items) => {
            let Some(i) = index(last, items.len(), false) else {
                return Err(missing(op, path));
            };
            Ok(items.remove(i))
        }
        Value::Scalar(_) => Err(missing(op, path)),
    }
}

/// Applies the operations in order to one object. Values set keep the patch's origin;
/// values replaced are recorded. `max_nodes` bounds the object's growth (`copy` can double
/// a document at every operation).
pub(crate) fn apply(
    doc: &mut Node,
    ops: &[Op],
    replaced: &mut Vec<Replaced>,
    max_nodes: usize,
) -> Result<(), String> {
    for op in ops {
        match op.op.as_str() {
            "add" => {
                let value = op.value.clone().unwrap_or_else(|| op.at.clone());
                if let Some(old) = add(doc, &op.path, value, "add")? {
                    record(replaced, op, &old);
                }
            }
            "remove" => {
                let old = remove(doc, &op.path, "remove")?;
                let key = op.path.rsplit('/').next().unwrap_or_default();
                replaced.push(Replaced {
                    what: format!("JSON patch remove {}", op.path),
                    new: op.at.origin(),
                    old: old.origin(),
                    removed: Some(key.replace("~1", "/").replace("~0", "~")),
                });
            }
            "replace" => {
                let toks = tokens(&op.path)?;
                let value = op.value.clone().unwrap_or_else(|| op.at.clone());
                if let Some(old) = replace(doc, &toks, &op.path, value)? {
                    record(replaced, op, &old);
                }
            }
            "move" => {
                let from = op.from.as_deref().unwrap_or("");
                let ftoks = tokens(from)?;
                let ptoks = tokens(&op.path)?;
                if ptoks.len() > ftoks.len() && ptoks.starts_with(&ftoks) {
                    return Err(format!(
                        "move operation does not apply: \"{from}\" is a prefix of \"{}\"",
                        op.path
                    ));
                }
                let v = remove(doc, from, "move")?;
                add(doc, &op.path, v, "move")?;
            }
            "copy" => {
                let from = op.from.as_deref().unwrap_or("");
                let Some(v) = get(doc, &tokens(from)?).cloned() else {
                    return Err(missing("copy", from));
                };
                add(doc, &op.path, v, "copy")?;
            }
            "test" => {
                let toks = tokens(&op.path)?;
                let want = op.value.as_ref().map(to_json).unwrap_or_default();
                let got = get(doc, &toks).map(to_json);
                if got.as_ref() != Some(&want) {
                    return Err(format!("testing value {} failed: test failed", op.path));
                }
            }
            _ => return Err(format!("Unexpected kind: {}", op.op)),
        }
        if size(doc) > max_nodes {
            return Err(format!(
                "limit: a JSON patch grew an object past {max_nodes} nodes; not applied further"
            ));
        }
    }
    Ok(())
}

fn record(replaced: &mut Vec<Replaced>, op: &Op, old: &Node) {
    let new = op.value.as_ref().unwrap_or(&op.at);
    replaced.push(Replaced {
        what: format!("JSON patch {} {}", op.op, op.path),
        new: new.origin(),
        old: old.origin(),
        removed: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;
    use crate::source::{Format, SourceFile};
    use std::sync::Arc;

    fn doc(name: &str, text: &str) -> Node {
        let f = Arc::new(SourceFile::in_memory(name, Format::Kubernetes, text));
        yaml::load(&f).docs[0].clone()
    }

    fn run(base: &str, patch: &str) -> Result<(serde_json::Value, Vec<Replaced>), String> {
        let mut d = doc("base", base);
        let ops = read_ops(&doc("patch", patch))?;
        let mut rep = Vec::new();
        apply(&mut d, &ops, &mut rep, 1_000_000)?;
        Ok((to_json(&d), rep))
    }

    #[test]
    fn every_operation() {
        let base = "a: {b: 1, 'x/y': 2, 'm~n': 3}\nl: [1, 2, 3]\n";
        let (v, rep) = run(
            base,
            "- {op: add, path: /l/-, value: 4}\n- {op: add, path: /l/0, value: 0}\n- {op: remove, path: /l/1}\n- {op: replace, path: /a/x~1y, value: 20}\n- {op: move, from: /a/m~0n, path: /c}\n- {op: copy, from: /a/b, path: /d}\n- {op: test, path: /d, value: 1}\n",
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": {"b": 1, "x/y": 20}, "l": [0, 2, 3, 4], "c": 3, "d": 1})
        );
        // The replace, and the remove (which records the key it took away).
        assert_eq!(rep.len(), 2);
        assert_eq!(rep[0].removed.as_deref(), Some("1"));
        assert_eq!(rep[0].old.text(), "1");
        assert_eq!(rep[1].old.text(), "2");
        assert_eq!(rep[1].removed, None);
    }

    #[test]
    fn failures_are_errors() {
        // `replace` needs the parent (a missing key of an existing object is set: see
        // `replace_sets_a_missing_key`) and an index inside the list.
        assert!(run("a: 1\n", "- {op: replace, path: /x/b, value: 1}\n").is_err());
        assert!(run("a: [1]\n", "- {op: replace, path: /a/1, value: 1}\n").is_err());
        assert!(run("a: 1\n", "- {op: remove, path: /b}\n").is_err());
        assert!(run("a: 1\n", "- {op: add, path: /x/y, value: 1}\n").is_err());
        assert!(run("a: 1\n", "- {op: test, path: /a, value: 2}\n").is_err());
        assert!(run("a: [1]\n", "- {op: add, path: /a/5, value: 2}\n").is_err());
        assert!(run("a: [1]\n", "- {op: add, path: a, value: 2}\n").is_err());
        assert!(run("a: 1\n", "- {op: frob, path: /a}\n").is_err());
        assert!(run("a: {b: 1}\n", "- {op: move, from: /a, path: /a/b/c}\n").is_err());
    }

    #[test]
    fn replace_sets_a_missing_key() {
        // evanphx/json-patch v4.12 (kustomize's): an object's lookup never fails.
        let (v, _) = run("a: 1\n", "- {op: replace, path: /b, value: 2}\n").unwrap();
        assert_eq!(v, serde_json::json!({"a": 1, "b": 2}));
    }

    #[test]
    fn copies_are_bounded() {
        let mut d = doc("base", "a: [1, 2, 3, 4, 5, 6, 7, 8]\n");
        let op = "- {op: copy, from: /a, path: /a/-}\n".repeat(40);
        let ops = read_ops(&doc("p", &op)).unwrap();
        let err = apply(&mut d, &ops, &mut Vec::new(), 100_000).unwrap_err();
        assert!(err.starts_with("limit"), "{err}");
    }
}
