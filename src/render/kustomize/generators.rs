//! `configMapGenerator` and `secretGenerator`: ConfigMaps and Secrets made from literals,
//! files and env files, and kustomize's content hash suffix (`api/hasher`: the SHA-256 of a
//! Go-encoded JSON of kind, data (and type, binaryData/stringData) and a name that is always
//! empty (kustomize looks it up under a key no object has), whose first ten hex digits are
//! made vowel-free by mapping 0→g, 1→h, 3→k, a→m, e→t). Secret values are base64 in lines
//! of 70 characters, as kyaml writes them.
//!
//! Every generated value points at what it came from: a literal's value, the line of an env
//! file, the whole of a file; keys and metadata at the generator entry.

use std::sync::Arc;

use crate::parse::yaml::{Entry, Node, Value};
use crate::source::{SourceFile, Span};

use super::kustomization::{Generator, GeneratorOptions};
use super::resource::{
    Behavior, Res, as_string_node, entry, go_json, map_from, scalar_at, string_from, to_json,
};

/// Reads a file the generator names (the builder resolves and restricts the path).
pub(crate) type Load<'a> = dyn FnMut(&Node, &str) -> Result<Loaded, (String, super::Class)> + 'a;

/// A file a generator reads: text, or bytes that are not (NUL bytes, invalid UTF-8), which
/// kustomize puts base64-encoded into a ConfigMap's `binaryData` or a Secret's `data`.
pub(crate) enum Loaded {
    Text(Arc<SourceFile>),
    Bytes(Vec<u8>),
}

/// Makes one generated object. `global` is the kustomization's `generatorOptions`.
pub(crate) fn generate(
    g: &Generator,
    global: Option<&GeneratorOptions>,
    load: &mut Load<'_>,
) -> Result<Res, (String, Node, super::Class)> {
    use super::Class;
    let at = &g.at;
    let kind = if g.secret { "Secret" } else { "ConfigMap" };
    let name = g
        .name
        .clone()
        .filter(|n| !n.as_str().unwrap_or("").is_empty())
        .ok_or_else(|| {
            (
                "a configmap must have a name".to_string(),
                at.clone(),
                Class::Invalid,
            )
        })?;
    // kustomize's `NewGenerationBehavior`: any other word (`add`) is "unspecified", which
    // joins the objects as `create` does.
    let behavior = match g.behavior.as_ref().and_then(Node::as_str).unwrap_or("") {
        "merge" => Behavior::Merge,
        "replace" => Behavior::Replace,
        _ => Behavior::Create,
    };
    // key, key origin, value, and the bytes of a file that is not text
    let mut pairs: Vec<(String, Node, Node, Option<Vec<u8>>)> = Vec::new();
    for env in &g.envs {
        let path = env.as_str().unwrap_or("");
        let file = load(env, path).map_err(|(m, c)| {
            (
                format!("loading KV pairs: env source files: [{path}]: {m}"),
                env.clone(),
                c,
            )
        })?;
        let file = match file {
            Loaded::Text(f) => f,
            Loaded::Bytes(_) => {
                return Err((
                    format!(
                        "loading KV pairs: env source files: [{path}]: is a binary file, not KEY=VALUE lines"
                    ),
                    env.clone(),
                    Class::Invalid,
                ));
            }
        };
        for (k, v) in env_pairs(&file).map_err(|m| {
            (
                format!("loading KV pairs: env source files: [{path}]: {m}"),
                env.clone(),
                Class::Invalid,
            )
        })? {
            pairs.push((k, env.clone(), v, None));
        }
    }
    for lit in &g.literals {
        let text = lit.as_str().unwrap_or("");
        let Some((k, v)) = text.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err((
                format!(
                    "loading KV pairs: literal sources [{text}]: invalid literal source {text}, expected key=value"
                ),
                lit.clone(),
                Class::Invalid,
            ));
        };
        let value = remove_quotes(v);
        // Point at the value inside the literal when the literal is written as is.
        let raw = lit.file.slice(lit.span);
        let node = match raw.find(text) {
            Some(off) if raw.len() >= off + text.len() => {
                let vstart = lit.span.start + off + k.len() + 1;
                let span = Span::new(vstart, (lit.span.start + off + text.len()).max(vstart));
                scalar_at(value, false, &lit.file, span)
            }
            _ => string_from(value, lit),
        };
        pairs.push((k.to_string(), lit.clone(), node, None));
    }
    for f in &g.files {
        let text = f.as_str().unwrap_or("");
        let (key, path) = parse_file_source(text).map_err(|m| {
            (
                format!("loading KV pairs: file sources: [{text}]: {m}"),
                f.clone(),
                Class::Invalid,
            )
        })?;
        let file = load(f, &path).map_err(|(m, c)| {
            (
                format!("loading KV pairs: file sources: [{text}]: {m}"),
                f.clone(),
                c,
            )
        })?;
        match file {
            Loaded::Text(file) => {
                let node = scalar_at(
                    file.text.clone(),
                    false,
                    &file,
                    Span::new(0, file.text.len()),
                );
                pairs.push((key, f.clone(), node, None));
            }
            Loaded::Bytes(bytes) => pairs.push((key, f.clone(), string_from("", f), Some(bytes))),
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for (k, at_key, _, _) in &pairs {
        if !valid_key(k) {
            return Err((
                format!(
                    "{k:?} is not a valid key name for a {kind}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
                ),
                at_key.clone(),
                Class::Invalid,
            ));
        }
        if seen.contains(&k.as_str()) {
            return Err((
                format!(
                    "configmap {} illegally repeats the key `{k}`",
                    name.as_str().unwrap_or("")
                ),
                at_key.clone(),
                Class::Invalid,
            ));
        }
        seen.push(k);
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));

    // Options: the entry's own, then the global ones where the entry has none.
    let mut labels = g.options.labels.clone();
    let mut annotations = g.options.annotations.clone();
    let mut disable_hash = g.options.disable_name_suffix_hash.unwrap_or(false);
    let mut immutable = g.options.immutable.unwrap_or(false);
    if let Some(gl) = global {
        for (k, v) in &gl.labels {
            if !labels.iter().any(|(x, _)| x == k) {
                labels.push((k.clone(), v.clone()));
            }
        }
        for (k, v) in &gl.annotations {
            if !annotations.iter().any(|(x, _)| x == k) {
                annotations.push((k.clone(), v.clone()));
            }
        }
        disable_hash |= gl.disable_name_suffix_hash.unwrap_or(false);
        immutable |= gl.immutable.unwrap_or(false);
    }
    labels.sort_by(|a, b| a.0.cmp(&b.0));
    annotations.sort_by(|a, b| a.0.cmp(&b.0));

    let mut meta = vec![entry("name", as_string_node(&name))];
    if let Some(ns) = g
        .namespace
        .as_ref()
        .filter(|n| !n.as_str().unwrap_or("").is_empty())
    {
        meta.push(entry("namespace", as_string_node(ns)));
    }
    if !labels.is_empty() {
        let l = labels
            .iter()
            .map(|(k, v)| entry(k, as_string_node(v)))
            .collect();
        meta.push(entry("labels", map_from(l, at)));
    }
    if !annotations.is_empty() {
        let a = annotations
            .iter()
            .map(|(k, v)| entry(k, as_string_node(v)))
            .collect();
        meta.push(entry("annotations", map_from(a, at)));
    }
    let mut top = vec![
        entry("apiVersion", string_from("v1", at)),
        entry("kind", string_from(kind, at)),
        entry("metadata", map_from(meta, at)),
    ];
    let data_entry = |k: &str, key_at: &Node, v: Node| Entry {
        key: string_from(k, key_at),
        value: v,
    };
    if g.secret {
        let t = g
            .kind_type
            .clone()
            .filter(|t| !t.as_str().unwrap_or("").is_empty())
            .map(|t| as_string_node(&t))
            .unwrap_or_else(|| string_from("Opaque", at));
        top.push(entry("type", t));
        let data = pairs
            .iter()
            .map(|(k, ka, v, bytes)| {
                let raw = bytes
                    .as_deref()
                    .unwrap_or(v.as_str().unwrap_or("").as_bytes());
                data_entry(k, ka, string_from(wrapped_base64(raw), v))
            })
            .collect();
        top.push(entry("data", map_from(data, at)));
    } else if !pairs.is_empty() {
        // kustomize's `makeConfigMapValueRNode`: valid UTF-8 is data (NUL bytes and all),
        // anything else is base64 in `binaryData`.
        let (mut data, mut binary) = (Vec::new(), Vec::new());
        for (k, ka, v, bytes) in &pairs {
            match bytes {
                None => data.push(data_entry(k, ka, v.clone())),
                Some(b) => match std::str::from_utf8(b) {
                    Ok(text) => data.push(data_entry(k, ka, string_from(text, v))),
                    Err(_) => binary.push(data_entry(k, ka, string_from(wrapped_base64(b), v))),
                },
            }
        }
        if !data.is_empty() {
            top.push(entry("data", map_from(data, at)));
        }
        if !binary.is_empty() {
            top.push(entry("binaryData", map_from(binary, at)));
        }
    }
    if immutable {
        top.push(entry(
            "immutable",
            scalar_at("true", true, &at.file, at.span),
        ));
    }
    let node = map_from(top, at);
    let mut res = Res::new(node);
    res.needs_hash = !disable_hash;
    res.behavior = behavior;
    Ok(res)
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

fn parse_file_source(source: &str) -> Result<(String, String), String> {
    let n = source.matches('=').count();
    match n {
        0 => {
            let base = source.rsplit('/').next().unwrap_or(source).to_string();
            Ok((base, source.to_string()))
        }
        1 if source.starts_with('=') => Err(format!(
            "missing key name for file path {:?} in source {source:?}",
            &source[1..]
        )),
        1 if source.ends_with('=') => Err(format!(
            "missing file path for key name {:?} in source {source:?}",
            &source[..source.len() - 1]
        )),
        1 => {
            let (k, p) = source.split_once('=').unwrap_or((source, ""));
            Ok((k.to_string(), p.to_string()))
        }
        _ => Err(format!(
            "source {source:?} key name or file path contains '='"
        )),
    }
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && k != "."
        && k != ".."
}

/// `KEY=value` lines of an env file (blank lines and `#` comments skipped; a line without
/// `=` is the key with an empty value), each value pointing at its place in the file.
fn env_pairs(file: &Arc<SourceFile>) -> Result<Vec<(String, Node)>, String> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in file.text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let lead = content.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (key, value, vstart) = match trimmed.split_once('=') {
            Some((k, v)) => (k, v, start + lead + k.len() + 1),
            None => (trimmed, "", start + lead + trimmed.len()),
        };
        let valid = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !key.as_bytes()[0].is_ascii_digit();
        if !valid {
            return Err(format!(
                "{key:?} is not a valid env var name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"
            ));
        }
        let node = scalar_at(value, false, file, Span::new(vstart, vstart + value.len()));
        out.push((key.to_string(), node));
    }
    Ok(out)
}

/// kustomize's hash of a ConfigMap or Secret (other kinds: of the whole object).
pub(crate) fn hash(node: &Node) -> String {
    use serde_json::{Map, Value as J};
    let kind = node.get("kind").and_then(Node::as_str).unwrap_or("");
    let field = |path: &[&str]| -> J {
        match node.at(path) {
            None => J::String(String::new()),
            Some(n) => match &n.value {
                Value::Scalar(s) => J::String(s.text.clone()),
                _ => to_json(n),
            },
        }
    };
    let mut m = Map::new();
    let encoded = match kind {
        "ConfigMap" | "Secret" => {
            m.insert("kind".into(), J::String(kind.into()));
            // kustomize looks the name up as one key named `metadata/name`, which no object
            // has: the name never counts (renaming a ConfigMap keeps its hash).
            m.insert("name".into(), J::String(String::new()));
            m.insert("data".into(), field(&["data"]));
            let (extra, key) = if kind == "ConfigMap" {
                (field(&["binaryData"]), "binaryData")
            } else {
                m.insert("type".into(), field(&["type"]));
                (field(&["stringData"]), "stringData")
            };
            if extra.is_object() {
                m.insert(key.into(), extra);
            }
            J::Object(m)
        }
        _ => to_json(node),
    };
    let mut s = String::new();
    go_json(&encoded, &mut s);
    let digest = sha256(s.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// Standard base64 with padding (Secret data). Written here rather than taken from a crate:
/// twenty lines, and the branch adds no dependency while `main` is being restructured.
fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// kyaml's `encodeBase64`: lines of 70 characters, each ended by a newline when there is
/// more than one line (`encoded length / 70 + 1 > 1`).
fn wrapped_base64(bytes: &[u8]) -> String {
    let enc = base64(bytes);
    if enc.len() < 70 {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / 70 + 1);
    for chunk in enc.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out
}

/// SHA-256 (FIPS 180-4), for the hash suffix; tested against the standard's vectors.
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_and_base64_match_the_standards() {
        let hex = |d: [u8; 32]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    use super::*;
    use crate::parse::yaml;
    use crate::source::Format;

    fn doc(text: &str) -> Node {
        let f = Arc::new(SourceFile::in_memory("k.yaml", Format::Kubernetes, text));
        yaml::load(&f).docs[0].clone()
    }

    // Expected values computed with kustomize v5.4.2 (`kubectl kustomize`, kubectl 1.31).
    #[test]
    fn hashes_equal_kustomizes() {
        let cm = doc(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata: {LOG_LEVEL: info, PORT: '8080'}\n",
        );
        assert_eq!(hash(&cm), "bt5mh2dcg8");
        let empty = doc("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: empty}\n");
        assert_eq!(hash(&empty), "6ct58987ht");
        let secret = doc(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\ntype: Opaque\ndata: {password: czNjcjN0}\n",
        );
        assert_eq!(hash(&secret), "25k92892fb");
    }

    #[test]
    fn env_lines_and_file_sources() {
        let f = Arc::new(SourceFile::in_memory(
            ".env",
            Format::OtherYaml,
            "# c\n\nA=1\n  B=x=y\nC\n",
        ));
        let p = env_pairs(&f).unwrap();
        let got: Vec<_> = p
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
            .collect();
        assert_eq!(got, [("A", "1"), ("B", "x=y"), ("C", "")]);
        assert_eq!(f.slice(p[1].1.span), "x=y");
        assert_eq!(
            parse_file_source("a/b.conf").unwrap(),
            ("b.conf".into(), "a/b.conf".into())
        );
        assert_eq!(
            parse_file_source("k=a/b").unwrap(),
            ("k".into(), "a/b".into())
        );
        assert!(parse_file_source("=a").is_err());
        assert!(parse_file_source("a=b=c").is_err());
        let bad = Arc::new(SourceFile::in_memory(".env", Format::OtherYaml, "1X=2\n"));
        assert!(env_pairs(&bad).is_err());
    }

    #[test]
    fn literal_values_point_inside_the_literal() {
        let k = doc(
            "configMapGenerator:\n- name: c\n  literals:\n  - LOG_LEVEL=debug\n  - \"Q='x'\"\n",
        );
        let item = &k.get("configMapGenerator").unwrap().as_seq().unwrap()[0];
        let g = Generator {
            secret: false,
            name: item.get("name").cloned(),
            namespace: None,
            behavior: None,
            literals: item.get("literals").unwrap().as_seq().unwrap().to_vec(),
            files: vec![],
            envs: vec![],
            kind_type: None,
            options: GeneratorOptions::default(),
            at: item.clone(),
        };
        let res = generate(&g, None, &mut |_, _| {
            Err(("no".into(), super::super::Class::Missing))
        })
        .unwrap();
        let v = res.node.at(&["data", "LOG_LEVEL"]).unwrap();
        assert_eq!(v.as_str(), Some("debug"));
        assert_eq!(v.file.slice(v.span), "debug");
        assert_eq!(res.node.at(&["data", "Q"]).unwrap().as_str(), Some("x"));
        assert!(res.needs_hash);
    }
}
