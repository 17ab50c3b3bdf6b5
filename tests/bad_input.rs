//! Bad input on the built binary (issue 7): every case puts a bad file next to a good
//! Dockerfile (`FROM python:latest`, finding PIN001 at 1:6), runs `plumbline check` once per
//! output format, and asserts
//!
//! 1. the exit code;
//! 2. a located error naming the bad file in every format (its path, and line:column when
//!    the problem has a position);
//! 3. the good file's PIN001 still reported in every format (one bad file costs that file);
//! 4. no panic on standard error, and each run well under 10 s (a run that hangs is killed
//!    and fails the test).
//!
//! [`check`] does (2)–(4) for all six formats, so a case is its files and a few lines.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FORMATS: [&str; 6] = ["human", "json", "sarif", "github", "junit", "compact"];

/// No run may take longer; a run still going after [`KILL_AFTER`] is a hang.
const MAX_RUN: Duration = Duration::from_secs(10);
const KILL_AFTER: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// Running the binary

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `plumbline args` in `cwd`, killing it after [`KILL_AFTER`].
fn plumbline(args: &[&str], cwd: &Path) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Drain both pipes while waiting: SARIF alone is more than a pipe holds.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > KILL_AFTER {
            let _ = child.kill();
            let _ = child.wait();
            panic!("plumbline {args:?} hung (killed after {KILL_AFTER:?})");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        took: start.elapsed(),
    }
}

fn write(dir: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// A temporary directory holding the good Dockerfile.
fn scene() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good/Dockerfile", "FROM python:latest\n");
    dir
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {}", path.display());
}

// ---------------------------------------------------------------------------------------
// What every format must show

/// Where an error must be.
#[derive(Clone, Copy, Debug)]
enum At {
    /// The problem is the whole file (unreadable, binary, too large): no position.
    File,
    /// At a position inside the file, whichever the parser names.
    Located,
    /// At this line and column.
    Exactly(usize, usize),
}

/// An error a case must produce.
#[derive(Clone, Copy, Debug)]
struct Bad<'a> {
    path: &'a str,
    /// `io`, `parse`, `limit`, `internal`: the JSON `kind`.
    kind: &'a str,
    at: At,
    /// Part of the message.
    says: &'a str,
}

fn bad<'a>(path: &'a str, kind: &'a str, at: At, says: &'a str) -> Bad<'a> {
    Bad {
        path,
        kind,
        at,
        says,
    }
}

/// A finding a case must still produce.
#[derive(Clone, Copy, Debug)]
struct Found<'a> {
    path: &'a str,
    rule: &'a str,
    line: usize,
    column: usize,
}

const GOOD: Found<'static> = Found {
    path: "good/Dockerfile",
    rule: "PIN001",
    line: 1,
    column: 6,
};

/// Runs `plumbline check --format F args…` in `dir` for every format F and checks the exit
/// code, every error of `bad`, the good file's PIN001 and every finding of `found`, the
/// absence of panics and the time taken. Returns each format's standard output.
fn check(
    dir: &Path,
    args: &[&str],
    exit: i32,
    bad: &[Bad],
    found: &[Found],
) -> BTreeMap<&'static str, String> {
    // JSON first: it says where each located error is, and every other format must agree.
    let mut at: Vec<Option<(usize, usize)>> = Vec::new();
    let mut outputs = BTreeMap::new();
    for format in FORMATS.iter().cycle().skip(1).take(FORMATS.len()) {
        let mut full = vec!["check", "--format", format, "--color", "never"];
        full.extend_from_slice(args);
        let run = plumbline(&full, dir);
        let what = format!("`plumbline {}`", full.join(" "));
        assert!(
            !run.stderr.contains("panicked")
                && !run.stderr.contains("overflow")
                && !run.stderr.contains("fatal"),
            "{what}: {}",
            run.stderr
        );
        assert!(
            run.took < MAX_RUN,
            "{what} took {:?} (limit {MAX_RUN:?})",
            run.took
        );
        assert_eq!(
            run.code,
            Some(exit),
            "{what}: exit code\n{}{}",
            run.stdout,
            run.stderr
        );
        let out = &run.stdout;
        if *format == "json" {
            let v: serde_json::Value = serde_json::from_str(out).expect("JSON");
            for b in bad {
                let matching: Vec<&serde_json::Value> = v["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| {
                        e["path"] == b.path
                            && e["kind"] == b.kind
                            && e["message"].as_str().unwrap().contains(b.says)
                    })
                    .collect();
                // Reported, and once.
                let [e] = matching[..] else {
                    panic!("{what}: {} errors {b:?} in {}", matching.len(), v["errors"]);
                };
                let pos = e["line"]
                    .as_u64()
                    .map(|l| (l as usize, e["column"].as_u64().unwrap() as usize));
                match (b.at, pos) {
                    (At::File, None) | (At::Located, Some(_)) => {}
                    (At::Exactly(l, c), Some(p)) if p == (l, c) => {}
                    (want, got) => panic!("{what}: {b:?} at {got:?}, expected {want:?}"),
                }
                at.push(pos);
            }
        } else {
            for (b, pos) in bad.iter().zip(&at) {
                assert!(
                    shows_error(format, out, b, *pos),
                    "{what}: error {b:?} at {pos:?} not shown:\n{}",
                    head(out)
                );
            }
        }
        for f in std::iter::once(&GOOD).chain(found) {
            assert!(
                shows_finding(format, out, f),
                "{what}: finding {f:?} not shown:\n{}",
                head(out)
            );
        }
        outputs.insert(*format, run.stdout);
    }
    outputs
}

/// The start of an output, for failure messages.
fn head(s: &str) -> String {
    s.chars().take(6000).collect()
}

/// The human format wraps messages: compared with blanks folded and frame borders dropped.
fn fold(s: &str) -> String {
    s.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

fn sarif_uri(path: &str) -> String {
    if path.starts_with('/') {
        format!("file://{path}")
    } else {
        path.to_string()
    }
}

fn shows_error(format: &str, out: &str, b: &Bad, pos: Option<(usize, usize)>) -> bool {
    let (l, c) = pos.unwrap_or((1, 1));
    match format {
        "human" => {
            let text = fold(out);
            let placed = match pos {
                Some(_) => text.contains(&format!("[{}:{l}:{c}]", b.path)),
                None => text.contains("error: ") && text.contains(b.path),
            };
            placed && text.contains(&fold(b.says))
        }
        "sarif" => {
            let v: serde_json::Value = serde_json::from_str(out).unwrap();
            let id = match b.kind {
                "io" => "io-error",
                "parse" => "parse-error",
                "limit" => "limit-reached",
                _ => "internal-error",
            };
            v["runs"][0]["invocations"][0]["toolExecutionNotifications"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| {
                    let loc = &n["locations"][0]["physicalLocation"];
                    n["descriptor"]["id"] == id
                        && n["message"]["text"].as_str().unwrap().contains(b.says)
                        && loc["artifactLocation"]["uri"] == sarif_uri(b.path).as_str()
                        && match pos {
                            Some(_) => {
                                loc["region"]["startLine"] == l && loc["region"]["startColumn"] == c
                            }
                            None => loc["region"].is_null(),
                        }
                })
        }
        "github" => {
            let start = match pos {
                Some(_) => format!("::error file={},line={l},col={c},", b.path),
                None => format!("::error file={},title=", b.path),
            };
            out.lines()
                .any(|line| line.starts_with(&start) && line.contains(b.says))
        }
        "junit" => {
            let doc = roxmltree::Document::parse(out).expect("JUnit XML");
            let at = match pos {
                Some(_) => format!("{}:{l}:{c}: ", b.path),
                None => format!("{}: ", b.path),
            };
            doc.descendants()
                .filter(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(b.path))
                .flat_map(|s| s.descendants())
                .filter(|n| n.has_tag_name("error"))
                .any(|e| {
                    let text = e.text().unwrap_or_default();
                    text.lines()
                        .any(|line| line.starts_with(&at) && line.contains(b.says))
                })
        }
        "compact" => {
            let start = format!("{}:{l}:{c}: error [{}] ", b.path, b.kind);
            out.lines()
                .any(|line| line.starts_with(&start) && line.contains(b.says))
        }
        other => unreachable!("{other}"),
    }
}

fn shows_finding(format: &str, out: &str, f: &Found) -> bool {
    let (l, c) = (f.line, f.column);
    match format {
        "human" => {
            let text = fold(out);
            text.contains(&format!("[{}] ", f.rule))
                && text.contains(&format!("[{}:{l}:{c}]", f.path))
        }
        "json" => {
            let v: serde_json::Value = serde_json::from_str(out).unwrap();
            v["findings"].as_array().unwrap().iter().any(|x| {
                x["rule"] == f.rule && x["path"] == f.path && x["line"] == l && x["column"] == c
            })
        }
        "sarif" => {
            let v: serde_json::Value = serde_json::from_str(out).unwrap();
            v["runs"][0]["results"].as_array().unwrap().iter().any(|r| {
                let loc = &r["locations"][0]["physicalLocation"];
                r["ruleId"] == f.rule
                    && loc["artifactLocation"]["uri"] == f.path
                    && loc["region"]["startLine"] == l
                    && loc["region"]["startColumn"] == c
            })
        }
        "github" => out.lines().any(|line| {
            line.starts_with(&format!("::error file={},line={l},col={c},", f.path))
                && line.contains(&format!("title={} ", f.rule))
        }),
        "junit" => {
            let doc = roxmltree::Document::parse(out).expect("JUnit XML");
            doc.descendants()
                .filter(|n| {
                    n.has_tag_name("testcase")
                        && n.attribute("classname") == Some(f.path)
                        && n.attribute("name")
                            .is_some_and(|name| name.starts_with(&format!("{} ", f.rule)))
                })
                .flat_map(|t| t.children())
                .any(|x| {
                    x.has_tag_name("failure")
                        && x.text()
                            .is_some_and(|t| t.starts_with(&format!("{}:{l}:{c}: ", f.path)))
                })
        }
        "compact" => out.lines().any(|line| {
            line.starts_with(&format!("{}:{l}:{c}: ", f.path))
                && line.contains(&format!(" [{}] ", f.rule))
        }),
        other => unreachable!("{other}"),
    }
}

/// How many findings of `rule` a format shows.
fn count(format: &str, out: &str, rule: &str) -> usize {
    match format {
        "human" => out
            .lines()
            .filter(|l| l.contains(&format!("[{rule}] ")) && !l.starts_with(' '))
            .count(),
        "json" => {
            let v: serde_json::Value = serde_json::from_str(out).unwrap();
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| x["rule"] == rule)
                .count()
        }
        "sarif" => {
            let v: serde_json::Value = serde_json::from_str(out).unwrap();
            v["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["ruleId"] == rule)
                .count()
        }
        "github" => out
            .lines()
            .filter(|l| l.contains(&format!(",title={rule} ")))
            .count(),
        "junit" => {
            let doc = roxmltree::Document::parse(out).unwrap();
            doc.descendants()
                .filter(|n| {
                    n.has_tag_name("testcase")
                        && n.attribute("name")
                            .is_some_and(|name| name.starts_with(&format!("{rule} ")))
                })
                .flat_map(|t| t.children())
                .filter(|x| x.has_tag_name("failure"))
                .count()
        }
        "compact" => out
            .lines()
            .filter(|l| l.contains(&format!(" [{rule}] ")))
            .count(),
        other => unreachable!("{other}"),
    }
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend(if big_endian {
            [0xFE, 0xFF]
        } else {
            [0xFF, 0xFE]
        });
    }
    for u in text.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// The cases

/// An empty file has nothing in it that could be wrong, in every format: no finding and no
/// error, and it counts as checked. Terraform and Bicep accept empty files; an empty YAML
/// stream is no document; an empty Dockerfile (which `docker build` refuses for want of a
/// `FROM`) is read as a Dockerfile not yet written rather than failing the gate — unlike
/// instructions without a `FROM`, which are an error.
#[test]
fn empty_files_are_checked_and_clean() {
    let dir = scene();
    for f in [
        "empty/Dockerfile",
        "empty/compose.yaml",
        "empty/main.tf",
        "empty/main.bicep",
    ] {
        write(dir.path(), f, "");
    }
    let out = check(dir.path(), &["."], 1, &[], &[]);
    let v: serde_json::Value = serde_json::from_str(&out["json"]).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["summary"]["files_checked"], 5);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["path"] == "good/Dockerfile")
    );
}

#[test]
fn binary_files() {
    let dir = scene();
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0";
    write(dir.path(), "bin/Dockerfile", elf);
    write(
        dir.path(),
        "bin/main.tf",
        [&b"resource \"x\" \"y\" {}\n"[..], elf].concat(),
    );
    // A binary override beside a good Compose file: refused once, not again as its partner.
    write(
        dir.path(),
        "bin/compose.yaml",
        "services:\n  web:\n    image: x:1\n",
    );
    write(dir.path(), "bin/compose.override.yaml", elf);
    check(
        dir.path(),
        &["."],
        1,
        &[
            bad("bin/Dockerfile", "parse", At::File, "is a binary file"),
            bad("bin/main.tf", "parse", At::File, "is a binary file"),
            bad(
                "bin/compose.override.yaml",
                "parse",
                At::File,
                "is a binary file",
            ),
        ],
        &[],
    );
}

#[test]
fn invalid_utf8_is_located_at_the_byte() {
    let dir = scene();
    // Latin-1 `é` (0xE9) on line 2, column 13.
    write(
        dir.path(),
        "latin1/Dockerfile",
        b"FROM python:3.12\nRUN echo caf\xe9\n",
    );
    // Walked and also named: read, and reported, once.
    check(
        dir.path(),
        &[".", "latin1/Dockerfile"],
        1,
        &[bad(
            "latin1/Dockerfile",
            "parse",
            At::Exactly(2, 13),
            "is not valid UTF-8 (byte 0xE9",
        )],
        &[],
    );
}

#[test]
fn utf16_is_named_with_or_without_a_byte_order_mark() {
    let dir = scene();
    let text = "FROM x\n";
    write(dir.path(), "le-bom/Dockerfile", utf16(text, false, true));
    write(dir.path(), "be-bom/Dockerfile", utf16(text, true, true));
    // Without a mark, `FROM x` in UTF-16 is every other byte NUL: UTF-16, not "binary".
    write(dir.path(), "le/Dockerfile", utf16(text, false, false));
    write(dir.path(), "be/Dockerfile", utf16(text, true, false));
    let out = check(
        dir.path(),
        &["."],
        1,
        &[
            bad(
                "le-bom/Dockerfile",
                "parse",
                At::File,
                "is UTF-16 (little-endian, with a byte-order mark)",
            ),
            bad(
                "be-bom/Dockerfile",
                "parse",
                At::File,
                "is UTF-16 (big-endian, with a byte-order mark)",
            ),
            bad(
                "le/Dockerfile",
                "parse",
                At::File,
                "is UTF-16 (little-endian, without a byte-order mark)",
            ),
            bad(
                "be/Dockerfile",
                "parse",
                At::File,
                "is UTF-16 (big-endian, without a byte-order mark)",
            ),
        ],
        &[],
    );
    assert!(!out["compact"].contains("binary"), "{}", out["compact"]);
}

#[test]
fn a_utf8_byte_order_mark_keeps_columns() {
    let dir = scene();
    write(
        dir.path(),
        "bom/Dockerfile",
        b"\xEF\xBB\xBFFROM python:latest\n",
    );
    check(
        dir.path(),
        &["."],
        1,
        &[],
        &[Found {
            path: "bom/Dockerfile",
            rule: "PIN001",
            line: 1,
            column: 6,
        }],
    );
}

#[test]
fn crlf_and_lone_cr_line_endings_keep_lines_and_columns() {
    let dir = scene();
    write(
        dir.path(),
        "crlf/Dockerfile",
        "# a\r\n# b\r\nFROM node:latest\r\n",
    );
    write(dir.path(), "cr/Dockerfile", "# a\r# b\rFROM node:latest\r");
    write(
        dir.path(),
        "crlf/compose.yaml",
        "services:\r\n  web:\r\n    image: \"x:latest\"\r\n",
    );
    write(
        dir.path(),
        "cr/compose.yaml",
        "services:\r  web:\r    image: \"x:latest\"\r",
    );
    let at = |path, rule, line, column| Found {
        path,
        rule,
        line,
        column,
    };
    check(
        dir.path(),
        &["."],
        1,
        &[],
        &[
            at("crlf/Dockerfile", "PIN001", 3, 6),
            at("cr/Dockerfile", "PIN001", 3, 6),
            at("crlf/compose.yaml", "PIN010", 3, 12),
            at("cr/compose.yaml", "PIN010", 3, 12),
        ],
    );
}

/// Just under the 10 MiB default: read and checked, in every format, each run timed.
#[test]
fn a_10_mb_single_line_file_is_accepted_under_the_limit() {
    let dir = scene();
    // One line of Bicep: a comment (the cheapest 10 MB to parse in a debug build, where the
    // lexers cost about 1 s; a 10 MB `RUN` line costs about 4 s).
    let size = 10 * 1024 * 1024 - 1;
    let mut line = b"// ".to_vec();
    line.resize(size, b'a');
    write(dir.path(), "big/main.bicep", &line);
    let start = Instant::now();
    let out = check(dir.path(), &["."], 1, &[], &[]);
    let v: serde_json::Value = serde_json::from_str(&out["json"]).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["summary"]["files_checked"], 2);
    eprintln!(
        "10 MB single line: {:?} for the six formats",
        start.elapsed()
    );
}

/// The size limit is checked before reading. 100 MB is made as a sparse file (instant, no
/// disk); 11 MB is written for real. With `--max-file-size 200M` the 100 MB file is read —
/// it is all NUL bytes, so it is then refused as binary, which shows it was read.
#[test]
fn files_over_the_size_limit_are_refused_unread() {
    let dir = scene();
    let mut eleven = b"FROM alpine:3.19\nRUN echo ".to_vec();
    eleven.resize(11 * 1024 * 1024, b'a');
    write(dir.path(), "eleven/Dockerfile", &eleven);
    std::fs::create_dir_all(dir.path().join("hundred")).unwrap();
    std::fs::File::create(dir.path().join("hundred/main.tf"))
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    let mut two = b"services:\n  web:\n    image: x:1\n#".to_vec();
    two.resize(2 * 1024 * 1024, b'a');
    write(dir.path(), "two/compose.yaml", &two);

    check(
        dir.path(),
        &["good", "eleven", "hundred"],
        1,
        &[
            bad(
                "eleven/Dockerfile",
                "limit",
                At::File,
                "is 11534336 bytes, over the limit of 10485760 bytes",
            ),
            bad(
                "hundred/main.tf",
                "limit",
                At::File,
                "is 104857600 bytes, over the limit",
            ),
        ],
        &[],
    );
    check(
        dir.path(),
        &["good", "hundred", "--max-file-size", "200M"],
        1,
        &[bad("hundred/main.tf", "parse", At::File, "binary")],
        &[],
    );
    check(
        dir.path(),
        &["good", "two", "--max-file-size", "1M"],
        1,
        &[bad(
            "two/compose.yaml",
            "limit",
            At::File,
            "over the limit of 1048576 bytes",
        )],
        &[],
    );
}

/// Billion laughs: nine levels of nine aliases, a billion nodes if expanded.
#[test]
fn yaml_alias_bombs_stop_at_the_expansion_budget() {
    let dir = scene();
    let mut lines =
        vec![r#"a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#.to_string()];
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(",");
        lines.push(format!("a{i}: &a{i} [{refs}]"));
    }
    let indented: String = lines.iter().map(|l| format!("  {l}\n")).collect();
    write(
        dir.path(),
        "bomb/compose.yaml",
        format!("services:\n  web:\n    image: x:1\nx-bomb:\n{indented}"),
    );
    write(
        dir.path(),
        "bomb/configmap.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{}\n",
            lines.join("\n")
        ),
    );
    check(
        dir.path(),
        &["."],
        1,
        &[
            bad(
                "bomb/compose.yaml",
                "parse",
                At::Located,
                "aliases expand to more than 100000 nodes",
            ),
            bad(
                "bomb/configmap.yaml",
                "parse",
                At::Located,
                "aliases expand to more than 100000 nodes",
            ),
        ],
        &[],
    );
}

#[test]
fn yaml_nested_10000_deep() {
    let dir = scene();
    let n = 10_000;
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n";
    write(
        dir.path(),
        "deep/flow.yaml",
        format!("{manifest}  a: {}{}\n", "[".repeat(n), "]".repeat(n)),
    );
    // Block nesting: 10,000 `- ` on one line, and `a:` indented one more space per level
    // (10,000 levels of that would be 50 MB, over the size limit: 1,000 levels, four times
    // the limit of 256, are 0.5 MB).
    write(
        dir.path(),
        "deep/dashes.yaml",
        format!("{manifest}  a:\n    {}x\n", "- ".repeat(n)),
    );
    let keys: String = (1..=1000)
        .map(|i| format!("{}a:\n", " ".repeat(i)))
        .collect();
    write(
        dir.path(),
        "deep/compose.yaml",
        format!("services:\n  web:\n    image: x:1\nx-deep:\n{keys}"),
    );
    check(
        dir.path(),
        &["."],
        1,
        &[
            // Flow collections meet the YAML parser's own limit (also 256) first.
            bad(
                "deep/flow.yaml",
                "parse",
                At::Exactly(6, 261),
                "recursion limit",
            ),
            bad(
                "deep/dashes.yaml",
                "parse",
                At::Located,
                "YAML nesting deeper than 256 levels",
            ),
            bad(
                "deep/compose.yaml",
                "parse",
                At::Located,
                "YAML nesting deeper than 256 levels",
            ),
        ],
        &[],
    );
}

/// hcl-edit refuses nesting past 64 levels itself (a located error, no stack overflow), and
/// the deepest it accepts fits the stacks checks run on.
#[test]
fn hcl_nested_10000_deep() {
    let dir = scene();
    let n = 10_000;
    write(
        dir.path(),
        "lists/main.tf",
        format!("locals {{\n  a = {}{}\n}}\n", "[".repeat(n), "]".repeat(n)),
    );
    write(
        dir.path(),
        "blocks/main.tf",
        format!("{}{}", "a {\n".repeat(n), "}\n".repeat(n)),
    );
    // 63 nested `for`, twice, so both are parsed on worker threads.
    let fors = format!(
        "locals {{\n  a = {}y{}\n}}\n",
        "[for x in ".repeat(63),
        ": x]".repeat(63)
    );
    write(dir.path(), "fors/a.tf", &fors);
    write(dir.path(), "fors/b.tf", fors.replace("  a =", "  b ="));
    check(
        dir.path(),
        &["."],
        1,
        &[
            bad(
                "lists/main.tf",
                "parse",
                At::Exactly(2, 71),
                "nesting depth",
            ),
            bad(
                "blocks/main.tf",
                "parse",
                At::Exactly(65, 3),
                "nesting depth",
            ),
        ],
        &[],
    );
}

#[test]
fn bicep_nested_10000_deep() {
    let dir = scene();
    let n = 10_000;
    write(
        dir.path(),
        "arrays/main.bicep",
        format!("var x = {}{}\n", "[".repeat(n), "]".repeat(n)),
    );
    write(
        dir.path(),
        "objects/main.bicep",
        format!("var x = {}1{}\n", "{\na: ".repeat(n), "\n}".repeat(n)),
    );
    // Chains nest the tree as deeply as brackets (they overflowed the stack).
    write(
        dir.path(),
        "sum/main.bicep",
        format!("var x = 1{}\n", " + 1".repeat(n)),
    );
    write(
        dir.path(),
        "members/main.bicep",
        format!("var x = y{}\n", ".b".repeat(n)),
    );
    let deeper = "expression nested deeper than 64 levels";
    check(
        dir.path(),
        &["."],
        1,
        &[
            bad("arrays/main.bicep", "parse", At::Exactly(1, 73), deeper),
            bad("objects/main.bicep", "parse", At::Exactly(65, 4), deeper),
            bad("sum/main.bicep", "parse", At::Located, deeper),
            bad("members/main.bicep", "parse", At::Located, deeper),
        ],
        &[],
    );
}

#[test]
fn shell_nested_10000_deep() {
    let dir = scene();
    let n = 10_000;
    write(
        dir.path(),
        "subst/Dockerfile",
        format!(
            "FROM alpine:3.19\nRUN echo {}x{}\nUSER 1\n",
            "$(".repeat(n),
            ")".repeat(n)
        ),
    );
    check(
        dir.path(),
        &["."],
        1,
        &[bad(
            "subst/Dockerfile",
            "parse",
            At::Located,
            "shell expansions nested deeper than 64 levels",
        )],
        &[],
    );
}

#[test]
fn unterminated_heredocs() {
    let dir = scene();
    write(
        dir.path(),
        "df/Dockerfile",
        "FROM alpine:3.19\nRUN <<EOF\necho hi\nUSER 1\n",
    );
    write(
        dir.path(),
        "tf/main.tf",
        "locals {\n  a = <<EOT\nhello\n}\n",
    );
    check(
        dir.path(),
        &["."],
        1,
        &[
            bad(
                "df/Dockerfile",
                "parse",
                At::Exactly(2, 5),
                "unterminated heredoc",
            ),
            bad("tf/main.tf", "parse", At::Located, "heredoc end delimiter"),
        ],
        &[],
    );
}

#[test]
fn unterminated_strings_in_every_format() {
    let dir = scene();
    let d = dir.path();
    write(d, "df/Dockerfile", "FROM alpine:3.19\nENV A=\"x\nUSER 1\n");
    write(
        d,
        "run/Dockerfile",
        "FROM alpine:3.19\nRUN echo 'unterminated\nUSER 1\n",
    );
    write(
        d,
        "compose/compose.yaml",
        "services:\n  web:\n    image: \"x:1\n",
    );
    write(
        d,
        "k8s/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"x\n",
    );
    write(d, "tf/main.tf", "locals {\n  a = \"x\n}\n");
    write(d, "bicep/main.bicep", "var a = 'x\nvar b = 1\n");
    write(
        d,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: x\nversion: 0.1.0\n",
    );
    write(d, "chart/values.yaml", "image: \"x\n");
    write(
        d,
        "chart/templates/x.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ \"x }}\n",
    );
    check(
        d,
        &["."],
        1,
        &[
            bad(
                "df/Dockerfile",
                "parse",
                At::Exactly(2, 7),
                "unterminated `\"` quote",
            ),
            bad(
                "run/Dockerfile",
                "parse",
                At::Exactly(2, 10),
                "unterminated `'` quote: the shell will reject this command",
            ),
            bad(
                "compose/compose.yaml",
                "parse",
                At::Exactly(3, 12),
                "found unexpected end of stream",
            ),
            bad(
                "k8s/pod.yaml",
                "parse",
                At::Exactly(4, 9),
                "found unexpected end of stream",
            ),
            bad("tf/main.tf", "parse", At::Located, "HCL syntax error"),
            bad(
                "bicep/main.bicep",
                "parse",
                At::Exactly(1, 9),
                "unterminated string",
            ),
            bad(
                "chart/values.yaml",
                "parse",
                At::Exactly(1, 8),
                "found unexpected end of stream",
            ),
            bad(
                "chart/templates/x.yaml",
                "parse",
                At::Exactly(4, 12),
                "unterminated quoted string",
            ),
        ],
        &[],
    );
}

#[test]
fn unclosed_helm_action() {
    let dir = scene();
    let d = dir.path();
    write(
        d,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: x\nversion: 0.1.0\n",
    );
    write(d, "chart/values.yaml", "image: nginx:1.27\n");
    write(
        d,
        "chart/templates/x.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.image\nspec: {}\n",
    );
    check(
        d,
        &["."],
        1,
        &[bad(
            "chart/templates/x.yaml",
            "parse",
            At::Exactly(4, 9),
            "unclosed action",
        )],
        &[],
    );
}

/// Walks do not follow links, so a link loop and a dangling link in a walked directory are
/// passed over without a word; a dangling link named on the command line is an I/O error.
#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links() {
    let dir = scene();
    let d = dir.path();
    std::fs::create_dir_all(d.join("links")).unwrap();
    std::os::unix::fs::symlink("..", d.join("links/loop")).unwrap();
    std::os::unix::fs::symlink("nowhere/Dockerfile", d.join("links/Dockerfile")).unwrap();
    let out = check(d, &["."], 1, &[], &[]);
    let v: serde_json::Value = serde_json::from_str(&out["json"]).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["summary"]["files_checked"], 1);
    check(
        d,
        &["good", "links/Dockerfile"],
        2,
        &[bad(
            "links/Dockerfile",
            "io",
            At::File,
            "cannot read links/Dockerfile: no such file or directory",
        )],
        &[],
    );
}

#[cfg(unix)]
#[test]
fn a_file_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scene();
    write(dir.path(), "secret/Dockerfile", "FROM python:3.12\n");
    let p = dir.path().join("secret/Dockerfile");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        eprintln!("running as root: a file without read permission is still readable; skipped");
        return;
    }
    check(
        dir.path(),
        &["."],
        2,
        &[bad(
            "secret/Dockerfile",
            "io",
            At::File,
            "permission denied",
        )],
        &[],
    );
}

#[test]
fn a_path_that_does_not_exist() {
    let dir = scene();
    check(
        dir.path(),
        &["nope", "good"],
        2,
        &[bad(
            "nope",
            "io",
            At::File,
            "cannot read nope: no such file or directory",
        )],
        &[],
    );
}

/// Opening a FIFO for reading waits for a writer: nothing may open one. In a walk a FIFO
/// is passed over like a link; named on the command line it is refused, as is a device; a
/// FIFO as a directory's ignore file (which the walker would open) stops that directory.
#[cfg(unix)]
#[test]
fn fifos_and_devices_never_block() {
    let dir = scene();
    let d = dir.path();
    std::fs::create_dir_all(d.join("walked")).unwrap();
    mkfifo(&d.join("walked/Dockerfile"));
    // A Dockerfile whose build context has a FIFO as its `.dockerignore`.
    write(
        d,
        "walked/ctx/Dockerfile",
        "FROM python:3.12\nCOPY . .\nUSER 1\n",
    );
    mkfifo(&d.join("walked/ctx/.dockerignore"));
    let out = check(d, &["good", "walked"], 1, &[], &[]);
    let v: serde_json::Value = serde_json::from_str(&out["json"]).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["summary"]["files_checked"], 2);

    mkfifo(&d.join("named"));
    check(
        d,
        &["good", "named", "/dev/null"],
        2,
        &[
            bad("named", "io", At::File, "named is not a regular file"),
            bad(
                "/dev/null",
                "io",
                At::File,
                "/dev/null is not a regular file",
            ),
        ],
        &[],
    );

    std::fs::create_dir_all(d.join("ignored/sub")).unwrap();
    write(d, "ignored/sub/Dockerfile", "FROM python:3.12\n");
    mkfifo(&d.join("ignored/.gitignore"));
    check(
        d,
        &["."],
        2,
        &[bad(
            "ignored",
            "io",
            At::File,
            "its ignore file ./ignored/.gitignore is not a regular file",
        )],
        &[],
    );
}

/// 3,000 stages `FROM x:latest`: 3,000 PIN001 (and a ROOT001 on the last stage), of which
/// the first 1,000 are reported, then one limit error located at the first left out.
#[test]
fn thousands_of_findings_in_one_file() {
    let dir = scene();
    write(
        dir.path(),
        "many/Dockerfile",
        "FROM x:latest\n".repeat(3000),
    );
    let out = check(
        dir.path(),
        &["."],
        1,
        &[bad(
            "many/Dockerfile",
            "limit",
            At::Exactly(1001, 6),
            "2001 more findings in many/Dockerfile were not reported: the limit is 1000 per file",
        )],
        &[],
    );
    for (format, text) in &out {
        // 1,000 of this file and the good file's one.
        assert_eq!(count(format, text, "PIN001"), 1001, "{format}");
    }
    let out = check(
        dir.path(),
        &[".", "--max-findings-per-file", "0"],
        1,
        &[],
        &[],
    );
    for (format, text) in &out {
        assert_eq!(count(format, text, "PIN001"), 3001, "{format}");
        assert!(!text.contains("more findings"), "{format}");
    }
}

/// A finding on a 1 MB line: the human frame shows the part around the span, and no format
/// copies the line — not even when the flagged value itself is the 1 MB (a message quotes
/// it).
#[test]
fn a_finding_on_a_1_mb_line() {
    let dir = scene();
    let mb = "a".repeat(1 << 20);
    write(
        dir.path(),
        "line/compose.yaml",
        format!("services: {{web: {{image: \"x:latest\", command: \"{mb}\"}}}}\n"),
    );
    write(
        dir.path(),
        "value/Dockerfile",
        format!("FROM {mb}:latest\n"),
    );
    let out = check(
        dir.path(),
        &["."],
        1,
        &[],
        &[
            Found {
                path: "line/compose.yaml",
                rule: "PIN010",
                line: 1,
                column: 25,
            },
            Found {
                path: "value/Dockerfile",
                rule: "PIN001",
                line: 1,
                column: 6,
            },
        ],
    );
    assert!(
        out["human"].len() < 20_000,
        "human output is {} bytes",
        out["human"].len()
    );
    let run = "a".repeat(1000);
    for (format, text) in &out {
        assert!(!text.contains(&run), "{format} copies the long line");
    }
}
