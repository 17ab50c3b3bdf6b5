//! Function inventory: every function the corpus charts call must exist and be covered by a
//! differential case (tests/helm_template/cases/cases.txt). Writes function-inventory.md into the test target directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::rc::Rc;

use plumbline::render::helm::template::function_names;
use plumbline::render::helm::template::parse::{self, Arg, Node, Pipe, Source};

/// Template files of every chart (a directory with Chart.yaml) under `dir`.
fn walk_dir(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    if dir.join("Chart.yaml").exists() {
        all_files(&dir.join("templates"), out);
    }
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() && !p.ends_with("templates") {
            walk_dir(&p, out);
        }
    }
}

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn in_arg(a: &Arg, used: &mut BTreeMap<String, usize>) {
    match a {
        Arg::Ident { name, .. } => *used.entry(name.to_string()).or_default() += 1,
        Arg::Pipe(p) => in_pipe(p, used),
        Arg::Chain { node, .. } => in_arg(node, used),
        _ => {}
    }
}

fn in_pipe(p: &Pipe, used: &mut BTreeMap<String, usize>) {
    for c in &p.cmds {
        for a in &c.args {
            in_arg(a, used);
        }
    }
}

fn in_nodes(ns: &[Node], used: &mut BTreeMap<String, usize>) {
    for n in ns {
        match n {
            Node::Action { pipe, .. } => in_pipe(pipe, used),
            Node::If {
                pipe,
                list,
                else_list,
                ..
            }
            | Node::With {
                pipe,
                list,
                else_list,
                ..
            }
            | Node::Range {
                pipe,
                list,
                else_list,
                ..
            } => {
                in_pipe(pipe, used);
                in_nodes(list, used);
                if let Some(e) = else_list {
                    in_nodes(e, used);
                }
            }
            Node::Template { pipe: Some(p), .. } => in_pipe(p, used),
            _ => {}
        }
    }
}

fn used_in(text: &str, all: &BTreeMap<&str, u16>) -> (BTreeMap<String, usize>, Option<String>) {
    let mut used = BTreeMap::new();
    let src = Rc::new(Source {
        name: "x".into(),
        text: text.to_string(),
        id: 0,
    });
    // resolve every name so that unknown functions are reported, not fatal
    let resolver = |n: &str| all.get(n).copied().or(Some(0));
    match parse::parse(src, &resolver) {
        Ok(p) => {
            in_nodes(&p.main.root, &mut used);
            for d in &p.defines {
                in_nodes(&d.root, &mut used);
            }
            (used, None)
        }
        Err(e) => (used, Some(e.msg)),
    }
}

#[test]
fn corpus_functions_are_implemented_and_tested() {
    let defined: BTreeMap<&str, u16> = function_names()
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, i as u16))
        .collect();
    let corpus_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let corpus = corpus_dir.as_path();
    if !corpus.is_dir() {
        eprintln!("../shared/corpus not present: function inventory skipped");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases =
        std::fs::read_to_string(root.join("tests/helm_template/cases/cases.txt")).expect("cases");
    let mut tested: BTreeMap<String, usize> = BTreeMap::new();
    for case in cases.split("\n### ") {
        let body: String = case
            .lines()
            .skip(1)
            .filter(|l| !l.starts_with("#|"))
            .collect::<Vec<_>>()
            .join("\n");
        for (k, v) in used_in(&body, &defined).0 {
            *tested.entry(k).or_default() += v;
        }
    }
    let helpers = std::fs::read_to_string(root.join("tests/helm_template/cases/_helpers.tpl"))
        .unwrap_or_default();
    for (k, v) in used_in(&helpers, &defined).0 {
        *tested.entry(k).or_default() += v;
    }
    let mut files = Vec::new();
    walk_dir(corpus, &mut files);
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    let mut parse_failures = Vec::new();
    for f in &files {
        let Ok(t) = std::fs::read_to_string(f) else {
            continue;
        };
        let (u, e) = used_in(&t, &defined);
        if let Some(e) = e {
            parse_failures.push(format!("{}: {e}", f.display()));
        }
        for (k, v) in u {
            *used.entry(k).or_default() += v;
        }
    }
    let mut md = String::from(
        "# Function inventory\n\n| function | calls in corpus templates | implemented | in differential cases |\n|---|---|---|---|\n",
    );
    let mut missing = Vec::new();
    let mut untested = Vec::new();
    for (f, n) in &used {
        let imp = defined.contains_key(f.as_str());
        let tst = tested.contains_key(f);
        if !imp {
            missing.push(f.clone());
        }
        if !tst {
            untested.push(f.clone());
        }
        md.push_str(&format!(
            "| `{f}` | {n} | {} | {} |\n",
            if imp { "yes" } else { "NO" },
            if tst { "yes" } else { "no" }
        ));
    }
    let not_used: BTreeSet<&str> = defined
        .keys()
        .copied()
        .filter(|k| !used.contains_key(*k))
        .collect();
    md.push_str("\n## Defined, not used by the corpus\n\n");
    for f in &not_used {
        md.push_str(&format!(
            "`{f}`{} ",
            if tested.contains_key(*f) { "" } else { "*" }
        ));
    }
    md.push_str("\n\n(* = not in a differential case)\n");
    if !parse_failures.is_empty() {
        md.push_str("\n## Files the parser rejects\n\n");
        for p in &parse_failures {
            md.push_str(&format!("- {p}\n"));
        }
    }
    let _ = std::fs::create_dir_all(root.join("target"));
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("function-inventory.md"),
        md,
    )
    .expect("write");
    if !files.is_empty() {
        assert!(
            missing.is_empty(),
            "corpus uses undefined functions: {missing:?}"
        );
        assert!(
            untested.is_empty(),
            "corpus functions without a differential case: {untested:?}"
        );
    }
}
