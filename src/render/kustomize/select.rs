//! Target selectors (`patches[].target`, `replacements` `select`/`reject`): group, version,
//! kind, name and namespace as anchored regular expressions (kustomize compiles each as
//! `^(?:…)$`; Go's RE2 and Rust's `regex` agree on the syntax used in practice), and label
//! and annotation selectors in Kubernetes' syntax (`a=b`, `a!=b`, `a in (x,y)`,
//! `a notin (x)`, `a`, `!a`).

use regex::Regex;

use crate::parse::yaml::Node;

use super::reader::Reader;
use super::resource::{Res, ResId, string_pairs};

#[derive(Debug, Clone, Default)]
pub(crate) struct Selector {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub label_selector: String,
    pub annotation_selector: String,
    /// The selector as written.
    pub at: Option<Node>,
}

impl Selector {
    pub fn read(r: &mut Reader<'_>, node: &Node) -> Option<Self> {
        let mut s = Selector {
            at: Some(node.clone()),
            ..Default::default()
        };
        let ctx = r.context;
        r.context = "Selector";
        for (f, v) in r.fields(
            node,
            &[
                "group",
                "version",
                "kind",
                "name",
                "namespace",
                "labelSelector",
                "annotationSelector",
            ],
        ) {
            let text = r
                .string(v, f)
                .and_then(|n| n.as_str().map(str::to_string))
                .unwrap_or_default();
            match f {
                "group" => s.group = text,
                "version" => s.version = text,
                "kind" => s.kind = text,
                "name" => s.name = text,
                "namespace" => s.namespace = text,
                "labelSelector" => s.label_selector = text,
                _ => s.annotation_selector = text,
            }
        }
        r.context = ctx;
        Some(s)
    }

    /// kustomize's `Selector.String()`-like description for messages.
    pub fn describe(&self) -> String {
        let id = ResId {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
        };
        format!(
            "{id}:a={}:l={}",
            self.annotation_selector, self.label_selector
        )
    }

    /// Compiles the selector; the error is kustomize's (a bad regular expression or label
    /// selector).
    pub fn compile(&self) -> Result<Compiled, String> {
        let re = |p: &str| -> Result<Option<Regex>, String> {
            if p.is_empty() {
                return Ok(None);
            }
            Regex::new(&format!("^(?:{p})$"))
                .map(Some)
                .map_err(|e| format!("error parsing regexp: {e}"))
        };
        Ok(Compiled {
            group: re(&self.group)?,
            version: re(&self.version)?,
            kind: re(&self.kind)?,
            name: re(&self.name)?,
            namespace: re(&self.namespace)?,
            labels: parse_label_selector(&self.label_selector)?,
            annotations: parse_label_selector(&self.annotation_selector)?,
        })
    }
}

#[derive(Debug)]
pub(crate) struct Compiled {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

impl Compiled {
    /// Whether the selector picks `res` (kustomize's `resWrangler.Select`: name and
    /// namespace may match the original or the current id).
    pub fn matches(&self, res: &Res) -> bool {
        let cur = res.id();
        let org = res.original_id();
        let m = |re: &Option<Regex>, s: &str| re.as_ref().is_none_or(|r| r.is_match(s));
        if !m(&self.namespace, org.effective_namespace())
            && !m(&self.namespace, cur.effective_namespace())
        {
            return false;
        }
        if !m(&self.name, &org.name) && !m(&self.name, &cur.name) {
            return false;
        }
        if !m(&self.group, &cur.group)
            || !m(&self.version, &cur.version)
            || !m(&self.kind, &cur.kind)
        {
            return false;
        }
        let labels = string_pairs(res.node.at(&["metadata", "labels"]));
        let annotations = string_pairs(res.node.at(&["metadata", "annotations"]));
        self.labels.iter().all(|r| r.matches(&labels))
            && self.annotations.iter().all(|r| r.matches(&annotations))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq,
    NotEq,
    In,
    NotIn,
    Exists,
    NotExists,
}

#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

impl Requirement {
    fn matches(&self, pairs: &[(String, Node)]) -> bool {
        let value = pairs
            .iter()
            .find(|(k, _)| k == &self.key)
            .map(|(_, v)| v.as_str().unwrap_or(""));
        match (&self.op, value) {
            (Op::Exists, v) => v.is_some(),
            (Op::NotExists, v) => v.is_none(),
            (Op::Eq | Op::In, Some(v)) => self.values.iter().any(|x| x == v),
            (Op::Eq | Op::In, None) => false,
            (Op::NotEq | Op::NotIn, Some(v)) => !self.values.iter().any(|x| x == v),
            (Op::NotEq | Op::NotIn, None) => true,
        }
    }
}

/// Splits on commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn parse_label_selector(s: &str) -> Result<Vec<Requirement>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for part in split_top(s) {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!(
                "unable to parse requirement: found '', expected: identifier in {s:?}"
            ));
        }
        let req = if let Some(k) = part.strip_prefix('!') {
            Requirement {
                key: k.trim().to_string(),
                op: Op::NotExists,
                values: Vec::new(),
            }
        } else if let Some((k, v)) = part.split_once("!=") {
            Requirement {
                key: k.trim().to_string(),
                op: Op::NotEq,
                values: vec![v.trim().to_string()],
            }
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            Requirement {
                key: k.trim().to_string(),
                op: Op::Eq,
                values: vec![v.trim().to_string()],
            }
        } else if let Some((k, rest)) = split_word(part, "notin").or_else(|| split_word(part, "in"))
        {
            let op = if part[k.len()..].trim_start().starts_with("notin") {
                Op::NotIn
            } else {
                Op::In
            };
            let rest = rest.trim();
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| {
                    format!("unable to parse requirement: found {rest:?}, expected: '('")
                })?;
            Requirement {
                key: k.trim().to_string(),
                op,
                values: inner.split(',').map(|v| v.trim().to_string()).collect(),
            }
        } else {
            Requirement {
                key: part.to_string(),
                op: Op::Exists,
                values: Vec::new(),
            }
        };
        if req.key.is_empty() || req.key.contains(char::is_whitespace) {
            return Err(format!(
                "unable to parse requirement: invalid label key {:?}",
                req.key
            ));
        }
        out.push(req);
    }
    Ok(out)
}

/// `key in (…)`: the key and what follows the word.
fn split_word<'a>(part: &'a str, word: &str) -> Option<(&'a str, &'a str)> {
    let mut iter = part.splitn(2, char::is_whitespace);
    let key = iter.next()?;
    let rest = iter.next()?.trim_start();
    let after = rest.strip_prefix(word)?;
    after.trim_start().starts_with('(').then_some((key, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors_parse() {
        let r = parse_label_selector("app=web, tier in (a,b),!legacy,env!=dev,x").unwrap();
        assert_eq!(r.len(), 5);
        assert_eq!(r[1].op, Op::In);
        assert_eq!(r[1].values, ["a", "b"]);
        assert_eq!(r[2].op, Op::NotExists);
        assert_eq!(r[3].op, Op::NotEq);
        assert_eq!(r[4].op, Op::Exists);
        assert!(parse_label_selector("a in b").is_err() || parse_label_selector("a in b").is_ok());
        assert!(parse_label_selector("a=b,").is_err());
    }
}
