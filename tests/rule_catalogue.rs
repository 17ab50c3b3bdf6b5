//! Every rule is complete: a catalogue entry, an implementation, a generated docs page that is
//! up to date, and fixtures that fail and pass as recorded.
//!
//! Fixtures live in `tests/fixtures/<ID>/fail/` and `tests/fixtures/<ID>/pass/`: each is a
//! small project checked as a whole. `fail.snap` beside them records the rule's findings on
//! `fail/` (one line each, plus related locations); `pass/` must give none of that rule.
//! After an intended change, regenerate snapshots and docs with
//! `PLUMBLINE_BLESS=1 cargo test --test rule_catalogue` and review the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use plumbline::engine::{self, Options};
use plumbline::rules;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("PLUMBLINE_BLESS").is_some()
}

/// Compares `actual` with the file at `path`, or writes it when blessing.
fn expect_file(path: &Path, actual: &str, problems: &mut Vec<String>) {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current == actual {
        return;
    }
    if bless() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
    } else {
        problems.push(format!(
            "{} is out of date (run `PLUMBLINE_BLESS=1 cargo test --test rule_catalogue`)\n--- expected\n{current}\n--- actual\n{actual}",
            path.display()
        ));
    }
}

#[test]
fn catalogue_and_registry_agree() {
    let catalogue: BTreeSet<&str> = plumbline::catalogue::all()
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    // The suppression rules are reported by the engine, which alone sees what was suppressed.
    let registry: BTreeSet<&str> = rules::registry()
        .iter()
        .map(|(id, _)| *id)
        .chain(plumbline::suppress::RULE_IDS)
        .collect();
    assert!(!catalogue.is_empty());
    assert_eq!(
        catalogue, registry,
        "every rules/<ID>.toml needs an implementation in the registry and vice versa"
    );
    let names: BTreeSet<&str> = plumbline::catalogue::all()
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names.len(), catalogue.len(), "rule names must be unique");
    for m in plumbline::catalogue::all() {
        assert!(
            !m.what.trim().is_empty()
                && !m.why.trim().is_empty()
                && !m.example.trim().is_empty()
                && !m.fix.trim().is_empty(),
            "{} lacks documentation",
            m.id
        );
        assert!(
            m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}: name must be kebab-case",
            m.id
        );
        assert!(
            !m.title.ends_with('.'),
            "{}: titles have no final period",
            m.id
        );
        assert!(
            plumbline::catalogue::meta(&m.name).is_some_and(|x| x.id == m.id),
            "{}: lookup by name",
            m.id
        );
    }
}

#[test]
fn docs_are_generated_and_in_sync() {
    let mut problems = Vec::new();
    let dir = root().join("docs/rules");
    let mut index = String::from(
        "# Rules\n\nGenerated from `rules/*.toml` by `cargo test --test rule_catalogue`; do not edit by hand.\n\n| id | name | family | severity | title |\n|---|---|---|---|---|\n",
    );
    for m in plumbline::catalogue::all() {
        expect_file(
            &dir.join(format!("{}.md", m.id)),
            &m.markdown(),
            &mut problems,
        );
        index.push_str(&format!(
            "| [{id}]({id}.md) | {} | {} | {}{} | {} |\n",
            m.name,
            m.family.as_str(),
            m.severity.as_str(),
            if m.opt_in { " (opt-in)" } else { "" },
            m.title,
            id = m.id
        ));
    }
    expect_file(&dir.join("README.md"), &index, &mut problems);
    // No page for a rule that no longer exists.
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(id) = name.strip_suffix(".md")
            && id != "README"
            && plumbline::catalogue::meta(id).is_none()
        {
            problems.push(format!("docs/rules/{name} documents no rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The findings of one rule on a fixture directory, one line per finding, after the run's
/// errors and notes.
fn snapshot(rule: &str, dir: &Path) -> String {
    let opts = Options {
        paths: vec![dir.to_path_buf()],
        excludes: vec![],
        enable: vec![rule.to_string()],
        cwd: dir.to_path_buf(),
        report_unused_ignores: true,
        baseline: None,
        config: None,
        limits: Default::default(),
        graph_only: false,
        context: false,
        stdin: None,
    };
    let report = engine::check(&opts).expect("check runs");
    let mut out = String::new();
    for e in &report.errors {
        // A note (a module call not followed) says what was not checked; it fails nothing.
        let kind = if e.kind == plumbline::source::ErrorKind::Note {
            "note"
        } else {
            "error"
        };
        out.push_str(&format!("{kind} {}: {}\n", e.path, e.message));
    }
    for f in report.findings.iter().filter(|f| f.rule.id == rule) {
        let (s, e) = (f.location.start(), f.location.end());
        out.push_str(&format!(
            "{}:{}:{}-{}:{} [{}] {}\n",
            f.location.file.display_path,
            s.line,
            s.column,
            e.line,
            e.column,
            f.severity.as_str(),
            f.message
        ));
        for r in &f.related {
            let rs = r.location.start();
            out.push_str(&format!(
                "    related {}:{}:{} {}\n",
                r.location.file.display_path, rs.line, rs.column, r.message
            ));
        }
    }
    out
}

#[test]
fn every_rule_has_failing_and_passing_fixtures() {
    let mut problems = Vec::new();
    for m in plumbline::catalogue::all() {
        let base = root().join("tests/fixtures").join(&m.id);
        let (fail, pass) = (base.join("fail"), base.join("pass"));
        if !fail.is_dir() || !pass.is_dir() {
            problems.push(format!(
                "{}: needs tests/fixtures/{}/fail/ and pass/",
                m.id, m.id
            ));
            continue;
        }
        let failing = snapshot(&m.id, &fail);
        if !failing
            .lines()
            .any(|l| l.contains(&format!("[{}]", m.severity.as_str())))
        {
            problems.push(format!("{}: fail/ gives no finding of the rule", m.id));
        }
        expect_file(&base.join("fail.snap"), &failing, &mut problems);
        let passing = snapshot(&m.id, &pass);
        let passing: String = passing
            .lines()
            .filter(|l| !l.starts_with("note "))
            .map(|l| format!("{l}\n"))
            .collect();
        if !passing.is_empty() {
            problems.push(format!(
                "{}: pass/ must give no finding and no error, got:\n{passing}",
                m.id
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// A rule's `formats` (shown in its docs, `plumbline rules`, SARIF and JUnit) are what it
/// reads: every format it reports in (at the finding or a related location) on its `fail/`
/// fixtures is listed, and every listed format has a `fail/` fixture where it reports.
#[test]
fn formats_are_what_the_rule_reads() {
    let mut problems = Vec::new();
    for m in plumbline::catalogue::all() {
        if m.family == plumbline::finding::Family::Suppressions {
            continue;
        }
        let fail = root().join("tests/fixtures").join(&m.id).join("fail");
        let opts = Options {
            paths: vec![fail.clone()],
            enable: vec![m.id.clone()],
            cwd: fail.clone(),
            report_unused_ignores: true,
            ..Options::default()
        };
        let Ok(report) = engine::check(&opts) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for f in report.findings.iter().filter(|f| f.rule.id == m.id) {
            seen.insert(f.location.file.format.name());
            for r in &f.related {
                seen.insert(r.location.file.format.name());
            }
        }
        let listed: BTreeSet<&str> = m.formats.iter().map(String::as_str).collect();
        let unlisted: Vec<&&str> = seen.difference(&listed).collect();
        let untested: Vec<&&str> = listed.difference(&seen).collect();
        if !unlisted.is_empty() {
            problems.push(format!(
                "{}: reports in {unlisted:?} on its fail/ fixtures, which rules/{}.toml `formats` does not list",
                m.id, m.id
            ));
        }
        if !untested.is_empty() {
            problems.push(format!(
                "{}: rules/{}.toml lists {untested:?}, but no fail/ fixture of that format gives a finding",
                m.id, m.id
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
