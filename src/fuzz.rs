//! The bodies of the fuzz targets (`fuzz/fuzz_targets/*.rs`), kept in the library so that
//! every crashing input the fuzzer found is replayed by `cargo test` (`tests/fuzz_regressions.rs`
//! runs each file under `tests/fuzz-regressions/<target>/` through [`run`]) without a nightly
//! toolchain.
//!
//! Each target takes arbitrary bytes. The parser targets decode them as UTF-8 (lossily: the
//! engine refuses non-UTF-8 files before any parser sees them) and drive one parser and the
//! builder of its documents; the `pipeline` target runs the whole engine, rules and every
//! output format (the graph's included) on several files with chosen or arbitrary names, and
//! asserts what every output promises whatever the input ([`assert_output_invariants`]).

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::{self, Options};
use crate::model::kubernetes;
use crate::parse::{bicep, compose, dockerfile, terraform, yaml};
use crate::report::{self, OutputFormat, ReportOptions};
use crate::source::{Format, SourceFile};

/// The fuzz targets, by name.
pub const TARGETS: [&str; 11] = [
    "dockerfile",
    "yaml",
    "compose",
    "kubernetes",
    "helm",
    "helm_template",
    "helm_chart",
    "bicep",
    "terraform",
    "arm",
    "pipeline",
];

/// Runs the target called `name` on `data`. Panics (the finding) on a bug; returns normally
/// otherwise.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "dockerfile" => dockerfile_target(data),
        "yaml" => yaml_target(data),
        "compose" => compose_target(data),
        "kubernetes" => kubernetes_target(data),
        "helm" => helm_target(data),
        "helm_template" => helm_template_target(data),
        "helm_chart" => helm_chart_target(data),
        "bicep" => bicep_target(data),
        "terraform" => terraform_target(data),
        "arm" => arm_target(data),
        "pipeline" => pipeline_target(data),
        _ => panic!("unknown fuzz target `{name}`"),
    }
}

/// A root no test machine has, so configs, `.env` and `.dockerignore` lookups find nothing.
const ROOT: &str = "/nonexistent-plumbline-fuzz";

fn file(name: &str, format: Format, data: &[u8]) -> Arc<SourceFile> {
    let path = PathBuf::from(ROOT).join(name);
    let text = String::from_utf8_lossy(data).into_owned();
    Arc::new(SourceFile::new(path, name.to_string(), format, text))
}

/// Checks the invariant every parser promises: errors are located inside the file.
fn assert_spans(file: &SourceFile, errors: &[crate::parse::ParseError]) {
    for e in errors {
        assert_span(file, e.span, &e.message);
    }
}

/// A span lies inside its file, on character boundaries, with a computable line and column.
fn assert_span(file: &SourceFile, span: crate::source::Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= file.text.len(),
        "span {span:?} outside the {}-byte {}: {what}",
        file.text.len(),
        file.display_path
    );
    assert!(
        file.text.is_char_boundary(span.start) && file.text.is_char_boundary(span.end),
        "span {span:?} inside a character of {}: {what}",
        file.display_path
    );
    let _ = file.line_col(span.start);
}

/// What every report promises, whatever the input: no internal error, and every finding,
/// related location and error located inside its file on character boundaries. Shared by the
/// `pipeline` target and the property tests.
pub fn assert_report_invariants(report: &engine::Report) {
    for e in &report.errors {
        assert_ne!(e.kind, engine::ErrorKind::Internal, "{}", e.message);
        if let Some((file, span)) = &e.location {
            assert_span(file, *span, &e.message);
        }
    }
    for f in &report.findings {
        let what = format!("{}: {}", f.rule.id, f.message);
        assert_span(&f.location.file, f.location.span, &what);
        for r in &f.related {
            assert_span(&r.location.file, r.location.span, &what);
        }
    }
}

pub fn dockerfile_target(data: &[u8]) {
    let f = file("Dockerfile", Format::Dockerfile, data);
    let d = dockerfile::parse(&f.text);
    assert_spans(&f, &d.errors);
}

pub fn yaml_target(data: &[u8]) {
    let f = file("any.yaml", Format::OtherYaml, data);
    let s = yaml::load(&f);
    assert_spans(&f, &s.errors);
}

pub fn compose_target(data: &[u8]) {
    let f = file("compose.yaml", Format::Compose, data);
    let s = yaml::load(&f);
    let p =
        crate::render::compose::build_with(&(Arc::clone(&f), s.docs), &[], &compose::Vars::new());
    assert_spans(&f, &p.errors);
}

pub fn kubernetes_target(data: &[u8]) {
    let f = file("deploy.yaml", Format::Kubernetes, data);
    let s = yaml::load(&f);
    let m = kubernetes::build(&f, &s.docs);
    assert_spans(&f, &m.errors);
}

/// The input is split at NUL bytes into `values.yaml`, `templates/deployment.yaml`,
/// `values.production.yaml` and `templates/_helpers.tpl`, beside a fixed `Chart.yaml`: the
/// chart as written, then each environment rendered and read into the Kubernetes model, as a
/// run does. Every span must lie inside its file.
pub fn helm_target(data: &[u8]) {
    use crate::render::helm;
    let mut parts = data.split(|b| *b == 0);
    let values = parts.next().unwrap_or_default();
    let template = parts.next().unwrap_or_default();
    let production = parts.next();
    let helpers = parts.next();
    let root = PathBuf::from(ROOT).join("chart");
    let chart_text = b"apiVersion: v2\nname: app\nversion: 1.0.0\nappVersion: \"1.2.3\"\n";
    let mut tree = std::collections::BTreeMap::new();
    tree.insert(root.join("Chart.yaml"), chart_text.to_vec());
    tree.insert(root.join("values.yaml"), values.to_vec());
    tree.insert(root.join("templates/deployment.yaml"), template.to_vec());
    if let Some(p) = production {
        tree.insert(root.join("values.production.yaml"), p.to_vec());
    }
    if let Some(h) = helpers {
        tree.insert(root.join("templates/_helpers.tpl"), h.to_vec());
    }
    let load = |name: &str, format: Format, text: &[u8]| {
        let f = file(name, format, text);
        let docs = yaml::load(&f).docs;
        (f, docs)
    };
    let chart_file = load("chart/Chart.yaml", Format::HelmChart, chart_text);
    let mut written = crate::model::helm::ChartFiles {
        root: root.clone(),
        chart: Some(chart_file.clone()),
        values: vec![load("chart/values.yaml", Format::HelmValues, values)],
    };
    if let Some(p) = production {
        let v = load("chart/values.production.yaml", Format::HelmValues, p);
        written.values.push(v);
    }
    let chart = crate::model::helm::build(&written);
    for e in &chart.errors {
        assert!(e.span.start <= e.span.end);
    }
    let files = MemFiles(tree);
    let opts = helm::Options {
        limits: helm::Limits {
            value_nodes: 100_000,
            template: helm::template::Limits {
                max_range_iterations: 10_000,
                max_output_bytes: 1 << 20,
                max_steps: 200_000,
                max_include_depth: 50,
                max_tpl_depth: 10,
                ..Default::default()
            },
            ..helm::Limits::default()
        },
        ..helm::Options::default()
    };
    let envs = helm::conventional_environments(&files, &root);
    let r = helm::render(&files, &root, &envs, &opts);
    for env in r.environments {
        let model = crate::model::helm::rendered::read(
            root.clone(),
            r.name.clone(),
            &chart_file.0,
            env,
            Vec::new(),
        );
        for c in &model.manifests.containers {
            assert_span(&c.at.file, c.at.span, "container");
            if let Some(i) = &c.image {
                assert_span(&i.at.file, i.at.span, "image");
            }
        }
    }
}

/// The Go template engine: the input is a template, then (after a NUL) values YAML, then
/// (after another NUL) a second template file (helpers). Parsing and executing must end
/// without a panic, within the limits, and every range of the output must lie inside it.
pub fn helm_template_target(data: &[u8]) {
    use crate::render::helm::template::{self, Limits, Map, TemplateSet, Value};
    let mut parts = data.split(|b| *b == 0);
    let main = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let values = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let helpers = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let values = match template::load_yaml(&values, &mut |s, _| {
        Some(template::Mark::External(s as u32))
    }) {
        Ok(Value::Map(m)) => m,
        _ => Map::new(),
    };
    let top = Map::new();
    top.insert("Values", Value::Map(values));
    let mut set = TemplateSet::new();
    let _ = set.add("c/templates/_helpers.tpl", &helpers, 0);
    if set.add("c/templates/main.yaml", &main, 1).is_err() {
        return;
    }
    let limits = Limits {
        max_range_iterations: 10_000,
        max_output_bytes: 1 << 20,
        max_steps: 200_000,
        max_include_depth: 50,
        max_tpl_depth: 10,
        ..Limits::default()
    };
    if let Ok(r) = set.execute("c/templates/main.yaml", &Value::Map(top), &limits) {
        let n = r.text.len();
        let inside = |a: usize, b: usize| {
            a <= b && b <= n && r.text.is_char_boundary(a) && r.text.is_char_boundary(b)
        };
        for (range, _) in &r.marks {
            assert!(
                inside(range.start, range.end),
                "mark {range:?} outside {n} bytes"
            );
        }
        for (range, _) in &r.literal {
            assert!(
                inside(range.start, range.end),
                "literal {range:?} outside {n} bytes"
            );
        }
        for (range, _) in &r.unknowns {
            assert!(
                inside(range.start, range.end),
                "unknown {range:?} outside {n} bytes"
            );
        }
    }
}

/// Files in memory for the chart target.
struct MemFiles(std::collections::BTreeMap<PathBuf, Vec<u8>>);

impl crate::source::files::Files for MemFiles {
    fn read(&self, path: &std::path::Path) -> Result<Arc<SourceFile>, String> {
        let bytes = self.0.get(path).ok_or("no such file or directory")?;
        let text = String::from_utf8(bytes.clone()).map_err(|_| "is not valid UTF-8")?;
        let name = path.display().to_string();
        Ok(Arc::new(SourceFile::new(
            path.to_path_buf(),
            name,
            Format::OtherYaml,
            text,
        )))
    }
    fn read_bytes(&self, path: &std::path::Path) -> Result<Vec<u8>, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file or directory".into())
    }
    fn is_dir(&self, path: &std::path::Path) -> bool {
        self.0.keys().any(|k| k.starts_with(path) && k != path)
    }
    fn exists(&self, path: &std::path::Path) -> bool {
        self.0.contains_key(path)
    }
    fn list(&self, dir: &std::path::Path) -> Result<Vec<PathBuf>, String> {
        let mut out: Vec<PathBuf> = Vec::new();
        for k in self.0.keys() {
            if let Ok(rest) = k.strip_prefix(dir)
                && let Some(first) = rest.components().next()
            {
                let p = dir.join(first);
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Files of the chart target, by name byte.
const CHART_NAMES: [&str; 14] = [
    "Chart.yaml",
    "values.yaml",
    "values-prod.yaml",
    "templates/a.yaml",
    "templates/_helpers.tpl",
    "templates/NOTES.txt",
    "charts/sub/Chart.yaml",
    "charts/sub/values.yaml",
    "charts/sub/templates/b.yaml",
    ".helmignore",
    "requirements.yaml",
    "charts/packed-1.0.0.tgz",
    "files/data.txt",
    "crds/crd.yaml",
];

/// Loading and rendering a chart: the input is `[name byte][content]` records separated by
/// NUL bytes (a name byte picks one of `CHART_NAMES`; a `.tgz` record is a gzipped tar of
/// the content as `packed/templates/c.yaml` beside a valid Chart.yaml unless the content
/// starts with the gzip magic). Rendering must end without a panic, and every rendered node
/// and diagnostic must point inside its file.
pub fn helm_chart_target(data: &[u8]) {
    use crate::render::helm::{self, Limits, Options};
    let root = PathBuf::from(ROOT).join("chart");
    let mut files = std::collections::BTreeMap::new();
    files.insert(
        root.join("Chart.yaml"),
        b"apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: '*'\n    condition: sub.enabled\n".to_vec(),
    );
    for record in data.split(|b| *b == 0).take(16) {
        let Some((&pick, content)) = record.split_first() else {
            continue;
        };
        let name = CHART_NAMES[usize::from(pick) % CHART_NAMES.len()];
        let content = if name.ends_with(".tgz") && !content.starts_with(b"\x1f\x8b") {
            tgz(&[
                (
                    "packed/Chart.yaml",
                    b"apiVersion: v2\nname: packed\nversion: 1.0.0\n",
                ),
                ("packed/templates/c.yaml", content),
            ])
        } else {
            content.to_vec()
        };
        files.insert(root.join(name), content);
    }
    let files = MemFiles(files);
    let opts = Options {
        include_crds: true,
        limits: Limits {
            value_nodes: 100_000,
            template: crate::render::helm::template::Limits {
                max_range_iterations: 10_000,
                max_output_bytes: 1 << 20,
                max_steps: 200_000,
                max_include_depth: 50,
                max_tpl_depth: 10,
                ..Default::default()
            },
            ..Limits::default()
        },
        ..Options::default()
    };
    let envs = helm::conventional_environments(&files, &root);
    let r = helm::render(&files, &root, &envs, &opts);
    for d in &r.diagnostics {
        assert_span(&d.at.file, d.at.span, &d.message);
    }
    for e in &r.environments {
        for d in &e.diagnostics {
            assert_span(&d.at.file, d.at.span, &d.message);
        }
        for w in &e.written_by {
            assert_span(&w.value.file, w.value.span, "value");
            assert_span(&w.template.file, w.template.span, "template");
        }
        for doc in &e.documents {
            assert_nodes(&doc.node);
        }
    }
}

fn assert_nodes(n: &yaml::Node) {
    assert_span(&n.file, n.span, "rendered node");
    match &n.value {
        yaml::Value::Scalar(_) => {}
        yaml::Value::Seq(items) => items.iter().for_each(assert_nodes),
        yaml::Value::Map(entries) => {
            for e in entries {
                assert_nodes(&e.key);
                assert_nodes(&e.value);
            }
        }
    }
}

/// A gzipped tar of `entries`.
fn tgz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        if h.set_path(name).is_err() {
            continue;
        }
        h.set_cksum();
        let _ = b.append(&h, *data);
    }
    let tar = b.into_inner().unwrap_or_default();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = std::io::Write::write_all(&mut gz, &tar);
    gz.finish().unwrap_or_default()
}

pub fn bicep_target(data: &[u8]) {
    let f = file("main.bicep", Format::Bicep, data);
    let parsed = bicep::parse(&f);
    assert_spans(&f, &parsed.errors);
    let doc = crate::render::bicep::build((&f, &parsed), &[]);
    assert_spans(&f, &doc.errors);
}

pub fn terraform_target(data: &[u8]) {
    let f = file("main.tf", Format::Terraform, data);
    let parsed = terraform::parse(&f);
    assert_spans(&f, &parsed.errors);
    let module = crate::render::terraform::build(&[(&f, &parsed)], false);
    assert_spans(&f, &module.errors);
}

/// An ARM template and a parameter file of the same bytes (the `$schema` decides nothing
/// here: each is parsed as its format), built as one template with its parameter file; and
/// the same bytes as an ECS `container_definitions` heredoc.
pub fn arm_target(data: &[u8]) {
    let t = file("azuredeploy.json", Format::ArmTemplate, data);
    let p = file("azuredeploy.parameters.json", Format::ArmParameters, data);
    let (tp, pp) = (crate::parse::arm::parse(&t), crate::parse::arm::parse(&p));
    assert_spans(&t, &tp.errors);
    assert_spans(&p, &pp.errors);
    let doc = crate::render::bicep::build((&t, &tp), &[(&p, &pp)]);
    for scope in doc.scopes() {
        let _ = crate::model::bicep::containers(&scope);
    }
    let text = String::from_utf8_lossy(data);
    let tf = format!(
        "resource \"aws_ecs_task_definition\" \"x\" {{\n  container_definitions = <<EOF\n{text}\nEOF\n}}\n"
    );
    let f = file("main.tf", Format::Terraform, tf.as_bytes());
    let parsed = terraform::parse(&f);
    let module = crate::render::terraform::build(&[(&f, &parsed)], false);
    let _ = crate::model::terraform::build(module);
}

/// File names the pipeline target picks from, so that most inputs reach a parser; a name
/// byte past the list takes an arbitrary name from the input instead.
const NAMES: [&str; 18] = [
    "Dockerfile",
    "svc/Dockerfile",
    "compose.yaml",
    "compose.override.yaml",
    "k8s/deploy.yaml",
    "chart/Chart.yaml",
    "chart/values.yaml",
    "chart/values.production.yaml",
    "chart/templates/deployment.yaml",
    "chart/templates/_helpers.tpl",
    "infra/main.bicep",
    "infra/main.bicepparam",
    "tf/main.tf",
    "tf/terraform.tfvars",
    "Containerfile",
    "svc/Dockerfile.dev",
    "other.yaml",
    "notes.txt",
];

/// Several files in one run: the input is a sequence of `[name byte][content]` records
/// separated by NUL bytes. A name byte below `NAMES.len()` picks a name; any other byte
/// means the content's first line is the name (arbitrary, possibly hostile).
pub fn pipeline_target(data: &[u8]) {
    let mut sources: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for record in data.split(|b| *b == 0).take(12) {
        let Some((&pick, rest)) = record.split_first() else {
            continue;
        };
        let (name, content) = match NAMES.get(usize::from(pick)) {
            Some(n) => (n.to_string(), rest),
            None => {
                let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
                // Backslashes, colons and control characters are kept: outputs must cope with
                // `C:`, `\\x` and `a\n::error::` as names on Linux.
                let name = String::from_utf8_lossy(&rest[..end]).into_owned();
                let name = name.trim_start_matches('/').replace("..", "_");
                let name = if name.is_empty() {
                    "unnamed".into()
                } else {
                    name
                };
                (name, rest.get(end + 1..).unwrap_or_default())
            }
        };
        let path = PathBuf::from(ROOT).join(&name);
        if sources.iter().any(|(p, _)| *p == path) {
            continue;
        }
        sources.push((path, content.to_vec()));
    }
    // Secrets a detector recognises in the contents, that no name holds (paths are shown as
    // they are): none may be printed in full by any output.
    let names: String = sources
        .iter()
        .map(|(p, _)| p.to_string_lossy().to_lowercase())
        .collect();
    let mut secrets: Vec<String> = Vec::new();
    for (_, bytes) in &sources {
        let text = String::from_utf8_lossy(bytes);
        for (span, _) in crate::model::secret::find_tokens(&text) {
            let t = text[span.start..span.end].to_lowercase();
            if !names.contains(&t) && !secrets.contains(&t) {
                secrets.push(t);
            }
        }
    }
    let opts = Options {
        paths: vec![PathBuf::from(ROOT)],
        cwd: PathBuf::from(ROOT),
        report_unused_ignores: true,
        ..Options::default()
    };
    let report =
        engine::check_sources(&opts, sources.clone()).expect("the default options are valid");
    assert_report_invariants(&report);
    let ropts = ReportOptions::default();
    for format in OutputFormat::ALL {
        let mut out = Vec::new();
        report::write(&report, format, &ropts, &mut out).expect("writing to memory");
        let text =
            String::from_utf8(out).unwrap_or_else(|_| panic!("{format} output is not UTF-8"));
        assert_output_invariants(format.as_str(), &text, &secrets);
    }
    let (_, baseline) = report::baseline_json(&report);
    assert_output_invariants("baseline", &baseline, &secrets);
    // The graph, as `plumbline graph` builds it.
    let graph_opts = Options {
        graph_only: true,
        ..opts
    };
    let graph = engine::check_sources(&graph_opts, sources).expect("the default options are valid");
    for (format, name) in [
        (report::graph::GraphFormat::Text, "graph-text"),
        (report::graph::GraphFormat::Json, "graph-json"),
        (report::graph::GraphFormat::Dot, "graph-dot"),
    ] {
        let mut out = Vec::new();
        report::graph::write(&graph, format, &mut out).expect("writing to memory");
        let text = String::from_utf8(out).unwrap_or_else(|_| panic!("{name} output is not UTF-8"));
        assert_output_invariants(name, &text, &secrets);
    }
    let mut errors = Vec::new();
    report::write_error_lines(&graph, &mut errors).expect("writing to memory");
    assert_output_invariants("graph-errors", &String::from_utf8_lossy(&errors), &secrets);
}

/// What every output promises whatever the files held (`format` names the output: a
/// `--format`, `baseline`, `graph-text`, `graph-json`, `graph-dot`): no line begins a GitHub
/// workflow command except the github format's own annotations; no raw control, bidi or
/// separator character, nor a noncharacter XML cannot hold; JSON outputs parse, and SARIF's
/// every artifact is a relative reference with a `uriBaseId`; none of `secrets` (lower-case)
/// appears in any letter case. Shared by the `pipeline` target and `tests/hostile.rs`.
pub fn assert_output_invariants(format: &str, text: &str, secrets: &[String]) {
    for line in text.lines() {
        if !line.starts_with("::") {
            continue;
        }
        assert_eq!(
            format, "github",
            "a line starts a workflow command: {line:?}"
        );
        assert!(
            ["::error ", "::warning ", "::notice "]
                .iter()
                .any(|c| line.starts_with(c)),
            "{format}: not one of plumbline's annotations: {line:?}"
        );
    }
    if let Some((i, c)) = text
        .char_indices()
        .find(|(_, c)| *c != '\n' && *c != '\t' && report::escape::is_unsafe(*c))
    {
        let from = text[..i].char_indices().rev().nth(60).map_or(0, |x| x.0);
        panic!(
            "{format}: raw U+{:04X} in {:?}",
            c as u32,
            &text[from..(i + c.len_utf8()).min(text.len())]
        );
    }
    if !secrets.is_empty() {
        let lower = text.to_lowercase();
        for s in secrets {
            assert!(
                !lower.contains(s.as_str()),
                "{format}: secret `{s}` printed in full"
            );
        }
    }
    if matches!(format, "json" | "sarif" | "baseline" | "graph-json") {
        let v: serde_json::Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{format} output is not JSON: {e}"));
        if format == "sarif" {
            assert_relative_artifacts(&v);
        }
    }
}

/// Every SARIF `artifactLocation` is a relative reference with a `uriBaseId`.
fn assert_relative_artifacts(v: &serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            if let Some(a) = o.get("artifactLocation") {
                let uri = a["uri"].as_str().unwrap_or_default();
                assert_eq!(
                    a["uriBaseId"].as_str(),
                    Some("%SRCROOT%"),
                    "SARIF artifact {uri} has no uriBaseId"
                );
                assert!(
                    !uri.contains(':') && !uri.starts_with('/'),
                    "SARIF artifact {uri} is not a relative reference"
                );
            }
            o.values().for_each(assert_relative_artifacts);
        }
        serde_json::Value::Array(a) => a.iter().for_each(assert_relative_artifacts),
        _ => {}
    }
}
