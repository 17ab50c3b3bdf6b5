//! `plumbline graph` from the built binary: the showcase's services are linked across every
//! layer with the reason for each link, and names that could mean two services are left
//! unlinked and shown as ambiguous.

use std::path::Path;
use std::process::Command;

fn graph(path: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["graph", path, "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn service<'a>(g: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    g["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name}: {g}"))
}

fn kinds(s: &serde_json::Value) -> Vec<String> {
    s["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let env = l["environment"]
                .as_str()
                .map_or(String::new(), |e| format!("/{e}"));
            format!("{}{env}", l["kind"].as_str().unwrap())
        })
        .collect()
}

#[test]
fn showcase_services_are_linked_across_layers_with_reasons() {
    let g = graph("examples/showcase");
    let api = service(&g, "api");
    assert_eq!(
        kinds(api),
        [
            "dockerfile",
            "compose",
            "helm/default",
            "helm/production",
            "terraform",
            "bicep"
        ]
    );
    let reasons: Vec<&str> = api["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("builds examples/showcase/services/api/Dockerfile")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("runs image `shop/api`, built by Compose service `api`")),
        "{reasons:?}"
    );
    // The queue runs from Compose and plain manifests: linked by name, images agreeing.
    assert_eq!(kinds(service(&g, "queue")), ["compose", "kubernetes"]);
    // A public image with no Dockerfile and no namesake stays on its own.
    assert_eq!(kinds(service(&g, "db")), ["compose"]);
    assert_eq!(g["ambiguous"].as_array().unwrap().len(), 0);
}

#[test]
fn a_name_shared_by_two_services_is_not_guessed() {
    let g = graph("tests/graph/ambiguous");
    for s in g["services"].as_array().unwrap() {
        assert_eq!(
            s["layers"].as_array().unwrap().len(),
            1,
            "nothing linked: {s}"
        );
    }
    let amb = g["ambiguous"].as_array().unwrap();
    assert_eq!(amb.len(), 1, "{g}");
    assert_eq!(amb[0]["candidates"].as_array().unwrap().len(), 2);
    assert!(amb[0]["reason"].as_str().unwrap().contains("named `api`"));
}

#[test]
fn dot_output_is_a_graphviz_digraph_with_every_layer() {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["graph", "examples/showcase", "--format", "dot"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap();
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.starts_with("digraph plumbline {"));
    assert!(dot.trim_end().ends_with('}'));
    assert_eq!(dot.matches("subgraph cluster_").count(), 5);
    assert!(dot.contains("label=\"build:\""));
}

#[test]
fn explicit_services_in_the_config_settle_an_ambiguity() {
    let g = graph("tests/graph/explicit");
    assert_eq!(g["ambiguous"].as_array().unwrap().len(), 0, "{g}");
    let linked: Vec<&serde_json::Value> = g["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["layers"].as_array().unwrap().len() > 1)
        .collect();
    assert_eq!(linked.len(), 1, "{g}");
    let images: Vec<&str> = linked[0]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["image"].as_str().unwrap())
        .collect();
    assert_eq!(images, ["team-a/api:1.0.0", "api:3.0.0"]);
    let reason = linked[0]["links"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("[services.api] in "), "{reason}");
}

#[test]
fn not_in_an_explicit_service_forbids_a_link_the_evidence_would_make() {
    // Without the config, the Deployment runs the image Compose builds: one service.
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graph/forbid");
    for rel in ["web/Dockerfile", "compose.yaml", "k8s/worker.yaml"] {
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(rel), to).unwrap();
    }
    let g = graph(dir.path().to_str().unwrap());
    assert_eq!(g["services"].as_array().unwrap().len(), 1, "{g}");
    std::fs::write(
        dir.path().join(".plumbline.toml"),
        "[services.web]\ncompose = \"web\"\nnot = [\"web-worker\"]\n",
    )
    .unwrap();
    let g = graph(dir.path().to_str().unwrap());
    let sizes: Vec<usize> = g["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["layers"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 3);
    assert!(sizes.contains(&1) && sizes.contains(&2), "{g}");
}

#[test]
fn names_link_only_within_a_project() {
    // Two projects of one monorepo each have a `db`: b's Compose and manifest are one
    // service; a's is another, and its different tag is not drift.
    let g = graph("tests/graph/projects");
    let mut sizes: Vec<usize> = g["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["layers"].as_array().unwrap().len())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [1, 2], "{g}");
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["check", "tests/graph/projects", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "PIN090"),
        "{v}"
    );
}

#[test]
fn azd_links_its_dockerfile_to_the_container_app_it_deploys_and_to_compose() {
    // azure.yaml names src/api as service `api`; the container app is tagged
    // `azd-service-name: api` and its image is only known at deploy time; Compose builds
    // the same Dockerfile for local runs.
    let g = graph("tests/graph/azd");
    let api = service(&g, "api");
    assert_eq!(kinds(api), ["dockerfile", "compose", "bicep", "azd"]);
    let reasons: Vec<&str> = api["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("azd service `api` builds tests/graph/azd/src/api/Dockerfile")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("Container app `api`")),
        "{reasons:?}"
    );
    // azure.yaml is no Compose file: no Compose service of its own.
    assert_eq!(g["services"].as_array().unwrap().len(), 1, "{g}");
}

#[test]
fn one_environment_of_the_graph() {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "graph",
            "examples/showcase",
            "--format",
            "json",
            "--env",
            "production",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0));
    let g: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let api = service(&g, "api");
    // The production overlay's layer, not the default one; the Dockerfile holds in both.
    assert_eq!(
        kinds(api),
        [
            "dockerfile",
            "compose",
            "helm/production",
            "terraform",
            "bicep"
        ]
    );
    let unknown = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["graph", "examples/showcase", "--env", "staging"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("binary runs");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("environments: default, production"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}

#[test]
fn dockerfiles_link_to_ecs_tasks_and_cloud_run_services_by_image() {
    let g = graph("tests/graph/clouds");
    for (service, kind) in [
        ("aws_ecs_task_definition.api", "ECS task definition"),
        ("google_cloud_run_v2_service.web", "Cloud Run service"),
    ] {
        let s = service_with_layer(&g, kind);
        assert_eq!(kinds(s), ["dockerfile", "terraform"], "{service}: {s}");
        let reason = s["links"][0]["reason"].as_str().unwrap();
        assert!(reason.contains("built by Dockerfile"), "{reason}");
    }
}

/// The service holding a layer whose description names `what`.
fn service_with_layer<'a>(g: &'a serde_json::Value, what: &str) -> &'a serde_json::Value {
    g["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.to_string().contains(what))
        .unwrap_or_else(|| panic!("no service with {what}: {g}"))
}

/// Whether one of the service's links gives a reason containing `text`.
fn has_link(s: &serde_json::Value, text: &str) -> bool {
    s["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["reason"].as_str().unwrap().contains(text))
}

#[test]
fn an_image_is_built_by_its_own_project_when_it_has_a_builder() {
    // Projects a and b both build `shop/api`. a's manifest runs it: a's builder is the nearer
    // evidence. c's manifest runs it with no builder of its own: a and b are both candidates,
    // and nothing is guessed.
    let g = graph("tests/graph/builders");
    let web = service(&g, "web");
    assert_eq!(kinds(web), ["dockerfile", "compose", "kubernetes"], "{g}");
    assert!(
        has_link(web, "runs image `shop/api`, built by Compose service `web`"),
        "{web}"
    );
    let ambiguous = g["ambiguous"].as_array().unwrap();
    assert_eq!(ambiguous.len(), 1, "{g}");
    assert_eq!(
        ambiguous[0]["candidates"].as_array().unwrap().len(),
        2,
        "{g}"
    );
    assert_eq!(kinds(service(&g, "storefront")), ["kubernetes"], "{g}");
}

#[test]
fn one_repository_with_an_image_per_component_links_by_the_tag() {
    // `shop/demo` is built once per component, told apart by the tag (`latest-cart`,
    // `latest-ad`): the manifest running `2.0.0-cart` is the cart's; one running `2.0.0-web`,
    // a component nothing builds, stays ambiguous.
    let g = graph("tests/graph/components");
    let cart = service(&g, "cart");
    assert_eq!(kinds(cart), ["dockerfile", "compose", "kubernetes"], "{g}");
    assert!(has_link(cart, "tagged for `cart`"), "{cart}");
    let ambiguous = g["ambiguous"].as_array().unwrap();
    assert_eq!(ambiguous.len(), 1, "{g}");
    assert_eq!(kinds(service(&g, "storefront")), ["kubernetes"], "{g}");
}
