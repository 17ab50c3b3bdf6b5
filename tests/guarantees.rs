//! The guarantees of issue 7, proven on the built binary:
//! - a panic in any stage is contained to its file (or to the cross-file stage) and reported
//!   as an internal error, never a crash of the run (`PLUMBLINE_TEST_PANIC`, debug builds);
//! - no network access, and nothing under the checked paths is opened for writing
//!   (`strace`, which CI installs);
//! - output is byte-identical across runs and thread counts, in every format.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn plumbline(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    cmd.args(args).current_dir(root());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// (path, rule) of every finding in a JSON report.
fn findings(v: &serde_json::Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn internal_errors(v: &serde_json::Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "internal")
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const SHOWCASE: &str = "examples/showcase";
const WEB: &str = "examples/showcase/services/web/Dockerfile";
const WORKER: &str = "examples/showcase/services/worker/Dockerfile";
const COMPOSE: &str = "examples/showcase/compose.yaml";

#[test]
fn a_panic_costs_one_file_never_the_run() {
    let clean = plumbline(&["check", SHOWCASE, "--format", "json"], &[]);
    let clean = json(&clean);
    let all = findings(&clean);
    assert!(all.iter().any(|(p, _)| p == WORKER));
    assert!(internal_errors(&clean).is_empty());

    // Each stage, made to panic on one file: (spec, file that loses findings).
    let cases = [
        (format!("parse:{WEB}"), Some(WEB)),
        (format!("assemble:{COMPOSE}"), Some(COMPOSE)),
        (format!("rule:PIN001 {WORKER}"), None),
        ("graph".to_string(), None),
    ];
    for (spec, lost) in cases {
        let out = plumbline(
            &["check", SHOWCASE, "--format", "json"],
            &[("PLUMBLINE_TEST_PANIC", &spec)],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "{spec}: the panic leaked: {stderr}"
        );
        assert_eq!(out.status.code(), Some(1), "{spec}: {stderr}");
        let v = json(&out);
        let errors = internal_errors(&v);
        assert_eq!(errors.len(), 1, "{spec}: {errors:?}");
        let (path, message) = &errors[0];
        assert!(message.contains("injected panic"), "{spec}: {message}");
        assert!(message.contains("please report"), "{spec}: {message}");
        let got = findings(&v);
        match (spec.as_str(), lost) {
            ("graph", _) => {
                assert!(path.is_empty(), "the graph error names no file");
                // Every per-file finding is still there; the cross-file ones (the `*09x`
                // rules, and the Compose health rules that read the image through the graph)
                // are gone.
                let cross = |r: &str| {
                    r.contains("09") || ["PORT001", "PORT011", "PORT013", "PORT014"].contains(&r)
                };
                let per_file: Vec<_> = all.iter().filter(|(_, r)| !cross(r)).collect();
                assert!(per_file.iter().all(|f| got.contains(f)), "{spec}");
                assert!(got.iter().all(|(_, r)| !cross(r)), "{spec}");
            }
            (s, None) if s.starts_with("rule:") => {
                assert_eq!(path, WORKER);
                assert!(message.contains("in rule PIN001"), "{message}");
                // Only PIN001 on that file is lost; every other finding is intact.
                let expected: Vec<_> = all
                    .iter()
                    .filter(|(p, r)| !(p == WORKER && r == "PIN001"))
                    .cloned()
                    .collect();
                assert_eq!(got, expected, "{spec}");
            }
            (_, Some(file)) => {
                assert_eq!(path, file, "{spec}");
                // The other files keep all their own findings.
                for f in all.iter().filter(|(p, r)| p != file && !r.contains("09")) {
                    assert!(got.contains(f), "{spec}: lost {f:?}");
                }
            }
            _ => unreachable!(),
        }
        // Every output format carries the internal error.
        for format in ["human", "sarif", "github", "junit", "compact"] {
            let out = plumbline(
                &["check", SHOWCASE, "--format", format, "--color", "never"],
                &[("PLUMBLINE_TEST_PANIC", &spec)],
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("injected panic"), "{spec} {format}: {text}");
            assert_eq!(out.status.code(), Some(1), "{spec} {format}");
        }
    }
}

/// `strace` records what the process asked of the kernel; CI installs it (.ci/run).
fn strace() -> Option<PathBuf> {
    let found = ["/usr/bin/strace", "/bin/strace"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must install strace");
        eprintln!("strace not installed: the network and write guarantees were not checked");
    }
    found
}

#[test]
fn no_network_and_nothing_checked_is_opened_for_writing() {
    let Some(strace) = strace() else { return };
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.txt");
    let showcase = root().join(SHOWCASE);
    let sarif = dir.path().join("out.sarif");
    let status = Command::new(strace)
        .args(["-f", "-qq", "-e", "trace=%network,%file", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "check",
            "--format",
            "sarif",
            "--report-unused-ignores=true",
            "-o",
        ])
        .arg(&sarif)
        .arg(&showcase)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert!(trace.lines().count() > 50, "strace saw the run: {trace}");
    for line in trace.lines() {
        for call in ["socket(", "connect(", "sendto(", "bind("] {
            // Unix-domain sockets are local, but plumbline has no use for them either.
            assert!(!line.contains(call), "network syscall: {line}");
        }
        let writes = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
            .iter()
            .any(|f| line.contains(f));
        let mutates = [
            "unlink", "rename", "truncate", "mkdir", "rmdir", "chmod", "utime",
        ]
        .iter()
        .any(|c| line.contains(&format!("{c}(")) || line.contains(&format!("{c}at(")));
        if (writes || mutates) && line.contains(showcase.to_str().unwrap()) {
            panic!("a checked path was opened for writing or changed: {line}");
        }
    }
    // The one file written is the one asked for.
    assert!(trace.contains(sarif.to_str().unwrap()));
}

#[test]
fn output_is_byte_identical_across_runs_and_threads() {
    let corpus = root().join("../shared/corpus");
    let mut paths = vec![SHOWCASE.to_string()];
    for project in [
        "dockersamples__example-voting-app",
        "Azure-Samples__aks-store-demo",
        "docker__awesome-compose",
    ] {
        let p = corpus.join(project);
        assert!(p.is_dir(), "{} is in ../shared/corpus", p.display());
        paths.push(p.display().to_string());
    }
    for format in ["human", "json", "sarif", "github", "junit", "compact"] {
        let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
        for threads in ["1", "2", "2", "4"] {
            let mut args = vec!["check", "--format", format, "--color", "never"];
            args.extend(["--threads", threads, "--report-unused-ignores=true"]);
            args.extend(paths.iter().map(String::as_str));
            let out = plumbline(&args, &[]);
            assert_eq!(out.status.code(), Some(1));
            outputs.push((threads.to_string(), out.stdout));
        }
        let (first_threads, first) = &outputs[0];
        assert!(first.len() > 1000, "{format}: a real report");
        for (threads, out) in &outputs[1..] {
            assert!(
                out == first,
                "{format}: --threads {threads} differs from --threads {first_threads}"
            );
        }
    }
}
