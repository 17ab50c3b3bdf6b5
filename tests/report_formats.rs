//! The output formats over hand-built reports: JSON shape and values, SARIF validity against
//! the official 2.1.0 schema, human frames (content, colour, secrets, size on huge inputs),
//! determinism, and no panics on out-of-range spans.

use std::path::Path;
use std::sync::Arc;

use plumbline::catalogue::RuleMeta;
use plumbline::engine::{ErrorKind, FileError, Report};
use plumbline::finding::{Finding, Location, Related, Severity, mask_secret};
use plumbline::outcome::{Suppressed, Suppression};
use plumbline::report::{self, OutputFormat, ReportOptions};
use plumbline::source::{Format, SourceFile, Span};
use serde_json::Value;

fn meta(
    id: &str,
    name: &str,
    family: &str,
    severity: &str,
    security: Option<f32>,
) -> &'static RuleMeta {
    let security = security.map_or(String::new(), |s| format!("security_severity = {s:?}\n"));
    let text = format!(
        r#"
id = "{id}"
name = "{name}"
family = "{family}"
severity = "{severity}"
title = "Title of {id}"
formats = ["dockerfile"]
{security}why_short = "Why {id} matters in one sentence."
what = "What {id} checks."
why = "Why it matters, at length."
example = "```dockerfile\nFROM node\n```"
fix = "How to fix {id}."
references = ["https://example.com/{id}"]
"#
    );
    Box::leak(Box::new(
        toml::from_str::<RuleMeta>(&text).expect("test rule parses"),
    ))
}

fn pin() -> &'static RuleMeta {
    meta(
        "PIN001",
        "base-image-unpinned",
        "pinned-versions",
        "warning",
        None,
    )
}

fn sec() -> &'static RuleMeta {
    meta("SEC001", "secret-in-env", "secrets", "error", Some(7.5))
}

fn info_rule() -> &'static RuleMeta {
    meta("RES001", "no-memory-limit", "resource-limits", "info", None)
}

fn file(name: &str, text: &str) -> Arc<SourceFile> {
    Arc::new(SourceFile::in_memory(name, Format::Dockerfile, text))
}

fn span_of(file: &SourceFile, needle: &str) -> Span {
    let start = file.text.find(needle).expect("needle in text");
    Span::new(start, start + needle.len())
}

fn finding(rule: &'static RuleMeta, file: &Arc<SourceFile>, span: Span, message: &str) -> Finding {
    Finding {
        rule,
        severity: rule.severity,
        message: message.to_string(),
        location: Location {
            file: Arc::clone(file),
            span,
        },
        related: Vec::new(),
        secrets: Vec::new(),
        fingerprint: format!("fp-{}-{}", rule.id, span.start),
        environments: Vec::new(),
    }
}

const DOCKERFILE: &str = "FROM node:20 AS build\nRUN echo «héllo» wörld && apt-get install curl\nENV API_TOKEN=ghp_supersecretvalue1234567\nUSER root\n";
const SECRET: &str = "ghp_supersecretvalue1234567";

/// A report with a finding per severity, a related location in the same file and one in
/// another file, a secret, a parse error with a location and an IO error without.
fn sample() -> Report {
    let df = file("services/api/Dockerfile", DOCKERFILE);
    let k8s = file(
        "deploy/api.yaml",
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: node:20\n",
    );

    // A span on line 2 with multibyte characters before it.
    let mut unpinned = finding(
        pin(),
        &df,
        span_of(&df, "apt-get"),
        "`apt-get install curl` does not pin `curl`",
    );
    unpinned.related.push(Related {
        location: Location {
            file: Arc::clone(&df),
            span: span_of(&df, "node:20"),
        },
        message: "the stage it builds on".into(),
    });
    unpinned.related.push(Related {
        location: Location {
            file: Arc::clone(&k8s),
            span: span_of(&k8s, "node:20"),
        },
        message: "the image the pod runs".into(),
    });

    let mut secret = finding(
        sec(),
        &df,
        span_of(&df, "API_TOKEN=ghp_supersecretvalue1234567"),
        &format!(
            "`API_TOKEN` holds a literal token `{}`",
            mask_secret(SECRET)
        ),
    );
    secret.secrets.push(span_of(&df, SECRET));

    let limits = finding(
        info_rule(),
        &k8s,
        span_of(&k8s, "containers"),
        "no memory limit",
    );

    Report {
        findings: vec![limits, unpinned, secret],
        errors: vec![
            FileError {
                kind: ErrorKind::Parse,
                path: "deploy/broken.yaml".into(),
                location: {
                    let broken = file("deploy/broken.yaml", "a: [1, 2\nb: 3\n");
                    Some((Arc::clone(&broken), Span::new(8, 9)))
                },
                message: "unclosed flow sequence".into(),
            },
            FileError {
                kind: ErrorKind::Io,
                path: "missing/Dockerfile".into(),
                location: None,
                message: "cannot read missing/Dockerfile: no such file or directory".into(),
            },
        ],
        files_checked: 3,
        suppressed: 0,
        baseline: None,
        suppressed_findings: Vec::new(),
        checked: Vec::new(),
        rules: vec![info_rule(), pin(), sec()],
        graph: None,
        secret_spans: Vec::new(),
    }
}

fn render(report: &Report, format: OutputFormat, color: bool) -> String {
    let mut out = Vec::new();
    let opts = ReportOptions {
        color,
        fail_on: Some(Severity::Warning),
        ..ReportOptions::default()
    };
    report::write(report, format, &opts, &mut out).expect("writing to a Vec never fails");
    String::from_utf8(out).expect("output is UTF-8")
}

fn json(report: &Report, format: OutputFormat) -> Value {
    serde_json::from_str(&render(report, format, false)).expect("valid JSON")
}

#[test]
fn json_shape_and_values() {
    let report = sample();
    let text = render(&report, OutputFormat::Json, false);
    let v: Value = serde_json::from_str(&text).unwrap();

    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "plumbline");
    assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));

    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    let f = &findings[1];
    assert_eq!(f["rule"], "PIN001");
    assert_eq!(f["name"], "base-image-unpinned");
    assert_eq!(f["family"], "pinned-versions");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["path"], "services/api/Dockerfile");
    // Line 2 is `RUN echo «héllo» wörld && apt-get …`: columns count characters, not bytes.
    let col = "RUN echo «héllo» wörld && ".chars().count() + 1;
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], col);
    assert_eq!(f["end_line"], 2);
    assert_eq!(f["end_column"], col + "apt-get".len());
    assert_eq!(f["fingerprint"], report.findings[1].fingerprint.as_str());
    // Always an array, so the document's shape does not depend on the project's layout.
    assert_eq!(f["environments"], serde_json::json!([]));

    let related = f["related"].as_array().unwrap();
    assert_eq!(related.len(), 2);
    assert_eq!(related[0]["path"], "services/api/Dockerfile");
    assert_eq!(related[0]["line"], 1);
    assert_eq!(related[0]["column"], 6);
    assert_eq!(related[0]["end_column"], 13);
    assert_eq!(related[0]["message"], "the stage it builds on");
    assert_eq!(related[1]["path"], "deploy/api.yaml");
    assert_eq!(related[1]["line"], 5);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["kind"], "parse");
    assert_eq!(errors[0]["line"], 1);
    assert_eq!(errors[0]["column"], 9);
    assert_eq!(errors[1]["kind"], "io");
    assert_eq!(errors[1]["path"], "missing/Dockerfile");
    assert!(errors[1]["line"].is_null() && errors[1]["column"].is_null());

    let s = &v["summary"];
    assert_eq!(s["files_checked"], 3);
    assert_eq!(s["findings"], 3);
    assert_eq!(s["errors"], 2);
    assert_eq!(s["by_severity"]["error"], 1);
    assert_eq!(s["by_severity"]["warning"], 1);
    assert_eq!(s["by_severity"]["info"], 1);
    assert_eq!(s["by_family"]["pinned-versions"], 1);
    assert_eq!(s["by_family"]["secrets"], 1);
    assert_eq!(s["by_family"]["resource-limits"], 1);
    assert_eq!(s["by_family"]["non-root"], 0);

    // Keys come out in the documented order (serde_json's Value sorts them, so read the text).
    let order = [
        "\"rule\"",
        "\"name\"",
        "\"family\"",
        "\"severity\"",
        "\"message\"",
        "\"path\"",
        "\"line\"",
        "\"column\"",
        "\"end_line\"",
        "\"end_column\"",
        "\"related\"",
        "\"fingerprint\"",
        "\"environments\"",
    ];
    let first = &text[text.find("\"findings\"").unwrap()..];
    let positions: Vec<usize> = order.iter().map(|k| first.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let top = [
        "\"version\"",
        "\"tool\"",
        "\"findings\"",
        "\"errors\"",
        "\"summary\"",
    ];
    let positions: Vec<usize> = top.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let families = [
        "\"pinned-versions\": ",
        "\"non-root\": ",
        "\"probe-port-alignment\": ",
        "\"secrets\": ",
        "\"resource-limits\": ",
    ];
    let by_family = &text[text.find("\"by_family\"").unwrap()..];
    let positions: Vec<usize> = families
        .iter()
        .map(|k| by_family.find(k).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(text.ends_with("}\n"));
}

#[test]
fn empty_report_json() {
    let v = json(&Report::default(), OutputFormat::Json);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["findings"], 0);
    assert_eq!(
        v["summary"]["by_family"].as_object().unwrap().len(),
        plumbline::finding::Family::ALL.len()
    );
}

#[test]
fn output_is_deterministic() {
    for format in [OutputFormat::Human, OutputFormat::Json, OutputFormat::Sarif] {
        let a = render(&sample(), format, false);
        let b = render(&sample(), format, false);
        assert_eq!(a, b, "{format} output differs between runs");
    }
}

fn sarif_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("SARIF schema")).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(v: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

#[test]
fn sarif_validates_and_maps_everything() {
    let report = sample();
    let v = json(&report, OutputFormat::Sarif);
    assert_valid_sarif(&v);

    assert_eq!(
        v["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    assert!(!base.contains(' '));

    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "plumbline");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["RES001", "PIN001", "SEC001"]);
    let secret_rule = &rules[2];
    assert_eq!(secret_rule["name"], "secret-in-env");
    assert_eq!(secret_rule["shortDescription"]["text"], "Title of SEC001");
    assert_eq!(
        secret_rule["fullDescription"]["text"],
        "What SEC001 checks."
    );
    assert!(
        secret_rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .starts_with("# SEC001")
    );
    assert!(
        secret_rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("Why SEC001 matters")
    );
    assert!(
        secret_rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("SEC001.md")
    );
    assert_eq!(secret_rule["defaultConfiguration"]["level"], "error");
    assert_eq!(
        secret_rule["properties"]["tags"],
        serde_json::json!(["secrets", "security"])
    );
    assert_eq!(secret_rule["properties"]["security-severity"], "7.5");
    assert_eq!(secret_rule["properties"]["precision"], "high");
    assert_eq!(
        rules[1]["properties"]["tags"],
        serde_json::json!(["pinned-versions"])
    );
    assert!(rules[1]["properties"].get("security-severity").is_none());
    assert_eq!(rules[0]["defaultConfiguration"]["level"], "note");

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["level"], "note");
    let r = &results[1];
    assert_eq!(r["ruleId"], "PIN001");
    assert_eq!(r["ruleIndex"], 1);
    assert_eq!(r["level"], "warning");
    assert_eq!(
        r["message"]["text"],
        "`apt-get install curl` does not pin `curl`"
    );
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "services/api/Dockerfile");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let col = "RUN echo «héllo» wörld && ".chars().count() + 1;
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], col);
    assert_eq!(loc["region"]["endLine"], 2);
    assert_eq!(loc["region"]["endColumn"], col + 7);
    assert_eq!(
        r["partialFingerprints"]["plumbline/v1"],
        report.findings[1].fingerprint.as_str()
    );

    let related = r["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 2);
    assert_eq!(related[0]["id"], 1);
    assert_eq!(related[0]["message"]["text"], "the stage it builds on");
    assert_eq!(related[1]["id"], 2);
    assert_eq!(
        related[1]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/api.yaml"
    );
    assert_eq!(related[1]["physicalLocation"]["region"]["startLine"], 5);

    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(notes[0]["message"]["text"], "unclosed flow sequence");
    let nloc = &notes[0]["locations"][0]["physicalLocation"];
    assert_eq!(nloc["artifactLocation"]["uri"], "deploy/broken.yaml");
    assert_eq!(nloc["region"]["startLine"], 1);
    assert_eq!(nloc["region"]["startColumn"], 9);
    assert_eq!(notes[1]["level"], "error");
    assert!(
        notes[1]["locations"][0]["physicalLocation"]
            .get("region")
            .is_none()
    );

    // No format leaks the secret.
    for format in [OutputFormat::Json, OutputFormat::Sarif, OutputFormat::Human] {
        assert!(
            !render(&report, format, false).contains("supersecret"),
            "{format} leaks the secret"
        );
    }
}

const HELD_SECRET: &str = "ghp_suppressedsecretvalue98765";
const REASON_TOKEN: &str = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

/// [`sample`] plus three findings held from the report: one by an ignore comment whose reason
/// is hostile (a terminal title sequence, a workflow command on a line of its own, a token),
/// with a secret of its own in its message; one by a hadolint comment (no reason); one by the
/// baseline.
fn with_suppressed() -> Report {
    let mut report = sample();
    let k8s = Arc::clone(&report.findings[0].location.file);
    let web = file(
        "services/web/Dockerfile",
        &format!(
            "# plumbline: ignore[PIN001,SEC001] vendor image\nFROM node\nENV K={HELD_SECRET}\n"
        ),
    );
    let comment = |f: &Arc<SourceFile>, needle: &str, reason: Option<&str>| Suppression::Comment {
        at: Location {
            file: Arc::clone(f),
            span: span_of(f, needle),
        },
        reason: reason.map(String::from),
    };
    let hostile =
        format!("vendor image \u{1b}]0;pwned\u{7}\n::error::owned {REASON_TOKEN} \u{202e}rotated");
    let mut held_secret = finding(
        sec(),
        &web,
        span_of(&web, &format!("K={HELD_SECRET}")),
        &format!("`K` holds a literal token `{HELD_SECRET}`"),
    );
    held_secret.secrets.push(span_of(&web, HELD_SECRET));
    let mut held = vec![
        Suppressed {
            finding: finding(pin(), &web, span_of(&web, "node"), "`node` has no tag"),
            by: comment(&web, "# plumbline: ignore[PIN001,SEC001]", Some(&hostile)),
        },
        Suppressed {
            finding: held_secret,
            by: comment(
                &web,
                "# plumbline: ignore[PIN001,SEC001]",
                Some("test value"),
            ),
        },
        Suppressed {
            finding: finding(pin(), &k8s, span_of(&k8s, "node:20"), "`node:20` floats"),
            by: comment(&k8s, "apiVersion", None),
        },
        Suppressed {
            finding: finding(info_rule(), &web, span_of(&web, "FROM"), "baselined one"),
            by: Suppression::Baseline,
        },
    ];
    held.sort_by(|a, b| plumbline::finding::order(&a.finding, &b.finding));
    report.suppressed_findings = held;
    report
}

/// Suppressed findings are SARIF results with `suppressions`, through the same redaction and
/// escaping as every result, merged into the report's order; no other format changes by a
/// byte.
#[test]
fn sarif_shows_suppressed_findings_and_no_other_format_does() {
    let report = with_suppressed();
    let text = render(&report, OutputFormat::Sarif, false);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_valid_sarif(&v);

    let results = v["runs"][0]["results"].as_array().unwrap();
    let seen: Vec<(String, String, Option<String>)> = results
        .iter()
        .map(|r| {
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["ruleId"].as_str().unwrap().to_string(),
                r["suppressions"][0]["kind"].as_str().map(String::from),
            )
        })
        .collect();
    let row = |path: &str, rule: &str, kind: Option<&str>| {
        (path.to_string(), rule.to_string(), kind.map(String::from))
    };
    assert_eq!(
        seen,
        [
            row("deploy/api.yaml", "RES001", None),
            row("deploy/api.yaml", "PIN001", Some("inSource")),
            row("services/api/Dockerfile", "PIN001", None),
            row("services/api/Dockerfile", "SEC001", None),
            row("services/web/Dockerfile", "RES001", Some("external")),
            row("services/web/Dockerfile", "PIN001", Some("inSource")),
            row("services/web/Dockerfile", "SEC001", Some("inSource")),
        ]
    );
    for r in results {
        if let Some(s) = r.get("suppressions") {
            assert_eq!(s.as_array().unwrap().len(), 1, "{r}");
        }
    }
    // The rule index points at the rule of a suppressed result too.
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules[results[1]["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "PIN001"
    );

    // No reason, no justification; the comment's place is the suppression's location.
    let hadolint = &results[1]["suppressions"][0];
    assert!(hadolint.get("justification").is_none(), "{hadolint}");
    assert_eq!(
        hadolint["location"]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert!(
        results[4]["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("baseline")
    );
    assert!(results[4]["suppressions"][0].get("location").is_none());
    assert_eq!(results[6]["suppressions"][0]["justification"], "test value");

    // The hostile reason: kept as data, escaped in the document, its token masked.
    let justification = results[5]["suppressions"][0]["justification"]
        .as_str()
        .unwrap();
    assert!(
        justification.starts_with("vendor image \u{1b}]0;pwned\u{7}\n::error::owned ghp_****"),
        "{justification:?}"
    );
    assert!(text.contains("vendor image \\u001b]0;pwned\\u0007\\n::error::owned"));
    assert!(text.contains("\\u202erotated"));
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'));
    assert!(!text.lines().any(|l| l.trim_start().starts_with("::")));
    // No secret of a suppressed finding, nor of its reason, in full.
    assert!(!text.contains(REASON_TOKEN), "{text}");
    assert!(!text.contains(HELD_SECRET), "{text}");
    assert!(
        results[6]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("`ghp_****`")
    );

    // Every other format is what it is without them.
    for format in [
        OutputFormat::Human,
        OutputFormat::Json,
        OutputFormat::Github,
        OutputFormat::Junit,
        OutputFormat::Compact,
    ] {
        assert_eq!(
            render(&report, format, false),
            render(&sample(), format, false),
            "{format} changed by suppressed findings"
        );
    }
    for as_json in [false, true] {
        let (mut stats, mut plain) = (Vec::new(), Vec::new());
        plumbline::report::statistics::write(&report, as_json, &mut stats).unwrap();
        plumbline::report::statistics::write(&sample(), as_json, &mut plain).unwrap();
        assert_eq!(stats, plain);
    }
}

/// Environment names come from file and folder names: the attacker's text. In JSON and SARIF
/// they are data, escaped like every string and masked like messages.
#[test]
fn environments_are_data_escaped_and_masked() {
    let mut report = sample();
    let token = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    let envs = [
        "prod".to_string(),
        "st\u{1b}]0;pwned\u{7}\n::error::x\u{202e}g".to_string(),
        token.to_string(),
    ];
    report.findings[1].environments = envs.to_vec();
    let masked = [
        "prod",
        "st\u{1b}]0;pwned\u{7}\n::error::x\u{202e}g",
        "ghp_****",
    ];

    let text = render(&report, OutputFormat::Json, false);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["findings"][1]["environments"], serde_json::json!(masked));
    assert_eq!(v["findings"][0]["environments"], serde_json::json!([]));
    let sarif_text = render(&report, OutputFormat::Sarif, false);
    let s: Value = serde_json::from_str(&sarif_text).unwrap();
    assert_valid_sarif(&s);
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results[1]["properties"]["environments"],
        serde_json::json!(masked)
    );
    // No environments, no property bag.
    assert!(results[0].get("properties").is_none());
    assert!(results[2].get("properties").is_none());
    for out in [&text, &sarif_text] {
        assert!(!out.contains(token));
        assert!(out.contains("st\\u001b]0;pwned\\u0007\\n::error::x\\u202eg"));
        assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}'));
    }
}

#[test]
fn sarif_of_an_empty_run_validates() {
    let v = json(
        &Report {
            files_checked: 1,
            ..Report::default()
        },
        OutputFormat::Sarif,
    );
    assert_valid_sarif(&v);
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert!(
        v["runs"][0]["invocations"][0]
            .get("toolExecutionNotifications")
            .is_none()
    );
    // A run that checked no file says so.
    let v = json(&Report::default(), OutputFormat::Sarif);
    assert_valid_sarif(&v);
    let notes = v["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["descriptor"]["id"], "no-files-checked");
    assert_eq!(notes[0]["level"], "warning");
}

#[test]
fn sarif_paths_with_spaces_and_outside_the_tree() {
    let inside = file("my dir/Dockerfile", "FROM node\n");
    let outside = file("/srv/other tree/Dockerfile", "FROM node\n");
    let report = Report {
        findings: vec![
            finding(pin(), &inside, Span::new(5, 9), "unpinned"),
            finding(pin(), &outside, Span::new(5, 9), "unpinned"),
        ],
        files_checked: 2,
        suppressed: 0,
        baseline: None,
        checked: Vec::new(),
        rules: vec![pin()],
        ..Report::default()
    };
    let v = json(&report, OutputFormat::Sarif);
    assert_valid_sarif(&v);
    let a = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(a["uri"], "my%20dir/Dockerfile");
    assert_eq!(a["uriBaseId"], "%SRCROOT%");
    let b = &v["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(b["uri"], "file:///srv/other%20tree/Dockerfile");
    assert!(b.get("uriBaseId").is_none());
}

#[test]
fn human_frames_show_rule_span_and_summary() {
    let report = sample();
    let out = render(&report, OutputFormat::Human, false);

    assert!(!out.contains('\x1b'), "ANSI escapes without colour:\n{out}");
    assert!(out.contains("[PIN001]"), "{out}");
    assert!(out.contains("warning[PIN001] pinned-versions"), "{out}");
    assert!(
        out.contains("`apt-get install curl` does not pin `curl`"),
        "{out}"
    );
    assert!(out.contains("plumbline explain PIN001"), "{out}");
    assert!(out.contains("Why PIN001 matters in one sentence."), "{out}");
    // The frame names the file, line and column, shows the line and underlines the span.
    let col = "RUN echo «héllo» wörld && ".chars().count() + 1;
    assert!(
        out.contains(&format!("[services/api/Dockerfile:2:{col}]")),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.contains("│ RUN echo"))
        .expect("the flagged line is shown");
    let underline = out
        .lines()
        .skip_while(|l| *l != line)
        .nth(1)
        .expect("a line under it");
    assert!(underline.contains('─'), "{out}");
    // The underline starts under the span (display columns: every char here is one wide).
    let span_col = line
        .find("apt-get")
        .map(|b| line[..b].chars().count())
        .unwrap();
    let mark_col = underline
        .chars()
        .position(|c| c == '─' || c == '┬')
        .unwrap();
    assert_eq!(span_col, mark_col, "{line}\n{underline}");
    // Same-file related locations are labels; other-file ones get a frame of their own.
    assert!(out.contains("the stage it builds on"), "{out}");
    assert!(out.contains("related: the image the pod runs"), "{out}");
    assert!(out.contains("[deploy/api.yaml:5:14]"), "{out}");
    // Errors: a frame for the located one, a line for the other.
    assert!(out.contains("unclosed flow sequence"), "{out}");
    assert!(out.contains("[deploy/broken.yaml:1:9]"), "{out}");
    assert!(
        out.lines()
            .any(|l| l == "error: cannot read missing/Dockerfile: no such file or directory"),
        "{out}"
    );
    let last = out.trim_end().lines().last().unwrap();
    assert_eq!(
        last,
        "Found 1 error, 1 warning, 1 info in 3 files (3 rules). 2 findings at or above `warning`. \
         1 file could not be checked. 1 file could only be checked in part (parse errors).",
        "{out}"
    );

    let colored = render(&report, OutputFormat::Human, true);
    assert!(colored.contains('\x1b'));
}

/// Notes (what was not checked, and why) are one line each after the errors, with the place
/// as editors link it: a repository with hundreds of registry modules must not bury its
/// findings under hundreds of frames. Control characters in them are escaped like the rest.
#[test]
fn human_notes_are_one_line_each() {
    let mut report = sample();
    let tf = file(
        "infra/main.tf",
        "# modules\nmodule \"kms\" {\n  source = \"terraform-aws-modules/kms/aws\"\n}\n",
    );
    report.errors.push(FileError {
        kind: ErrorKind::Note,
        path: "infra/main.tf".into(),
        location: Some((Arc::clone(&tf), span_of(&tf, "\"terraform-aws-modules"))),
        message: "module `kms\x1b[2J` is not checked: not vendored".into(),
    });
    let out = render(&report, OutputFormat::Human, false);
    let notes: Vec<&str> = out.lines().filter(|l| l.starts_with("note")).collect();
    assert_eq!(
        notes,
        ["note: infra/main.tf:3:12: module `kms\u{fffd}[2J` is not checked: not vendored"],
        "{out}"
    );
    assert!(!out.contains("not-checked"), "no frame for a note:\n{out}");
    assert!(
        !out.contains("│ module \"kms\""),
        "no source lines for a note:\n{out}"
    );
    // After the errors, before the summary, which counts it.
    let lines: Vec<&str> = out.lines().collect();
    let note = lines.iter().position(|l| l.starts_with("note: ")).unwrap();
    let io = lines
        .iter()
        .position(|l| l.starts_with("error: cannot read"))
        .unwrap();
    assert!(io < note, "{out}");
    assert!(
        out.trim_end()
            .ends_with("1 file with parts not checked (notes)."),
        "{out}"
    );
    let colored = render(&report, OutputFormat::Human, true);
    assert!(
        colored.contains("\x1b[1;36mnote\x1b[0m: infra/main.tf:3:12: "),
        "{colored}"
    );
}

#[test]
fn human_summary_wording() {
    let opts = ReportOptions::default();
    let mut out = Vec::new();
    let empty = Report {
        files_checked: 12,
        suppressed: 0,
        baseline: None,
        checked: Vec::new(),
        rules: vec![pin(), sec()],
        ..Report::default()
    };
    report::write(&empty, OutputFormat::Human, &opts, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "No findings in 12 files (2 rules).\n"
    );

    let df = file("Dockerfile", "FROM node\nFROM node\n");
    let report = Report {
        findings: vec![
            finding(pin(), &df, Span::new(5, 9), "a"),
            finding(pin(), &df, Span::new(15, 19), "b"),
        ],
        files_checked: 1,
        suppressed: 0,
        baseline: None,
        checked: Vec::new(),
        rules: vec![pin()],
        ..Report::default()
    };
    let opts = ReportOptions {
        color: false,
        fail_on: Some(Severity::Error),
        ..ReportOptions::default()
    };
    let mut out = Vec::new();
    report::write(&report, OutputFormat::Human, &opts, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.ends_with("Found 2 warnings in 1 file (1 rule). None at or above `error`.\n"),
        "{out}"
    );
}

#[test]
fn human_output_never_shows_a_secret() {
    let report = sample();
    for color in [false, true] {
        let out = render(&report, OutputFormat::Human, color);
        assert!(!out.contains(SECRET), "{out}");
        assert!(!out.contains("supersecret"), "{out}");
        // The line is still shown, redacted, with the start of the value.
        assert!(out.contains("ENV API_TOKEN=ghp_****"), "{out}");
    }
}

#[test]
fn huge_single_line_renders_a_small_frame() {
    let mut text = "x".repeat(1024 * 1024);
    text.push_str(" FROM node");
    let df = file("huge/Dockerfile", &text);
    let span = Span::new(text.len() - 4, text.len());
    let report = Report {
        findings: vec![finding(pin(), &df, span, "unpinned `node`")],
        files_checked: 1,
        suppressed: 0,
        baseline: None,
        checked: Vec::new(),
        rules: vec![pin()],
        ..Report::default()
    };
    let start = std::time::Instant::now();
    let out = render(&report, OutputFormat::Human, false);
    let frame = &out[..out.find("Found 1 warning").unwrap()];
    assert!(frame.len() < 2048, "{} bytes:\n{frame}", frame.len());
    assert!(frame.contains("node"), "{frame}");
    assert!(
        frame.contains(&format!("[huge/Dockerfile:1:{}]", 1024 * 1024 + 7)),
        "{frame}"
    );
    assert!(start.elapsed().as_secs() < 10);

    // Many lines: only a window of them is shown.
    let text: String = (0..200_000).map(|i| format!("RUN echo {i}\n")).collect();
    let df = file("long/Dockerfile", &text);
    let span = span_of(&df, "RUN echo 100000\n");
    let report = Report {
        findings: vec![finding(
            pin(),
            &df,
            Span::new(span.start, span.start + 3),
            "x",
        )],
        files_checked: 1,
        suppressed: 0,
        baseline: None,
        checked: Vec::new(),
        rules: vec![pin()],
        ..Report::default()
    };
    let out = render(&report, OutputFormat::Human, false);
    assert!(out.len() < 2048, "{out}");
    assert!(out.contains("100001 │ RUN echo 100000"), "{out}");
    assert!(out.contains("99999 │"), "{out}");
    assert!(!out.contains("99997 │"), "{out}");
}

#[test]
fn no_panics_on_odd_spans_and_text() {
    let cases: Vec<(&str, Span)> = vec![
        ("", Span::new(0, 0)),
        ("", Span::new(5, 10)),
        ("FROM node", Span::new(100, 200)),
        ("FROM node", Span::new(7, 3)),
        ("é€😀\n", Span::new(1, 6)),
        ("a\r\nb\rc\n\n", Span::new(2, 6)),
        ("tab\there\n", Span::new(3, 5)),
        ("esc \x1b[31mred\x1b[0m \u{202E}bidi\n", Span::new(4, 9)),
        ("\n\n\n", Span::new(1, 2)),
        ("x", Span::new(usize::MAX - 1, usize::MAX)),
    ];
    for (text, span) in cases {
        let f = file("odd/Dockerfile", text);
        let mut finding = finding(pin(), &f, span, "odd \x1b[2J message");
        finding.secrets.push(Span::new(0, usize::MAX));
        finding.related.push(Related {
            location: Location {
                file: Arc::clone(&f),
                span: Span::new(span.end, span.start),
            },
            message: "rel".into(),
        });
        let report = Report {
            findings: vec![finding],
            errors: vec![FileError {
                kind: ErrorKind::Parse,
                path: "odd/Dockerfile".into(),
                location: Some((Arc::clone(&f), span)),
                message: "bad".into(),
            }],
            files_checked: 1,
            suppressed: 0,
            baseline: None,
            suppressed_findings: Vec::new(),
            checked: Vec::new(),
            rules: vec![pin()],
            graph: None,
            secret_spans: Vec::new(),
        };
        for format in [OutputFormat::Human, OutputFormat::Json, OutputFormat::Sarif] {
            let out = render(&report, format, false);
            assert!(!out.contains('\x1b'), "{format} for {text:?}:\n{out}");
        }
        assert_valid_sarif(&json(&report, OutputFormat::Sarif));
    }
}

#[test]
fn output_format_parses() {
    assert_eq!("json".parse::<OutputFormat>(), Ok(OutputFormat::Json));
    assert_eq!("human".parse::<OutputFormat>(), Ok(OutputFormat::Human));
    assert_eq!("sarif".parse::<OutputFormat>(), Ok(OutputFormat::Sarif));
    assert!("yaml".parse::<OutputFormat>().is_err());
}

#[test]
fn no_panics_on_every_span_of_a_tricky_file() {
    let text = "é\r\nb😀\rc\n\tx\u{202E}y\n";
    let f = file("t/Dockerfile", text);
    let other = file("t/other.yaml", "k: v\n");
    let validator = sarif_validator();
    for start in 0..=text.len() + 2 {
        for end in 0..=text.len() + 2 {
            let span = Span::new(start, end);
            let mut fd = finding(pin(), &f, span, "m");
            fd.secrets.push(Span::new(end, start.max(end) + 3));
            fd.related.push(Related {
                location: Location {
                    file: Arc::clone(&f),
                    span: Span::new(end, start),
                },
                message: "here".into(),
            });
            fd.related.push(Related {
                location: Location {
                    file: Arc::clone(&other),
                    span,
                },
                message: "there".into(),
            });
            let report = Report {
                findings: vec![fd],
                files_checked: 1,
                suppressed: 0,
                baseline: None,
                checked: Vec::new(),
                rules: vec![pin()],
                ..Report::default()
            };
            let human = render(&report, OutputFormat::Human, false);
            assert!(human.contains("╭─[t/Dockerfile:"), "{span:?}:\n{human}");
            render(&report, OutputFormat::Json, false);
            let sarif = json(&report, OutputFormat::Sarif);
            assert!(validator.is_valid(&sarif), "{span:?}");
        }
    }
}

/// `--sarif-root`: when the scan runs in a subdirectory of the repository, SARIF paths are
/// rebased onto the repository root, and the run says what category its alerts belong to.
#[test]
fn sarif_paths_are_rebased_onto_the_sarif_root() {
    let cwd = std::env::current_dir().unwrap();
    let parent = cwd.parent().unwrap().to_path_buf();
    let here = cwd.file_name().unwrap().to_string_lossy().into_owned();
    let opts = ReportOptions {
        sarif_root: Some(parent.clone()),
        ..ReportOptions::default()
    };
    let mut out = Vec::new();
    report::write(&sample(), OutputFormat::Sarif, &opts, &mut out).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let run = &v["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "plumbline/");
    let uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with(&format!("{here}/")), "{uri}");
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.ends_with('/') && !base.ends_with(&format!("{here}/")),
        "{base}"
    );
}
