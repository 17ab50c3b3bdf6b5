//! Format detection: by file name first, then (for files the user named explicitly) by content.

use std::path::Path;

/// The formats plumbline reads; each maps to one parser in `crate::parse`.
///
/// YAML files are told apart by name, place and a glance at their top-level keys
/// ([`refine`]), because the name alone rarely says what a `.yaml` file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Dockerfile,
    /// A Docker Compose file (base or override).
    Compose,
    /// Kubernetes manifests: documents with `apiVersion` and `kind`.
    Kubernetes,
    /// An Azure Developer CLI project (`azure.yaml`): its services name the project folder
    /// and Dockerfile of each, and where each is hosted.
    Azd,
    /// A Kustomize kustomization (`kustomization.yaml`, `kustomization.yml`,
    /// `Kustomization`): built with the files it names into what an environment deploys.
    Kustomization,
    /// A Helm chart's `Chart.yaml`.
    HelmChart,
    /// `values.yaml` or an environment overlay (`values.<env>.yaml`, `values-<env>.yaml`)
    /// at a chart's root.
    HelmValues,
    /// A file under a chart's `templates/`: Go templates, not YAML until rendered.
    HelmTemplate,
    /// YAML (or a `.tpl`) that is none of the above: left alone.
    OtherYaml,
    /// Azure Bicep (`*.bicep`).
    Bicep,
    /// Bicep parameters (`*.bicepparam`): values for the file their `using` names.
    BicepParams,
    /// Terraform (`*.tf`): one module per directory.
    Terraform,
    /// Terraform variable values (`*.tfvars`, `*.auto.tfvars`).
    TerraformVars,
    /// An ARM JSON template (`$schema` …`deploymentTemplate.json`): `azuredeploy.json`,
    /// Bicep's compiled `main.json`. Other JSON is left alone.
    ArmTemplate,
    /// An ARM parameter file (`$schema` …`deploymentParameters.json`).
    ArmParameters,
}

impl Format {
    /// The name rules list in their `formats` (`rules/<ID>.toml`): the three Helm file kinds
    /// are one format, `helm`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Dockerfile => "dockerfile",
            Format::Compose => "compose",
            Format::Kubernetes => "kubernetes",
            Format::Kustomization => "kustomize",
            Format::Azd => "azd",
            Format::HelmChart | Format::HelmValues | Format::HelmTemplate => "helm",
            Format::OtherYaml => "yaml",
            Format::Bicep | Format::BicepParams => "bicep",
            Format::Terraform | Format::TerraformVars => "terraform",
            Format::ArmTemplate | Format::ArmParameters => "arm",
        }
    }
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

/// Decides a file's format from its name alone, as directory discovery does. YAML files get a
/// provisional format here (Compose by name, otherwise [`Format::OtherYaml`]) that
/// [`refine`] settles once the file is read.
pub fn by_name(path: &Path) -> Option<Format> {
    // A name that is not valid UTF-8 (`ma\xFFin.tf`) is still a Terraform file to Terraform:
    // its format is decided on the name with the bad bytes replaced.
    let name = path.file_name()?.to_string_lossy();
    if is_kustomization_name(&name) {
        return Some(Format::Kustomization);
    }
    let lower = name.to_ascii_lowercase();
    if let Some(stem) = lower
        .strip_suffix(".yaml")
        .or_else(|| lower.strip_suffix(".yml"))
    {
        let compose =
            stem == "compose" || stem.starts_with("compose.") || stem.starts_with("docker-compose");
        return Some(if compose {
            Format::Compose
        } else {
            Format::OtherYaml
        });
    }
    if lower.ends_with(".tpl") {
        return Some(Format::OtherYaml);
    }
    if lower.ends_with(".bicep") {
        return Some(Format::Bicep);
    }
    if lower.ends_with(".bicepparam") {
        return Some(Format::BicepParams);
    }
    if lower.ends_with(".tf") {
        return Some(Format::Terraform);
    }
    if lower.ends_with(".tfvars") {
        return Some(Format::TerraformVars);
    }
    // Provisional: [`refine`] reads the `$schema` (most JSON is not ARM).
    if lower.ends_with(".json") {
        return Some(Format::ArmTemplate);
    }
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
pub fn for_explicit_file(path: &Path, text: &str) -> Format {
    match by_name(path) {
        Some(f) => refine(path, f, text),
        None => Format::Dockerfile,
    }
}

/// Settles the format of a YAML file from its place and content: `Chart.yaml`, values and
/// templates of a chart (a directory with `Chart.yaml`), Compose by name or by a top-level
/// `services:` key, Kubernetes by top-level `apiVersion:` and `kind:`. Other formats pass
/// through unchanged.
pub fn refine(path: &Path, provisional: Format, text: &str) -> Format {
    if provisional == Format::ArmTemplate {
        return arm_kind(text).unwrap_or(Format::OtherYaml);
    }
    if !matches!(provisional, Format::Compose | Format::OtherYaml) {
        return provisional;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let name = name.as_ref();
    let dir = path.parent().unwrap_or(Path::new(""));
    if name == "Chart.yaml" || name == "Chart.yml" {
        return Format::HelmChart;
    }
    if chart_root_of_template(path).is_some() {
        return Format::HelmTemplate;
    }
    if name.ends_with(".tpl") {
        return Format::OtherYaml;
    }
    if is_values_name(name) && (dir.join("Chart.yaml").is_file() || dir.join("Chart.yml").is_file())
    {
        return Format::HelmValues;
    }
    // azd's `azure.yaml` has `services:` too, but they are projects to build, not containers.
    if matches!(name, "azure.yaml" | "azure.yml") && has_top_level_key(text, "services") {
        return Format::Azd;
    }
    if provisional == Format::Compose || has_top_level_key(text, "services") {
        return Format::Compose;
    }
    if has_top_level_key(text, "apiVersion") && has_top_level_key(text, "kind") {
        return Format::Kubernetes;
    }
    Format::OtherYaml
}

/// An ARM template or parameter file, told by its `$schema` (near the start in practice).
pub fn arm_kind(text: &str) -> Option<Format> {
    let mut end = text.len().min(800);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    if !head.contains("\"$schema\"") {
        return None;
    }
    if head.contains("deploymentParameters.json") {
        Some(Format::ArmParameters)
    } else if head.contains("deploymentTemplate.json") {
        Some(Format::ArmTemplate)
    } else {
        None
    }
}

/// The names kustomize reads a kustomization from: `kustomization.yaml`, `kustomization.yml`,
/// `Kustomization` (case matters, as it does to kustomize).
pub fn is_kustomization_name(name: &str) -> bool {
    matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// `values.yaml`, `values.<env>.yaml`, `values-<env>.yaml` (and `.yml`).
pub fn is_values_name(name: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
    else {
        return false;
    };
    stem == "values" || stem.starts_with("values.") || stem.starts_with("values-")
}

/// The chart directory of a file under some chart's `templates/` folder (nested folders
/// included).
pub fn chart_root_of_template(path: &Path) -> Option<&Path> {
    let mut dir = path.parent()?;
    loop {
        if dir.file_name().is_some_and(|n| n == "templates") {
            let root = dir.parent()?;
            if root.join("Chart.yaml").is_file() || root.join("Chart.yml").is_file() {
                return Some(root);
            }
        }
        dir = dir.parent()?;
        if dir.as_os_str().is_empty() {
            return None;
        }
    }
}

/// Whether a line starts with `key:` at column 0 (a top-level key of some document).
fn has_top_level_key(text: &str, key: &str) -> bool {
    text.lines().any(|l| {
        l.strip_prefix(key)
            .is_some_and(|r| r.starts_with(':') || r.trim_start().starts_with(':'))
    })
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

    #[test]
    fn yaml_names_and_contents() {
        let p = Path::new;
        assert_eq!(by_name(p("docker-compose.prod.yml")), Some(Format::Compose));
        assert_eq!(by_name(p("compose.yaml")), Some(Format::Compose));
        assert_eq!(by_name(p("x/deploy.yaml")), Some(Format::OtherYaml));
        let r = |name: &str, text: &str| refine(p(name), by_name(p(name)).unwrap(), text);
        assert_eq!(
            r("stack.yml", "version: '3'\nservices:\n  a: {}\n"),
            Format::Compose
        );
        assert_eq!(
            r("app.yaml", "apiVersion: v1\nkind: Pod\n"),
            Format::Kubernetes
        );
        assert_eq!(
            r("app.yaml", "# apiVersion: v1\nfoo: 1\n"),
            Format::OtherYaml
        );
        assert_eq!(r("Chart.yaml", "apiVersion: v2\n"), Format::HelmChart);
        assert!(is_values_name("values.production.yaml"));
        assert!(is_values_name("values-prod.yml"));
        assert!(!is_values_name("myvalues.yaml"));
    }
}
