//! The Kustomize builder seen from the pipeline: provenance of built values (the prod
//! overlay of `tests/fixtures/kustomize/publisher`), the rule that `src/render/` never
//! touches the disk, and robustness on random kustomizations and patches.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plumbline::parse::yaml::Node;
use plumbline::render::kustomize::{self, Files, Options, Role};
use plumbline::source::files::DiskFiles;
use plumbline::source::{Format, SourceFile};
use proptest::prelude::*;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kustomize")
}

fn object<'a>(b: &'a kustomize::Build, kind: &str, name: &str) -> &'a Node {
    b.objects
        .iter()
        .find(|o| {
            o.get("kind").and_then(Node::as_str) == Some(kind)
                && o.at(&["metadata", "name"]).and_then(Node::as_str) == Some(name)
        })
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// `(file name, line, text)` of where a node's value was set.
fn at(n: &Node) -> (String, usize, String) {
    let o = n.origin();
    let file = Path::new(&o.file.display_path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    (file, o.start().line, o.text().to_string())
}

fn container(d: &Node) -> &Node {
    &d.at(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0]
}

#[test]
fn prod_overlay_values_point_where_they_were_set() {
    let root = fixtures();
    let files = DiskFiles::new(10 << 20, &root);
    let b = kustomize::build(
        &files,
        &root.join("publisher/overlays/prod"),
        &Options::new(&root),
    );
    assert!(b.ok(), "{:?}", b.diagnostics);
    assert_eq!(b.environment, "prod");
    let d = object(&b, "Deployment", "prod-publisher");
    let c = container(d);

    // The image: rebuilt from the overlay's `newTag`, pointing at that value.
    let image = c.get("image").unwrap();
    assert_eq!(image.as_str(), Some("ghcr.io/acme/publisher:latest"));
    assert_eq!(
        at(image),
        ("kustomization.yaml".into(), 13, "latest".into())
    );
    assert!(
        image
            .origin()
            .file
            .display_path
            .ends_with("overlays/prod/kustomization.yaml")
    );
    let pair = b.replaced.iter().find(|r| r.what == "image").unwrap();
    assert!(pair.old.file.display_path.ends_with("base/deployment.yaml"));
    assert_eq!(pair.old.text(), "ghcr.io/acme/publisher:1.4.2");
    assert_eq!(pair.old.start().line, 23);

    // runAsUser from the strategic merge patch; the pair names the base's 10001.
    let user = d
        .at(&["spec", "template", "spec", "securityContext", "runAsUser"])
        .unwrap();
    assert_eq!(at(user), ("run-as-root.yaml".into(), 9, "0".into()));
    let pair = b
        .replaced
        .iter()
        .find(|r| r.new.file.display_path.ends_with("run-as-root.yaml"))
        .unwrap();
    assert_eq!(pair.old.text(), "10001");
    // Untouched fields of the same mapping stay at the base.
    let non_root = d
        .at(&[
            "spec",
            "template",
            "spec",
            "securityContext",
            "runAsNonRoot",
        ])
        .unwrap();
    assert_eq!(at(non_root), ("deployment.yaml".into(), 19, "true".into()));

    // The JSON patch moved the port to 9090 and removed the resources; probes keep 8080.
    let port = &c.get("ports").unwrap().as_seq().unwrap()[0];
    assert_eq!(
        at(port.get("containerPort").unwrap()),
        ("no-limits.json".into(), 3, "9090".into())
    );
    assert!(c.get("resources").is_none());
    let probe = c.at(&["readinessProbe", "httpGet", "port"]).unwrap();
    assert_eq!(at(probe), ("deployment.yaml".into(), 39, "8080".into()));
    let svc = object(&b, "Service", "prod-publisher");
    let target = &svc.at(&["spec", "ports"]).unwrap().as_seq().unwrap()[0];
    assert_eq!(
        at(target.get("targetPort").unwrap()),
        ("service.yaml".into(), 11, "8080".into())
    );

    // replicas from the `replicas:` entry, namespace from `namespace:`.
    assert_eq!(
        at(d.at(&["spec", "replicas"]).unwrap()),
        ("kustomization.yaml".into(), 16, "3".into())
    );
    assert_eq!(
        at(d.at(&["metadata", "namespace"]).unwrap()).2,
        "publishing"
    );

    // Generated data points at the literal's value and at the env file's line.
    let cm = b
        .objects
        .iter()
        .find(|o| o.get("kind").and_then(Node::as_str) == Some("ConfigMap"))
        .unwrap();
    assert_eq!(
        at(cm.at(&["data", "LOG_LEVEL"]).unwrap()),
        ("kustomization.yaml".into(), 10, "info".into())
    );
    assert_eq!(
        at(cm.at(&["data", "QUEUE"]).unwrap()),
        ("settings.env".into(), 2, "events".into())
    );
    // and the pod refers to its hashed name.
    let env_from = c.get("envFrom").unwrap().as_seq().unwrap()[0]
        .at(&["configMapRef", "name"])
        .unwrap();
    assert_eq!(
        env_from.as_str(),
        cm.at(&["metadata", "name"]).unwrap().as_str()
    );

    // Roles: the patch files are patches, the env file a generator input.
    let role = |f: &str| b.uses.iter().find(|u| u.path.ends_with(f)).map(|u| u.role);
    assert_eq!(role("overlays/prod/run-as-root.yaml"), Some(Role::Patch));
    assert_eq!(role("overlays/prod/no-limits.json"), Some(Role::Patch));
    assert_eq!(role("base/settings.env"), Some(Role::GeneratorInput));
    assert_eq!(role("base/deployment.yaml"), Some(Role::Resource));
}

#[test]
fn plan_over_the_fixture_tree() {
    let root = fixtures().join("publisher");
    let files = DiskFiles::new(10 << 20, &root);
    let all: Vec<PathBuf> = [
        "base",
        "overlays/prod",
        "overlays/staging",
        "components/monitoring",
    ]
    .iter()
    .map(|d| root.join(d).join("kustomization.yaml"))
    .collect();
    let plan = kustomize::plan(&files, &all, &Options::new(&root));
    let envs: Vec<&str> = plan.roots.iter().map(|r| r.environment.as_str()).collect();
    assert_eq!(envs, ["prod", "staging"]);
    let staging = plan
        .uses
        .iter()
        .filter(|u| u.root == 1)
        .map(|u| {
            (
                u.path.strip_prefix(&root).unwrap().display().to_string(),
                u.role,
            )
        })
        .collect::<Vec<_>>();
    assert!(
        staging.contains(&(
            "components/monitoring/kustomization.yaml".into(),
            Role::Component
        )),
        "{staging:?}"
    );
    assert!(staging.contains(&("base/deployment.yaml".into(), Role::Resource)));
}

#[test]
fn render_never_touches_the_disk() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/render"),
        &mut files,
    );
    assert!(!files.is_empty());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // (`std::io::Read` itself is fine: the Helm renderer reads chart archives from bytes
        // that came through `Files`.)
        for bad in [
            "std::fs",
            "std::io::stdin",
            "File::open",
            "read_to_string",
            "std::process",
            "std::net",
        ] {
            assert!(
                !text.contains(bad),
                "{} uses {bad}: render/ reads through source::files::Files",
                f.display()
            );
        }
    }
}

/// Files in memory for the property test.
struct Mem(BTreeMap<PathBuf, Arc<SourceFile>>);

impl Files for Mem {
    fn read(&self, path: &Path) -> Result<Arc<SourceFile>, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file or directory".into())
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.0.keys().any(|k| k.starts_with(path) && k != path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.0.contains_key(path)
    }
    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        Ok(self
            .0
            .keys()
            .filter(|k| k.parent() == Some(dir))
            .cloned()
            .collect())
    }
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("resources: [d.yaml]\n".to_string()),
        Just("resources: [../b, d.yaml, ../../x, /etc/passwd, ../a]\n".to_string()),
        Just("bases: [../b]\n".to_string()),
        Just("components: [../c, ../b]\n".to_string()),
        Just("namePrefix: p-\nnameSuffix: -s\n".to_string()),
        Just("namespace: ns\n".to_string()),
        Just("commonLabels: {a: b}\nlabels: [{pairs: {c: d}, includeSelectors: true}]\n".to_string()),
        Just("commonAnnotations: {x: y}\n".to_string()),
        Just("images: [{name: nginx, newTag: latest}, {name: '(', newName: x}]\n".to_string()),
        Just("replicas: [{name: web, count: 5}]\n".to_string()),
        Just("configMapGenerator: [{name: c, literals: [a=b, 'x'], files: [d.yaml, k=../d.yaml]}]\n".to_string()),
        Just("secretGenerator: [{name: s, envs: [d.yaml], behavior: merge}]\n".to_string()),
        Just("patches: [{path: p.yaml}, {path: j.yaml, target: {kind: '.*', name: 'w[eb'}}]\n".to_string()),
        Just("patchesStrategicMerge: [p.yaml]\npatchesJson6902: [{target: {kind: Deployment, name: web}, path: j.yaml}]\n".to_string()),
        Just("replacements: [{source: {kind: Deployment, fieldPath: spec.replicas}, targets: [{select: {kind: Service}, fieldPaths: [spec.x.[a=b].c], options: {create: true}}]}]\n".to_string()),
        Just("helmCharts: [{name: x}]\ntransformers: [t.yaml]\n".to_string()),
        "[a-zA-Z:{}\\[\\], \n-]{0,40}".prop_map(|s| s),
    ]
}

fn patch_text() -> impl Strategy<Value = String> {
    let paths = prop::sample::select(vec![
        "/spec/template/spec/containers/0/image",
        "/spec/template/spec/containers/-",
        "/spec",
        "",
        "/metadata/~1x~0",
        "/spec/replicas/0",
        "/a/b/c",
    ]);
    let ops = prop::sample::select(vec![
        "add", "remove", "replace", "move", "copy", "test", "frob",
    ]);
    prop_oneof![
        prop::collection::vec((ops, paths.clone(), paths), 0..8).prop_map(|v| {
            v.iter()
                .map(|(o, p, f)| format!("- {{op: {o}, path: '{p}', from: '{f}', value: {{x: [1, 2]}}}}\n"))
                .collect::<String>()
        }),
        prop::sample::select(vec![
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n$patch: delete\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: web, $patch: replace}, {$patch: delete}]}}}\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: web, ports: [{containerPort: 1}, {protocol: UDP}]}]}}}\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: [1]\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {$patch: bogus}\n",
            "kind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {volumes: null, containers: null}}}\n",
            "[{\"op\": \"copy\", \"from\": \"/spec\", \"path\": \"/spec/x\"}]",
        ])
        .prop_map(str::to_string),
    ]
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {a: b}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: web, image: nginx, ports: [{containerPort: 80}], env: [{name: A, value: b}]}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn random_kustomizations_never_panic_and_stay_bounded(
        a in prop::collection::vec(piece(), 0..6),
        b in prop::collection::vec(piece(), 0..4),
        c in prop::collection::vec(piece(), 0..3),
        p in patch_text(),
        j in patch_text(),
        component in any::<bool>(),
    ) {
        let mut m = BTreeMap::new();
        let mut add = |path: &str, text: String| {
            let p = PathBuf::from("/repo").join(path);
            m.insert(p.clone(), Arc::new(SourceFile::new(p, path.into(), Format::Kubernetes, text)));
        };
        add("a/kustomization.yaml", a.concat());
        add("b/kustomization.yaml", b.concat());
        let kind = if component { "kind: Component\n" } else { "" };
        add("c/kustomization.yaml", format!("{kind}{}", c.concat()));
        for d in ["a", "b", "c"] {
            add(&format!("{d}/d.yaml"), DEPLOY.to_string());
            add(&format!("{d}/p.yaml"), p.clone());
            add(&format!("{d}/j.yaml"), j.clone());
            add(&format!("{d}/t.yaml"), "apiVersion: builtin\nkind: LabelTransformer\nlabels: {z: z}\nfieldSpecs: [{path: metadata/labels, create: true}]\n".into());
        }
        let files = Mem(m);
        let start = Instant::now();
        for root in ["a", "b", "c"] {
            let built = kustomize::build(&files, &Path::new("/repo").join(root), &Options::new("/repo"));
            for d in &built.diagnostics {
                prop_assert!(d.at.span.start <= d.at.span.end && d.at.span.end <= d.at.file.text.len());
            }
            for o in &built.objects {
                let _ = kustomize::data(o);
            }
        }
        let all: Vec<PathBuf> = ["a", "b", "c"].iter().map(|d| PathBuf::from("/repo").join(d).join("kustomization.yaml")).collect();
        let _ = kustomize::plan(&files, &all, &Options::new("/repo"));
        prop_assert!(start.elapsed() < Duration::from_secs(5));
    }
}
