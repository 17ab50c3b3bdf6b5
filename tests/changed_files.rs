//! A changed-files run (what pre-commit does: `plumbline check FILE…`) keeps its context: for
//! every file of a project, checking that file alone gives exactly the findings of a run over
//! the whole project that touch it (at the finding or at a related location).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use plumbline::engine::{self, Options, Report};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(paths: Vec<PathBuf>, cwd: &Path) -> Report {
    let opts = Options {
        paths,
        cwd: cwd.to_path_buf(),
        context: true,
        report_unused_ignores: true,
        ..Options::default()
    };
    engine::check(&opts).expect("check runs")
}

/// The environment a file defines by its name, as plumbline names them: a Helm values
/// overlay, a Compose variant, a kustomization's directory.
fn defined_environment(path: &str) -> Option<String> {
    let p = Path::new(path);
    let name = p.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))?;
    if name.starts_with("kustomization.") {
        return Some(plumbline::render::kustomize::environment_name(p.parent()?));
    }
    for prefix in ["values.", "values-", "docker-compose.", "compose."] {
        if let Some(env) = stem.strip_prefix(prefix)
            && !env.is_empty()
            && env != "override"
        {
            return Some(env.to_string());
        }
    }
    None
}

/// A finding as a comparable line: rule, place, message, related places. With `touching`,
/// only the findings at or related to that file, or holding in the environment it defines.
fn lines(report: &Report, touching: Option<&str>) -> BTreeSet<String> {
    let env = touching.and_then(defined_environment);
    report
        .findings
        .iter()
        .filter(|f| {
            touching.is_none_or(|t| {
                f.location.file.display_path == t
                    || f.related.iter().any(|r| r.location.file.display_path == t)
                    || env.as_ref().is_some_and(|e| f.environments.contains(e))
            })
        })
        .map(|f| {
            let s = f.location.start();
            let related: Vec<String> = f
                .related
                .iter()
                .map(|r| {
                    let rs = r.location.start();
                    format!("{}:{}:{}", r.location.file.display_path, rs.line, rs.column)
                })
                .collect();
            format!(
                "{} {}:{}:{} {} [{}]",
                f.rule.id,
                f.location.file.display_path,
                s.line,
                s.column,
                f.message,
                related.join(", ")
            )
        })
        .collect()
}

/// Checks every file of `project` alone against the whole project's run.
fn each_file_alone_matches_the_whole(project: &Path, cwd: &Path) -> usize {
    let whole = run(vec![project.to_path_buf()], cwd);
    assert!(
        !whole.findings.is_empty(),
        "{} has no findings",
        project.display()
    );
    let mut problems = Vec::new();
    for (path, _) in &whole.checked {
        let alone = run(vec![cwd.join(path)], cwd);
        let got = lines(&alone, None);
        let want = lines(&whole, Some(path));
        if got != want {
            let missing: Vec<&String> = want.difference(&got).collect();
            let extra: Vec<&String> = got.difference(&want).collect();
            problems.push(format!(
                "{path}:\n  missing: {missing:#?}\n  extra: {extra:#?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    whole.checked.len()
}

#[test]
fn every_showcase_file_alone_gives_the_findings_that_touch_it() {
    // Run from the showcase, as from a repository's root: the plumbline checkout around it
    // is another repository.
    let showcase = root().join("examples/showcase");
    let n = each_file_alone_matches_the_whole(&showcase, &showcase);
    assert!(n >= 12, "{n} files");
}

#[test]
fn every_file_of_three_corpus_projects_alone_gives_the_findings_that_touch_it() {
    let corpus = root().join("../shared/corpus");
    let corpus = corpus.canonicalize().unwrap_or(corpus);
    if !corpus.join("MANIFEST.tsv").is_file() {
        eprintln!("../shared/corpus not present: changed-files corpus test skipped");
        return;
    }
    for project in [
        "dockersamples__example-voting-app",
        "Azure-Samples__todo-nodejs-mongo-aca",
        "docker__awesome-compose/nginx-flask-mysql",
    ] {
        each_file_alone_matches_the_whole(&corpus.join(project), &corpus);
    }
}
