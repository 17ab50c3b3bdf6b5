//! Test support: the Helm oracle and fixture files (JSON).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use plumbline::render::helm::template::json::{JsonOpts, from_json, to_json};
use plumbline::render::helm::template::{Map, Value};

/// The real Helm binary installed by `tests/oracles/install.sh`, if present: `$PLUMBLINE_HELM`,
/// `$PLUMBLINE_ORACLES/helm` or `$HOME/.cache/plumbline-oracles/helm`. `NO_HELM=1` forces the
/// cached path. The cases run offline from the cache; Helm only refreshes stale entries.
pub fn helm() -> Option<PathBuf> {
    if std::env::var_os("NO_HELM").is_some() {
        return None;
    }
    super::oracles::candidates("helm")
        .into_iter()
        .find(|p| p.is_file())
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `helm template NAME DIR`; Ok(stdout) or Err(error text without "Error: ").
pub fn helm_template(helm: &Path, name: &str, dir: &Path) -> Result<String, String> {
    helm_template_with(helm, name, dir, None)
}

/// `helm template NAME DIR [-f VALUES]`.
pub fn helm_template_with(
    helm: &Path,
    name: &str,
    dir: &Path,
    values: Option<&Path>,
) -> Result<String, String> {
    let mut cmd = Command::new(helm);
    cmd.arg("template").arg(name).arg(dir);
    if let Some(v) = values {
        cmd.arg("-f").arg(v);
    }
    let out = cmd
        .env("HOME", std::env::temp_dir())
        .output()
        .map_err(|e| format!("cannot run helm: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let e = String::from_utf8_lossy(&out.stderr).into_owned();
        let e = e.strip_prefix("Error: ").unwrap_or(&e).to_string();
        let e = match e.find("\n\nUse --debug") {
            Some(i) => e[..i].to_string(),
            None => e.trim_end().to_string(),
        };
        Err(e)
    }
}

// ------------------------------------------------------------------ JSON fixtures

pub fn read_json_map(path: &Path) -> BTreeMap<String, Value> {
    let Ok(s) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    match from_json(&s) {
        Ok(Value::Map(m)) => m.entries().into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

pub fn write_json_map(path: &Path, m: &BTreeMap<String, Value>) {
    let map = Map::new();
    for (k, v) in m {
        map.insert(k.clone(), v.clone());
    }
    let t = to_json(
        &Value::Map(map),
        &JsonOpts {
            escape_html: false,
            indent: Some(" "),
        },
    )
    .expect("json");
    if let Some(d) = path.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    let body = t.s + "\n";
    if std::fs::read_to_string(path).ok().as_deref() != Some(body.as_str()) {
        std::fs::write(path, body).expect("write fixture");
    }
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

pub fn get(m: &Value, k: &str) -> Value {
    match m {
        Value::Map(mm) => mm.get(k).unwrap_or(Value::Nil),
        _ => Value::Nil,
    }
}

/// Splits `helm template` output into (source, document) pairs.
pub fn split_helm_output(out: &str) -> Vec<(String, String)> {
    let mut docs = Vec::new();
    let mut cur_src: Option<String> = None;
    let mut cur = String::new();
    for line in out.split_inclusive('\n') {
        if line == "---\n" || line == "---" {
            if let Some(s) = cur_src.take() {
                docs.push((s, cur.trim_end_matches('\n').to_string()));
            }
            cur.clear();
            continue;
        }
        if cur_src.is_none()
            && cur.is_empty()
            && let Some(src) = line.strip_prefix("# Source: ")
        {
            cur_src = Some(src.trim_end().to_string());
            continue;
        }
        cur.push_str(line);
    }
    if let Some(s) = cur_src.take() {
        docs.push((s, cur.trim_end_matches('\n').to_string()));
    }
    docs
}

/// Helm's releaseutil.SplitManifests on one rendered file: documents, trimmed, empty skipped.
pub fn split_manifests(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"(?:^|\s*\n)---\s*").expect("re");
    let big = text.trim();
    re.split(big)
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .collect()
}
