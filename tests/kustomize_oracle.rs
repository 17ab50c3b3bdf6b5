//! Differential test of the Kustomize builder against real kustomize: every kustomization
//! directory of the shared corpus (`../shared/corpus`) and of `tests/fixtures/kustomize` is
//! built by `kubectl kustomize` (kubectl 1.31, kustomize v5.4.2) and by
//! `plumbline::render::kustomize::build`, and the results are compared as data: documents
//! keyed by apiVersion/kind/namespace/name, scalars typed as YAML types them. A root
//! kustomize refuses must be refused by us with the same class of error.
//!
//! `PLUMBLINE_KUSTOMIZE_CORPUS=DIR` compares the kustomizations of a repository of your own
//! (DIR, its root) in place of the corpus.
//!
//! The oracle is installed by `tests/oracles/install.sh` (into
//! `$HOME/.cache/plumbline-oracles`, or `$PLUMBLINE_ORACLES`; `$PLUMBLINE_KUBECTL` names the
//! binary directly). Without it the test fails: a differential test never passes silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use plumbline::parse::yaml;
use plumbline::render::kustomize::{self, Class, Options};
use plumbline::source::files::DiskFiles;
use plumbline::source::{Format, SourceFile};

mod oracles;

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every directory holding a kustomization file below `dir`, with the repository root the
/// builder is given (the first directory below `corpus`, or the fixtures directory).
fn kustomization_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            kustomization_dirs(&p, out);
        } else if matches!(
            p.file_name().and_then(|n| n.to_str()),
            Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
        ) {
            out.push(dir.to_path_buf());
        }
    }
}

type Docs = BTreeMap<String, serde_json::Value>;

fn key(v: &serde_json::Value) -> String {
    let s = |p: &[&str]| {
        let mut x = v;
        for k in p {
            x = &x[*k];
        }
        x.as_str().unwrap_or("").to_string()
    };
    format!(
        "{}/{}/{}/{}",
        s(&["apiVersion"]),
        s(&["kind"]),
        s(&["metadata", "namespace"]),
        s(&["metadata", "name"])
    )
}

fn docs_of(nodes: &[yaml::Node]) -> Docs {
    nodes
        .iter()
        .map(kustomize::data)
        .map(|v| (key(&v), v))
        .collect()
}

/// The class of a kustomize error message.
fn class_of(message: &str) -> Class {
    let m = message;
    if m.contains("cycle detected") {
        Class::Cycle
    } else if m.contains("is not in or below") {
        Class::Restricted
    } else if m.contains("already registered id") || m.contains("behavior must be merge or replace")
    {
        Class::Duplicate
    } else if m.contains("MalformedYAMLError") || m.contains("yaml: line") {
        Class::Yaml
    } else if m.contains("unknown field") || m.contains("cannot unmarshal") {
        Class::Field
    } else if m.contains("no resource matches")
        || m.contains("cannot merge or replace")
        || m.contains("does not match a config")
        || m.contains("nothing selected")
        || m.contains("unable to find field")
    {
        Class::NoMatch
    } else if m.contains("no such file or directory") || m.contains("unable to find one of") {
        Class::Missing
    } else {
        Class::Invalid
    }
}

/// Paths (`/spec/replicas`) where two values differ, at most `max`.
fn diff(
    a: &serde_json::Value,
    b: &serde_json::Value,
    path: &str,
    out: &mut Vec<String>,
    max: usize,
) {
    use serde_json::Value as J;
    if out.len() >= max || a == b {
        return;
    }
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let p = format!("{path}/{k}");
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => diff(v, w, &p, out, max),
                    (Some(v), None) => out.push(format!("{p}: kustomize {v}, plumbline missing")),
                    (None, Some(w)) => out.push(format!("{p}: kustomize missing, plumbline {w}")),
                    (None, None) => {}
                }
            }
        }
        (J::Array(x), J::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(v, w, &format!("{path}/{i}"), out, max);
            }
        }
        _ => out.push(format!("{path}: kustomize {a}, plumbline {b}")),
    }
}

struct Outcome {
    dir: String,
    kustomize: Result<Docs, (Class, String)>,
    ours: Result<Docs, (Class, String)>,
}

fn run_kustomize(kubectl: &Path, dir: &Path) -> Result<Docs, (Class, String)> {
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("run kubectl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let msg = stderr
            .lines()
            .filter(|l| !l.starts_with("# Warning"))
            .collect::<Vec<_>>()
            .join(" ");
        return Err((class_of(&msg), msg));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let file = Arc::new(SourceFile::in_memory(
        "kustomize.yaml",
        Format::Kubernetes,
        text,
    ));
    let stream = yaml::load(&file);
    assert!(
        stream.errors.is_empty(),
        "{}: {:?}",
        dir.display(),
        stream.errors
    );
    Ok(docs_of(&stream.docs))
}

fn run_ours(dir: &Path, repo_root: &Path) -> (Result<Docs, (Class, String)>, kustomize::Build) {
    let files = DiskFiles::new(10 << 20, crate_root());
    let opts = Options::new(repo_root);
    let b = kustomize::build(&files, dir, &opts);
    let result = match b.diagnostics.iter().find(|d| d.is_error()) {
        Some(e) => Err((
            e.class,
            format!(
                "{}:{}: {}",
                e.at.file.display_path,
                e.at.start().line,
                e.message
            ),
        )),
        None => Ok(docs_of(&b.objects)),
    };
    (result, b)
}

#[test]
fn builds_equal_kubectl_kustomize() {
    let kubectl = oracles::kubectl();
    let shared = crate_root().join("../shared");
    let mut roots: Vec<(PathBuf, PathBuf)> = Vec::new();
    // `PLUMBLINE_KUSTOMIZE_CORPUS=DIR` compares the kustomizations below DIR (a repository of
    // your own, DIR its root) instead of the corpus; the fixtures are compared either way.
    let custom = std::env::var_os("PLUMBLINE_KUSTOMIZE_CORPUS").map(PathBuf::from);
    if let Some(repo) = &custom {
        let mut dirs = Vec::new();
        kustomization_dirs(repo, &mut dirs);
        assert!(!dirs.is_empty(), "no kustomization in {}", repo.display());
        roots.extend(dirs.into_iter().map(|d| (d, repo.clone())));
    } else if shared.is_dir() {
        let corpus = shared.join("corpus");
        let mut dirs = Vec::new();
        kustomization_dirs(&corpus, &mut dirs);
        assert!(!dirs.is_empty(), "no kustomization in {}", corpus.display());
        for d in dirs {
            let project = d
                .strip_prefix(&corpus)
                .ok()
                .and_then(|r| r.components().next())
                .map(|c| corpus.join(c.as_os_str()))
                .unwrap_or_else(|| corpus.clone());
            roots.push((d, project));
        }
    } else {
        eprintln!(
            "\n\n*** ../shared is absent: the corpus part of the Kustomize differential test is SKIPPED \
             (only tests/fixtures/kustomize is compared) ***\n"
        );
    }
    let corpus_count = roots.len();
    let fixtures = crate_root().join("tests/fixtures/kustomize");
    let mut dirs = Vec::new();
    kustomization_dirs(&fixtures, &mut dirs);
    assert!(
        dirs.len() >= 20,
        "the fixtures are missing ({} roots)",
        dirs.len()
    );
    for d in dirs {
        roots.push((d, fixtures.clone()));
    }

    let mut outcomes = Vec::new();
    let mut ours_time = std::time::Duration::ZERO;
    let mut corpus_time = std::time::Duration::ZERO;
    for (i, (dir, repo)) in roots.iter().enumerate() {
        let k = run_kustomize(&kubectl, dir);
        let t = Instant::now();
        let (ours, _) = run_ours(dir, repo);
        let spent = t.elapsed();
        ours_time += spent;
        if i < corpus_count {
            corpus_time += spent;
        }
        outcomes.push(Outcome {
            dir: dir
                .strip_prefix(crate_root())
                .unwrap_or(dir)
                .display()
                .to_string(),
            kustomize: k,
            ours,
        });
    }

    let mut report = String::new();
    let mut problems = 0;
    let (mut same_ok, mut same_err) = (0, 0);
    for o in &outcomes {
        match (&o.kustomize, &o.ours) {
            (Ok(k), Ok(p)) => {
                let mut lines = Vec::new();
                for (key, kv) in k {
                    match p.get(key) {
                        None => lines.push(format!("  missing object {key}")),
                        Some(pv) => {
                            let mut d = Vec::new();
                            diff(kv, pv, "", &mut d, 10);
                            for x in d {
                                lines.push(format!("  {key}: {x}"));
                            }
                        }
                    }
                }
                for key in p.keys().filter(|k2| !k.contains_key(*k2)) {
                    lines.push(format!("  extra object {key}"));
                }
                if lines.is_empty() {
                    same_ok += 1;
                    report.push_str(&format!("identical  {} ({} objects)\n", o.dir, k.len()));
                } else {
                    problems += 1;
                    report.push_str(&format!("DIFFERENT  {}\n{}\n", o.dir, lines.join("\n")));
                }
            }
            (Err((kc, km)), Err((pc, pm))) => {
                if kc == pc {
                    same_err += 1;
                    report.push_str(&format!("refused    {} (both: {kc:?})\n", o.dir));
                } else {
                    problems += 1;
                    report.push_str(&format!(
                        "DIFFERENT  {}: kustomize refuses ({kc:?}: {km}), plumbline refuses ({pc:?}: {pm})\n",
                        o.dir
                    ));
                }
            }
            (Err((kc, km)), Ok(_)) => {
                problems += 1;
                report.push_str(&format!(
                    "DIFFERENT  {}: kustomize refuses ({kc:?}: {km}), plumbline builds it\n",
                    o.dir
                ));
            }
            (Ok(_), Err((pc, pm))) => {
                problems += 1;
                report.push_str(&format!(
                    "DIFFERENT  {}: kustomize builds it, plumbline refuses ({pc:?}: {pm})\n",
                    o.dir
                ));
            }
        }
    }
    eprintln!(
        "{report}\n{} roots compared ({corpus_count} corpus, {} fixtures): {same_ok} built identically, \
         {same_err} refused by both with the same class, {problems} different.\n\
         plumbline built them all in {:.1} ms (corpus roots: {:.1} ms).",
        outcomes.len(),
        outcomes.len() - corpus_count,
        ours_time.as_secs_f64() * 1e3,
        corpus_time.as_secs_f64() * 1e3,
    );
    assert_eq!(
        problems, 0,
        "builds differ from kubectl kustomize:\n{report}"
    );
}

fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// `helmCharts` built as `kubectl kustomize --enable-helm` builds them (kustomize v5.4.2
/// running Helm 3.17.3), with plumbline's own Helm renderer: valuesInline merged over the
/// chart's values (`override`), over a values file (`merge`, `replace`), a chart home set by
/// `helmGlobals`, release name (or a plain `nameTemplate`) and namespace, `.Capabilities` from
/// `apiVersions` and `kubeVersion`, test hooks with and without `skipTests`, and an overlay's
/// namePrefix on top.
#[test]
fn helm_charts_build_as_kubectl_kustomize_enable_helm() {
    let kubectl = oracles::kubectl();
    let helm = oracles::helm();
    let chart = [
        (
            "Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: \"1.0.0\"\n",
        ),
        (
            "values.yaml",
            "image:\n  repository: nginx\n  tag: \"1.27.0\"\nport: 8080\nreplicas: 1\nextra: {a: 1, b: 2}\n",
        ),
        (
            "templates/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n  namespace: {{ .Release.Namespace }}\n  labels:\n    {{- toYaml .Values.extra | nindent 4 }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n          ports:\n            - containerPort: {{ .Values.port }}\n",
        ),
        (
            "templates/svc.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-web\n  labels:\n    kube: {{ .Capabilities.KubeVersion.Version | quote }}\n    minor: {{ .Capabilities.KubeVersion.Minor | quote }}\n    monitoring: {{ .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" | quote }}\nspec:\n  selector: {app: web}\n  ports:\n    - port: 80\n      targetPort: {{ .Values.port }}\n",
        ),
        (
            "templates/tests/connection.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n    helm.sh/hook: \" Test-Success ,post-install\"\nspec:\n  restartPolicy: Never\n  containers:\n    - name: wget\n      image: busybox:1.36\n      command: [wget, \"{{ .Release.Name }}-web:80\"]\n",
        ),
    ];
    let cases: [(&str, &[(&str, &str)]); 5] = [
        (
            "override",
            &[
                (
                    "base/kustomization.yaml",
                    "helmCharts:\n  - name: web\n    releaseName: shop\n    namespace: shop\n    valuesInline:\n      image:\n        tag: latest\n      extra: {b: 3}\n",
                ),
                (
                    "overlays/prod/kustomization.yaml",
                    "resources:\n  - ../../base\nnamePrefix: prod-\n",
                ),
            ],
        ),
        (
            "merge",
            &[
                (
                    "base/kustomization.yaml",
                    "helmGlobals:\n  chartHome: vendor\nhelmCharts:\n  - name: web\n    releaseName: api\n    valuesFile: prod-values.yaml\n    valuesMerge: merge\n    valuesInline:\n      replicas: 5\n      port: 9000\n",
                ),
                (
                    "base/prod-values.yaml",
                    "replicas: 3\nimage:\n  tag: \"1.27.1\"\n",
                ),
                (
                    "overlays/prod/kustomization.yaml",
                    "resources:\n  - ../../base\n",
                ),
            ],
        ),
        (
            "replace",
            &[
                (
                    "base/kustomization.yaml",
                    "helmCharts:\n  - name: web\n    releaseName: api\n    valuesFile: prod-values.yaml\n    valuesMerge: replace\n    valuesInline:\n      port: 7000\n",
                ),
                ("base/prod-values.yaml", "replicas: 3\n"),
                (
                    "overlays/prod/kustomization.yaml",
                    "resources:\n  - ../../base\n",
                ),
            ],
        ),
        (
            "capabilities",
            &[
                (
                    "base/kustomization.yaml",
                    "helmCharts:\n  - name: web\n    releaseName: api\n    apiVersions: [monitoring.coreos.com/v1]\n    kubeVersion: \"1.29\"\n    skipTests: true\n",
                ),
                (
                    "overlays/prod/kustomization.yaml",
                    "resources:\n  - ../../base\n",
                ),
            ],
        ),
        (
            "nameTemplate",
            &[
                (
                    "base/kustomization.yaml",
                    "helmCharts:\n  - name: web\n    nameTemplate: shop\n    kubeVersion: v1.30.2-gke.1\n",
                ),
                (
                    "overlays/prod/kustomization.yaml",
                    "resources:\n  - ../../base\n",
                ),
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (name, files) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write_tree(root, files);
        let home = if name == "merge" { "vendor" } else { "charts" };
        let chart_files: Vec<(String, &str)> = chart
            .iter()
            .map(|(p, t)| (format!("base/{home}/web/{p}"), *t))
            .collect();
        let chart_refs: Vec<(&str, &str)> =
            chart_files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        write_tree(root, &chart_refs);
        let overlay = root.join("overlays/prod");
        let out = Command::new(&kubectl)
            .arg("kustomize")
            .arg("--enable-helm")
            .arg("--helm-command")
            .arg(&helm)
            .arg(&overlay)
            .env("HOME", root)
            .output()
            .expect("run kubectl");
        assert!(
            out.status.success(),
            "{name}: kubectl kustomize refused: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let file = Arc::new(SourceFile::in_memory("k.yaml", Format::Kubernetes, text));
        let theirs = docs_of(&yaml::load(&file).docs);
        let files = DiskFiles::new(10 << 20, root);
        let mut opts = Options::new(root);
        opts.helm = Some(&kustomize::HelmCharts);
        let b = kustomize::build(&files, &overlay, &opts);
        let errors: Vec<_> = b.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let ours = docs_of(&b.objects);
        // The Deployment, the Service and (unless skipped) the test Pod.
        let expected = if name == "capabilities" { 2 } else { 3 };
        assert_eq!(theirs.len(), expected, "{name}: {theirs:?}");
        if theirs.keys().ne(ours.keys()) {
            failures.push(format!(
                "{name}: objects differ: kustomize {:?}, plumbline {:?}",
                theirs.keys().collect::<Vec<_>>(),
                ours.keys().collect::<Vec<_>>()
            ));
            continue;
        }
        for (k, v) in &theirs {
            let mut d = Vec::new();
            diff(v, &ours[k], "", &mut d, 10);
            failures.extend(d.into_iter().map(|x| format!("{name}: {k}{x}")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
