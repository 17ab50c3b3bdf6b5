//! Work stays bounded: every per-file and cross-file rule, the engine's passes and the output
//! formats grow near-linearly with their input. Each case builds an input of size n and 2n
//! (far below the 10 MiB file limit), runs the whole pipeline and every output format on both,
//! and checks that the time grew at most ~2.5× — relative timing within one test (CPU time,
//! so other work on the machine disturbs it little), so the test does not depend on the
//! machine's speed. A quadratic step grows 4× and fails.
//! (SEC090 once compared every env var with every other: 40,000 in one Compose file took
//! 15 s; the per-container reports searched their pending list linearly: 50,000 Helm env
//! entries took 32 s.)

use std::time::{Duration, Instant};

use plumbline::engine::{self, Options, Report};
use plumbline::report::{self, OutputFormat, ReportOptions};

/// CPU time of this process (all its threads) since it started, from `/proc/self/stat`: wall
/// time swings with whatever else the machine runs (CI shares its two cores), the work this
/// process does much less. Wall time where `/proc` is missing.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after its `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here, in ticks of
    // 1/100 s (USER_HZ, 100 on every Linux platform Rust supports).
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Times `f`: in CPU time where it can be read, else wall time.
fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let (cpu, wall) = (cpu_time(), Instant::now());
    let out = f();
    let took = match (cpu, cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall.elapsed(),
    };
    (took, out)
}

/// The most a doubled input may cost, relative to the input.
const MAX_RATIO: f64 = 2.5;

type Files = Vec<(String, String)>;

fn file(name: &str, text: String) -> (String, String) {
    (name.to_string(), text)
}

/// Writes `files` to a fresh repository and checks it; the time of the check alone.
fn check(files: &Files) -> (Duration, Report, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        cwd: dir.path().to_path_buf(),
        limits: engine::Limits {
            findings_per_file: None,
            ..engine::Limits::default()
        },
        ..Options::default()
    };
    let (took, report) = timed(|| engine::check(&opts).expect("valid options"));
    assert!(!report.findings.is_empty());
    (took, report, dir)
}

/// The time to write `report` in every format and the graph (the redaction and escaping
/// passes included).
fn outputs(report: &Report) -> Duration {
    timed(|| {
        for format in OutputFormat::ALL {
            let mut out = Vec::new();
            report::write(report, format, &ReportOptions::default(), &mut out).unwrap();
        }
        let mut out = Vec::new();
        let _ = report::graph::write(report, report::graph::GraphFormat::Text, &mut out);
    })
    .0
}

/// The tests of this file measure time: each holds this lock, so that none measures while
/// another loads both cores (the harness runs tests in parallel). The bounds are unchanged.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Measures size `n` and `2n` with `time` and asserts the ratio. A ratio over the limit is
/// measured once more (a build on the other core can disturb even CPU time): linear work
/// passes the second time, quadratic work fails both.
fn assert_ratio(name: &str, n: usize, time: &dyn Fn(usize) -> Duration) {
    let mut best = f64::INFINITY;
    for _ in 0..2 {
        let (small, large) = (time(n), time(2 * n));
        let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
        eprintln!("{name}: n={n} {small:?}, 2n {large:?}, ratio {ratio:.2}");
        best = best.min(ratio);
        if best <= MAX_RATIO {
            return;
        }
    }
    panic!("{name}: doubling the input from {n} multiplied the time by {best:.2}");
}

/// Checks input of size `n` and `2n` (best of three runs each, the least disturbed by other
/// work on the machine), then writes every output of inputs of size `m` and `2m` (best of
/// two; the formats cost more per finding than the check does).
fn assert_near_linear(name: &str, n: usize, m: usize, make: &dyn Fn(usize) -> Files) {
    // Warm up (lazy regexes, the thread pool).
    let (_, r, _d) = check(&make(n / 8));
    outputs(&r);
    let best_check = |n: usize| {
        let files = make(n);
        (0..3).map(|_| check(&files).0).min().unwrap()
    };
    assert_ratio(&format!("{name} (check)"), n, &best_check);
    let best_outputs = |n: usize| {
        let (_, report, _dir) = check(&make(n));
        (0..2).map(|_| outputs(&report)).min().unwrap()
    };
    assert_ratio(&format!("{name} (outputs)"), m, &best_outputs);
}

fn compose_env_and_secret_refs(n: usize) -> Files {
    let mut compose =
        String::from("services:\n  api:\n    image: shop/api:1.0\n    environment:\n");
    let mut k8s = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: shop/api:1.0\n          env:\n",
    );
    for i in 0..n {
        compose.push_str(&format!("      VAR_{i}_PASSWORD: value{i}xyzzy\n"));
        k8s.push_str(&format!(
            "            - name: VAR_{i}_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: s\n                  key: k{i}\n"
        ));
    }
    vec![file("compose.yaml", compose), file("k8s/deploy.yaml", k8s)]
}

fn helm_env(n: usize) -> Files {
    let mut values = String::from(
        "image:\n  repository: shop/api\n  tag: \"1.0\"\napiKey: abcdefgh1234\nenv:\n",
    );
    for i in 0..n {
        values.push_str(&format!(
            "  - name: VAR_{i}_PASSWORD\n    value: value{i}xyzzy\n"
        ));
    }
    vec![
        file(
            "chart/Chart.yaml",
            "apiVersion: v2\nname: api\nversion: 1.0.0\n".into(),
        ),
        file("chart/values.yaml", values),
        file(
            "chart/templates/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n          env:\n            {{- toYaml .Values.env | nindent 12 }}\n".into(),
        ),
    ]
}

/// A chart template that is one literal text (a CRD, as charts ship them: argo-cd's are 1.8
/// MB), deep, with many scalars (2n stays under the 5 MiB Helm allows a chart file). Remapping each scalar once compared the whole literal
/// with its template text: argo-cd's chart took 4.5 s to render.
fn helm_literal_crd(n: usize) -> Files {
    let mut crd = String::from(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\nspec:\n  group: example.com\n  versions:\n    - name: v1\n      schema:\n        openAPIV3Schema:\n",
    );
    let mut indent = 10;
    for level in 0..12 {
        crd.push_str(&format!(
            "{:indent$}type: object\n{:indent$}properties:\n{:indent$}  level{level}:\n",
            "", "", ""
        ));
        indent += 4;
    }
    crd.push_str(&format!("{:indent$}properties:\n", ""));
    for i in 0..n {
        crd.push_str(&format!(
            "{:indent$}  field{i}:\n{:indent$}    type: string\n{:indent$}    description: The {i}th field of the thing.\n",
            "", "", ""
        ));
    }
    vec![
        file(
            "chart/Chart.yaml",
            "apiVersion: v2\nname: crds\nversion: 1.0.0\n".into(),
        ),
        file("chart/values.yaml", "image: shop/api:1.0\n".into()),
        file("chart/templates/crd.yaml", crd),
        file(
            "chart/templates/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: {{ .Values.image }}\n".into(),
        ),
    ]
}

fn kubernetes_workloads(n: usize) -> Files {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app{i}:latest\n          ports:\n            - containerPort: 80{}\n          env:\n            - name: DB_PASSWORD\n              value: hunter2hunter{i}\n",
            i % 10
        ));
    }
    vec![file("k8s/all.yaml", text)]
}

fn compose_services_and_dockerfiles(n: usize) -> Files {
    let mut compose = String::from("services:\n");
    let mut files = Vec::new();
    for i in 0..n {
        compose.push_str(&format!(
            "  svc{i}:\n    build: ./svc{i}\n    image: shop/svc{i}:latest\n    ports:\n      - \"{}:8080\"\n    environment:\n      TOKEN: tok{i}abcdefgh\n",
            10000 + i
        ));
        files.push(file(
            &format!("svc{i}/Dockerfile"),
            format!("FROM node:{i}\nENV API_TOKEN=secret{i}value\nEXPOSE 3000\nRUN apt-get install -y curl\n"),
        ));
    }
    files.push(file("compose.yaml", compose));
    files
}

fn dockerfile_instructions(n: usize) -> Files {
    let mut text = String::from("FROM alpine\n");
    for i in 0..n {
        text.push_str(&format!(
            "ENV PASSWORD_{i}=hunter2hunter{i}\nRUN apk add curl pkg{i} && pip install x{i}\nADD https://user:pw{i}secret@host/x{i}.tgz /x{i}\n"
        ));
    }
    vec![file("Dockerfile", text)]
}

fn terraform_variables(n: usize) -> Files {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "variable \"db_password_{i}\" {{\n  type    = string\n  default = \"Sup3rSecret{i}\"\n}}\nresource \"docker_container\" \"c{i}\" {{\n  name  = \"c{i}\"\n  image = \"nginx:latest\"\n  env   = [\"PASSWORD=p{i}secretvalue\"]\n}}\n"
        ));
    }
    vec![file("tf/main.tf", text)]
}

fn bicep_params(n: usize) -> Files {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "param adminPassword{i} string = 'SuperSecret{i}!'\noutput out{i} string = adminPassword{i}\n"
        ));
    }
    vec![file("infra/main.bicep", text)]
}

/// A monorepo of Compose projects that all build and run one image repository (one image per
/// component, as `open-telemetry/demo:<version>-<component>`), each deployed by a manifest of
/// its own project. Each manifest's container once met every project's builder (and was left
/// ambiguous among them all), and PORT001 looked for dependants of each service by scanning
/// every layer: 16 copies of the corpus spent 0.6 s linking.
fn monorepo_projects(n: usize) -> Files {
    let mut files = Vec::new();
    for i in 0..n {
        files.push(file(
            &format!("p{i}/compose.yaml"),
            format!(
                "services:\n  api:\n    build: .\n    image: shop/demo:1.{i}-api\n    depends_on: [db]\n  db:\n    image: postgres:16.{i}\n"
            ),
        ));
        files.push(file(
            &format!("p{i}/Dockerfile"),
            "FROM node:20\nEXPOSE 3000\nCMD [\"node\", \"server.js\"]\n".to_string(),
        ));
        files.push(file(
            &format!("p{i}/k8s/api.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: shop/demo:1.{i}-api\n"
            ),
        ));
    }
    files
}

#[test]
fn every_stage_grows_near_linearly() {
    let _serial = one_at_a_time();
    assert_near_linear(
        "compose env vs secret refs (SEC090)",
        10_000,
        1000,
        &compose_env_and_secret_refs,
    );
    assert_near_linear("helm env entries", 6000, 800, &helm_env);
    assert_near_linear("helm literal CRD", 8000, 400, &helm_literal_crd);
    assert_near_linear("kubernetes workloads", 1000, 250, &kubernetes_workloads);
    assert_near_linear(
        "compose services and their Dockerfiles (graph)",
        1000,
        100,
        &compose_services_and_dockerfiles,
    );
    assert_near_linear(
        "dockerfile instructions",
        4000,
        400,
        &dockerfile_instructions,
    );
    assert_near_linear("terraform variables", 4000, 300, &terraform_variables);
    assert_near_linear("bicep params", 10_000, 600, &bicep_params);
}

#[test]
fn monorepo_projects_grow_near_linearly() {
    let _serial = one_at_a_time();
    assert_near_linear(
        "Compose projects of one image repository (graph)",
        1500,
        300,
        &monorepo_projects,
    );
}

/// Files named one by one on the command line (`git ls-files | xargs plumbline check`, a
/// pre-commit hook's batch): each is a scan root, and finding each file's project looked
/// every directory above it up in the list of roots (193 Dockerfiles: a third of the run).
#[test]
fn files_named_one_by_one_grow_near_linearly() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let max = 6000;
    let mut paths = Vec::new();
    for i in 0..max {
        let p = dir.path().join(format!("svc/{}/{i}/Dockerfile", i % 50));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, format!("FROM node:20\nRUN echo {i}\n")).unwrap();
        paths.push(p);
    }
    let time = |n: usize| {
        let opts = Options {
            paths: paths[..n].to_vec(),
            cwd: dir.path().to_path_buf(),
            context: false,
            ..Options::default()
        };
        (0..3)
            .map(|_| {
                let (took, report) = timed(|| engine::check(&opts).expect("valid options"));
                assert!(!report.findings.is_empty());
                took
            })
            .min()
            .unwrap()
    };
    assert_ratio("files named one by one", max / 2, &time);
}
