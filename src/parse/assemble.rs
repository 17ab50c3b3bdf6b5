//! Assembly: files that describe one thing together become one [`Document`]. A Compose file
//! and its override make one project; a chart's `Chart.yaml`, values and templates make one
//! chart. Every other file is its own document.
//!
//! A unit is always read whole: when only part of it was asked for (a pre-commit hook passes
//! just the changed `values.production.yaml`), [`missing_siblings`] names the rest, which the
//! engine reads too, so the part is checked in the context that gives it meaning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::parse::{Document, ParseError, Parsed, bicep, compose, helm, kubernetes, terraform};
use crate::source::{Format, SourceFile, detect};

type Loaded = (Arc<SourceFile>, Parsed);

/// Files that belong to the units of `loaded` but were not loaded: the rest of each chart
/// and the base or override of each Compose file.
pub fn missing_siblings(loaded: &[Loaded]) -> Vec<PathBuf> {
    let have: std::collections::HashSet<&Path> =
        loaded.iter().map(|(f, _)| f.path.as_path()).collect();
    let mut want: Vec<PathBuf> = Vec::new();
    let mut roots: Vec<PathBuf> = loaded.iter().filter_map(|(f, _)| chart_root(f)).collect();
    roots.sort();
    roots.dedup();
    for root in roots {
        want.extend(chart_files(&root));
    }
    for (f, _) in loaded.iter().filter(|(f, _)| f.format == Format::Compose) {
        want.extend(compose_partners(&f.path));
    }
    // A Terraform module is its whole directory; a parameter file needs its template.
    let mut tf_dirs: Vec<&Path> = loaded
        .iter()
        .filter(|(f, _)| matches!(f.format, Format::Terraform | Format::TerraformVars))
        .map(|(f, _)| f.dir())
        .collect();
    tf_dirs.sort();
    tf_dirs.dedup();
    for dir in tf_dirs {
        want.extend(terraform_files(dir));
    }
    for (f, p) in loaded {
        if let Parsed::Bicep(b) = p
            && let Some(using) = &b.using
        {
            want.push(normalize(&f.dir().join(using)));
        }
    }
    want.sort();
    want.dedup();
    want.retain(|p| !have.contains(p.as_path()) && p.is_file());
    want
}

/// Groups parsed files into documents, one per file, in the order given.
pub fn assemble(loaded: Vec<Loaded>) -> Vec<(Arc<SourceFile>, Document)> {
    // Charts by root, Compose files by (directory, base name).
    let mut charts: BTreeMap<PathBuf, helm::ChartFiles> = BTreeMap::new();
    let mut composes: BTreeMap<PathBuf, (Option<usize>, Vec<usize>)> = BTreeMap::new();
    let mut docs: Vec<Option<Document>> = Vec::with_capacity(loaded.len());
    let mut bicep_params: Vec<usize> = Vec::new();
    let mut bicep_mains: Vec<usize> = Vec::new();
    let mut tf_modules: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();

    for (i, (file, parsed)) in loaded.iter().enumerate() {
        let (yaml_docs, errors) = match parsed {
            Parsed::Yaml(s) => (s.docs.as_slice(), s.errors.clone()),
            Parsed::Bicep(b) => (&[][..], b.errors.clone()),
            Parsed::Terraform(t) => (&[][..], t.errors.clone()),
            Parsed::Template(errors) => (&[][..], errors.clone()),
            _ => (&[][..], Vec::new()),
        };
        match file.format {
            Format::Bicep => bicep_mains.push(i),
            Format::BicepParams => bicep_params.push(i),
            Format::Terraform | Format::TerraformVars => {
                tf_modules
                    .entry(file.dir().to_path_buf())
                    .or_default()
                    .push(i);
            }
            _ => {}
        }
        let doc = match (file.format, parsed) {
            (_, Parsed::Dockerfile(d)) => Some(Document::Dockerfile(d.clone())),
            (Format::Kubernetes, _) => Some(contained(file, || {
                let mut m = kubernetes::build(file, yaml_docs);
                m.errors.splice(0..0, errors);
                Document::Kubernetes(m)
            })),
            (Format::HelmChart | Format::HelmValues | Format::HelmTemplate, _) => {
                let Some(root) = chart_root(file) else {
                    docs.push(Some(Document::Part { errors }));
                    continue;
                };
                let chart = charts
                    .entry(root.clone())
                    .or_insert_with(|| helm::ChartFiles {
                        root,
                        chart: None,
                        values: Vec::new(),
                        templates: Vec::new(),
                    });
                match file.format {
                    Format::HelmChart => chart.chart = Some((Arc::clone(file), yaml_docs.to_vec())),
                    Format::HelmValues => chart.values.push((Arc::clone(file), yaml_docs.to_vec())),
                    _ => chart.templates.push(Arc::clone(file)),
                }
                Some(Document::Part { errors })
            }
            // A YAML file picked up for its top-level `services:` key, but whose services are
            // not a mapping of service mappings, is some other tool's file: left alone.
            (Format::Compose, _)
                if detect::by_name(&file.path) != Some(Format::Compose)
                    && errors.is_empty()
                    && !looks_like_compose(yaml_docs) =>
            {
                None
            }
            (
                Format::Bicep | Format::BicepParams | Format::Terraform | Format::TerraformVars,
                _,
            ) => Some(Document::Part { errors }),
            (Format::Compose, _) => {
                let (key, is_override) = compose_key(&file.path);
                let slot = composes.entry(key).or_default();
                if is_override {
                    slot.1.push(i);
                } else if slot.0.is_none() {
                    slot.0 = Some(i);
                } else {
                    // Two bases for one key (`compose.yml` and `compose.yaml`): Compose
                    // refuses that; check the second on its own.
                    let base = (Arc::clone(file), yaml_docs.to_vec());
                    docs.push(Some(contained(file, || {
                        let mut p = compose::build(&base, &[]);
                        p.errors.splice(0..0, errors);
                        Document::Compose(p)
                    })));
                    continue;
                }
                Some(Document::Part { errors })
            }
            _ => None,
        };
        docs.push(doc);
    }

    let yaml_of = |i: usize| -> (Arc<SourceFile>, Vec<crate::parse::yaml::Node>) {
        let (f, p) = &loaded[i];
        let nodes = match p {
            Parsed::Yaml(s) => s.docs.clone(),
            _ => Vec::new(),
        };
        (Arc::clone(f), nodes)
    };
    for (base, mut overrides) in composes.into_values() {
        overrides.sort_by(|a, b| loaded[*a].0.path.cmp(&loaded[*b].0.path));
        // A lone override is checked as a project of its own.
        let (primary, rest) = match base {
            Some(b) => (b, overrides),
            None => match overrides.split_first() {
                Some((first, rest)) => (*first, rest.to_vec()),
                None => continue,
            },
        };
        let base_files = yaml_of(primary);
        let override_files: Vec<_> = rest.iter().map(|i| yaml_of(*i)).collect();
        let built = crate::guard::guarded(|| {
            crate::guard::injected("assemble", &base_files.0.display_path);
            compose::build(&base_files, &override_files)
        });
        let mut project = match built {
            Ok(p) => p,
            Err(m) => {
                docs[primary] = Some(Document::Crashed { message: m });
                continue;
            }
        };
        // Errors the project found in an override belong to that file's document.
        for (file, e) in std::mem::take(&mut project.override_errors) {
            let slot = rest.iter().find(|i| Arc::ptr_eq(&loaded[**i].0, &file));
            if let Some(Some(Document::Part { errors })) = slot.map(|i| &mut docs[*i]) {
                errors.push(e);
            }
        }
        let own: Vec<ParseError> = docs[primary]
            .take()
            .map(|d| d.errors().to_vec())
            .unwrap_or_default();
        project.errors.splice(0..0, own);
        docs[primary] = Some(Document::Compose(project));
    }

    for mut files in charts.into_values() {
        files.values.sort_by_key(|v| values_order(&v.0.path));
        files.templates.sort_by(|a, b| a.path.cmp(&b.path));
        let Some((chart_file, _)) = files.chart.clone() else {
            continue;
        };
        let mut chart = match crate::guard::guarded(|| helm::build(&files)) {
            Ok(c) => c,
            Err(m) => {
                if let Some(idx) = loaded.iter().position(|(f, _)| Arc::ptr_eq(f, &chart_file)) {
                    docs[idx] = Some(Document::Crashed { message: m });
                }
                continue;
            }
        };
        let idx = loaded
            .iter()
            .position(|(f, _)| Arc::ptr_eq(f, &chart_file))
            .expect("the chart file was loaded");
        let own: Vec<ParseError> = docs[idx]
            .take()
            .map(|d| d.errors().to_vec())
            .unwrap_or_default();
        chart.errors.splice(0..0, own);
        docs[idx] = Some(Document::HelmChart(chart));
    }

    // Parameter files by the template their `using` names.
    let mut params_of: std::collections::HashMap<PathBuf, Vec<usize>> =
        std::collections::HashMap::new();
    for i in &bicep_params {
        if let (f, Parsed::Bicep(p)) = &loaded[*i]
            && let Some(u) = &p.using
        {
            params_of
                .entry(normalize(&f.dir().join(u)))
                .or_default()
                .push(*i);
        }
    }
    for main in bicep_mains {
        let (file, Parsed::Bicep(parsed)) = &loaded[main] else {
            continue;
        };
        let params: Vec<(&Arc<SourceFile>, &bicep::Parsed)> = params_of
            .get(&normalize(&file.path))
            .into_iter()
            .flatten()
            .filter_map(|i| match &loaded[*i] {
                (f, Parsed::Bicep(p)) => Some((f, p)),
                _ => None,
            })
            .collect();
        docs[main] = Some(contained(file, || {
            let mut doc = bicep::build((file, parsed), &params);
            doc.errors.splice(0..0, parsed.errors.iter().cloned());
            Document::Bicep(doc)
        }));
    }

    for (_, mut members) in tf_modules {
        members.sort_by(|a, b| loaded[*a].0.path.cmp(&loaded[*b].0.path));
        let Some(primary) = members
            .iter()
            .copied()
            .find(|i| loaded[*i].0.format == Format::Terraform)
        else {
            continue;
        };
        let files: Vec<(&Arc<SourceFile>, &terraform::Parsed)> = members
            .iter()
            .filter_map(|i| match &loaded[*i] {
                (f, Parsed::Terraform(p)) => Some((f, p)),
                _ => None,
            })
            .collect();
        let mut module = match crate::guard::guarded(|| terraform::build(&files)) {
            Ok(m) => m,
            Err(m) => {
                docs[primary] = Some(Document::Crashed { message: m });
                continue;
            }
        };
        let own: Vec<ParseError> = docs[primary]
            .take()
            .map(|d| d.errors().to_vec())
            .unwrap_or_default();
        module.errors.splice(0..0, own);
        docs[primary] = Some(Document::Terraform(module));
    }

    loaded
        .into_iter()
        .zip(docs)
        .filter_map(|((file, _), doc)| Some((file, doc?)))
        .collect()
}

/// Builds one file's document, containing a panic to that file ([`crate::guard`]).
fn contained(file: &SourceFile, build: impl FnOnce() -> Document) -> Document {
    crate::guard::guarded(|| {
        crate::guard::injected("assemble", &file.display_path);
        build()
    })
    .unwrap_or_else(|message| Document::Crashed { message })
}

/// Whether the first document has `services:` as a mapping whose values are all mappings (or
/// empty), as a Compose file's are.
fn looks_like_compose(docs: &[crate::parse::yaml::Node]) -> bool {
    docs.first()
        .and_then(|d| d.get("services"))
        .and_then(|s| s.as_map())
        .is_some_and(|services| {
            services
                .iter()
                .all(|e| e.value.as_map().is_some() || e.value.is_null())
        })
}

/// The `.tf` and `.tfvars` files of a directory (a module).
fn terraform_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                detect::by_name(p),
                Some(Format::Terraform | Format::TerraformVars)
            )
        })
        .collect()
}

/// A path with `.` and `..` components folded away, without touching the file system
/// (`using '../main.bicep'`).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `values.yaml` first, then overlays by name.
fn values_order(path: &Path) -> (bool, PathBuf) {
    let base = path.file_stem().is_some_and(|s| s == "values");
    (!base, path.to_path_buf())
}

fn chart_root(file: &SourceFile) -> Option<PathBuf> {
    match file.format {
        Format::HelmChart | Format::HelmValues => Some(file.dir().to_path_buf()),
        Format::HelmTemplate => detect::chart_root_of_template(&file.path).map(Path::to_path_buf),
        _ => None,
    }
}

/// `Chart.yaml`, the values files at the root and every file under `templates/`.
fn chart_files(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.join("Chart.yaml")];
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            let name = e.file_name();
            if name.to_str().is_some_and(detect::is_values_name) {
                out.push(e.path());
            }
        }
    }
    let mut stack = vec![root.join("templates")];
    let mut budget = 10_000usize;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return out;
            }
            let Ok(ty) = e.file_type() else { continue };
            if ty.is_dir() {
                stack.push(e.path());
            } else if ty.is_file() {
                let p = e.path();
                let ext = p.extension().and_then(|x| x.to_str()).unwrap_or_default();
                if matches!(ext, "yaml" | "yml" | "tpl") {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// The key that groups a Compose file with its base or override (the path without
/// `.override` and the extension) and whether it is an override.
fn compose_key(path: &Path) -> (PathBuf, bool) {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(name);
    match stem.strip_suffix(".override") {
        Some(base) => (path.with_file_name(base), true),
        None => (path.with_file_name(stem), false),
    }
}

/// The other files of a Compose file's pair: the base of an override, the overrides of a
/// base.
fn compose_partners(path: &Path) -> Vec<PathBuf> {
    let (key, is_override) = compose_key(path);
    let stem = key
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let names: Vec<String> = if is_override {
        vec![format!("{stem}.yml"), format!("{stem}.yaml")]
    } else {
        vec![
            format!("{stem}.override.yml"),
            format!("{stem}.override.yaml"),
        ]
    };
    names.into_iter().map(|n| key.with_file_name(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_pairs() {
        assert_eq!(
            compose_key(Path::new("a/docker-compose.override.yml")),
            (PathBuf::from("a/docker-compose"), true)
        );
        assert_eq!(
            compose_key(Path::new("a/compose.yaml")),
            (PathBuf::from("a/compose"), false)
        );
        assert_eq!(
            compose_partners(Path::new("a/compose.override.yaml")),
            vec![
                PathBuf::from("a/compose.yml"),
                PathBuf::from("a/compose.yaml")
            ]
        );
    }
}
