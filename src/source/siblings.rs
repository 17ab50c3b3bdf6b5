//! The other files of a unit: what completes a chart, a Terraform module or a Compose project
//! when only part of it was named (a pre-commit hook passes just the changed file).

use std::path::{Path, PathBuf};

use super::{Format, detect};

/// The paths of `paths` that are regular files.
pub fn existing_files(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.retain(|p| p.is_file());
    paths
}

/// The `.tf` and `.tfvars` files of a directory (a module).
pub fn terraform_files(dir: &Path) -> Vec<PathBuf> {
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

/// `Chart.yaml`, the values files at the root and every file under `templates/`.
pub fn chart_files(root: &Path) -> Vec<PathBuf> {
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
