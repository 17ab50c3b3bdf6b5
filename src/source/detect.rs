//! Format detection: by file name first, then (for files the user named explicitly) by content.

use std::path::Path;

/// The formats plumbline reads. Later formats (Compose, Kubernetes, Helm, Bicep, Terraform)
/// join this list; each maps to one parser in `crate::parse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Dockerfile,
}

/// Suffixes that mark a `Dockerfile.<x>` as something other than a Dockerfile: documentation,
/// templates that are rendered into a Dockerfile later, editor and merge leftovers.
const NOT_DOCKERFILE_SUFFIXES: &[&str] = &[
    "md",
    "txt",
    "rst",
    "template",
    "tmpl",
    "tpl",
    "j2",
    "jinja",
    "jinja2",
    "erb",
    "in",
    "orig",
    "bak",
    "swp",
    "rej",
    "dockerignore",
    "sh",
    "json",
    "yml",
    "yaml",
    "lock",
];

/// Decides a file's format from its name alone, as directory discovery does.
pub fn by_name(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    for base in ["dockerfile", "containerfile"] {
        if lower == base {
            return Some(Format::Dockerfile);
        }
        if let Some(rest) = lower.strip_prefix(base).and_then(|r| r.strip_prefix('.')) {
            let last = rest.rsplit('.').next().unwrap_or(rest);
            if !rest.is_empty() && !NOT_DOCKERFILE_SUFFIXES.contains(&last) {
                return Some(Format::Dockerfile);
            }
        }
        if let Some(stem) = lower.strip_suffix(base).and_then(|s| s.strip_suffix('.'))
            && !stem.is_empty()
        {
            return Some(Format::Dockerfile);
        }
    }
    None
}

/// Decides the format of a file the user named explicitly: by name, then by content. Such a
/// file is always checked, so when nothing matches it is read as a Dockerfile, whose parser
/// reports a located error if it is not one.
pub fn for_explicit_file(path: &Path, _text: &str) -> Format {
    by_name(path).unwrap_or(Format::Dockerfile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for yes in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "Dockerfile.api",
            "Dockerfile.prod.alpine",
            "api.Dockerfile",
            "web.dockerfile",
            "x/y/Dockerfile",
        ] {
            assert_eq!(by_name(Path::new(yes)), Some(Format::Dockerfile), "{yes}");
        }
        for no in [
            "Dockerfile.md",
            "Dockerfile.template",
            "Dockerfile.",
            ".dockerfile",
            "Dockerfile.dockerignore",
            "README.md",
            "dockerfiles",
            "mydockerfile",
        ] {
            assert_eq!(by_name(Path::new(no)), None, "{no}");
        }
    }
}
