//! The built binary, end to end: exit codes, formats, discovery, the rule catalogue commands.

use std::path::Path;
use std::process::{Command, Output};

fn plumbline(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("binary runs")
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The findings of one rule in a JSON report.
fn of_rule<'a>(v: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

const CLEAN: &str = "FROM alpine:3.19\nUSER 10001\n";
const FLOATING: &str = "FROM alpine\nUSER 10001\n";

#[test]
fn exit_codes_follow_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok/Dockerfile", CLEAN);
    write(dir.path(), "bad/Dockerfile", FLOATING);
    assert_eq!(
        plumbline(&["check", "ok"], dir.path()).status.code(),
        Some(0)
    );
    let bad = plumbline(&["check", "bad", "--color", "never"], dir.path());
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("PIN001"));
    assert_eq!(
        plumbline(&["check", "bad", "--fail-on", "never"], dir.path())
            .status
            .code(),
        Some(0)
    );
    // A warning-level finding only fails at --fail-on warning.
    write(
        dir.path(),
        "warn/Dockerfile",
        "FROM alpine:3.19\nRUN sudo true\nUSER 10001\n",
    );
    assert_eq!(
        plumbline(&["check", "warn"], dir.path()).status.code(),
        Some(0)
    );
    assert_eq!(
        plumbline(&["check", "warn", "--fail-on", "warning"], dir.path())
            .status
            .code(),
        Some(1)
    );
    // Usage and I/O errors are 2, and the other paths are still checked.
    let missing = plumbline(&["check", "nope", "bad", "--format", "json"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    let v = json(&missing);
    assert_eq!(v["errors"][0]["path"], "nope");
    assert_eq!(v["findings"][0]["rule"], "PIN001");
    assert_eq!(
        plumbline(&["check", "--format", "xml"], dir.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        plumbline(&["check", "--enable", "NOPE"], dir.path())
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn json_output_is_located_relative_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "svc/Dockerfile",
        "FROM alpine:3.19\nUSER 10001\nENV API_TOKEN=zq81-long-lived\n",
    );
    let a = plumbline(&["check", "--format", "json", "--threads", "1"], dir.path());
    let b = plumbline(&["check", "--format", "json", "--threads", "2"], dir.path());
    assert_eq!(a.stdout, b.stdout, "output must not depend on threads");
    let v = json(&a);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "SEC001");
    assert_eq!(f["family"], "secrets");
    assert_eq!(f["path"], "svc/Dockerfile");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(3), Some(15))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(3), Some(30))
    );
    assert!(
        !stdout(&a).contains("zq81-long-lived"),
        "secrets are masked"
    );
}

#[test]
fn output_file_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", FLOATING);
    let o = plumbline(
        &["check", ".", "--format", "sarif", "--output", "out.sarif"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "PIN001");
}

#[test]
fn discovery_honours_gitignore_excludes_and_names() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "ignored/\n");
    write(dir.path(), "ignored/Dockerfile", FLOATING);
    write(dir.path(), "vendor/Dockerfile", FLOATING);
    write(dir.path(), "a/Dockerfile.prod", FLOATING);
    write(dir.path(), "b/api.Dockerfile", FLOATING);
    write(dir.path(), ".devcontainer/Containerfile", FLOATING);
    write(dir.path(), "c/Dockerfile.md", "# docs, not a Dockerfile\n");
    write(dir.path(), "d/build-image", FLOATING);
    let v = json(&plumbline(
        &["check", "--format", "json", "--exclude", "vendor/"],
        dir.path(),
    ));
    let mut paths: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    paths.dedup();
    assert_eq!(
        paths,
        [
            ".devcontainer/Containerfile",
            "a/Dockerfile.prod",
            "b/api.Dockerfile"
        ]
    );
    assert_eq!(v["summary"]["files_checked"], 3);
    // A file named explicitly is checked whatever its name.
    let v = json(&plumbline(
        &["check", "--format", "json", "d/build-image"],
        dir.path(),
    ));
    assert_eq!(v["findings"][0]["rule"], "PIN001");
}

#[test]
fn broken_files_give_located_errors_and_do_not_stop_others() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad/Dockerfile", "apiVersion: v1\nkind: Pod\n");
    write(dir.path(), "bin/Dockerfile", "\u{0}\u{1}binary");
    write(dir.path(), "good/Dockerfile", FLOATING);
    let o = plumbline(&["check", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let errors = v["errors"].as_array().unwrap();
    let bad = errors
        .iter()
        .find(|e| e["path"] == "bad/Dockerfile")
        .expect("parse error reported");
    assert_eq!(bad["line"], 1);
    assert!(errors.iter().any(|e| e["path"] == "bin/Dockerfile"));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "good/Dockerfile")
    );
}

#[test]
fn human_output_has_frames_and_no_colour_off_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", FLOATING);
    let o = plumbline(&["check"], dir.path());
    let text = stdout(&o);
    assert!(
        text.contains("PIN001") && text.contains("pinned-versions"),
        "{text}"
    );
    assert!(
        text.contains("FROM alpine"),
        "code frame shows the line: {text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI escapes when not a terminal"
    );
    let coloured = stdout(&plumbline(&["check", "--color", "always"], dir.path()));
    assert!(coloured.contains('\u{1b}'));
}

#[test]
fn rules_explain_version() {
    let dir = tempfile::tempdir().unwrap();
    let list = stdout(&plumbline(&["rules"], dir.path()));
    assert!(
        list.contains("PIN001")
            && list.contains("base-image-unpinned")
            && list.contains("non-root")
    );
    let doc = plumbline(&["explain", "base-image-unpinned"], dir.path());
    assert_eq!(doc.status.code(), Some(0));
    assert!(stdout(&doc).contains("## Why it matters"));
    assert_eq!(
        plumbline(&["explain", "NOPE"], dir.path()).status.code(),
        Some(2)
    );
    let v = plumbline(&["--version"], dir.path());
    assert!(stdout(&v).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn copying_a_checkout_root_needs_git_in_dockerignore() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM alpine:3.19\nCOPY . .\nUSER 10001\n",
    );
    write(dir.path(), ".dockerignore", ".env\n");
    let v = json(&plumbline(&["check", "--format", "json"], dir.path()));
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "SEC005");
    assert!(f["message"].as_str().unwrap().contains("`.git`"), "{f}");
    write(dir.path(), ".dockerignore", ".env\n.git\n");
    let v = json(&plumbline(&["check", "--format", "json"], dir.path()));
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
}

/// A run with one finding, one YAML parse error and one clean file, in every line-oriented
/// and XML format: each names the file, line and column of both the finding and the error.
#[test]
fn compact_github_and_junit_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad/Dockerfile", FLOATING);
    write(dir.path(), "ok/Dockerfile", CLEAN);
    write(
        dir.path(),
        "k8s/broken.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
    );

    let compact = plumbline(&["check", ".", "--format", "compact"], dir.path());
    assert_eq!(compact.status.code(), Some(1));
    let text = stdout(&compact);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "k8s/broken.yaml:5:3: error [parse] duplicate key `name` (first set on line 4)",
            "bad/Dockerfile:1:6: error [PIN001] Base image `alpine` has no tag, so it floats to `latest`",
        ],
        "{text}"
    );

    let github = stdout(&plumbline(
        &["check", ".", "--format", "github"],
        dir.path(),
    ));
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(lines.len(), 3, "{github}");
    assert_eq!(
        lines[2],
        "plumbline: 2 error annotations, 0 warnings, 0 notices in 3 files."
    );
    assert!(lines[0].starts_with("::error file=k8s/broken.yaml,line=5,col=3,"));
    assert!(
        lines[1].starts_with(
            "::error file=bad/Dockerfile,line=1,col=6,endLine=1,endColumn=12,title=PIN001 base-image-unpinned%3A "
        ),
        "{}",
        lines[1]
    );

    let junit = stdout(&plumbline(&["check", ".", "--format", "junit"], dir.path()));
    let doc = roxmltree::Document::parse(&junit).unwrap_or_else(|e| panic!("{e}\n{junit}"));
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: Vec<&str> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    assert_eq!(
        names,
        ["bad/Dockerfile", "k8s/broken.yaml", "ok/Dockerfile"]
    );
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].parent().and_then(|p| p.attribute("name")),
        Some("PIN001 base-image-unpinned")
    );
    let errors = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .count();
    assert_eq!(errors, 1);
    let ok = &suites[2];
    assert_eq!(ok.attribute("failures"), Some("0"));
    assert!(ok.attribute("tests").and_then(|t| t.parse::<usize>().ok()) > Some(5));
}

/// Inline ignores from the built binary: a reasoned ignore mutes its finding and is counted;
/// unused ignores are reported when `CI` is set or the flag asks, and not otherwise.
#[test]
fn inline_ignores_and_unused_ignores() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a/Dockerfile",
        "# plumbline: ignore[PIN001] base is rebuilt nightly on purpose\nFROM alpine\nUSER 10001\n",
    );
    write(
        dir.path(),
        "b/Dockerfile",
        "# hadolint ignore=DL3006\nFROM alpine:3.19\nUSER 10001\n",
    );
    let run = |extra: &[&str], ci: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumbline"));
        cmd.args(["check", ".", "--format", "json"])
            .args(extra)
            .current_dir(dir.path())
            .env_remove("CI");
        if let Some(v) = ci {
            cmd.env("CI", v);
        }
        cmd.output().unwrap()
    };
    let local = run(&[], None);
    assert_eq!(local.status.code(), Some(0), "{}", stdout(&local));
    let v = json(&local);
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["findings"], 0);

    let ci = json(&run(&[], Some("true")));
    let found: Vec<(&str, &str)> = ci["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("SUP002", "b/Dockerfile")]);
    let off = json(&run(&["--report-unused-ignores", "false"], Some("true")));
    assert_eq!(off["summary"]["findings"], 0);
    let on = json(&run(&["--report-unused-ignores"], None));
    assert_eq!(on["summary"]["findings"], 1);
}

/// `baseline` then `check --baseline`: only new findings are reported and gate the exit code;
/// recorded ones still match after unrelated lines move them; fixed ones are counted stale.
#[test]
fn baseline_reports_only_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/Dockerfile", "FROM alpine\nUSER 10001\n");
    write(dir.path(), "b/Dockerfile", "FROM node:latest\nUSER 10001\n");
    let rec = plumbline(&["baseline", ".", "-o", "base.json"], dir.path());
    assert_eq!(rec.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&rec.stderr).contains("Recorded 2 findings"));
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("base.json")).unwrap())
            .unwrap();
    assert_eq!(recorded["entries"].as_array().unwrap().len(), 2);

    // Unrelated edits move the old finding down; one old finding is fixed; one is new.
    write(
        dir.path(),
        "a/Dockerfile",
        "# a comment\nARG X=1\n\nFROM alpine\nUSER 10001\n",
    );
    write(dir.path(), "b/Dockerfile", "FROM node:22.11\nUSER 10001\n");
    write(dir.path(), "c/Dockerfile", "FROM python\nUSER 10001\n");
    let out = plumbline(
        &["check", ".", "--baseline", "base.json", "--format", "json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["c/Dockerfile"]);
    assert_eq!(v["summary"]["baseline"]["matched"], 1);
    assert_eq!(v["summary"]["baseline"]["stale"], 1);

    let human = plumbline(
        &["check", "a", "--baseline", "base.json", "--color", "never"],
        dir.path(),
    );
    assert_eq!(human.status.code(), Some(0));
    assert!(stdout(&human).contains("1 finding in the baseline not shown"));

    write(dir.path(), "bad.json", "{\"version\": 1,\n \"entries\": 3}");
    let bad = plumbline(&["check", ".", "--baseline", "bad.json"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad.json:2:"));
}

fn rules_found(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `.plumbline.toml` from the built binary: the nearest config governs each file; selection,
/// severity overrides, per-path ignores, excludes and strict mode; mistakes exit 2 with the
/// file, line and column; `init` writes a starter that changes nothing.
#[test]
fn config_files_govern_the_files_below_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Findings: PIN001 (error) and, strictly, PIN005; ROOT001 where USER is missing.
    write(root, "app/Dockerfile", "FROM alpine\n");
    write(root, "legacy/old/Dockerfile", "FROM alpine\n");
    write(root, "vendor/Dockerfile", "FROM alpine\n");
    write(root, "team/Dockerfile", "FROM alpine:3.19\nUSER 10001\n");
    write(
        root,
        ".plumbline.toml",
        "exclude = [\"vendor/\"]\nignore = [\"ROOT\"]\n[severity]\nbase-image-unpinned = \"warning\"\n[per-path]\n\"legacy/**\" = [\"pinned-versions\"]\n",
    );
    write(root, "team/.plumbline.toml", "strict = true\n");
    let v = json(&plumbline(&["check", ".", "--format", "json"], root));
    let expected = [
        ("app/Dockerfile", "PIN001", "warning"),
        ("team/Dockerfile", "PIN005", "info"),
    ]
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    assert_eq!(rules_found(&v), expected, "{v}");
    // --config replaces discovery: the team's strict config for every file.
    let v = json(&plumbline(
        &[
            "check",
            ".",
            "--format",
            "json",
            "--config",
            "team/.plumbline.toml",
        ],
        root,
    ));
    let rules: Vec<String> = rules_found(&v).into_iter().map(|r| r.1).collect();
    assert!(rules.contains(&"ROOT001".to_string()), "{rules:?}");

    write(
        root,
        "team/.plumbline.toml",
        "strict = true\nselect = [\"PIN0X\"]\n",
    );
    let bad = plumbline(&["check", "."], root);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr).into_owned();
    assert!(
        err.contains(".plumbline.toml:2:11: `PIN0X` is not a rule id"),
        "{err}"
    );

    let fresh = tempfile::tempdir().unwrap();
    write(fresh.path(), "Dockerfile", "FROM alpine:3.19\nUSER 10001\n");
    assert_eq!(plumbline(&["init"], fresh.path()).status.code(), Some(0));
    assert!(fresh.path().join(".plumbline.toml").is_file());
    assert_eq!(plumbline(&["init"], fresh.path()).status.code(), Some(2));
    assert_eq!(
        plumbline(&["init", "--force"], fresh.path()).status.code(),
        Some(0)
    );
    let clean = plumbline(&["check", "."], fresh.path());
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}

/// YAML that is none of plumbline's formats is left alone: no findings, no errors, not
/// counted — even when it has a top-level `services:` or is broken.
#[test]
fn other_yaml_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "config.yaml",
        "services:\n  - name: a\n    port: 80\n",
    );
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: [push]\njobs:\n  a: {runs-on: x\n",
    );
    write(dir.path(), "mkdocs.yml", "site_name: x\nnav:\n\t- a\n");
    let out = plumbline(&["check", ".", "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let v = json(&out);
    assert_eq!(v["summary"]["files_checked"], 0);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
}

/// A chart's environments: without a production overlay every environment is checked for
/// resources; `[environments] production` in `.plumbline.toml` names which overlays are
/// production, and then only those are.
#[test]
fn config_names_the_production_environments_of_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 0.1.0\nappVersion: \"1.0.0\"\n",
    );
    write(
        root,
        "chart/values.yaml",
        "api:\n  image:\n    repository: shop/api\n    tag: \"1.0.0\"\n  containerPort: 5000\n",
    );
    write(
        root,
        "chart/values.staging.yaml",
        "api:\n  replicaCount: 2\n",
    );
    write(
        root,
        "chart/templates/api.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: \"{{ .Values.api.image.repository }}:{{ .Values.api.image.tag }}\"\n          ports:\n            - containerPort: {{ .Values.api.containerPort }}\n",
    );
    let res020 = |v: &serde_json::Value| -> Vec<String> {
        of_rule(v, "RES020")
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    let v = json(&plumbline(&["check", ".", "--format", "json"], root));
    assert_eq!(res020(&v).len(), 1);
    assert!(
        res020(&v)[0].ends_with("(environments: default, staging)"),
        "{v}"
    );
    write(
        root,
        ".plumbline.toml",
        "[environments]\nproduction = [\"staging\"]\n",
    );
    let v = json(&plumbline(&["check", ".", "--format", "json"], root));
    assert!(res020(&v)[0].ends_with("(environment: staging)"), "{v}");
    // A pre-commit run that names only the overlay still checks the chart it belongs to.
    let v = json(&plumbline(
        &["check", "chart/values.staging.yaml", "--format", "json"],
        root,
    ));
    assert!(res020(&v)[0].ends_with("(environment: staging)"), "{v}");
}

/// The README's first command: the bundled showcase gives exactly the findings its README
/// documents, and none on the clean `api` service in any layer.
#[test]
fn showcase_gives_its_documented_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = plumbline(&["check", "examples/showcase", "--format", "json"], root);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let mut found: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let short = path.trim_start_matches("examples/showcase/");
            format!("{} {short}", f["rule"].as_str().unwrap())
        })
        .collect();
    found.sort();
    let expected = [
        "PIN001 services/worker/Dockerfile",
        "PIN002 services/worker/Dockerfile",
        "PIN003 services/worker/Dockerfile",
        "PIN010 compose.yaml",
        "PIN030 deploy/chart/Chart.yaml",
        "PIN050 infra/terraform/main.tf",
        "PORT002 services/web/Dockerfile",
        "PORT011 compose.yaml",
        "PORT012 compose.yaml",
        "PORT014 compose.yaml",
        "PORT020 deploy/chart/values.yaml",
        "PORT021 deploy/k8s/queue.yaml",
        "PORT090 compose.yaml",
        "PORT090 infra/main.bicep",
        "RES010 compose.yaml",
        "RES020 deploy/chart/templates/worker.yaml",
        "ROOT001 services/worker/Dockerfile",
        "ROOT090 deploy/chart/values.yaml",
        "SEC001 services/worker/Dockerfile",
        "SEC005 services/worker/Dockerfile",
        "SEC010 compose.yaml",
        "SEC021 deploy/k8s/queue.yaml",
        "SEC030 deploy/chart/values.yaml",
    ];
    assert_eq!(found, expected);
    // The chart's `redis` dependency is not vendored: said once, at its `Chart.yaml` entry.
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["kind"], "note");
    assert_eq!(
        errors[0]["path"],
        "examples/showcase/deploy/chart/Chart.yaml"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("redis is not in charts/"),
        "{errors:?}"
    );
}

/// The environments a finding holds in are data, not only words at the end of its message:
/// `environments` on every JSON finding (empty when not deployed per environment), and
/// `properties.environments` on a SARIF result when there are any. The showcase's chart has a
/// production overlay (`values.production.yaml`).
#[test]
fn environments_are_structured_in_json_and_sarif() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |format: &str| {
        let o = plumbline(&["check", "examples/showcase", "--format", format], root);
        assert_eq!(o.status.code(), Some(1));
        json(&o)
    };
    let key = |rule: &str, path: &str| {
        format!("{rule} {}", path.trim_start_matches("examples/showcase/"))
    };

    let v = run("json");
    let mut from_json = std::collections::BTreeMap::new();
    for f in v["findings"].as_array().unwrap() {
        let envs = f["environments"]
            .as_array()
            .unwrap_or_else(|| panic!("no environments array: {f}"));
        let envs: Vec<&str> = envs.iter().map(|e| e.as_str().unwrap()).collect();
        let message = f["message"].as_str().unwrap();
        // The message says the same environments, in the same order.
        match envs.as_slice() {
            [] => assert!(!message.contains("(environment"), "{message}"),
            [one] => assert!(
                message.ends_with(&format!("(environment: {one})")),
                "{message}"
            ),
            many => assert!(
                message.ends_with(&format!("(environments: {})", many.join(", "))),
                "{message}"
            ),
        }
        from_json.insert(
            key(f["rule"].as_str().unwrap(), f["path"].as_str().unwrap()),
            envs.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        from_json["RES020 deploy/chart/templates/worker.yaml"],
        ["production"]
    );
    assert_eq!(
        from_json["PORT020 deploy/chart/values.yaml"],
        ["default", "production"]
    );
    assert!(from_json["PIN001 services/worker/Dockerfile"].is_empty());

    let v = run("sarif");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), from_json.len());
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        let expected = &from_json[&key(r["ruleId"].as_str().unwrap(), uri)];
        if expected.is_empty() {
            assert!(r.get("properties").is_none(), "{r}");
        } else {
            assert_eq!(
                r["properties"]["environments"],
                serde_json::json!(expected),
                "{r}"
            );
        }
    }
}

/// SARIF for code scanning from the built binary: a scan run inside a subdirectory with
/// `--sarif-root` at the repository root gives repository-relative paths, the rule's help
/// link, a category, and fingerprints that do not change when lines move.
#[test]
fn sarif_for_code_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    write(repo, "svc/api/Dockerfile", "FROM alpine\nUSER 10001\n");
    let sarif = |cwd: &Path, extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["check", ".", "--format", "sarif"];
        args.extend_from_slice(extra);
        json(&plumbline(&args, cwd))
    };
    let v = sarif(&repo.join("svc"), &["--sarif-root", ".."]);
    let run = &v["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "plumbline/");
    let result = &run["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "svc/api/Dockerfile"
    );
    let rule = &run["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize];
    assert!(
        rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("/docs/rules/PIN001.md")
    );
    assert!(rule["properties"]["security-severity"].is_string());
    let fp = result["partialFingerprints"].clone();
    write(
        repo,
        "svc/api/Dockerfile",
        "# base image\n\nFROM alpine\nUSER 10001\n",
    );
    let again = sarif(&repo.join("svc"), &["--sarif-root", ".."]);
    assert_eq!(again["runs"][0]["results"][0]["partialFingerprints"], fp);
    assert_eq!(
        again["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
}

/// The SARIF 2.1.0 schema the tests validate against (see tests/report_formats.rs).
fn assert_valid_sarif(v: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("SARIF schema")).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

/// Findings held by an ignore comment or the baseline are SARIF results with `suppressions`
/// (code scanning closes their alerts), and count for nothing anywhere else: the exit status,
/// the JSON document and the text formats are what they were without them.
#[test]
fn suppressed_and_baselined_findings_are_sarif_suppressions_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "c/Dockerfile", "FROM python\nUSER 10001\n");
    let rec = plumbline(&["baseline", ".", "-o", "base.json"], root);
    assert_eq!(rec.status.code(), Some(0));
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("base.json")).unwrap()).unwrap();
    let baselined_fp = recorded["entries"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    write(
        root,
        "a/Dockerfile",
        "# plumbline: ignore[PIN001] base is rebuilt nightly on purpose\nFROM alpine\nUSER 10001\n",
    );
    write(
        root,
        "b/Dockerfile",
        "# hadolint ignore=DL3006\nFROM alpine\nUSER 10001\n",
    );
    let check = |format: &str| {
        plumbline(
            &[
                "check",
                ".",
                "--baseline",
                "base.json",
                "--format",
                format,
                "--color",
                "never",
            ],
            root,
        )
    };

    // Every finding is suppressed or baselined: the run passes, and says nothing new.
    let j = check("json");
    assert_eq!(j.status.code(), Some(0), "{}", stdout(&j));
    let v = json(&j);
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(v["summary"]["findings"], 0);
    assert_eq!(v["summary"]["suppressed"], 2);
    assert_eq!(v["summary"]["baseline"]["matched"], 1);
    for format in ["compact", "github", "human"] {
        let o = check(format);
        assert_eq!(o.status.code(), Some(0), "{format}");
        let text = stdout(&o);
        for path in ["a/Dockerfile", "b/Dockerfile", "c/Dockerfile"] {
            assert!(!text.contains(path), "{format} names {path}:\n{text}");
        }
    }
    // JUnit lists every file checked, as passing.
    let junit = stdout(&check("junit"));
    assert!(
        junit.contains("failures=\"0\"") && !junit.contains("<failure"),
        "{junit}"
    );

    let s = check("sarif");
    assert_eq!(s.status.code(), Some(0));
    let v = json(&s);
    assert_valid_sarif(&v);
    let results = v["runs"][0]["results"].as_array().unwrap();
    let at = |r: &serde_json::Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // In path order, as every format orders findings.
    let paths: Vec<String> = results.iter().map(at).collect();
    assert_eq!(paths, ["a/Dockerfile", "b/Dockerfile", "c/Dockerfile"]);
    assert!(results.iter().all(|r| r["ruleId"] == "PIN001"));
    assert_eq!(
        results[0]["suppressions"],
        serde_json::json!([{
            "kind": "inSource",
            "justification": "base is rebuilt nightly on purpose",
            "location": {"physicalLocation": {
                "artifactLocation": {"uri": "a/Dockerfile", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 28},
            }},
        }])
    );
    // hadolint's ignores give no reason: no justification rather than an invented one.
    let b = &results[1]["suppressions"][0];
    assert_eq!(b["kind"], "inSource");
    assert!(b.get("justification").is_none(), "{b}");
    assert_eq!(b["location"]["physicalLocation"]["region"]["startLine"], 1);
    let c = &results[2]["suppressions"];
    assert_eq!(c.as_array().unwrap().len(), 1);
    assert_eq!(c[0]["kind"], "external");
    assert!(c[0]["justification"].as_str().unwrap().contains("baseline"));
    // The baselined result keeps the fingerprint the baseline matched it by.
    assert_eq!(
        results[2]["partialFingerprints"]["plumbline/v1"],
        baselined_fp.as_str()
    );
    let fps: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["plumbline/v1"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), 3, "fingerprints are unique in a run");

    // A new finding is reported as before, and is the one result without `suppressions`.
    write(root, "d/Dockerfile", "FROM node:latest\nUSER 10001\n");
    let j = check("json");
    assert_eq!(j.status.code(), Some(1));
    let found: Vec<String> = json(&j)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found, ["d/Dockerfile"]);
    let s = check("sarif");
    assert_eq!(s.status.code(), Some(1));
    let v = json(&s);
    assert_valid_sarif(&v);
    let results = v["runs"][0]["results"].as_array().unwrap();
    let live: Vec<String> = results
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .map(at)
        .collect();
    assert_eq!(live, ["d/Dockerfile"]);
    assert_eq!(results.len(), 4);

    // Without the baseline, the baselined finding is an ordinary result again, with the same
    // fingerprint: code scanning reopens the same alert, not a new one.
    let plain = json(&plumbline(&["check", ".", "--format", "sarif"], root));
    let c = plain["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| at(r) == "c/Dockerfile")
        .unwrap()
        .clone();
    assert!(c.get("suppressions").is_none(), "{c}");
    assert_eq!(
        c["partialFingerprints"]["plumbline/v1"],
        baselined_fp.as_str()
    );
}

/// Runs the binary with `input` on standard input.
fn plumbline_stdin(args: &[&str], cwd: &Path, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    // A run refused before reading its input closes the pipe: not a failure here.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

/// A project where each of three files is checked with others: a Compose service built from
/// the Dockerfile beside it (ports compared across them), and a chart's production values.
fn stdin_project(dir: &Path) {
    write(
        dir,
        "compose.yaml",
        "services:\n  api:\n    build: .\n    ports: [\"8080:9090\"]\n    user: \"10001\"\n",
    );
    write(
        dir,
        "Dockerfile",
        "FROM python:3.12-slim\nEXPOSE 8000\nUSER 10001\nCMD [\"python\", \"app.py\"]\n",
    );
    write(
        dir,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: api\nversion: 1.0.0\n",
    );
    write(
        dir,
        "chart/values.yaml",
        "image:\n  repository: registry.example.com/api\n  tag: \"1.2.3\"\n",
    );
    write(
        dir,
        "chart/values.production.yaml",
        "image:\n  tag: latest\n",
    );
    write(
        dir,
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
    );
}

#[test]
fn standard_input_is_checked_as_the_file_it_names_in_every_output_format() {
    let dir = tempfile::tempdir().unwrap();
    stdin_project(dir.path());
    for file in ["Dockerfile", "compose.yaml", "chart/values.production.yaml"] {
        let text = std::fs::read(dir.path().join(file)).unwrap();
        for format in ["human", "json", "sarif", "compact", "github", "junit"] {
            let on_disk = plumbline(
                &["check", file, "--format", format, "--color", "never"],
                dir.path(),
            );
            let piped = plumbline_stdin(
                &[
                    "check",
                    "-",
                    "--stdin-filename",
                    file,
                    "--format",
                    format,
                    "--color",
                    "never",
                ],
                dir.path(),
                &text,
            );
            assert_eq!(stdout(&piped), stdout(&on_disk), "{file} as {format}");
            assert_eq!(
                piped.status.code(),
                on_disk.status.code(),
                "{file} as {format}"
            );
        }
        // Each file has findings in its context, so the comparison says something.
        let found = json(&plumbline(&["check", file, "--format", "json"], dir.path()));
        assert!(
            !found["findings"].as_array().unwrap().is_empty(),
            "{file}: no finding to compare"
        );
    }
    // The buffer, not the file on disk, is what is checked: an unsaved fix clears the
    // finding, and a path that does not exist yet is checked in its project.
    let fixed = plumbline_stdin(
        &[
            "check",
            "-",
            "--stdin-filename",
            "chart/values.production.yaml",
            "--format",
            "json",
        ],
        dir.path(),
        b"image:\n  tag: \"1.2.4\"\n",
    );
    assert!(!stdout(&fixed).contains("latest"), "{}", stdout(&fixed));
    let new = plumbline_stdin(
        &[
            "check",
            "-",
            "--stdin-filename",
            "worker/Dockerfile",
            "--format",
            "compact",
        ],
        dir.path(),
        b"FROM node:latest\n",
    );
    assert!(
        stdout(&new).starts_with("worker/Dockerfile:1:6:"),
        "{}",
        stdout(&new)
    );
    // `-` without a name cannot say what it is.
    let nameless = plumbline_stdin(&["check", "-"], dir.path(), b"FROM x\n");
    assert_eq!(nameless.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nameless.stderr).contains("--stdin-filename"));
}

#[test]
fn completions_man_page_and_version_with_commit() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef plumbline"),
        ("fish", "complete -c plumbline"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = plumbline(&["completions", shell], dir.path());
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("stdin-filename"),
            "{shell} completes check's options"
        );
    }
    let man = plumbline(&["man"], dir.path());
    assert_eq!(man.status.code(), Some(0));
    let page = stdout(&man);
    assert!(
        page.starts_with(".ie") || page.contains(".TH plumbline 1"),
        "{page}"
    );
    assert!(page.contains(".SH SUBCOMMANDS") || page.contains("check"));
    // Built from a checkout, the version names the commit (CI builds from a clone).
    let version = stdout(&plumbline(&["--version"], dir.path()));
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(h) => assert_eq!(
            version.trim(),
            format!("plumbline {} (commit {h})", env!("CARGO_PKG_VERSION"))
        ),
        None => eprintln!("not a git checkout: the version has no commit to show ({version})"),
    }
}

#[test]
fn init_writes_a_config_that_changes_nothing_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", FLOATING);
    let before = stdout(&plumbline(&["check", "--format", "json"], dir.path()));
    assert_eq!(plumbline(&["init"], dir.path()).status.code(), Some(0));
    let after = stdout(&plumbline(&["check", "--format", "json"], dir.path()));
    assert_eq!(before, after);
    assert_eq!(plumbline(&["init"], dir.path()).status.code(), Some(2));
    assert_eq!(
        plumbline(&["init", "--force"], dir.path()).status.code(),
        Some(0)
    );
}

#[test]
fn statistics_count_each_rules_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/Dockerfile", FLOATING);
    write(dir.path(), "b/Dockerfile", FLOATING);
    write(dir.path(), "c/Dockerfile", "FROM alpine:3.19\nUSER root\n");
    let full = json(&plumbline(&["check", "--format", "json"], dir.path()));
    let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
    for f in full["findings"].as_array().unwrap() {
        *expected
            .entry(f["rule"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(expected["PIN001"], 2, "{full}");
    // The JSON summary counts by rule too.
    let by_rule: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(full["summary"]["by_rule"].clone()).unwrap();
    assert_eq!(by_rule, expected);
    let stats = plumbline(&["check", "--statistics", "--format", "json"], dir.path());
    assert_eq!(stats.status.code(), Some(1), "the exit code is the check's");
    let counted: std::collections::BTreeMap<String, u64> = json(&stats)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counted, expected);
    let text = stdout(&plumbline(&["check", "--statistics"], dir.path()));
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("2  PIN001  base-image-unpinned") && first.ends_with("error"),
        "most findings first: {text}"
    );
    assert_eq!(text.lines().count(), expected.len());
    assert_eq!(
        plumbline(&["check", "--statistics", "--format", "sarif"], dir.path())
            .status
            .code(),
        Some(2)
    );
}

/// `[[helm.chart]]`: a chart installed with `-f ../inf.yaml --set image.tag=latest` in `prod`
/// is rendered with them; the literal password lands on the line of `inf.yaml` (outside the
/// chart) that sets it, the floating tag on the `set` entry of `.plumbline.toml`, and the
/// release name is the configured one.
#[test]
fn configured_chart_values_and_sets_are_rendered_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "deploy/chart/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
    );
    write(
        root,
        "deploy/chart/values.yaml",
        "image:\n  repository: shop/api\n  tag: \"1.4.2\"\npassword: \"\"\n",
    );
    write(root, "deploy/inf.yaml", "password: Pass@word1234\n");
    write(
        root,
        "deploy/chart/templates/d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n          env:\n            - name: DB_PASSWORD\n              value: {{ .Values.password | quote }}\n",
    );
    write(
        root,
        ".plumbline.toml",
        "[[helm.chart]]\npath = \"deploy/chart\"\nrelease = \"shop\"\n[helm.chart.environments.prod]\nvalues = [\"../inf.yaml\"]\nset = [\"image.tag=latest\"]\n",
    );
    let v = json(&plumbline(&["check", ".", "--format", "json"], root));
    let found = |rule: &str| -> Vec<(String, u64, String)> {
        of_rule(&v, rule)
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let sec = found("SEC020");
    assert_eq!(sec.len(), 1, "{v}");
    assert_eq!((sec[0].0.as_str(), sec[0].1), ("deploy/inf.yaml", 1));
    assert!(sec[0].2.contains("Deployment `shop-api`"), "{v}");
    assert!(sec[0].2.ends_with("(environment: prod)"), "{v}");
    assert!(
        !sec[0].2.contains("Pass@word1234"),
        "the secret is masked: {v}"
    );
    let pin = found("PIN020");
    assert_eq!(pin.len(), 1, "{v}");
    assert_eq!((pin[0].0.as_str(), pin[0].1), (".plumbline.toml", 6));
    assert!(pin[0].2.ends_with("(environment: prod)"), "{v}");
}

/// Chart `web` in a Kustomize base's chart home (`base/charts/web`): its `Chart.yaml`, and
/// `files` below it.
fn kustomize_base_chart(root: &Path, files: &[(&str, &str)]) {
    write(
        root,
        "base/charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    for (rel, text) in files {
        write(root, &format!("base/charts/web/{rel}"), text);
    }
}

/// Kustomize `helmCharts`: the chart is rendered with the entry's `valuesInline`, a floating
/// tag set there lands on its line in the kustomization, the overlay's `namePrefix` is in the
/// workload's name, and the chart (used only by the root) is not also checked on its own.
#[test]
fn kustomize_helm_charts_are_rendered_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    kustomize_base_chart(
        root,
        &[
            (
                "values.yaml",
                "image:\n  repository: nginx\n  tag: \"1.27.0\"\n",
            ),
            (
                "templates/d.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
            ),
        ],
    );
    write(
        root,
        "base/kustomization.yaml",
        "helmCharts:\n  - name: web\n    releaseName: shop\n    valuesInline:\n      image:\n        tag: latest\n",
    );
    write(
        root,
        "overlays/prod/kustomization.yaml",
        "resources:\n  - ../../base\nnamePrefix: prod-\n",
    );
    let v = json(&plumbline(&["check", ".", "--format", "json"], root));
    let pin = of_rule(&v, "PIN020");
    assert_eq!(pin.len(), 1, "{v}");
    assert_eq!(pin[0]["path"], "base/kustomization.yaml");
    assert_eq!(pin[0]["line"], 6);
    let message = pin[0]["message"].as_str().unwrap();
    assert!(message.contains("Deployment `prod-shop-web`"), "{v}");
    assert!(message.ends_with("(environment: prod)"), "{v}");
    // Only the root's rendering is checked: no finding names the chart's default release.
    assert!(!v.to_string().contains("release-name-web"), "{v}");
}

/// A `helmCharts` chart whose dependency is not vendored renders as a chart on its own does:
/// the dependency is one note at its `Chart.yaml` entry counting the templates that need it,
/// and what renders without it (here a Deployment with a floating tag) is still checked,
/// through the root.
#[test]
fn kustomize_helm_chart_without_its_dependency_is_checked_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "base/charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n  - name: common\n    version: 2.x.x\n    repository: oci://registry-1.docker.io/bitnamicharts\n",
    );
    write(
        root,
        "base/charts/web/templates/svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"common.names.fullname\" . }}\n",
    );
    write(
        root,
        "base/charts/web/templates/d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:latest\n",
    );
    write(
        root,
        "base/kustomization.yaml",
        "helmCharts:\n  - name: web\n    releaseName: shop\n",
    );
    let v = json(&plumbline(&["check", ".", "--format", "json"], root));
    let pin = of_rule(&v, "PIN020");
    assert_eq!(pin.len(), 1, "{v}");
    assert_eq!(pin[0]["path"], "base/charts/web/templates/d.yaml");
    assert!(
        pin[0]["message"].as_str().unwrap().contains("shop-web"),
        "{v}"
    );
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["kind"], "note");
    assert_eq!(errors[0]["path"], "base/charts/web/Chart.yaml");
    assert_eq!(errors[0]["line"], 5);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .ends_with("; 1 template file(s) that need a chart not in charts/ were not rendered"),
        "{errors:?}"
    );
}

/// A `helmCharts` entry whose `kubeVersion` Helm cannot parse fails the root as `kubectl
/// kustomize` fails it (Helm's message), located in the kustomization; nothing is guessed.
#[test]
fn kustomize_helm_chart_with_an_invalid_kube_version_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    kustomize_base_chart(
        root,
        &[(
            "templates/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:latest\n",
        )],
    );
    write(
        root,
        "base/kustomization.yaml",
        "helmCharts:\n  - name: web\n    releaseName: shop\n    kubeVersion: bogus\n",
    );
    let v = json(&plumbline(&["check", ".", "--format", "json"], root));
    let errors = v["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["path"] == "base/kustomization.yaml"
            && e["message"]
                .as_str()
                .unwrap()
                .contains("invalid kube version 'bogus': Invalid Semantic Version")),
        "{v}"
    );
}

/// `[helm]` settings hold for every chart under the config (the release name here), and
/// `kube-version`/`api-versions` are `helm template --kube-version/--api-versions`: a chart
/// that gates its image tag and a security context on `.Capabilities` is checked as that
/// cluster gets it. A `[[helm.chart]]` entry's own settings win. A version Helm cannot parse is
/// a located config error.
#[test]
fn helm_settings_in_the_config_set_release_and_capabilities() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    write(
        root,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(
        root,
        "chart/values.yaml",
        "tag: latest\npinned: \"1.27.0\"\n",
    );
    write(
        root,
        "chart/templates/d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: \"nginx:{{ if semverCompare \"<1.30-0\" .Capabilities.KubeVersion.Version }}{{ .Values.tag }}{{ else }}{{ .Values.pinned }}{{ end }}\"\n{{- if .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }}\n          securityContext:\n            privileged: true\n{{- end }}\n",
    );
    let run = |config: &str| {
        write(root, ".plumbline.toml", config);
        json(&plumbline(&["check", ".", "--format", "json"], root))
    };
    // helm template's defaults (Kubernetes v1.32.0): the pinned tag, no privileged container.
    let v = run("[helm]\nrelease = \"shop\"\n");
    assert!(of_rule(&v, "PIN020").is_empty(), "{v}");
    assert!(of_rule(&v, "ROOT022").is_empty(), "{v}");
    let root020 = of_rule(&v, "ROOT020");
    assert_eq!(root020.len(), 1, "{v}");
    assert!(
        root020[0]["message"]
            .as_str()
            .unwrap()
            .contains("`shop-web`"),
        "{v}"
    );
    // Kubernetes 1.29: the floating tag, at its values line.
    let v = run("[helm]\nkube-version = \"1.29\"\n");
    let pin = of_rule(&v, "PIN020");
    assert_eq!(pin.len(), 1, "{v}");
    assert_eq!(
        (pin[0]["path"].as_str(), pin[0]["line"].as_u64()),
        (Some("chart/values.yaml"), Some(1))
    );
    // A chart's own entry: its version and an extra API version.
    let v = run(
        "[helm]\nkube-version = \"1.31\"\n[[helm.chart]]\npath = \"chart\"\nkube-version = \"v1.28.3\"\napi-versions = [\"monitoring.coreos.com/v1\"]\n",
    );
    assert_eq!(of_rule(&v, "PIN020").len(), 1, "{v}");
    assert_eq!(of_rule(&v, "ROOT022").len(), 1, "{v}");
    // What the entry leaves out is the `[helm]` setting: the API version stays.
    let v = run(
        "[helm]\napi-versions = [\"monitoring.coreos.com/v1\"]\n[[helm.chart]]\npath = \"chart\"\nkube-version = \"1.31\"\n",
    );
    assert!(of_rule(&v, "PIN020").is_empty(), "{v}");
    assert_eq!(of_rule(&v, "ROOT022").len(), 1, "{v}");
    // A version Helm refuses: the config's error, at its line and column.
    write(
        root,
        ".plumbline.toml",
        "[helm]\nkube-version = \"bogus\"\n",
    );
    let out = plumbline(&["check", "."], root);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            ".plumbline.toml:2:16: invalid kube version 'bogus': Invalid Semantic Version"
        ),
        "{err}"
    );
}
