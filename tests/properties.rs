//! Property tests for the invariants every output depends on:
//! - line/column positions agree with byte offsets, whatever the line endings and characters;
//! - every span the pipeline reports (findings and errors) lies inside its file, on character
//!   boundaries, for inputs built from real IaC lines shuffled with garbage;
//! - the report is byte-identical whatever the order the files come in and the number of
//!   threads.

use std::path::PathBuf;

use plumbline::engine::{self, Options};
use plumbline::report::{self, OutputFormat, ReportOptions};
use plumbline::source::{Format, SourceFile};
use proptest::prelude::*;

fn text_with_every_line_ending() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("a".to_string()),
        Just(" ".to_string()),
        Just("é".to_string()),
        Just("😀".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\r".to_string()),
        Just("\t".to_string()),
    ];
    prop::collection::vec(piece, 0..64).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn line_and_column_agree_with_byte_offsets(text in text_with_every_line_ending()) {
        let f = SourceFile::in_memory("x", Format::Dockerfile, text.clone());
        let mut last_line = 1;
        for offset in (0..=text.len()).filter(|o| text.is_char_boundary(*o)) {
            let lc = f.line_col(offset);
            prop_assert!(lc.line >= last_line, "lines go backwards at {offset}");
            last_line = lc.line;
            let line = f.line_span(lc.line);
            prop_assert!(line.start <= offset);
            // The column counts the characters from the line start to the offset, plus one.
            prop_assert_eq!(text[line.start..offset].chars().count() + 1, lc.column);
            // The line's text never holds a line ending.
            prop_assert!(!f.line_text(lc.line).contains(['\n', '\r']));
        }
        let endings = text.matches("\r\n").count()
            + text.matches('\n').count()
            + text.matches('\r').count()
            - 2 * text.matches("\r\n").count();
        prop_assert_eq!(f.line_col(text.len()).line, endings + 1);
    }
}

/// Lines from real files of each format (and some broken ones), to build inputs that reach
/// deep into parsers and rules.
const DOCKERFILE: &[&str] = &[
    "FROM python:latest",
    "FROM node:20 AS build",
    "FROM build",
    "USER root",
    "USER appuser",
    "EXPOSE 5000",
    "HEALTHCHECK CMD curl -f http://localhost:5000/health || exit 1",
    "ENV API_TOKEN=abc123secretvalue",
    "ARG PASSWORD=hunter2hunter2",
    "RUN apt-get update && apt-get install -y curl",
    "RUN pip install flask",
    "COPY . .",
    "RUN <<EOF",
    "EOF",
    "RUN echo \\",
    "# plumbline: ignore[PIN001] reason",
    "CMD [\"python\", \"app.py\"",
    "\u{feff}FROM é",
];
const YAML: &[&str] = &[
    "services:",
    "  web:",
    "    image: nginx:latest",
    "    build: ./svc",
    "    ports:",
    "      - \"8080:80\"",
    "      - 5000",
    "    user: root",
    "    privileged: true",
    "    environment:",
    "      DB_PASSWORD: hunter2hunter2",
    "    healthcheck:",
    "      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:5000/\"]",
    "apiVersion: apps/v1",
    "kind: Deployment",
    "spec:",
    "  template:",
    "    spec:",
    "      securityContext:",
    "        runAsNonRoot: true",
    "      containers:",
    "      - name: api",
    "        image: api:latest",
    "        ports:",
    "        - containerPort: 5000",
    "        livenessProbe:",
    "          httpGet: {path: /health, port: 5001}",
    "---",
    "a: &x [1, 2]",
    "b: *x",
    "<<: *x",
    "image: {{ .Values.image }}",
    "{{- if .Values.enabled }}",
    "{{ end }}",
    "key: [unterminated",
    "\"open string",
];
const TERRAFORM: &[&str] = &[
    "resource \"kubernetes_deployment\" \"a\" {",
    "resource \"docker_container\" \"b\" {",
    "  image = \"nginx:latest\"",
    "  password = \"hunter2hunter2\"",
    "  container {",
    "    port { container_port = 5000 }",
    "}",
    "variable \"p\" {",
    "  default = \"x\"",
    "locals {",
    "  x = [1, var.p, local.y",
    "]",
    "  y = <<EOT",
    "EOT",
    "provider \"azurerm\" {",
    "terraform { required_providers { azurerm = { source = \"hashicorp/azurerm\" } } }",
];
const BICEP: &[&str] = &[
    "param password string = 'hunter2hunter2'",
    "@secure()",
    "param key string",
    "resource app 'Microsoft.App/containerApps@2023-05-01' = {",
    "  name: 'app'",
    "  properties: {",
    "    configuration: { ingress: { targetPort: 5000 } }",
    "    template: { containers: [ { image: 'api:latest', name: 'api' } ] }",
    "  }",
    "}",
    "resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {",
    "  properties: { adminUserEnabled: true }",
    "var x = [",
    "]",
    "var s = 'unterminated",
    "output o string = '${x}'",
];

/// (file name, line vocabulary) pairs the generated runs draw from.
const FILES: &[(&str, &[&str])] = &[
    ("svc/Dockerfile", DOCKERFILE),
    ("Dockerfile", DOCKERFILE),
    ("compose.yaml", YAML),
    ("compose.override.yaml", YAML),
    ("k8s/deploy.yaml", YAML),
    ("chart/Chart.yaml", YAML),
    ("chart/values.yaml", YAML),
    ("chart/values.production.yaml", YAML),
    ("chart/templates/deployment.yaml", YAML),
    ("tf/main.tf", TERRAFORM),
    ("tf/terraform.tfvars", TERRAFORM),
    ("infra/main.bicep", BICEP),
];

fn run_of_files() -> impl Strategy<Value = Vec<(PathBuf, Vec<u8>)>> {
    let file = (0..FILES.len()).prop_flat_map(|i| {
        let (name, vocab) = FILES[i];
        let line = prop_oneof![
            8 => (0..vocab.len()).prop_map(move |j| vocab[j].to_string()),
            1 => "[ -~]{0,12}",
        ];
        let ending = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
        prop::collection::vec((line, ending), 0..24).prop_map(move |lines| {
            let text: String = lines.into_iter().map(|(l, e)| l + e).collect();
            (
                PathBuf::from("/nonexistent-plumbline-props").join(name),
                text.into_bytes(),
            )
        })
    });
    prop::collection::vec(file, 1..6).prop_map(|mut files| {
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        files
    })
}

fn options() -> Options {
    Options {
        paths: vec![PathBuf::from("/nonexistent-plumbline-props")],
        cwd: PathBuf::from("/nonexistent-plumbline-props"),
        report_unused_ignores: true,
        ..Options::default()
    }
}

/// Every format, concatenated, from one run on `threads` threads.
fn outputs(files: Vec<(PathBuf, Vec<u8>)>, threads: usize) -> Vec<u8> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let report = pool
        .install(|| engine::check_sources(&options(), files))
        .unwrap();
    let mut out = Vec::new();
    for format in OutputFormat::ALL {
        report::write(&report, format, &ReportOptions::default(), &mut out).unwrap();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn reported_spans_lie_inside_their_files(files in run_of_files()) {
        let report = engine::check_sources(&options(), files).unwrap();
        plumbline::fuzz::assert_report_invariants(&report);
    }

    #[test]
    fn output_is_identical_whatever_the_file_order_and_threads(files in run_of_files()) {
        let mut reversed = files.clone();
        reversed.reverse();
        let one = outputs(files, 1);
        let two = outputs(reversed, 2);
        prop_assert!(one == two, "output differs between runs");
    }
}
