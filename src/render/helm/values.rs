//! Values of a chart per environment: `values.yaml` is the base (`default`), and each
//! `values-<env>.yaml` / `values.<env>.yaml` beside it is an overlay merged on top, as
//! `helm install -f values-<env>.yaml` would do.
//!
//! The merge keeps the [`yaml::Node`]s of the file that set each value, so a merged tree can
//! still say which file and line a value came from (base or overlay). Merge semantics are
//! Helm's: mappings merge key by key (recursively), sequences and scalars replace, and an
//! overlay `key: null` deletes the key.

use std::sync::Arc;

use crate::parse::yaml::{self, Node, Value};
use crate::render::Environment;
use crate::source::SourceFile;

/// Names that mark a production environment (`values-prod.yaml`, `values.production.yaml`).
const PRODUCTION_NAMES: &[&str] = &["prod", "production", "prd", "live"];

/// The environment a values file defines: `values.yaml` is `default`; `values-prod.yaml`
/// and `values.prod.yaml` are `prod`. `None` for a name that is not a values file.
pub fn environment_of(file_name: &str) -> Option<Environment> {
    let stem = file_name
        .strip_suffix(".yaml")
        .or_else(|| file_name.strip_suffix(".yml"))?;
    let name = if stem == "values" {
        "default"
    } else {
        stem.strip_prefix("values.")
            .or_else(|| stem.strip_prefix("values-"))
            .filter(|n| !n.is_empty())?
    };
    let production = name
        .to_ascii_lowercase()
        .split(['-', '.', '_'])
        .any(|w| PRODUCTION_NAMES.contains(&w));
    Some(Environment {
        name: name.to_string(),
        production,
    })
}

/// Whether a values file is an example to copy (`values.example.yaml`, `values-sample.yaml`,
/// `values.example.prod.yaml`) rather than values that are deployed.
pub fn is_example_name(file_name: &str) -> bool {
    file_name
        .to_ascii_lowercase()
        .split(['-', '.', '_'])
        .any(|w| {
            matches!(
                w,
                "example" | "examples" | "sample" | "samples" | "template"
            )
        })
}

/// One values file as read: its environment and its (first) document.
#[derive(Debug, Clone)]
pub struct ValuesFile {
    pub file: Arc<SourceFile>,
    pub environment: Environment,
    /// The file's mapping; `None` when empty or not a mapping.
    pub root: Option<Node>,
}

/// The values one environment deploys with: the base merged with the environment's overlay.
#[derive(Debug, Clone)]
pub struct EnvValues {
    pub environment: Environment,
    /// The merged values (an empty mapping when there are none). Every node keeps the origin
    /// of the file that set it.
    pub values: Node,
    /// The files merged, base first.
    pub files: Vec<Arc<SourceFile>>,
}

/// Reads the values files (base first, as `assemble` orders them) into files and
/// environments. Without a `values.yaml`, each overlay is merged onto empty values; example
/// files (`values.example.yaml`) are files but not environments.
pub fn environments(
    chart_file: &Arc<SourceFile>,
    files: &[(Arc<SourceFile>, Vec<yaml::Node>)],
) -> (Vec<ValuesFile>, Vec<EnvValues>) {
    let mut read: Vec<ValuesFile> = Vec::new();
    for (file, docs) in files {
        let name = file
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(environment) = environment_of(name) else {
            continue;
        };
        let root = docs.first().filter(|d| d.as_map().is_some()).cloned();
        read.push(ValuesFile {
            file: Arc::clone(file),
            environment,
            root,
        });
    }
    let empty = Node {
        value: Value::Map(Vec::new()),
        span: Default::default(),
        file: Arc::clone(chart_file),
    };
    let base = read.iter().find(|v| v.environment.name == "default");
    let base_values = base.and_then(|b| b.root.clone()).unwrap_or(empty);
    let base_files: Vec<Arc<SourceFile>> = base.map(|b| Arc::clone(&b.file)).into_iter().collect();
    let mut envs = vec![EnvValues {
        environment: Environment {
            name: "default".into(),
            production: false,
        },
        values: base_values.clone(),
        files: base_files.clone(),
    }];
    // An example to copy (`values.example.yaml`) is read for secrets but deploys nothing.
    let overlays = read.iter().filter(|v| {
        let name = v.file.path.file_name().and_then(|n| n.to_str());
        v.environment.name != "default" && !name.is_some_and(is_example_name)
    });
    for overlay in overlays {
        let mut values = base_values.clone();
        if let Some(root) = &overlay.root {
            merge(&mut values, root);
        }
        let mut merged_files = base_files.clone();
        merged_files.push(Arc::clone(&overlay.file));
        envs.push(EnvValues {
            environment: overlay.environment.clone(),
            values,
            files: merged_files,
        });
    }
    (read, envs)
}

/// Merges `overlay` onto `base` as Helm merges `-f` files: mappings key by key, anything
/// else replaced; `null` in the overlay deletes the key.
pub fn merge(base: &mut Node, overlay: &Node) {
    let (Value::Map(base_entries), Value::Map(over_entries)) = (&mut base.value, &overlay.value)
    else {
        *base = overlay.clone();
        return;
    };
    for over in over_entries {
        let Some(key) = over.key.as_str() else {
            continue;
        };
        let pos = base_entries
            .iter()
            .position(|e| e.key.as_str() == Some(key));
        match (pos, over.value.is_null()) {
            (Some(i), true) => {
                base_entries.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => {
                if let Some(e) = base_entries.get_mut(i) {
                    merge(&mut e.value, &over.value);
                }
            }
            (None, false) => base_entries.push(over.clone()),
        }
    }
}

/// Whether Go templates would take a value as true: not null, not `false`, not `0`, not
/// empty.
pub fn truthy(node: &Node) -> bool {
    match &node.value {
        Value::Map(m) => !m.is_empty(),
        Value::Seq(s) => !s.is_empty(),
        Value::Scalar(s) => {
            if node.is_null() || s.text.is_empty() {
                return false;
            }
            !(s.plain && matches!(s.text.as_str(), "false" | "False" | "FALSE" | "0"))
        }
    }
}

/// The node at a dotted path (`api.image.tag`); the empty path is the node itself.
pub fn lookup<'a>(root: &'a Node, path: &str) -> Option<&'a Node> {
    if path.is_empty() {
        return Some(root);
    }
    path.split('.').try_fold(root, |n, k| n.get(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;

    fn load(name: &str, text: &str) -> (Arc<SourceFile>, Vec<Node>) {
        let f = Arc::new(SourceFile::in_memory(name, Format::HelmValues, text));
        let docs = yaml::load(&f).docs;
        (f, docs)
    }

    #[test]
    fn environment_names() {
        let e = |n: &str| environment_of(n).map(|e| (e.name, e.production));
        assert_eq!(e("values.yaml"), Some(("default".into(), false)));
        assert_eq!(e("values-prod.yaml"), Some(("prod".into(), true)));
        assert_eq!(
            e("values.production.yml"),
            Some(("production".into(), true))
        );
        assert_eq!(e("values-live-eu.yaml"), Some(("live-eu".into(), true)));
        assert_eq!(e("values.staging.yaml"), Some(("staging".into(), false)));
        assert_eq!(e("values.product.yaml"), Some(("product".into(), false)));
        assert_eq!(e("values-.yaml"), None);
        assert_eq!(e("myvalues.yaml"), None);
        assert!(is_example_name("values.example.yaml"));
        assert!(is_example_name("values-sample.prod.yaml"));
        assert!(!is_example_name("values-prod.yaml"));
    }

    #[test]
    fn overlays_merge_with_origins() {
        let base = load(
            "values.yaml",
            "api:\n  image:\n    repository: app\n    tag: \"1.0\"\n  ports: [80, 81]\n  debug: true\nkeep: 1\n",
        );
        let prod = load(
            "values-prod.yaml",
            "api:\n  image:\n    tag: \"2.0\"\n  ports: [90]\n  debug: null\n  extra: x\n",
        );
        let chart = Arc::new(SourceFile::in_memory("Chart.yaml", Format::HelmChart, ""));
        let example = load("values.example.yaml", "api: {debug: false}\n");
        let (files, envs) = environments(&chart, &[base.clone(), prod.clone(), example]);
        assert_eq!(files.len(), 3);
        assert_eq!(envs.len(), 2);
        assert_eq!(envs[0].environment.name, "default");
        let p = &envs[1];
        assert!(p.environment.production);
        let tag = lookup(&p.values, "api.image.tag").unwrap();
        assert_eq!(tag.as_str(), Some("2.0"));
        assert!(Arc::ptr_eq(&tag.file, &prod.0));
        let repo = lookup(&p.values, "api.image.repository").unwrap();
        assert!(Arc::ptr_eq(&repo.file, &base.0));
        assert_eq!(repo.origin().text(), "app");
        // Lists replace, null deletes, new keys arrive.
        assert_eq!(
            lookup(&p.values, "api.ports")
                .unwrap()
                .as_seq()
                .unwrap()
                .len(),
            1
        );
        assert!(lookup(&p.values, "api.debug").is_none());
        assert_eq!(lookup(&p.values, "api.extra").unwrap().as_str(), Some("x"));
        assert_eq!(lookup(&p.values, "keep").unwrap().as_i64(), Some(1));
        // The base environment is untouched.
        assert_eq!(
            lookup(&envs[0].values, "api.image.tag").unwrap().as_str(),
            Some("1.0")
        );
        assert!(lookup(&envs[0].values, "api.debug").is_some());
    }

    #[test]
    fn go_template_truth() {
        let (_, docs) = load(
            "values.yaml",
            "a: {}\nb: []\nc: \"\"\nd: false\ne: 0\nf: x\ng: ~\nh: \"false\"\n",
        );
        let d = &docs[0];
        let t = |k: &str| truthy(d.get(k).unwrap());
        assert!(!t("a") && !t("b") && !t("c") && !t("d") && !t("e") && !t("g"));
        assert!(t("f") && t("h"));
    }
}
