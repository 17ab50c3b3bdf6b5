//! The shape of `src/`, checked: data flows one way through the stages (README, Layout), no
//! file depends on itself through others, and only `src/source/` touches the file system.
//!
//! The import graph is read from the code's own `crate::` and `super::` paths (in `use`
//! declarations and inline), each resolved to the file that defines the module it names.
//! `cargo test --test architecture -- --nocapture` prints the stage of every file and every
//! arrow between stages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stages in the order data flows through them; a file may import from its own stage and
/// from stages before it, never from a later one.
const STAGES: &[(&str, &[&str])] = &[
    ("source", &["source", "guard"]),
    ("parse", &["parse"]),
    ("render", &["render"]),
    ("model", &["model"]),
    (
        "rule catalogue, findings, config",
        &["catalogue", "finding", "config"],
    ),
    ("graph", &["graph"]),
    ("rules", &["rules"]),
    (
        "suppression, baseline, outcome",
        &["suppress", "baseline", "outcome"],
    ),
    ("engine", &["engine"]),
    ("report", &["report"]),
    ("command line", &["cli", "fuzz", "lib", "main"]),
];

fn stage_of(module: &[String]) -> usize {
    let top = module.first().map(String::as_str).unwrap_or("lib");
    STAGES
        .iter()
        .position(|(_, tops)| tops.contains(&top))
        .unwrap_or_else(|| panic!("module `{top}` is in no stage: add it to STAGES"))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file (`src/parse/compose/mod.rs` → `parse::compose`).
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && !(parts.is_empty() && (stem == "lib" || stem == "main")) {
        parts.push(stem.to_string());
    }
    if parts.is_empty() {
        parts.push(stem.to_string());
    }
    parts
}

/// Code without comments and string literals, so paths in docs and messages are not read as
/// imports.
fn code_of(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'r'
            && (b[i + 1..].starts_with(b"\"") || b[i + 1..].starts_with(b"#"))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // Raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while j < b.len() && b[j] == b'#' {
                hashes += 1;
                j += 1;
            }
            if j < b.len() && b[j] == b'"' {
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                j += 1;
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                i = (j + close.len()).min(b.len());
                out.push_str("\"\"");
            } else {
                out.push('r');
                i += 1;
            }
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || (b[i + 1] == b'\\')) {
            // A char literal ('a', '\n', '\''), not a lifetime.
            let mut j = i + 1;
            if b[j] == b'\\' {
                j += 2;
            } else {
                j += 1;
            }
            while j < b.len() && b[j] != b'\'' && j - i < 12 {
                j += 1;
            }
            i = j + 1;
            out.push_str("' '");
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Every module path the code names: `use crate::a::{b, c::d}` gives `a::b` and `a::c::d`;
/// `crate::a::b::f()` gives `a::b::f`; `super::x` is resolved against the file's module.
fn imports(code: &str, module: &[String], is_mod_file: bool) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for root in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(pos) = code[from..].find(root) {
            let at = from + pos;
            from = at + root.len();
            if at > 0
                && (bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':')
            {
                continue;
            }
            let base: Vec<String> = if root == "crate::" {
                Vec::new()
            } else {
                // `super` of `a::b` (in a/b.rs) is `a`; of `a::b` in a/b/mod.rs also `a`.
                let mut m = module.to_vec();
                let _ = is_mod_file;
                m.pop();
                let mut rest = &code[from..];
                while let Some(r) = rest.strip_prefix("super::") {
                    m.pop();
                    rest = r;
                    from += "super::".len();
                }
                m
            };
            for path in expand(&code[from..]) {
                let mut full = base.clone();
                full.extend(path);
                out.push(full);
            }
        }
    }
    out
}

/// The paths of one `a::b::{c, d::e}` tree at the start of `text`.
fn expand(text: &str) -> Vec<Vec<String>> {
    fn ident(t: &str) -> (&str, &str) {
        let end = t
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(t.len());
        (&t[..end], &t[end..])
    }
    fn tree(t: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
        let mut path = prefix;
        let mut rest = t;
        loop {
            let trimmed = rest.trim_start();
            if let Some(inner) = trimmed.strip_prefix('{') {
                // A group: each comma-separated item.
                let mut consumed = t.len() - inner.len();
                let mut items = inner;
                loop {
                    let it = items.trim_start();
                    consumed += items.len() - it.len();
                    if let Some(r) = it.strip_prefix('}') {
                        return consumed + (it.len() - r.len());
                    }
                    if it.is_empty() {
                        return consumed;
                    }
                    let n = tree(it, path.clone(), out);
                    consumed += n;
                    let after = &it[n..];
                    let after_t = after.trim_start();
                    consumed += after.len() - after_t.len();
                    items = after_t.strip_prefix(',').unwrap_or(after_t);
                    if after_t.starts_with(',') {
                        consumed += 1;
                    }
                    if n == 0 && !after_t.starts_with(',') && !after_t.starts_with('}') {
                        return consumed;
                    }
                }
            }
            let (name, after) = ident(trimmed);
            if name.is_empty() {
                out.push(path);
                return t.len() - rest.len();
            }
            if name != "self" {
                path.push(name.to_string());
            }
            match after.strip_prefix("::") {
                Some(r) => rest = r,
                None => {
                    out.push(path);
                    return t.len() - after.len();
                }
            }
        }
    }
    let mut out = Vec::new();
    tree(text, Vec::new(), &mut out);
    out
}

struct Tree {
    /// Module path → file.
    files: BTreeMap<Vec<String>, PathBuf>,
    /// File → the files it imports from.
    edges: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

fn read_tree() -> Tree {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    paths.sort();
    let files: BTreeMap<Vec<String>, PathBuf> =
        paths.iter().map(|p| (module_of(p), p.clone())).collect();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for p in &paths {
        let module = module_of(p);
        let code = code_of(&std::fs::read_to_string(p).unwrap());
        let is_mod = p.file_name().is_some_and(|n| n == "mod.rs");
        let targets = edges.entry(p.clone()).or_default();
        for mut import in imports(&code, &module, is_mod) {
            // The longest prefix that is a file.
            while !import.is_empty() && !files.contains_key(&import) {
                import.pop();
            }
            if let Some(f) = files.get(&import)
                && f != p
            {
                targets.insert(f.clone());
            }
        }
    }
    Tree { files, edges }
}

fn rel(p: &Path) -> String {
    p.strip_prefix(src().parent().unwrap())
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn data_flows_one_way_through_the_stages() {
    let tree = read_tree();
    let stage = |p: &PathBuf| {
        let m = tree
            .files
            .iter()
            .find(|(_, f)| *f == p)
            .map(|(m, _)| m.clone())
            .unwrap();
        stage_of(&m)
    };
    let mut back = Vec::new();
    let mut arrows: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (from, tos) in &tree.edges {
        for to in tos {
            let (a, b) = (stage(from), stage(to));
            *arrows.entry((a, b)).or_default() += 1;
            if b > a {
                back.push(format!(
                    "{} ({}) imports {} ({})",
                    rel(from),
                    STAGES[a].0,
                    rel(to),
                    STAGES[b].0
                ));
            }
        }
    }
    println!("stages, in the order data flows:");
    for (i, (name, tops)) in STAGES.iter().enumerate() {
        let n = tree.files.keys().filter(|m| stage_of(m) == i).count();
        println!("  {i}. {name} ({}): {n} files", tops.join(", "));
    }
    println!("arrows between stages (from → to: count):");
    for ((a, b), n) in &arrows {
        if a != b {
            println!("  {} → {}: {n}", STAGES[*a].0, STAGES[*b].0);
        }
    }
    assert!(
        back.is_empty(),
        "{} imports run back up the stages:\n{}",
        back.len(),
        back.join("\n")
    );
}

#[test]
fn no_file_depends_on_itself() {
    let tree = read_tree();
    // Tarjan's strongly connected components; any component of two or more files is a circle.
    let nodes: Vec<&PathBuf> = tree.edges.keys().collect();
    let index_of: BTreeMap<&PathBuf, usize> =
        nodes.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let n = nodes.len();
    let adj: Vec<Vec<usize>> = nodes
        .iter()
        .map(|p| {
            tree.edges[*p]
                .iter()
                .filter_map(|t| index_of.get(t).copied())
                .collect()
        })
        .collect();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut circles: Vec<Vec<usize>> = Vec::new();
    // Iterative Tarjan: (node, next child position).
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work = vec![(start, 0usize)];
        while let Some(&mut (v, ref mut child)) = work.last_mut() {
            if *child == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if *child < adj[v].len() {
                let w = adj[v][*child];
                *child += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut component = Vec::new();
                    loop {
                        let w = stack.pop().unwrap();
                        on_stack[w] = false;
                        component.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        circles.push(component);
                    }
                }
            }
        }
    }
    let shown: Vec<String> = circles
        .iter()
        .map(|c| {
            let mut files: Vec<String> = c.iter().map(|i| rel(nodes[*i])).collect();
            files.sort();
            format!("  {} files: {}", files.len(), files.join(", "))
        })
        .collect();
    assert!(
        circles.is_empty(),
        "{} circles in the import graph:\n{}",
        circles.len(),
        shown.join("\n")
    );
}

/// Only `src/source/` reads or writes files: every other stage is a function of what it is
/// given, which is what makes the pipeline testable in memory and safe on hostile trees.
#[test]
fn only_source_touches_the_file_system() {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    let needles = [
        "std::fs",
        "fs::read",
        "fs::write",
        "File::open",
        "File::create",
        "OpenOptions",
        "read_dir(",
        ".exists()",
        ".is_file()",
        ".is_dir()",
        ".is_symlink()",
        "metadata(",
        "canonicalize(",
    ];
    let mut found = Vec::new();
    for p in paths {
        if p.starts_with(src().join("source")) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&p).unwrap());
        for n in needles {
            if code.contains(n) {
                found.push(format!("{}: {n}", rel(&p)));
            }
        }
    }
    assert!(
        found.is_empty(),
        "file system access outside src/source/:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_import_reader_reads_use_trees() {
    let code = "use crate::a::{b, c::{d, e}};\nfn f() { crate::x::y::z(); super::q::r(); }";
    let got = imports(code, &["m".into(), "n".into()], false);
    let want: Vec<Vec<String>> = vec![
        vec!["a", "b"],
        vec!["a", "c", "d"],
        vec!["a", "c", "e"],
        vec!["x", "y", "z"],
        vec!["m", "q", "r"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect();
    assert_eq!(got, want);
    assert_eq!(
        code_of("let s = \"crate::x\"; // crate::y\n"),
        "let s = \"\"; \n"
    );
}

/// Rule files are declared by build.rs (`include!` of generated `mod`s), which `cargo fmt`
/// does not follow: this keeps them formatted like the rest. To fix:
/// `rustfmt --edition 2024 src/rules/*/*.rs`.
#[test]
fn rule_files_are_formatted() {
    let mut files = Vec::new();
    for family in std::fs::read_dir(src().join("rules")).unwrap().flatten() {
        if family.path().is_dir() {
            for f in std::fs::read_dir(family.path()).unwrap().flatten() {
                let p = f.path();
                if p.extension().is_some_and(|x| x == "rs")
                    && p.file_name().is_some_and(|n| n != "mod.rs")
                {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    assert!(!files.is_empty());
    let out = std::process::Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .args(&files)
        .output()
        .expect("rustfmt runs (rustup component add rustfmt)");
    assert!(
        out.status.success(),
        "rule files are not formatted: run `rustfmt --edition 2024 src/rules/*/*.rs`\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
