//! Smoke test on real infrastructure code: `../shared/corpus` (public repositories, read in
//! place, never copied here). Every Dockerfile the corpus manifest lists must be found by
//! discovery, parse without error, and yield findings whose spans lie inside the file.
//! Skipped, with a note, when the corpus is not beside the checkout.

use std::collections::BTreeSet;
use std::path::PathBuf;

use plumbline::engine::{self, Options};

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

#[test]
fn corpus_dockerfiles_are_found_parsed_and_located() {
    let Some(dir) = corpus() else {
        eprintln!("../shared/corpus not present: corpus smoke test skipped");
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let expected: BTreeSet<String> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let path = cols.next()?;
            (cols.next()? == "dockerfile").then(|| path.to_string())
        })
        .collect();
    assert!(
        expected.len() > 100,
        "the manifest lists the corpus Dockerfiles"
    );

    let opts = Options {
        paths: vec![dir.clone()],
        excludes: vec![],
        enable: vec!["PIN005".into()],
        cwd: dir.clone(),
        report_unused_ignores: true,
        baseline: None,
        config: None,
        limits: Default::default(),
        graph_only: false,
        context: false,
        stdin: None,
    };
    let report = engine::check(&opts).unwrap();
    let errors: Vec<String> = report
        .errors
        .iter()
        .filter(|e| e.kind.fails())
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect();
    // The only corpus files that do not load are five archived Kubernetes examples that
    // really do repeat a key (`kubectl` refuses them too), a Terraform documentation snippet
    // that starts with a stray `=` (`terraform validate` refuses it too), and four Kustomize
    // roots whose generators read files the corpus does not keep (it keeps only YAML and
    // infrastructure files: no `.env`, no scripts); `kubectl kustomize` refuses them too.
    let expected_errors = [
        "Azure-Samples__aks-store-demo/kustomize/overlays/azd/ai-service/kustomization.yaml: loading KV pairs: env source files: [.env]: evalsymlink failure on 'Azure-Samples__aks-store-demo/kustomize/overlays/azd/ai-service/.env' : no such file or directory",
        "Azure-Samples__aks-store-demo/kustomize/overlays/azd/makeline-service/kustomization.yaml: loading KV pairs: env source files: [.env]: evalsymlink failure on 'Azure-Samples__aks-store-demo/kustomize/overlays/azd/makeline-service/.env' : no such file or directory",
        "Azure-Samples__aks-store-demo/kustomize/overlays/azd/order-service/kustomization.yaml: loading KV pairs: env source files: [.env]: evalsymlink failure on 'Azure-Samples__aks-store-demo/kustomize/overlays/azd/order-service/.env' : no such file or directory",
        "hashicorp__terraform-provider-kubernetes/examples/data-sources/service_v1/example_2.tf: HCL syntax error: unexpected token",
        "kubernetes__examples/_archived/openshift-origin/etcd-controller.yaml: duplicate key `selector` (first set on line 6)",
        "kubernetes__examples/_archived/openshift-origin/etcd-discovery-controller.yaml: duplicate key `selector` (first set on line 6)",
        "kubernetes__examples/_archived/openshift-origin/openshift-controller.yaml: duplicate key `selector` (first set on line 8)",
        "kubernetes__examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml: duplicate key `type` (first set on line 5)",
        "kubernetes__examples/_archived/volumes/scaleio/sc-pvc.yaml: duplicate key `storageClassName` (first set on line 6)",
        "stefanprodan__podinfo/deploy/bases/frontend/kustomization.yaml: loading KV pairs: file sources: [scripts/warm-cache.sh]: evalsymlink failure on 'stefanprodan__podinfo/deploy/bases/frontend/scripts/warm-cache.sh' : no such file or directory",
    ];
    assert_eq!(
        errors,
        expected_errors,
        "corpus files that did not load:\n{}",
        errors.join("\n")
    );

    let checked: BTreeSet<String> = report
        .findings
        .iter()
        .map(|f| f.location.file.display_path.clone())
        .collect();
    let dockerfiles: BTreeSet<String> = report
        .checked
        .iter()
        .filter(|(_, f)| *f == plumbline::source::Format::Dockerfile)
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(
        dockerfiles, expected,
        "discovery finds exactly the manifest's Dockerfiles"
    );
    assert!(checked.is_subset(&report.checked.iter().map(|(p, _)| p.clone()).collect()));

    for f in &report.findings {
        let file = &f.location.file;
        let span = f.location.span;
        assert!(
            span.start <= span.end && span.end <= file.text.len(),
            "{}: span out of range",
            f.rule.id
        );
        assert!(file.text.is_char_boundary(span.start) && file.text.is_char_boundary(span.end));
        assert!(!f.message.is_empty() && !f.fingerprint.is_empty());
    }
    let fingerprints: BTreeSet<&str> = report
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    assert_eq!(
        fingerprints.len(),
        report.findings.len(),
        "fingerprints are unique"
    );

    // The same input gives the same report.
    let again = engine::check(&opts).unwrap();
    let key = |r: &engine::Report| -> Vec<String> {
        r.findings
            .iter()
            .map(|f| {
                format!(
                    "{} {} {:?} {}",
                    f.rule.id, f.location.file.display_path, f.location.span, f.message
                )
            })
            .collect()
    };
    assert_eq!(key(&report), key(&again));
}

/// Every Compose file, Kubernetes manifest and Helm chart file the corpus manifest lists is
/// read as that format, except for the documented differences (values files that belong to
/// no chart are another tool's input to us, and are left alone).
#[test]
fn corpus_yaml_files_are_classified_as_the_manifest_says() {
    use plumbline::source::Format;
    let Some(dir) = corpus() else {
        eprintln!("../shared/corpus not present: corpus smoke test skipped");
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let opts = Options {
        paths: vec![dir.clone()],
        cwd: dir.clone(),
        ..Options::default()
    };
    let report = engine::check(&opts).unwrap();
    let ours: std::collections::BTreeMap<&str, Format> = report
        .checked
        .iter()
        .map(|(p, f)| (p.as_str(), *f))
        .collect();
    let mut wrong = Vec::new();
    let mut counted = std::collections::BTreeMap::<&str, (usize, usize)>::new();
    for line in manifest.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(path), Some(kind)) = (cols.next(), cols.next()) else {
            continue;
        };
        let want = match kind {
            "compose" => Format::Compose,
            "k8s" => Format::Kubernetes,
            "helm-chart" => Format::HelmChart,
            "helm-values" => Format::HelmValues,
            "helm-template" => Format::HelmTemplate,
            _ => continue,
        };
        let mut got = ours.get(path).copied();
        // Kustomizations are Kubernetes documents to the manifest, and their own format to us.
        if got == Some(Format::Kustomization) && want == Format::Kubernetes {
            got = Some(want);
        }
        let slot = counted.entry(kind).or_default();
        slot.0 += 1;
        if got == Some(want) {
            slot.1 += 1;
        } else {
            wrong.push(format!("{path}: manifest {kind}, read as {got:?}"));
        }
    }
    eprintln!("{counted:?}");
    // Values files outside any chart (e.g. `examples/*/values.yaml`, inputs for a chart that
    // lives elsewhere) are not ours to judge on their own.
    wrong.retain(|w| !(w.contains("manifest helm-values, read as None")));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every Terraform file the corpus manifest lists is read as Terraform and either parses or
/// gives a located error; only the one snippet that is really broken does not parse, and the
/// blocks after its error are still read.
#[test]
fn corpus_terraform_files_parse_or_give_located_errors() {
    use plumbline::source::Format;
    let Some(dir) = corpus() else {
        eprintln!("../shared/corpus not present: corpus smoke test skipped");
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let opts = Options {
        paths: vec![dir.clone()],
        cwd: dir.clone(),
        ..Options::default()
    };
    let report = engine::check(&opts).unwrap();
    let ours: std::collections::BTreeMap<&str, Format> = report
        .checked
        .iter()
        .map(|(p, f)| (p.as_str(), *f))
        .collect();
    let mut listed = 0;
    for line in manifest.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(path), Some(kind)) = (cols.next(), cols.next()) else {
            continue;
        };
        let want = match kind {
            "terraform" => Format::Terraform,
            "tfvars" => Format::TerraformVars,
            _ => continue,
        };
        listed += 1;
        assert_eq!(ours.get(path).copied(), Some(want), "{path}");
    }
    assert_eq!(
        listed, 617,
        "the manifest lists 616 .tf files and one .tfvars"
    );
    let tf_errors: Vec<String> = report
        .errors
        .iter()
        .filter(|e| e.path.ends_with(".tf") || e.path.ends_with(".tfvars"))
        // Notes say which registry modules were not followed; they are not parse errors.
        .filter(|e| e.kind != plumbline::source::ErrorKind::Note)
        .map(|e| {
            let at = e
                .location
                .as_ref()
                .map(|(f, span)| f.line_col(span.start))
                .expect("a parse error is located");
            format!("{}:{}:{}: {}", e.path, at.line, at.column, e.message)
        })
        .collect();
    assert_eq!(
        tf_errors,
        [
            "hashicorp__terraform-provider-kubernetes/examples/data-sources/service_v1/example_2.tf:1:1: HCL syntax error: unexpected token"
        ]
    );
    // The resource after the broken block is still read (and checked).
    assert!(
        report
            .checked
            .iter()
            .any(|(p, _)| p.ends_with("service_v1/example_2.tf"))
    );
}
