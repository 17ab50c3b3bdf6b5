//! The Helm renderer on small charts written for each behaviour: values scoping, conditions
//! and tags, aliases, import-values, globals, archives, `.helmignore`, library charts,
//! diagnostics (missing dependencies, `required`, template errors that do not stop the rest),
//! provenance of rendered nodes and the (value, template) pairs, and hostile input.
//! `tests/helm_oracle.rs` compares whole charts with real Helm.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use plumbline::parse::yaml::Node;
use plumbline::render::helm::{self, EnvSpec, Options, RenderedEnv, SetValue};
use plumbline::render::{Environment, Severity};
use plumbline::source::files::DiskFiles;
use plumbline::source::{Format, Origin, SourceFile, Span};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn env(name: &str, values: &[&str]) -> EnvSpec {
    EnvSpec {
        environment: Environment {
            name: name.into(),
            production: false,
        },
        values: values.iter().map(PathBuf::from).collect(),
        set: Vec::new(),
        inline: Vec::new(),
    }
}

fn render(root: &Path, envs: &[EnvSpec]) -> helm::ChartRender {
    let files = DiskFiles::new(10 << 20, root);
    helm::render(&files, root, envs, &Options::default())
}

fn doc<'a>(env: &'a RenderedEnv, kind: &str, name: &str) -> &'a Node {
    env.documents
        .iter()
        .map(|d| &d.node)
        .find(|n| {
            n.get("kind").and_then(Node::as_str) == Some(kind)
                && n.at(&["metadata", "name"]).and_then(Node::as_str) == Some(name)
        })
        .unwrap_or_else(|| {
            panic!(
                "no {kind} {name} in {:?}",
                env.documents
                    .iter()
                    .map(|d| plumbline::render::kustomize::data(&d.node))
                    .collect::<Vec<_>>()
            )
        })
}

fn at(n: &Node) -> (String, usize, String) {
    let o = n.origin();
    let name = o
        .file
        .display_path
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    (name, o.start().line, o.text().to_string())
}

const CHART: &str = "apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: \"2.0\"\n";

#[test]
fn values_and_template_lines_are_the_origins() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("Chart.yaml", CHART),
            (
                "values.yaml",
                "image:\n  repository: nginx\n  tag: \"1.25\"\nreplicas: 2\nport: 8080\n",
            ),
            ("values-prod.yaml", "image:\n  tag: latest\n"),
            (
                "templates/_helpers.tpl",
                "{{- define \"web.image\" -}}\n{{ .repository }}:{{ .tag | default $.AppVersion }}\n{{- end -}}\n",
            ),
            (
                "templates/deploy.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n      containers:\n        - name: web\n          image: {{ include \"web.image\" .Values.image | quote }}\n          ports:\n            - containerPort: {{ .Values.port }}\n          securityContext:\n            runAsNonRoot: true\n",
            ),
        ],
    );
    let files = DiskFiles::new(10 << 20, d.path());
    let envs = helm::conventional_environments(&files, d.path());
    assert_eq!(envs.len(), 2);
    let r = helm::render(&files, d.path(), &envs, &Options::default());
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let default = &r.environments[0];
    assert!(default.diagnostics.is_empty(), "{:?}", default.diagnostics);
    let dep = doc(default, "Deployment", "release-name-web");
    let c = &dep
        .at(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0];
    // The image is repository:tag; the tag decides it, and points at values.yaml's tag.
    let image = c.get("image").unwrap();
    assert_eq!(image.as_str(), Some("nginx:1.25"));
    assert_eq!(at(image), ("values.yaml".into(), 3, "\"1.25\"".into()));
    // Numbers keep their rendered text and point at their values.
    let port = c.at(&["ports"]).unwrap().as_seq().unwrap()[0]
        .get("containerPort")
        .unwrap();
    assert_eq!(port.as_i64(), Some(8080));
    assert_eq!(at(port), ("values.yaml".into(), 5, "8080".into()));
    // A literal written by the template points at the template text.
    let non_root = c.at(&["securityContext", "runAsNonRoot"]).unwrap();
    assert_eq!(at(non_root), ("deploy.yaml".into(), 15, "true".into()));
    // A mapping points at where the template wrote its first key.
    let sc = c.get("securityContext").unwrap();
    assert_eq!(at(sc), ("deploy.yaml".into(), 15, "runAsNonRoot".into()));
    // The name mixes the release (no value origin) and template text.
    let name = dep.at(&["metadata", "name"]).unwrap();
    assert_eq!(
        name.origin().file.display_path.rsplit('/').next(),
        Some("deploy.yaml")
    );
    // (value, template) pairs: the tag was printed by the include action.
    let pair = default
        .written_by
        .iter()
        .find(|w| w.value.text() == "\"1.25\"")
        .expect("the tag's pair");
    assert!(
        pair.template.text().starts_with("{{ include \"web.image\""),
        "{}",
        pair.template.text()
    );
    // prod: the overlay's tag wins and is the origin.
    let prod = &r.environments[1];
    assert_eq!(prod.environment.name, "prod");
    let dep = doc(prod, "Deployment", "release-name-web");
    let c = &dep
        .at(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0];
    let image = c.get("image").unwrap();
    assert_eq!(image.as_str(), Some("nginx:latest"));
    assert_eq!(at(image), ("values-prod.yaml".into(), 2, "latest".into()));
    assert_eq!(prod.values_files.len(), 1);
}

#[test]
fn set_values_point_at_their_config_entry() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("Chart.yaml", CHART),
            ("values.yaml", "tag: \"1.0\"\n"),
            (
                "templates/cm.yaml",
                "kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  tag: {{ .Values.tag | quote }}\n",
            ),
        ],
    );
    let config = Arc::new(SourceFile::in_memory(
        ".plumbline.toml",
        Format::OtherYaml,
        "set = [\"tag=1.2.3\"]\n",
    ));
    let mut e = env("prod", &[]);
    e.set.push(SetValue {
        assignment: "tag=1.2.3".into(),
        at: Origin::new(&config, Span::new(12, 17)),
    });
    let r = render(d.path(), &[e]);
    let env = &r.environments[0];
    let tag = doc(env, "ConfigMap", "c").at(&["data", "tag"]).unwrap();
    assert_eq!(tag.as_str(), Some("1.2.3"));
    assert_eq!(tag.origin().file.display_path, ".plumbline.toml");
    assert_eq!(tag.origin().text(), "1.2.3");
}

const SUB: &str = "apiVersion: v2\nname: sub\nversion: 0.1.0\n";
const SUB_TEMPLATE: &str = "kind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\ndata:\n  own: {{ .Values.own | quote }}\n  global: {{ .Values.global.region | quote }}\n";

#[test]
fn subcharts_conditions_tags_aliases_and_globals() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 0.1.x\n    condition: sub.enabled\n  - name: sub\n    alias: other\n    version: \">=0.1.0\"\n    tags: [extras]\n  - name: fetched\n    version: 1.0.0\n    repository: https://charts.example.com\n",
            ),
            (
                "values.yaml",
                "global:\n  region: eu\nsub:\n  enabled: true\n  own: from-parent\ntags:\n  extras: false\n",
            ),
            ("charts/sub/Chart.yaml", SUB),
            (
                "charts/sub/values.yaml",
                "own: default\nglobal:\n  region: us\n  subOnly: x\n",
            ),
            ("charts/sub/templates/cm.yaml", SUB_TEMPLATE),
        ],
    );
    let r = render(d.path(), &[env("default", &[])]);
    // The dependency nobody vendored is noted at its entry.
    let missing: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::NotChecked)
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", r.diagnostics);
    assert!(missing[0].message.contains("fetched is not in charts/"));
    assert!(missing[0].at.text().starts_with("name: fetched"));
    let e = &r.environments[0];
    let cm = doc(e, "ConfigMap", "sub");
    assert_eq!(
        cm.at(&["data", "own"]).unwrap().as_str(),
        Some("from-parent")
    );
    // The parent's global wins over the subchart's own.
    assert_eq!(cm.at(&["data", "global"]).unwrap().as_str(), Some("eu"));
    // The alias is off by its tag.
    assert!(
        !e.documents
            .iter()
            .any(|d| d.node.at(&["metadata", "name"]).and_then(Node::as_str) == Some("other"))
    );
    // Tags on, condition off.
    let d2 = d.path().join("on.yaml");
    std::fs::write(&d2, "tags:\n  extras: true\nsub:\n  enabled: false\n").unwrap();
    let r = render(d.path(), &[env("on", &["on.yaml"])]);
    let e = &r.environments[0];
    let names: Vec<&str> = e
        .documents
        .iter()
        .filter_map(|d| d.node.at(&["metadata", "name"]).and_then(Node::as_str))
        .collect();
    assert_eq!(names, ["other"]);
    let other = doc(e, "ConfigMap", "other");
    assert_eq!(
        other.at(&["data", "own"]).unwrap().as_str(),
        Some("default")
    );
    // The subchart's default points at the subchart's values.yaml.
    let own = other.at(&["data", "own"]).unwrap();
    assert!(
        own.origin()
            .file
            .display_path
            .ends_with("charts/sub/values.yaml")
    );
}

/// A dependency that is not vendored is said once, at its `Chart.yaml` entry: the templates
/// that fail for want of it (its helpers, its values) are counted there, not reported one by
/// one, and the rest of the chart still renders. Without a missing dependency the same
/// failure is an error at its template line.
#[test]
fn templates_that_need_a_missing_dependency_are_counted_in_its_note() {
    let d = tempfile::tempdir().unwrap();
    let uses = "kind: ConfigMap\nmetadata:\n  name: {{ include \"common.names.fullname\" . }}\n";
    let values = "kind: ConfigMap\nmetadata:\n  name: db\ndata:\n  host: {{ .Values.postgresql.auth.host }}\n";
    write(
        d.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: common\n    version: 2.x.x\n    repository: oci://registry-1.docker.io/bitnamicharts\n",
            ),
            ("values.yaml", "image: app:1.0\n"),
            ("templates/uses-helper.yaml", uses),
            ("templates/uses-values.yaml", values),
            (
                "templates/own.yaml",
                "kind: ConfigMap\nmetadata:\n  name: own\n",
            ),
        ],
    );
    let r = render(d.path(), &[env("default", &[])]);
    let notes: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::NotChecked)
        .collect();
    assert_eq!(notes.len(), 1, "{:?}", r.diagnostics);
    assert!(
        notes[0].message.ends_with(
            "common is not in charts/ (helm dependency build fetches it); 2 template file(s) that need a chart not in charts/ were not rendered"
        ),
        "{}",
        notes[0].message
    );
    assert!(notes[0].at.text().starts_with("name: common"));
    let e = &r.environments[0];
    assert!(e.diagnostics.is_empty(), "{:?}", e.diagnostics);
    doc(e, "ConfigMap", "own");
    assert_eq!(e.documents.len(), 1);

    // Vendored (and empty of what is asked for), the same templates are errors at their lines.
    write(
        d.path(),
        &[(
            "charts/common/Chart.yaml",
            "apiVersion: v2\nname: common\nversion: 2.0.0\ntype: library\n",
        )],
    );
    let r = render(d.path(), &[env("default", &[])]);
    assert!(
        !r.diagnostics
            .iter()
            .any(|d| d.severity == Severity::NotChecked),
        "{:?}",
        r.diagnostics
    );
    let errors: Vec<(String, usize)> = r.environments[0]
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.at.file.display_path.clone(), d.at.start().line))
        .collect();
    assert_eq!(errors.len(), 2, "{:?}", r.environments[0].diagnostics);
    assert!(
        errors
            .iter()
            .any(|(f, l)| f.ends_with("uses-helper.yaml") && *l == 3)
    );
    assert!(
        errors
            .iter()
            .any(|(f, l)| f.ends_with("uses-values.yaml") && *l == 5)
    );
}

#[test]
fn import_values_both_forms() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n    import-values:\n      - data\n      - child: settings\n        parent: imported\n",
            ),
            ("values.yaml", "mine: 1\n"),
            ("charts/sub/Chart.yaml", SUB),
            (
                "charts/sub/values.yaml",
                "exports:\n  data:\n    fromExports: yes-it-is\nsettings:\n  level: 3\n",
            ),
            (
                "templates/cm.yaml",
                "kind: ConfigMap\nmetadata:\n  name: top\ndata:\n  a: {{ .Values.fromExports | quote }}\n  b: {{ .Values.imported.level | quote }}\n",
            ),
        ],
    );
    let r = render(d.path(), &[env("default", &[])]);
    let e = &r.environments[0];
    assert!(e.diagnostics.is_empty(), "{:?}", e.diagnostics);
    let cm = doc(e, "ConfigMap", "top");
    assert_eq!(cm.at(&["data", "a"]).unwrap().as_str(), Some("yes-it-is"));
    assert_eq!(cm.at(&["data", "b"]).unwrap().as_str(), Some("3"));
}

fn tgz(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_path(name).unwrap();
        h.set_cksum();
        b.append(&h, data.as_bytes()).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn archives_helmignore_library_charts_and_files() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n  - name: lib\n    version: 1.0.0\n",
            ),
            ("values.yaml", "sub:\n  own: via-archive\n"),
            (".helmignore", "*.bak\nsecret-notes/\n"),
            ("templates/old.yaml.bak", "{{ this does not parse"),
            ("templates/.hidden.yaml", "{{ nor this"),
            ("secret-notes/a.txt", "x"),
            ("config/app.conf", "listen 8080\n"),
            (
                "templates/cm.yaml",
                "kind: ConfigMap\nmetadata:\n  name: {{ include \"lib.name\" . }}\ndata:\n  conf: {{ .Files.Get \"config/app.conf\" | quote }}\n  files: {{ len (.Files.Glob \"**\") | quote }}\n",
            ),
            (
                "charts/lib/Chart.yaml",
                "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n",
            ),
            (
                "charts/lib/templates/_name.tpl",
                "{{- define \"lib.name\" -}}from-lib{{- end -}}",
            ),
            (
                "charts/lib/templates/ignored.yaml",
                "kind: ConfigMap\nmetadata:\n  name: never\n",
            ),
        ],
    );
    let archive = tgz(&[
        ("sub/Chart.yaml", SUB),
        ("sub/values.yaml", "own: default\n"),
        ("sub/templates/cm.yaml", SUB_TEMPLATE),
    ]);
    std::fs::write(d.path().join("charts/sub-0.1.0.tgz"), archive).unwrap();
    let r = render(d.path(), &[env("default", &[])]);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let e = &r.environments[0];
    assert!(e.diagnostics.is_empty(), "{:?}", e.diagnostics);
    let cm = doc(e, "ConfigMap", "from-lib");
    assert_eq!(
        cm.at(&["data", "conf"]).unwrap().as_str(),
        Some("listen 8080\n")
    );
    // .Files: config/app.conf and .helmignore; not the ignored ones, templates or Chart.yaml.
    assert_eq!(cm.at(&["data", "files"]).unwrap().as_str(), Some("2"));
    // The file's content points at the file.
    let conf = cm.at(&["data", "conf"]).unwrap();
    assert!(conf.origin().file.display_path.ends_with("config/app.conf"));
    // The subchart in the archive renders, its template a file inside the archive.
    let sub = e
        .documents
        .iter()
        .find(|d| d.node.at(&["metadata", "name"]).and_then(Node::as_str) == Some("sub"))
        .expect("the archive's subchart");
    assert!(
        sub.template
            .display_path
            .ends_with("charts/sub-0.1.0.tgz/templates/cm.yaml"),
        "{}",
        sub.template.display_path
    );
    assert_eq!(
        sub.node.at(&["data", "own"]).unwrap().as_str(),
        Some("via-archive")
    );
    assert_eq!(
        e.documents.len(),
        2,
        "the library's non-partial template is not rendered"
    );
}

#[test]
fn errors_are_located_and_the_rest_still_renders() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("Chart.yaml", CHART),
            ("values.yaml", "a: 1\n"),
            ("templates/bad.yaml", "kind: ConfigMap\n{{ if }}\n"),
            (
                "templates/fails.yaml",
                "kind: ConfigMap\nx: {{ fail \"no way\" }}\n",
            ),
            (
                "templates/needs.yaml",
                "{{ $_ := required \"password is required\" .Values.password }}\nkind: Secret\nmetadata:\n  name: s\ndata:\n  p: {{ .Values.password | b64enc | quote }}\n",
            ),
            (
                "templates/ok.yaml",
                "kind: ConfigMap\nmetadata:\n  name: ok\n",
            ),
            (
                "templates/notyaml.yaml",
                "kind: ConfigMap\nmetadata: [unclosed\n",
            ),
        ],
    );
    let r = render(d.path(), &[env("default", &[])]);
    let e = &r.environments[0];
    let by = |needle: &str| {
        e.diagnostics
            .iter()
            .find(|d| d.message.contains(needle))
            .unwrap_or_else(|| panic!("no diagnostic with {needle:?} in {:#?}", e.diagnostics))
    };
    let parse = by("parse error");
    assert_eq!(parse.severity, Severity::Error);
    assert_eq!(
        parse.at.file.display_path.rsplit('/').next(),
        Some("bad.yaml")
    );
    assert_eq!(parse.at.start().line, 2);
    let fail = by("no way");
    assert_eq!(fail.at.start().line, 2);
    let required = by("password is required");
    assert_eq!(required.severity, Severity::NotChecked);
    assert_eq!(required.at.start().line, 1);
    assert!(required.at.text().contains("required"));
    by("YAML parse error on web/templates/notyaml.yaml");
    // The others render; the required value is unknown, never a literal.
    doc(e, "ConfigMap", "ok");
    let s = doc(e, "Secret", "s");
    assert_eq!(
        s.at(&["data", "p"]).unwrap().as_str(),
        Some(helm::template::UNKNOWN_TEXT)
    );
}

#[test]
fn charts_helm_refuses_say_why() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[(
            "Chart.yaml",
            "apiVersion: v2\nname: x\nversion: not-semver\n",
        )],
    );
    let r = render(d.path(), &[env("default", &[])]);
    assert!(r.environments.is_empty());
    assert_eq!(r.diagnostics.len(), 1);
    assert!(
        r.diagnostics[0]
            .message
            .contains("version \"not-semver\" is invalid")
    );
    assert_eq!(r.diagnostics[0].at.text(), "not-semver");
    let r = render(&d.path().join("nowhere"), &[env("default", &[])]);
    assert!(r.diagnostics[0].message.contains("cannot read"));
}

#[test]
fn hostile_charts_end_with_a_diagnostic_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, w) in ["b", "c", "d", "e", "f", "g", "h"].iter().enumerate() {
        let prev = ["a", "b", "c", "d", "e", "f", "g"][i];
        bomb.push_str(&format!(
            "{w}: &{w} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
    }
    write(
        d.path(),
        &[
            ("Chart.yaml", CHART),
            ("values.yaml", &bomb),
            (
                "templates/loop.yaml",
                "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
            ),
            (
                "templates/big.yaml",
                "x: {{ range until 999999 }}{{ repeat 1000 \"x\" }}{{ end }}",
            ),
            (
                "templates/ok.yaml",
                "kind: ConfigMap\nmetadata:\n  name: ok\n",
            ),
        ],
    );
    let start = std::time::Instant::now();
    let r = render(d.path(), &[env("default", &[])]);
    assert!(start.elapsed().as_secs() < 60);
    let e = &r.environments[0];
    assert!(
        e.diagnostics.iter().any(|d| d.severity == Severity::Limit),
        "{:#?}",
        e.diagnostics
    );
}
