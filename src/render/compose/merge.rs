//! Merging Compose files the way `docker compose -f base -f override` does (compose-spec
//! "Merge"): mappings merge recursively, the override's scalars win, sequences are appended,
//! except that `command`, `entrypoint` and `healthcheck.test` are replaced and `ports`,
//! `volumes`, `secrets` and `configs` keep one entry per unique value (the override's).
//!
//! An override's value tagged `!reset` removes the attribute from what it overrides, and one
//! tagged `!override` replaces it whole instead of merging (Compose 2.24+).
//!
//! Attributes that Compose accepts either as a list of `KEY=VALUE` strings or as a mapping
//! (`environment`, `labels`, `build.args`, `depends_on`, …) are first turned into mappings
//! ([`normalize`]), so that they merge by key whichever form each file used. The nodes made
//! for them point at the `KEY` and `VALUE` parts of the original string, so every merged
//! value still says which file and line set it.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::parse::yaml::{Entry, Node, Scalar, Value};
use crate::source::Span;

use crate::parse::compose::sub_span;

/// Service attributes that are mappings written either way.
const KEYED_LISTS: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "depends_on",
];

/// Rewrites the list forms of key/value attributes of every service as mappings.
pub fn normalize(doc: &Node) -> Node {
    let mut doc = doc.clone();
    let Value::Map(top) = &mut doc.value else {
        return doc;
    };
    for e in top.iter_mut() {
        if e.key.as_str() != Some("services") {
            continue;
        }
        let Value::Map(services) = &mut e.value.value else {
            continue;
        };
        for svc in services.iter_mut() {
            let Value::Map(fields) = &mut svc.value.value else {
                continue;
            };
            for f in fields.iter_mut() {
                let key = f.key.as_str().unwrap_or_default();
                if KEYED_LISTS.contains(&key) {
                    f.value = list_to_map(&f.value);
                } else if key == "build"
                    && let Value::Map(build) = &mut f.value.value
                {
                    for b in build.iter_mut().filter(|b| b.key.as_str() == Some("args")) {
                        b.value = list_to_map(&b.value);
                    }
                }
            }
        }
    }
    doc
}

/// `[KEY=VALUE, KEY]` as `{KEY: VALUE, KEY: null}`; any other node unchanged.
fn list_to_map(node: &Node) -> Node {
    let Some(items) = node.as_seq() else {
        return node.clone();
    };
    let entries = items
        .iter()
        .filter_map(|item| {
            let text = item.as_str()?;
            let (key, value) = match text.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (text, None),
            };
            let key_node = piece(item, 0..key.len(), key);
            let value_node = match value {
                Some(v) => piece(item, key.len() + 1..text.len(), v),
                None => {
                    let end = key_node.span.end;
                    Node {
                        value: Value::Scalar(Scalar {
                            text: String::new(),
                            plain: true,
                        }),
                        span: Span::new(end, end),
                        file: item.file.clone(),
                    }
                }
            };
            Some(Entry {
                key: key_node,
                value: value_node,
            })
        })
        .collect();
    Node {
        value: Value::Map(entries),
        span: node.span,
        file: node.file.clone(),
    }
}

/// A string node for part of `item`'s text.
fn piece(item: &Node, range: std::ops::Range<usize>, text: &str) -> Node {
    Node {
        value: Value::Scalar(Scalar {
            text: text.to_string(),
            plain: false,
        }),
        span: sub_span(item, range),
        file: item.file.clone(),
    }
}

/// The local tags (`!reset`, `!override`) of the files being merged, by file and span.
#[derive(Debug, Default)]
pub struct Tags(HashMap<(PathBuf, Span), String>);

impl Tags {
    /// Records a file's tags (from its YAML stream).
    pub fn add(&mut self, file: &std::path::Path, tags: &[(Span, String)]) {
        for (span, t) in tags {
            self.0.insert((file.to_path_buf(), *span), t.clone());
        }
    }

    fn of(&self, node: &Node) -> Option<&str> {
        if self.0.is_empty() {
            return None;
        }
        self.0
            .get(&(node.file.path.clone(), node.span))
            .map(String::as_str)
    }
}

/// Merges `over` onto `base`; `path` is the key path of both (`["services", "web"]`).
pub fn merge(base: &Node, over: &Node, path: &[&str], tags: &Tags) -> Node {
    let replaced = matches!(path, ["services", _, "command" | "entrypoint"])
        || matches!(path, ["services", _, "healthcheck", "test"]);
    if replaced {
        return over.clone();
    }
    match (&base.value, &over.value) {
        (Value::Map(b), Value::Map(o)) => {
            let mut out: Vec<Entry> = b.clone();
            for oe in o {
                let Some(k) = oe.key.as_str() else {
                    out.push(oe.clone());
                    continue;
                };
                match tags.of(&oe.value) {
                    Some("!reset") => {
                        out.retain(|e| e.key.as_str() != Some(k));
                        continue;
                    }
                    Some("!override") => {
                        match out.iter_mut().find(|e| e.key.as_str() == Some(k)) {
                            Some(be) => be.value = oe.value.clone(),
                            None => out.push(oe.clone()),
                        }
                        continue;
                    }
                    _ => {}
                }
                match out.iter_mut().find(|e| e.key.as_str() == Some(k)) {
                    Some(be) => {
                        let mut sub: Vec<&str> = path.to_vec();
                        sub.push(k);
                        be.value = merge(&be.value, &oe.value, &sub, tags);
                    }
                    None => out.push(oe.clone()),
                }
            }
            Node {
                value: Value::Map(out),
                span: base.span,
                file: base.file.clone(),
            }
        }
        (Value::Seq(b), Value::Seq(o)) => {
            let unique = matches!(
                path,
                ["services", _, "ports" | "volumes" | "secrets" | "configs"]
            );
            let mut out = b.clone();
            for item in o {
                let same = if unique {
                    out.iter().position(|x| same_item(x, item))
                } else {
                    None
                };
                match same {
                    Some(i) => {
                        if let Some(slot) = out.get_mut(i) {
                            *slot = item.clone();
                        }
                    }
                    None => out.push(item.clone()),
                }
            }
            Node {
                value: Value::Seq(out),
                span: base.span,
                file: base.file.clone(),
            }
        }
        // `web:` with nothing under it changes nothing.
        (Value::Map(_), _) if over.is_null() => base.clone(),
        _ => over.clone(),
    }
}

/// Whether two items of a unique-resource list are the same entry (same text, or the same
/// long-form mapping).
fn same_item(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Scalar(x), Value::Scalar(y)) => x.text == y.text,
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| {
                    let k = e.key.as_str();
                    y.iter().any(|f| {
                        f.key.as_str() == k
                            && matches!((&e.value.value, &f.value.value),
                                (Value::Scalar(p), Value::Scalar(q)) if p.text == q.text)
                    })
                })
        }
        _ => false,
    }
}
