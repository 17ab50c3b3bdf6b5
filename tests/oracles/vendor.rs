//! Chart copies with their dependencies vendored, as the Helm differential test and the
//! rendering benchmark (`examples/helm_render.rs --vendor`) both need them: `helm template`
//! refuses a chart whose dependency is not in `charts/`, so each corpus chart is copied with
//! the dependencies the corpus itself holds copied into its `charts/` (recursively), and the
//! `Chart.yaml` entries of those it does not hold cut out.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plumbline::parse::yaml::{self, Node};
use plumbline::source::{Format, SourceFile};

/// Charts below `dir`: directories with a `Chart.yaml`, not looked into further (their
/// subcharts are theirs).
pub fn find_charts(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.join("Chart.yaml").is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && !p.is_symlink() {
            find_charts(&p, out);
        }
    }
}

pub fn load(path: &Path) -> Option<(Arc<SourceFile>, Node)> {
    let text = std::fs::read_to_string(path).ok()?;
    let f = Arc::new(SourceFile::in_memory(
        &path.display().to_string(),
        Format::HelmChart,
        text,
    ));
    let doc = yaml::load(&f).docs.into_iter().next()?;
    Some((f, doc))
}

pub fn chart_name(dir: &Path) -> Option<String> {
    let (_, doc) = load(&dir.join("Chart.yaml"))?;
    doc.get("name")?.as_str().map(str::to_string)
}

/// Names of the dependencies a chart lists, with the span of each entry in its file.
pub fn dependencies(dir: &Path) -> Vec<(String, Arc<SourceFile>, usize, usize)> {
    let mut out = Vec::new();
    for file in ["Chart.yaml", "requirements.yaml"] {
        let Some((f, doc)) = load(&dir.join(file)) else {
            continue;
        };
        for item in doc
            .get("dependencies")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            if let Some(name) = item.get("name").and_then(Node::as_str) {
                out.push((
                    name.to_string(),
                    Arc::clone(&f),
                    item.span.start,
                    item.span.end,
                ));
            }
        }
    }
    out
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
        let p = e.path();
        let t = dst.join(e.file_name());
        if p.is_symlink() {
            continue;
        }
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// Vendors into `copy/charts/` each dependency the corpus holds (recursively); removes from
/// the copy's `Chart.yaml` those it does not. Returns the removed names.
pub fn vendor(copy: &Path, index: &BTreeMap<String, PathBuf>, depth: usize) -> Vec<String> {
    let mut missing = Vec::new();
    if depth > 8 {
        return missing;
    }
    let charts = copy.join("charts");
    let mut cut: Vec<(Arc<SourceFile>, usize, usize)> = Vec::new();
    for (name, file, start, end) in dependencies(copy) {
        let present_dir = std::fs::read_dir(&charts).ok().and_then(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .find(|p| p.is_dir() && chart_name(p).as_deref() == Some(name.as_str()))
        });
        let present_tgz = std::fs::read_dir(&charts).ok().is_some_and(|rd| {
            rd.flatten().any(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.ends_with(".tgz") && n.starts_with(&format!("{name}-"))
            })
        });
        if let Some(d) = present_dir {
            missing.extend(vendor(&d, index, depth + 1));
        } else if present_tgz {
        } else if let Some(src) = index.get(&name) {
            let dst = charts.join(&name);
            copy_dir(src, &dst);
            missing.extend(vendor(&dst, index, depth + 1));
        } else {
            missing.push(name.clone());
            cut.push((file, start, end));
        }
    }
    // Cut the entries of dependencies nobody has, whole lines, last first.
    cut.sort_by_key(|(_, s, _)| std::cmp::Reverse(*s));
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for (file, start, end) in cut {
        let text = texts
            .entry(file.display_path.clone())
            .or_insert_with(|| file.text.clone());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
        text.replace_range(line_start..line_end, "");
    }
    for (path, text) in texts {
        std::fs::write(path, text).unwrap();
    }
    missing
}

/// Every chart below `corpus` copied into `out/c<N>/<name>` with its dependencies vendored,
/// in `find_charts` order; with, for each copy, the dependencies nobody holds.
pub fn vendor_all(corpus: &Path, out: &Path) -> Vec<(PathBuf, PathBuf, Vec<String>)> {
    let mut charts = Vec::new();
    find_charts(corpus, &mut charts);
    let index = chart_index(&charts);
    charts
        .iter()
        .enumerate()
        .map(|(n, dir)| {
            let copy = out.join(format!("c{n}")).join(dir.file_name().unwrap());
            copy_dir(dir, &copy);
            let removed = vendor(&copy, &index, 0);
            (dir.clone(), copy, removed)
        })
        .collect()
}

/// Chart name → its first directory among `charts`.
pub fn chart_index(charts: &[PathBuf]) -> BTreeMap<String, PathBuf> {
    let mut index = BTreeMap::new();
    for c in charts {
        if let Some(n) = chart_name(c) {
            index.entry(n).or_insert_with(|| c.clone());
        }
    }
    index
}
