//! Builds of small in-memory trees: one test per behaviour of the builder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::source::Format;

/// An in-memory tree of files for tests.
#[derive(Default)]
pub(crate) struct MemFiles {
    files: BTreeMap<PathBuf, Arc<SourceFile>>,
}

impl MemFiles {
    pub fn new(entries: &[(&str, &str)]) -> Self {
        let mut m = Self::default();
        for (p, text) in entries {
            let path = PathBuf::from("/repo").join(p);
            m.files.insert(
                path.clone(),
                Arc::new(SourceFile::new(
                    path,
                    p.to_string(),
                    Format::Kubernetes,
                    text.to_string(),
                )),
            );
        }
        m
    }
}

impl Files for MemFiles {
    fn read(&self, path: &Path) -> Result<Arc<SourceFile>, String> {
        if self.is_dir(path) {
            return Err("is a directory".into());
        }
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file or directory".into())
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|k| k.starts_with(path) && k != path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }
    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        Ok(self
            .files
            .keys()
            .filter(|k| k.parent() == Some(dir))
            .cloned()
            .collect())
    }
}

pub(crate) fn build_mem(files: &MemFiles, dir: &str) -> Build {
    let opts = Options::new("/repo");
    build(files, &Path::new("/repo").join(dir), &opts)
}

fn find<'a>(b: &'a Build, kind: &str, name: &str) -> &'a Node {
    b.objects
        .iter()
        .find(|o| {
            o.get("kind").and_then(Node::as_str) == Some(kind)
                && o.at(&["metadata", "name"]).and_then(Node::as_str) == Some(name)
        })
        .unwrap_or_else(|| {
            panic!(
                "no {kind} {name} in {:#?}",
                b.objects.iter().map(resource::to_json).collect::<Vec<_>>()
            )
        })
}

fn errors(b: &Build) -> Vec<String> {
    b.diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect()
}

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: runner
      containers:
      - name: web
        image: ghcr.io/acme/web:1.0
        envFrom:
        - configMapRef: {name: settings}
        env:
        - name: PASSWORD
          valueFrom:
            secretKeyRef: {name: creds, key: password}
      volumes:
      - name: cfg
        configMap: {name: settings}
";

#[test]
fn prefix_and_hash_rename_references() {
    let files = MemFiles::new(&[
        ("app/deploy.yaml", DEPLOY),
        (
            "app/sa.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: runner}\n",
        ),
        (
            "app/kustomization.yaml",
            "resources: [deploy.yaml, sa.yaml]\nnamePrefix: prod-\nnameSuffix: -v1\nconfigMapGenerator:\n- name: settings\n  literals: [LOG=info]\nsecretGenerator:\n- name: creds\n  literals: [password=x]\n",
        ),
    ]);
    let b = build_mem(&files, "app");
    assert!(b.ok(), "{:?}", errors(&b));
    let d = find(&b, "Deployment", "prod-web-v1");
    let pod = d.at(&["spec", "template", "spec"]).unwrap();
    let cm = b
        .objects
        .iter()
        .find(|o| o.get("kind").and_then(Node::as_str) == Some("ConfigMap"))
        .unwrap();
    let cm_name = cm.at(&["metadata", "name"]).unwrap().as_str().unwrap();
    assert!(cm_name.starts_with("prod-settings-v1-"), "{cm_name}");
    assert_eq!(
        pod.at(&["serviceAccountName"]).unwrap().as_str(),
        Some("prod-runner-v1")
    );
    let env_from = &pod.get("containers").unwrap().as_seq().unwrap()[0];
    assert_eq!(
        env_from.get("envFrom").unwrap().as_seq().unwrap()[0]
            .at(&["configMapRef", "name"])
            .unwrap()
            .as_str(),
        Some(cm_name)
    );
    let secret_ref = env_from.get("env").unwrap().as_seq().unwrap()[0]
        .at(&["valueFrom", "secretKeyRef", "name"])
        .unwrap();
    assert!(secret_ref.as_str().unwrap().starts_with("prod-creds-v1-"));
    let vol = &pod.get("volumes").unwrap().as_seq().unwrap()[0];
    assert_eq!(
        vol.at(&["configMap", "name"]).unwrap().as_str(),
        Some(cm_name)
    );
}

#[test]
fn common_labels_reach_selectors_and_labels_entries_may_not() {
    let svc =
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n";
    let files = MemFiles::new(&[
        ("a/deploy.yaml", DEPLOY),
        ("a/svc.yaml", svc),
        (
            "a/kustomization.yaml",
            "resources: [deploy.yaml, svc.yaml]\ncommonLabels: {team: blue}\nlabels:\n- pairs: {env: prod}\n- pairs: {tier: api}\n  includeTemplates: true\n",
        ),
    ]);
    let b = build_mem(&files, "a");
    assert!(b.ok(), "{:?}", errors(&b));
    let d = find(&b, "Deployment", "web");
    let j = resource::to_json(d);
    assert_eq!(
        j["spec"]["selector"]["matchLabels"],
        serde_json::json!({"app": "web", "team": "blue"})
    );
    assert_eq!(
        j["metadata"]["labels"],
        serde_json::json!({"app": "web", "team": "blue", "env": "prod", "tier": "api"})
    );
    assert_eq!(
        j["spec"]["template"]["metadata"]["labels"],
        serde_json::json!({"app": "web", "team": "blue", "tier": "api"})
    );
    let s = resource::to_json(find(&b, "Service", "web"));
    assert_eq!(s["spec"]["selector"], serde_json::json!({"team": "blue"}));
}

#[test]
fn images_change_containers_of_every_workload_kind_and_point_at_the_overlay() {
    let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: job}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers: [{name: i, image: ghcr.io/acme/web}]\n          containers: [{name: c, image: 'ghcr.io/acme/web@sha256:abc'}]\n";
    let kust = "resources: [deploy.yaml, cron.yaml]\nimages:\n- name: ghcr.io/acme/web\n  newName: registry.local/web\n  newTag: \"2.0\"\n";
    let files = MemFiles::new(&[
        ("a/deploy.yaml", DEPLOY),
        ("a/cron.yaml", cron),
        ("a/kustomization.yaml", kust),
    ]);
    let b = build_mem(&files, "a");
    assert!(b.ok(), "{:?}", errors(&b));
    let d = find(&b, "Deployment", "web");
    let img = d
        .at(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0]
        .get("image")
        .unwrap();
    assert_eq!(img.as_str(), Some("registry.local/web:2.0"));
    assert_eq!(img.file.display_path, "a/kustomization.yaml");
    assert_eq!(img.file.slice(img.span), "\"2.0\"");
    let c = find(&b, "CronJob", "job");
    let spec = c
        .at(&["spec", "jobTemplate", "spec", "template", "spec"])
        .unwrap();
    assert_eq!(
        spec.get("initContainers").unwrap().as_seq().unwrap()[0]
            .get("image")
            .unwrap()
            .as_str(),
        Some("registry.local/web:2.0")
    );
    assert_eq!(
        spec.get("containers").unwrap().as_seq().unwrap()[0]
            .get("image")
            .unwrap()
            .as_str(),
        Some("registry.local/web:2.0")
    );
    let pair = b.replaced.iter().find(|r| r.what == "image").unwrap();
    assert_eq!(pair.old.file.display_path, "a/deploy.yaml");
    assert_eq!(pair.old.text(), "ghcr.io/acme/web:1.0");
}

#[test]
fn overlays_patch_components_and_namespace() {
    let files = MemFiles::new(&[
        ("base/deploy.yaml", DEPLOY),
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        (
            "comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            env: [{name: FEATURE, value: 'on'}]\n",
        ),
        (
            "prod/kustomization.yaml",
            "namespace: prod\nresources: [../base]\ncomponents: [../comp]\nreplicas: [{name: web, count: 3}]\n",
        ),
    ]);
    let b = build_mem(&files, "prod");
    assert!(b.ok(), "{:?}", errors(&b));
    let d = find(&b, "Deployment", "web");
    assert_eq!(
        d.at(&["metadata", "namespace"]).unwrap().as_str(),
        Some("prod")
    );
    let r = d.at(&["spec", "replicas"]).unwrap();
    assert_eq!(r.as_i64(), Some(3));
    assert_eq!(r.file.display_path, "prod/kustomization.yaml");
    let env = d
        .at(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0]
        .get("env")
        .unwrap()
        .as_seq()
        .unwrap();
    let feature = env
        .iter()
        .find(|e| e.get("name").and_then(Node::as_str) == Some("FEATURE"))
        .unwrap();
    let v = feature.get("value").unwrap();
    assert_eq!(v.file.display_path, "comp/kustomization.yaml");
    assert_eq!(
        v.file.slice(v.span),
        "'on'",
        "an inline patch's value points into the kustomization"
    );
    let roles: Vec<_> = b
        .uses
        .iter()
        .map(|u| (u.path.display().to_string(), u.role))
        .collect();
    assert!(
        roles.contains(&("/repo/comp/kustomization.yaml".into(), Role::Component)),
        "{roles:?}"
    );
    assert!(roles.contains(&("/repo/base/deploy.yaml".into(), Role::Resource)));
}

#[test]
#[allow(clippy::type_complexity)]
fn errors_are_located_and_stop_only_their_root() {
    let cases: &[(&[(&str, &str)], &str, Class)] = &[
        (
            &[("a/kustomization.yaml", "resources: [missing.yaml]\n")],
            "a",
            Class::Missing,
        ),
        (
            &[("a/kustomization.yaml", "resourcez: [x]\n")],
            "a",
            Class::Field,
        ),
        (
            &[("a/kustomization.yaml", "resources: [x\n")],
            "a",
            Class::Yaml,
        ),
        (
            &[("a/kustomization.yaml", "resources: [../a]\n")],
            "a",
            Class::Cycle,
        ),
        (
            &[("a/kustomization.yaml", "resources: [../../etc/passwd]\n")],
            "a",
            Class::Restricted,
        ),
        (
            &[
                ("a/kustomization.yaml", "resources: [../b/x.yaml]\n"),
                ("b/x.yaml", "kind: A\nmetadata: {name: a}\n"),
            ],
            "a",
            Class::Restricted,
        ),
        (
            &[
                (
                    "a/kustomization.yaml",
                    "resources: [d.yaml]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: nope}\n",
                ),
                ("a/d.yaml", DEPLOY),
            ],
            "a",
            Class::NoMatch,
        ),
        (
            &[
                ("a/kustomization.yaml", "resources: [d.yaml, d2.yaml]\n"),
                ("a/d.yaml", DEPLOY),
                ("a/d2.yaml", DEPLOY),
            ],
            "a",
            Class::Duplicate,
        ),
        (
            &[("a/kustomization.yaml", "images: [{name: a, newTag: 1.2}]\n")],
            "a",
            Class::Field,
        ),
        (&[("a/kustomization.yaml", "")], "a", Class::Invalid),
    ];
    for (tree, dir, class) in cases {
        let files = MemFiles::new(tree);
        let b = build_mem(&files, dir);
        let e = b
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .unwrap_or_else(|| panic!("no error for {tree:?}"));
        assert_eq!(e.class, *class, "{tree:?}: {}", e.message);
        assert!(b.objects.is_empty());
        assert!(e.at.span.end <= e.at.file.text.len());
    }
}

#[test]
fn remote_resources_and_helm_charts_are_reported_not_fetched() {
    let files = MemFiles::new(&[(
        "a/kustomization.yaml",
        "resources:\n- https://github.com/x/y//deploy?ref=v1\n- github.com/x/z\nhelmCharts:\n- name: redis\n  repo: https://charts.example\n",
    )]);
    let b = build_mem(&files, "a");
    assert!(b.ok());
    let notes: Vec<_> = b
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::NotChecked)
        .collect();
    assert_eq!(notes.len(), 3);
    assert!(
        notes[2]
            .message
            .contains("helmCharts needs the Helm renderer")
    );
    assert_eq!(notes[0].at.start().line, 2);
}

#[test]
fn plan_finds_roots_and_roles() {
    let files = MemFiles::new(&[
        ("base/deploy.yaml", DEPLOY),
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        (
            "overlays/prod/patch.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
        ),
        ("overlays/prod/.env", "A=1\n"),
        (
            "overlays/prod/kustomization.yaml",
            "resources: [../../base]\npatches: [{path: patch.yaml}]\nconfigMapGenerator: [{name: c, envs: [.env]}]\n",
        ),
        (
            "other/kustomize/kustomization.yaml",
            "resources: []\nnamespace: x\n",
        ),
    ]);
    let all = vec![
        PathBuf::from("/repo/base/kustomization.yaml"),
        PathBuf::from("/repo/overlays/prod/kustomization.yaml"),
        PathBuf::from("/repo/other/kustomize/kustomization.yaml"),
    ];
    let p = plan(&files, &all, &Options::new("/repo"));
    let envs: Vec<_> = p.roots.iter().map(|r| r.environment.as_str()).collect();
    assert_eq!(envs, ["prod", "default"]);
    let role = |f: &str| {
        p.uses
            .iter()
            .find(|u| u.path == Path::new("/repo").join(f))
            .map(|u| u.role)
    };
    assert_eq!(role("overlays/prod/patch.yaml"), Some(Role::Patch));
    assert_eq!(role("overlays/prod/.env"), Some(Role::GeneratorInput));
    assert_eq!(role("base/deploy.yaml"), Some(Role::Resource));
    assert_eq!(role("base/kustomization.yaml"), Some(Role::Kustomization));
}

#[test]
fn limits_stop_deep_includes() {
    let mut tree = Vec::new();
    let names: Vec<String> = (0..40)
        .map(|i| format!("d{i}/kustomization.yaml"))
        .collect();
    let bodies: Vec<String> = (0..40)
        .map(|i| format!("resources: [../d{}]\n", i + 1))
        .collect();
    for i in 0..40 {
        tree.push((names[i].as_str(), bodies[i].as_str()));
    }
    let files = MemFiles::new(&tree);
    let b = build_mem(&files, "d0");
    let e = b.diagnostics.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(e.class, Class::Limit, "{}", e.message);
}
