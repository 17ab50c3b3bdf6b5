//! Differential tests against real Helm 3.17.3: every case in tests/helm_template/cases/cases.txt is rendered
//! by the engine and compared with Helm's output cached in tests/helm_template/fixtures/helm_cases.json.
//! When the Helm binary is present (`tests/oracles/install.sh`; `$PLUMBLINE_HELM`), stale or
//! missing cache entries are regenerated first.

use std::collections::BTreeMap;

use crate::common;
use std::path::Path;

use base64::Engine as _;
use plumbline::render::helm::template::{
    ChartInput, Files, Map, RenderOptions, Value, render_chart,
};

struct Case {
    name: String,
    tmpl: String,
    /// run as the top-level template (errors, or cases that cannot live inside a define)
    solo: bool,
}

fn parse_cases(text: &str) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(h) = line.strip_prefix("### ") {
            let h = h.trim();
            let (name, solo) = match h.strip_suffix(" !solo") {
                Some(n) => (n.to_string(), true),
                None => (h.to_string(), false),
            };
            out.push(Case {
                name,
                tmpl: String::new(),
                solo,
            });
        } else if line.starts_with("#|") {
            // comment line in the cases file
        } else if let Some(c) = out.last_mut() {
            c.tmpl.push_str(line);
        }
    }
    for c in &mut out {
        if c.tmpl.ends_with('\n') {
            c.tmpl.pop();
        }
    }
    out
}

fn hash(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{:02x}", b))
        .collect()
}

const CHART_YAML: &str =
    "apiVersion: v2\nname: t\nversion: 0.1.0\nappVersion: \"1.2.3\"\ndescription: test chart\n";

fn write_chart(dir: &Path, values: &str, helpers: &str, files: &[(&str, &str)]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("templates")).expect("mkdir");
    std::fs::write(dir.join("Chart.yaml"), CHART_YAML).expect("w");
    std::fs::write(dir.join("values.yaml"), values).expect("w");
    std::fs::write(dir.join("templates/_helpers.tpl"), helpers).expect("w");
    for (p, c) in files {
        let fp = dir.join(p);
        if let Some(d) = fp.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        std::fs::write(fp, c).expect("w");
    }
}

const DATA_FILES: &[(&str, &str)] = &[
    ("files/a.txt", "alpha\nbeta\n"),
    ("files/b.conf", "key=value"),
    ("files/sub/c.json", "{\"x\": 1}"),
    ("config/app.yaml", "name: app\nport: 8080\n"),
];

fn entry(kind: &str, tmpl: &str, out: Option<String>, err: Option<String>) -> Value {
    let m = Map::new();
    m.insert("kind", Value::str(kind));
    m.insert("tmpl", Value::str(tmpl));
    if let Some(o) = out {
        m.insert("out", Value::str(o));
    }
    if let Some(e) = err {
        m.insert("err", Value::str(e));
    }
    Value::Map(m)
}

fn run_solo(helm: &Path, tmp: &Path, values: &str, helpers: &str, c: &Case) -> Value {
    let dir = tmp.join("solo");
    let mut files: Vec<(&str, &str)> = DATA_FILES.to_vec();
    files.push(("templates/t.yaml", &c.tmpl));
    write_chart(&dir, values, helpers, &files);
    match common::helm_template(helm, "t", &dir) {
        Ok(out) => {
            let docs: Vec<String> = common::split_helm_output(&out)
                .into_iter()
                .filter(|(s, _)| s == "t/templates/t.yaml")
                .map(|(_, d)| d)
                .collect();
            entry("solo", &c.tmpl, Some(docs.join("\n---\n")), None)
        }
        Err(e) => entry("err", &c.tmpl, None, Some(e)),
    }
}

fn regenerate(
    helm: &Path,
    cases: &[Case],
    values: &str,
    helpers: &str,
    fx: &mut BTreeMap<String, Value>,
) {
    let tmp = std::env::temp_dir().join(format!("gotemplate-oracle-{}", std::process::id()));
    let stale: Vec<&Case> = cases
        .iter()
        .filter(|c| {
            fx.get(&c.name)
                .map(|e| common::s(&common::get(e, "tmpl")) != c.tmpl)
                .unwrap_or(true)
        })
        .collect();
    if stale.is_empty() {
        return;
    }
    eprintln!("regenerating {} Helm expectations", stale.len());
    let mut batch: Vec<(usize, &Case)> = Vec::new();
    for (i, c) in stale.iter().enumerate() {
        if c.solo {
            let e = run_solo(helm, &tmp, values, helpers, c);
            fx.insert(c.name.clone(), e);
        } else {
            batch.push((i, c));
        }
    }
    let file_of = |i: usize| format!("templates/c_{:05}.yaml", i);
    loop {
        if batch.is_empty() {
            break;
        }
        let dir = tmp.join("batch");
        let texts: Vec<(String, String)> = batch
            .iter()
            .map(|(i, c)| {
                (
                    file_of(*i),
                    format!(
                        "{{{{- define \"tcase.{i}\" }}}}{}{{{{ end -}}}}\nv: {{{{ include \"tcase.{i}\" . | b64enc | quote }}}}\n",
                        c.tmpl
                    ),
                )
            })
            .collect();
        let mut files: Vec<(&str, &str)> = DATA_FILES.to_vec();
        for (p, t) in &texts {
            files.push((p.as_str(), t.as_str()));
        }
        write_chart(&dir, values, helpers, &files);
        match common::helm_template(helm, "t", &dir) {
            Ok(out) => {
                for (src, doc) in common::split_helm_output(&out) {
                    let Some((i, c)) = batch
                        .iter()
                        .find(|(i, _)| src == format!("t/{}", file_of(*i)))
                    else {
                        continue;
                    };
                    let _ = i;
                    let b64 = doc
                        .trim()
                        .strip_prefix("v: \"")
                        .and_then(|x| x.strip_suffix('"'))
                        .unwrap_or("");
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap_or_default();
                    let text = String::from_utf8_lossy(&raw).replace("<no value>", "");
                    fx.insert(c.name.clone(), entry("out", &c.tmpl, Some(text), None));
                }
                break;
            }
            Err(e) => {
                // find the failing case, run it alone, drop it from the batch
                let pos = batch
                    .iter()
                    .position(|(i, _)| e.contains(&format!("c_{:05}.yaml", i)));
                match pos {
                    Some(p) => {
                        let (_, c) = batch.remove(p);
                        let en = run_solo(helm, &tmp, values, helpers, c);
                        fx.insert(c.name.clone(), en);
                    }
                    None => {
                        // cannot attribute: run everything alone
                        for (_, c) in batch.drain(..) {
                            let en = run_solo(helm, &tmp, values, helpers, c);
                            fx.insert(c.name.clone(), en);
                        }
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

fn engine_render(values: &Map, helpers: &str, tmpl: &str) -> Result<String, String> {
    let mut files = BTreeMap::new();
    for (p, c) in DATA_FILES {
        files.insert(p.to_string(), c.as_bytes().to_vec());
    }
    let meta = match plumbline::render::helm::template::load_yaml(CHART_YAML, &mut |_, _| None) {
        Ok(Value::Map(m)) => m,
        _ => Map::new(),
    };
    let chart = ChartInput {
        metadata: meta,
        templates: vec![
            ("templates/_helpers.tpl".into(), helpers.into()),
            ("templates/t.yaml".into(), tmpl.into()),
        ],
        files: Files::new(files),
        subcharts: vec![],
    };
    // values are shared and mutable: give each case a fresh copy
    let vals = match plumbline::render::helm::template::yaml::load(
        &std::fs::read_to_string(
            common::manifest_dir().join("tests/helm_template/cases/values.yaml"),
        )
        .unwrap_or_default(),
        &mut |_, _| None,
    ) {
        Ok(Value::Map(m)) => m,
        _ => values.clone(),
    };
    let mut opts = RenderOptions {
        release_name: "t".into(),
        ..Default::default()
    };
    // Helm allows 1000 nested includes; give the engine the stack for it (debug frames are big)
    opts.limits.max_stack_bytes = 200 << 20;
    let r = render_chart(&chart, &vals, &opts);
    if let Some(e) = &r.parse_error {
        return Err(e.helm());
    }
    match r
        .outputs
        .into_iter()
        .find(|(n, _)| n == "t/templates/t.yaml")
    {
        Some((_, Ok(x))) => Ok(x.text),
        Some((_, Err(e))) => Err(e.helm()),
        None => Err("no output".into()),
    }
}

#[test]
fn differential_against_helm() {
    let h = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(run_differential)
        .expect("thread");
    if let Err(p) = h.join() {
        std::panic::resume_unwind(p);
    }
}

fn run_differential() {
    let root = common::manifest_dir();
    let cases_text =
        std::fs::read_to_string(root.join("tests/helm_template/cases/cases.txt")).expect("cases");
    let values = std::fs::read_to_string(root.join("tests/helm_template/cases/values.yaml"))
        .expect("values");
    let helpers = std::fs::read_to_string(root.join("tests/helm_template/cases/_helpers.tpl"))
        .expect("helpers");
    let cases = parse_cases(&cases_text);
    let fx_path = root.join("tests/helm_template/fixtures/helm_cases.json");
    let mut fx = common::read_json_map(&fx_path);
    let ctx = hash(&format!("{}\u{0}{}\u{0}{:?}", values, helpers, DATA_FILES));
    if fx.get("_ctx").map(common::s) != Some(ctx.clone()) {
        fx.clear();
    }
    if let Some(helm) = common::helm() {
        regenerate(&helm, &cases, &values, &helpers, &mut fx);
        fx.insert("_ctx".into(), Value::str(ctx.clone()));
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        fx.retain(|k, _| k == "_ctx" || names.contains(&k.as_str()));
        common::write_json_map(&fx_path, &fx);
    }
    let vals = match plumbline::render::helm::template::load_yaml(&values, &mut |_, _| None) {
        Ok(Value::Map(m)) => m,
        _ => Map::new(),
    };
    let known: BTreeMap<String, String> =
        std::fs::read_to_string(root.join("tests/helm_template/cases/known_differences.txt"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                l.split_once(':')
                    .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
            })
            .collect();
    let mut failures = Vec::new();
    let mut known_hits = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let (mut n_out, mut n_err) = (0, 0);
    for c in &cases {
        assert!(
            seen.insert(c.name.clone()),
            "duplicate case name {}",
            c.name
        );
        let Some(e) = fx.get(&c.name) else {
            failures.push(format!(
                "{}: no cached Helm result (run with Helm present)",
                c.name
            ));
            continue;
        };
        let kind = common::s(&common::get(e, "kind"));
        let got = engine_render(&vals, &helpers, &c.tmpl);
        match kind.as_str() {
            "out" | "solo" => {
                n_out += 1;
                let want = common::s(&common::get(e, "out"));
                let got_s = match &got {
                    Ok(t) if kind == "solo" => common::split_manifests(t).join("\n---\n"),
                    Ok(t) => t.clone(),
                    Err(er) => format!("ERROR: {er}"),
                };
                if got_s != want {
                    failures.push(format!(
                        "{}:\n  template: {:?}\n  helm:   {:?}\n  engine: {:?}",
                        c.name, c.tmpl, want, got_s
                    ));
                }
            }
            _ => {
                n_err += 1;
                let want = common::s(&common::get(e, "err"));
                let got_s = match &got {
                    Ok(t) => format!("OK: {t}"),
                    Err(er) => er.clone(),
                };
                if got_s != want {
                    failures.push(format!(
                        "{} (error):\n  template: {:?}\n  helm:   {:?}\n  engine: {:?}",
                        c.name, c.tmpl, want, got_s
                    ));
                }
            }
        }
    }
    failures.retain(|f| {
        let name = f.split([':', ' ']).next().unwrap_or("").to_string();
        if known.contains_key(&name) {
            known_hits.push(name);
            false
        } else {
            true
        }
    });
    eprintln!(
        "{} cases: {} outputs, {} errors, {} mismatches, {} known differences: {:?}",
        cases.len(),
        n_out,
        n_err,
        failures.len(),
        known_hits.len(),
        known_hits
    );
    if !failures.is_empty() {
        let report = failures.join("\n");
        let _ = std::fs::write(
            std::env::temp_dir().join("gotemplate-diff-failures.txt"),
            &report,
        );
        panic!(
            "{} of {} cases differ from Helm:\n{}",
            failures.len(),
            cases.len(),
            report
        );
    }
}
