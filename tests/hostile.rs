//! Hostile repositories, end to end through the built binary: plumbline runs in CI on pull
//! requests from strangers, so every file name, key and value below is the attacker's.
//!
//! One generated repository holds:
//! - directories named with every C0 and C1 control, DEL, the bidi controls, the line and
//!   paragraph separators, U+FFFE/U+FFFF, ESC/OSC sequences (a window title, an OSC 8 link,
//!   a screen clear), `\n::error …::` and `\r\n::add-mask::` workflow commands, a drive-like
//!   `C:`, a backslash name and non-UTF-8 bytes — each with a file that yields a finding, so
//!   the name reaches every output;
//! - Compose service keys and Kubernetes names holding the same (YAML escapes, lone surrogates
//!   included), so they reach messages and the service graph;
//! - a secret of every detector in every position: quoted by a message, alone on a line (a
//!   parse error echoes it), as the context line of another finding's frame, under an ignore
//!   comment, only in the baseline, cut by the per-file limit, and filtered out by a config
//!   that ignores the secrets family.
//!
//! Every format, the baseline and the graph (all formats) are run on it, and the test asserts:
//! no output line begins a workflow command but the github format's own annotations; no raw
//! control character; XML and JSON parse; SARIF validates and every URI is relative with a
//! `uriBaseId`; no secret's full text appears anywhere, in any letter case.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn plumbline(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("CI")
        .output()
        .expect("binary runs")
}

fn write(dir: &Path, rel: impl AsRef<Path>, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A secret, and whether the detectors alone (no secret rule running) must find it.
struct Secret {
    text: String,
    detectable: bool,
}

/// Deterministic filler for token bodies: not a real credential, but each token's own.
fn body(seed: u32, len: usize, alphabet: &[u8]) -> String {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            char::from(alphabet[(x as usize) % alphabet.len()])
        })
        .collect()
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_NUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// One token of every format the detectors know, seeded so each position gets its own.
fn tokens(seed: u32) -> Vec<String> {
    vec![
        format!("AKIA{}", body(seed, 16, UPPER_NUM)),
        format!("ghp_{}", body(seed + 1, 36, ALNUM)),
        format!("github_pat_{}", body(seed + 2, 82, ALNUM)),
        format!("npm_{}", body(seed + 3, 36, ALNUM)),
        format!("xoxb-{}", body(seed + 4, 24, ALNUM)),
        format!("AccountKey={}==", body(seed + 5, 86, B64)),
        format!("AIza{}", body(seed + 6, 35, ALNUM)),
        format!("sk_live_{}", body(seed + 7, 28, ALNUM)),
    ]
}

/// The names hostile to some reader: every control character, bidi controls, separators,
/// noncharacters, escape sequences and workflow commands. (`/` and NUL cannot be in a name.)
fn hostile_fragments() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in (1u32..0x20).chain([0x7f]).chain(0x80..0xa0) {
        out.push(char::from_u32(c).unwrap().to_string());
    }
    for c in [
        '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
        '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}',
        '\u{FFFE}', '\u{FFFF}',
    ] {
        out.push(c.to_string());
    }
    out.extend(
        [
            "\n::error title=pwned::injected",
            "\r\n::add-mask::x",
            "\n::stop-commands::token",
            "\u{1b}]0;title\u{7}",
            "\u{1b}[2J",
            "\u{1b}]8;;https://evil.example/\u{1b}\\link\u{1b}]8;;\u{1b}\\",
            "\u{9b}31m",
        ]
        .map(String::from),
    );
    out
}

/// The hostile repository; returns its secrets.
fn build(root: &Path) -> Vec<Secret> {
    let mut secrets: Vec<Secret> = Vec::new();
    std::fs::create_dir(root.join(".git")).unwrap();

    // Hostile directory names, each with a finding.
    for (i, frag) in hostile_fragments().iter().enumerate() {
        write(
            root,
            format!("names/d{i}{frag}x/Dockerfile"),
            "FROM nginx:latest\n",
        );
    }
    write(root, "names/C:/Dockerfile", "FROM nginx:latest\n");
    write(root, "names/\\x.dockerfile", "FROM nginx:latest\n");
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        for b in [0xffu8, 0xfe, 0x80] {
            let dir = root
                .join("names")
                .join(OsString::from_vec(vec![b'n', b, b'x']));
            write(&dir, "Dockerfile", "FROM nginx:latest\n");
            write(
                &dir,
                OsString::from_vec(vec![b'm', b'a', b, b'i', b'n', b'.', b't', b'f']),
                "resource \"docker_container\" \"c\" {\n  name  = \"c\"\n  image = \"nginx:latest\"\n}\n",
            );
        }
    }

    // Hostile keys and values in files: Compose services and Kubernetes names (YAML escapes,
    // a lone surrogate among them), reaching messages and the graph.
    let yaml_escapes = [
        r"web\n::error title=pwned::x",
        r"w\r\n::add-mask::x",
        r"w\e]0;title\ax",
        r"w\e[2Jx",
        r"w\u202Ex",
        r"w\u2028x",
        r"w\uFFFEx",
        r"w\uFFFFx",
        r"w\ud800x",
        r"w\x9b31mx",
        r"w\x85x",
    ];
    let mut compose = String::from("services:\n");
    let mut k8s = String::new();
    for (i, e) in yaml_escapes.iter().enumerate() {
        compose.push_str(&format!(
            "  \"{e}{i}\":\n    image: \"shop/{i}:latest\"\n    build: ./svc{i}\n"
        ));
        k8s.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"{e}\"\nspec:\n  template:\n    spec:\n      containers:\n        - name: \"{e}{i}\"\n          image: \"shop/{i}:latest\"\n"
        ));
        write(
            root,
            format!("hostile/svc{i}/Dockerfile"),
            "FROM node:20\nEXPOSE 3000\n",
        );
    }
    write(root, "hostile/compose.yaml", &compose);
    write(root, "hostile/k8s.yaml", &k8s);

    // Secrets of every detector, in every position.
    let mut docker = String::from("FROM alpine:3.19\n");
    // Context lines of the ROOT001 frame above, and each its own finding.
    let url_pw = body(90, 14, ALNUM);
    docker.push_str(&format!(
        "ADD https://deploy:{url_pw}@files.example.net/app.tgz /app.tgz\n"
    ));
    secrets.push(Secret {
        text: url_pw,
        detectable: true,
    });
    let env_pw = format!("Pw{}", body(91, 14, ALNUM));
    docker.push_str(&format!("ENV DB_PASSWORD={env_pw}\n"));
    secrets.push(Secret {
        text: env_pw,
        detectable: true,
    });
    // Alone on a line: an unknown instruction, echoed upper-cased by the parse error.
    for t in tokens(100) {
        docker.push_str(&format!("{t}\n"));
        secrets.push(Secret {
            text: t,
            detectable: true,
        });
    }
    // Suppressed, with a reason that holds a token of its own and a terminal sequence (SARIF
    // shows reasons).
    for (t, r) in tokens(200).into_iter().zip(tokens(250)) {
        docker.push_str(&format!(
            "# plumbline: ignore[SEC001,SEC004] throwaway test value, was {r} \u{1b}]0;owned\u{7}\nENV API_TOKEN={t}\n"
        ));
        secrets.push(Secret {
            text: t,
            detectable: true,
        });
        secrets.push(Secret {
            text: r,
            detectable: true,
        });
    }
    docker.push_str("USER 10001\n");
    write(root, "secrets/Dockerfile", &docker);

    // A private key block in a Kubernetes Secret.
    let key_body = body(300, 64, B64);
    write(
        root,
        "secrets/key.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\nstringData:\n  tls.key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    {key_body}\n    -----END RSA PRIVATE KEY-----\n  password: Kx{}\n",
            body(301, 14, ALNUM)
        ),
    );
    secrets.push(Secret {
        text: key_body,
        detectable: true,
    });
    // A key block two lines above another finding: its body line alone says nothing.
    let key_body = body(302, 64, B64);
    write(
        root,
        "secrets/keyed.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: keyed\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n            - name: TLS_KEY\n              value: |\n                -----BEGIN RSA PRIVATE KEY-----\n                {key_body}\n                -----END RSA PRIVATE KEY-----\n          image: nginx:latest\n"
        ),
    );
    secrets.push(Secret {
        text: key_body,
        detectable: true,
    });

    // Compose and Kubernetes literals, Helm values, Bicep and Terraform defaults.
    let compose_pw = format!("Cp{}", body(400, 14, ALNUM));
    write(
        root,
        "secrets/compose.yaml",
        &format!(
            "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: {compose_pw}\n      DATABASE_URL: postgresql://app:{compose_pw}x@db/app\n"
        ),
    );
    secrets.push(Secret {
        text: compose_pw,
        detectable: true,
    });
    let k8s_pw = format!("Kp{}", body(401, 14, ALNUM));
    write(
        root,
        "secrets/deploy.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: shop/api:1.0\n          env:\n            - name: DB_PASSWORD\n              value: {k8s_pw}\n"
        ),
    );
    // `value:` alone says nothing: only the rule knows this one.
    secrets.push(Secret {
        text: k8s_pw,
        detectable: false,
    });
    let helm_pw = format!("Hp{}", body(402, 14, ALNUM));
    write(
        root,
        "secrets/chart/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    );
    write(
        root,
        "secrets/chart/values.yaml",
        &format!(
            "image:\n  repository: shop/app\n  tag: latest\nauth:\n  adminPassword: {helm_pw}\n"
        ),
    );
    write(
        root,
        "secrets/chart/templates/d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
    );
    secrets.push(Secret {
        text: helm_pw,
        detectable: true,
    });
    let bicep_pw = format!("Bp{}!", body(403, 14, ALNUM));
    write(
        root,
        "secrets/main.bicep",
        &format!("param adminPassword string = '{bicep_pw}'\noutput x string = 'y'\n"),
    );
    secrets.push(Secret {
        text: bicep_pw,
        detectable: true,
    });
    let tf_pw = format!("Tp{}", body(404, 14, ALNUM));
    write(
        root,
        "secrets/tf/main.tf",
        &format!(
            "variable \"db_password\" {{\n  type    = string\n  default = \"{tf_pw}\"\n}}\nresource \"docker_container\" \"c\" {{\n  name  = \"c\"\n  image = \"nginx:latest\"\n}}\n"
        ),
    );
    // `default = …` alone says nothing: only SEC051 knows this one.
    secrets.push(Secret {
        text: tf_pw,
        detectable: false,
    });
    secrets
}

/// One thing plumbline printed or wrote, and how to judge it.
struct Produced {
    what: String,
    text: String,
    /// `Some(format)` for report outputs.
    format: Option<&'static str>,
}

fn is_raw_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FFFE}'
                | '\u{FFFF}'
        )
}

fn check_produced(
    p: &Produced,
    secrets: &[Secret],
    rules_on: bool,
    sarif: Option<&jsonschema::Validator>,
) {
    let what = &p.what;
    // What the fuzzer asserts on every output, then more that needs the test's tools.
    let lower_secrets: Vec<String> = secrets
        .iter()
        .filter(|s| rules_on || s.detectable)
        .map(|s| s.text.to_lowercase())
        .collect();
    let result = std::panic::catch_unwind(|| {
        plumbline::fuzz::assert_output_invariants(
            p.format.unwrap_or("stderr"),
            &p.text,
            &lower_secrets,
        )
    });
    assert!(
        result.is_ok(),
        "{what}: output invariants broken (see the panic above)"
    );
    // No workflow command but the github format's own annotations.
    for line in p.text.lines() {
        if !line.starts_with("::") {
            continue;
        }
        assert_eq!(
            p.format,
            Some("github"),
            "{what}: a line starts a workflow command: {line:?}"
        );
        let ok = ["::error ", "::warning ", "::notice "]
            .iter()
            .any(|c| line.starts_with(c));
        assert!(ok, "{what}: not one of plumbline's annotations: {line:?}");
        // Properties end at the first `::`; nothing inside them may close them early.
        let props = &line[2..line[2..].find("::").map_or(line.len(), |i| i + 2)];
        assert!(!props.contains('\r'), "{what}: {line:?}");
    }
    // No raw control character.
    if let Some((i, c)) = p.text.char_indices().find(|(_, c)| is_raw_control(*c)) {
        let from = p.text[..i].char_indices().rev().nth(60).map_or(0, |x| x.0);
        panic!(
            "{what}: raw control character U+{:04X} in {:?}",
            c as u32,
            &p.text[from..(i + 1).min(p.text.len())]
        );
    }
    // No secret, in any letter case.
    let lower = p.text.to_lowercase();
    for s in secrets.iter().filter(|s| rules_on || s.detectable) {
        assert!(
            !lower.contains(&s.text.to_lowercase()),
            "{what}: secret `{}` printed in full",
            s.text
        );
    }
    match p.format {
        Some("json" | "graph-json" | "baseline") => {
            serde_json::from_str::<serde_json::Value>(&p.text)
                .unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
        }
        Some("junit") => {
            roxmltree::Document::parse(&p.text).unwrap_or_else(|e| panic!("{what}: not XML: {e}"));
        }
        Some("sarif") => {
            let v: serde_json::Value =
                serde_json::from_str(&p.text).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
            if let Some(validator) = sarif {
                let errors: Vec<String> = validator
                    .iter_errors(&v)
                    .map(|e| format!("{e} at {}", e.instance_path()))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{what}: invalid SARIF:\n{}",
                    errors.join("\n")
                );
            }
            let mut uris = Vec::new();
            collect_artifacts(&v, &mut uris);
            assert!(!uris.is_empty(), "{what}: no artifact locations");
            for (uri, base) in uris {
                assert_eq!(
                    base.as_deref(),
                    Some("%SRCROOT%"),
                    "{what}: {uri} has no uriBaseId"
                );
                assert!(
                    !uri.contains(':') && !uri.starts_with('/'),
                    "{what}: {uri} is not a relative reference"
                );
            }
        }
        _ => {}
    }
}

/// Every `artifactLocation` (uri, uriBaseId) in a SARIF document.
fn collect_artifacts(v: &serde_json::Value, out: &mut Vec<(String, Option<String>)>) {
    match v {
        serde_json::Value::Object(o) => {
            if let Some(a) = o.get("artifactLocation") {
                out.push((
                    a["uri"].as_str().unwrap_or_default().to_string(),
                    a["uriBaseId"].as_str().map(String::from),
                ));
            }
            o.values().for_each(|x| collect_artifacts(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_artifacts(x, out)),
        _ => {}
    }
}

fn sarif_validator() -> Option<jsonschema::Validator> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles"),
    )
}

const FORMATS: [&str; 6] = ["human", "json", "sarif", "github", "junit", "compact"];

/// Runs every format (with `extra` arguments), the baseline and the graph in `dir`.
fn run_all(dir: &Path, extra: &[&str], label: &str) -> Vec<Produced> {
    let mut out = Vec::new();
    let mut push = |what: String, o: &Output, format: Option<&'static str>| {
        let code = o.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "{what}: exit {code:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        out.push(Produced {
            what: format!("{what} (stdout)"),
            text: String::from_utf8(o.stdout.clone())
                .unwrap_or_else(|e| panic!("{what}: stdout is not UTF-8: {e}")),
            format,
        });
        out.push(Produced {
            what: format!("{what} (stderr)"),
            text: String::from_utf8_lossy(&o.stderr).into_owned(),
            format: None,
        });
    };
    for format in FORMATS {
        let mut args = vec!["check", ".", "--format", format, "--color", "never"];
        args.extend_from_slice(extra);
        let o = plumbline(&args, dir);
        push(format!("{label} check --format {format}"), &o, Some(format));
    }
    for (format, name) in [
        ("text", "graph-text"),
        ("json", "graph-json"),
        ("dot", "graph-dot"),
    ] {
        let o = plumbline(&["graph", ".", "--format", format], dir);
        push(format!("{label} graph --format {format}"), &o, Some(name));
    }
    out
}

#[test]
fn hostile_names_and_secrets_reach_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let secrets = build(root);
    let validator = sarif_validator();

    // The baseline: written by plumbline (its messages must be masked too), then cut to the
    // secret findings only, so their secrets are "baselined" while other findings around them
    // still show frames.
    let base_out = root.join("base.json");
    let o = plumbline(&["baseline", ".", "-o", base_out.to_str().unwrap()], root);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let base_text = std::fs::read_to_string(&base_out).unwrap();
    let baseline_file = Produced {
        what: "baseline file".into(),
        text: base_text.clone(),
        format: Some("baseline"),
    };
    check_produced(&baseline_file, &secrets, true, None);
    let mut b: serde_json::Value = serde_json::from_str(&base_text).unwrap();
    b["entries"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["rule"].as_str().unwrap_or_default().starts_with("SEC"));
    let secret_only = PathBuf::from("secrets-baseline.json");
    std::fs::write(root.join(&secret_only), b.to_string()).unwrap();
    std::fs::write(
        root.join("no-secret-rules.toml"),
        "ignore = [\"secrets\"]\n",
    )
    .unwrap();

    let runs: [(&str, Vec<&str>, bool); 4] = [
        ("plain", vec![], true),
        (
            "baselined",
            vec!["--baseline", "secrets-baseline.json"],
            true,
        ),
        ("capped", vec!["--max-findings-per-file", "1"], true),
        // The secret rules still run (the default config is in play) and their findings are
        // filtered out: their spans must be masked all the same.
        (
            "secrets ignored",
            vec!["--config", "no-secret-rules.toml"],
            true,
        ),
    ];
    let mut produced = 0;
    for (label, extra, rules_on) in runs {
        for p in run_all(root, &extra, label) {
            check_produced(&p, &secrets, rules_on, validator.as_ref());
            produced += 1;
        }
    }
    assert!(produced >= 4 * 18);

    // The suppressed secrets and their reasons did reach SARIF (checked above), as results
    // marked suppressed.
    let sarif: serde_json::Value =
        serde_json::from_slice(&plumbline(&["check", ".", "--format", "sarif"], root).stdout)
            .unwrap();
    let reasons: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["suppressions"][0]["justification"].as_str())
        .filter(|j| j.starts_with("throwaway test value"))
        .collect();
    assert!(reasons.len() >= tokens(200).len(), "{reasons:?}");
    // Masked, and the sequence kept as data (the document escapes it: checked above).
    assert!(
        reasons
            .iter()
            .all(|j| j.contains("****") && j.contains("\u{1b}]0;owned")),
        "{reasons:?}"
    );

    // The hostile names did reach the outputs (escaped), so the assertions above saw them.
    let compact =
        String::from_utf8(plumbline(&["check", ".", "--format", "compact"], root).stdout).unwrap();
    assert!(
        compact.contains("names/d0\u{FFFD}x/Dockerfile"),
        "{compact}"
    );
    assert!(compact.contains("names/n\\xFFx/ma\\xFFin.tf"), "{compact}");
    assert!(
        compact.contains("names/n\\xFFx/Dockerfile")
            && compact.contains("names/n\\xFEx/Dockerfile")
    );
    assert!(compact.contains("names/C:/Dockerfile"), "{compact}");
}

/// Runs plumbline, failing (instead of hanging) if it has not finished within `secs`.
fn plumbline_within(args: &[&str], cwd: &Path, secs: u64) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(cwd)
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(out) => out.expect("binary runs"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
            panic!("plumbline {args:?} did not finish within {secs} s");
        }
    }
}

#[cfg(unix)]
#[test]
fn config_and_baseline_reads_are_bounded_and_regular_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM alpine:3.19\nUSER 10001\n");
    // /dev/zero would be read without end; a FIFO would block; a sparse file past the limit
    // would be read whole: each is refused at once with exit 2.
    assert!(
        Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status()
            .unwrap()
            .success()
    );
    let big = std::fs::File::create(root.join("big")).unwrap();
    big.set_len(300 << 20).unwrap();
    for flag in ["--config", "--baseline"] {
        for (path, says) in [
            ("/dev/zero", "not a regular file"),
            ("fifo", "not a regular file"),
            ("big", "larger than"),
        ] {
            let o = plumbline_within(&["check", ".", flag, path], root, 20);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{flag} {path}: {err}");
            assert!(err.contains(says), "{flag} {path}: {err}");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_planted_link_is_replaced_and_a_checked_file_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "precious").unwrap();
    let repo = dir.path().join("repo");
    write(&repo, "Dockerfile", "FROM alpine\n");
    std::fs::create_dir(repo.join(".git")).unwrap();
    for (link, args) in [
        (
            "results.sarif",
            vec![
                "check",
                ".",
                "--format",
                "sarif",
                "--output",
                "results.sarif",
            ],
        ),
        (".plumbline-baseline.json", vec!["baseline", "."]),
    ] {
        std::os::unix::fs::symlink(&outside, repo.join(link)).unwrap();
        let o = plumbline(&args, &repo);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
        let meta = std::fs::symlink_metadata(repo.join(link)).unwrap();
        assert!(meta.is_file(), "{link} is still a link");
        assert!(!std::fs::read_to_string(repo.join(link)).unwrap().is_empty());
    }
    // --output onto a file the run checks (by name, another spelling, a hard link) is refused.
    std::fs::hard_link(repo.join("Dockerfile"), repo.join("same.txt")).unwrap();
    for out in ["Dockerfile", "./Dockerfile", "same.txt"] {
        for args in [
            vec!["check", ".", "--output", out],
            vec!["baseline", ".", "-o", out],
        ] {
            let o = plumbline(&args, &repo);
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            assert!(
                String::from_utf8_lossy(&o.stderr).contains("one of the files this run checked")
            );
            assert_eq!(
                std::fs::read_to_string(repo.join("Dockerfile")).unwrap(),
                "FROM alpine\n"
            );
        }
    }
}

#[test]
fn a_config_above_the_repository_does_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".plumbline.toml"), "exclude = [\"**\"]\n").unwrap();
    let repo = dir.path().join("repo");
    write(&repo, "Dockerfile", "FROM alpine\n");
    std::fs::create_dir(repo.join(".git")).unwrap();
    let o = plumbline(&["check", ".", "--format", "compact"], &repo);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("[PIN001]"));
    // A worktree's `.git` is a file: the search stops there too.
    std::fs::remove_dir(repo.join(".git")).unwrap();
    std::fs::write(repo.join(".git"), "gitdir: /elsewhere\n").unwrap();
    let o = plumbline(&["check", ".", "--format", "compact"], &repo);
    assert_eq!(o.status.code(), Some(1));
    // The repository's own config still applies, and a run of no file says so.
    write(&repo, ".plumbline.toml", "exclude = [\"**\"]\n");
    let o = plumbline(&["check", ".", "--format", "compact"], &repo);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("No file was checked"));
}

#[test]
fn excluded_files_stay_out_of_their_units() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    );
    write(
        root,
        "chart/values.yaml",
        "image:\n  repository: nginx\n  tag: latest\n",
    );
    write(
        root,
        "chart/templates/d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
    );
    let all =
        String::from_utf8(plumbline(&["check", ".", "--format", "compact"], root).stdout).unwrap();
    assert!(all.contains("chart/values.yaml:3:8"), "{all}");
    for exclude in ["chart/values.yaml", "values.yaml", "chart/values.*"] {
        let o = plumbline(
            &["check", ".", "--format", "compact", "--exclude", exclude],
            root,
        );
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(
            !out.contains("chart/values.yaml"),
            "--exclude {exclude}: {out}"
        );
        assert!(
            out.contains("chart/templates/d.yaml"),
            "--exclude {exclude}: {out}"
        );
    }
    // A config's exclude holds the same way.
    write(
        root,
        ".plumbline.toml",
        "exclude = [\"chart/values.yaml\"]\n",
    );
    let out =
        String::from_utf8(plumbline(&["check", ".", "--format", "compact"], root).stdout).unwrap();
    assert!(!out.contains("chart/values.yaml"), "{out}");
}

#[cfg(unix)]
#[test]
fn files_with_non_utf8_names_are_checked_and_kept_apart() {
    use std::os::unix::ffi::OsStringExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        OsString::from_vec(b"ma\xffin.tf".to_vec()),
        "resource \"docker_container\" \"c\" {\n  name  = \"c\"\n  image = \"nginx:latest\"\n}\n",
    );
    for b in [0xffu8, 0xfe] {
        write(
            &root.join(OsString::from_vec(vec![b'a', b])),
            "Dockerfile",
            "FROM alpine\nUSER 10001\n",
        );
    }
    let o = plumbline(&["check", ".", "--format", "json"], root);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let paths: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["a\\xFE/Dockerfile", "a\\xFF/Dockerfile", "ma\\xFFin.tf"]
    );
    assert_eq!(v["summary"]["files_checked"], 3);
}

#[test]
fn github_says_what_the_diff_cannot_show_and_fills_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for i in 0..12 {
        write(
            root,
            format!("s{i}|<b>\n::x/Dockerfile"),
            "FROM alpine\nUSER 10001\n",
        );
    }
    let summary = root.join("summary.md");
    let o = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["check", ".", "--format", "github"])
        .current_dir(root)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("plumbline: 12 error annotations, 0 warnings, 0 notices in 12 files.")
            && last.contains("2 errors are not shown on the diff")
            && last.contains("step summary"),
        "{last}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(md.matches("| error | PIN001 |").count(), 12, "{md}");
    // File names cannot add cells, tags or lines to the table.
    assert!(!md.contains("<b>") && !md.contains("\n::"), "{md}");
    assert!(
        md.contains("s0&#124;&#60;b&#62;\u{FFFD}&#58;&#58;x/Dockerfile"),
        "{md}"
    );
}

#[test]
fn a_strangers_config_error_cannot_inject_either() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM alpine\n");
    let token = format!("ghp_{}", body(7, 36, ALNUM));
    write(
        root,
        ".plumbline.toml",
        &format!("\"x\\n::error title=pwned::{token}\\u001b]0;t\\u0007\" = 1\n"),
    );
    for args in [
        vec!["check", "."],
        vec!["graph", "."],
        vec!["baseline", "."],
    ] {
        let o = plumbline(&args, root);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains("unknown key"), "{err}");
        assert_eq!(err.lines().count(), 1, "one mistake, one line: {err}");
        plumbline::fuzz::assert_output_invariants("stderr", &err, &[token.to_lowercase()]);
    }
}
