//! Compose projects as Compose runs them: the base file with its override files merged on
//! top (`docker compose -f base -f override`), variables interpolated from the `.env` beside
//! the base file. Every merged value keeps the file and span that set it, so a finding points
//! at the override that decided it.
//!
//! - [`merge`]: Compose's merge of files, and its normal form of short syntaxes;
//! - the typed reading of the merged document is [`crate::parse::compose`]'s.

pub mod merge;

pub use merge::Tags;

use std::sync::Arc;

use crate::parse::compose::{self, Project, Vars, dotenv};
use crate::parse::{ParseError, yaml};
use crate::source::SourceFile;

/// Builds a project from its base file and override files (in the order Compose applies
/// them), with the text of the `.env` beside the base file when there is one.
pub fn build(
    base: &(Arc<SourceFile>, Vec<yaml::Node>),
    overrides: &[(Arc<SourceFile>, Vec<yaml::Node>)],
    dotenv: Option<&str>,
    tags: &Tags,
) -> Project {
    let vars = dotenv.map(dotenv::parse);
    let mut project = build_tagged(base, overrides, vars.as_ref().unwrap_or(&Vars::new()), tags);
    project.dotenv = vars.is_some();
    project
}

/// [`build`] with the variables given (for tests, and for callers that read `.env`
/// themselves).
pub fn build_with(
    base: &(Arc<SourceFile>, Vec<yaml::Node>),
    overrides: &[(Arc<SourceFile>, Vec<yaml::Node>)],
    vars: &Vars,
) -> Project {
    build_tagged(base, overrides, vars, &Tags::default())
}

fn build_tagged(
    base: &(Arc<SourceFile>, Vec<yaml::Node>),
    overrides: &[(Arc<SourceFile>, Vec<yaml::Node>)],
    vars: &Vars,
    tags: &Tags,
) -> Project {
    let mut errors: Vec<(Arc<SourceFile>, ParseError)> = Vec::new();
    let mut error = |node: &yaml::Node, message: String| {
        errors.push((Arc::clone(&node.file), ParseError::new(message, node.span)));
    };
    let mut files = vec![Arc::clone(&base.0)];
    let mut merged: Option<yaml::Node> = None;
    for (file, docs) in std::iter::once(base).chain(overrides) {
        if file.path != base.0.path {
            files.push(Arc::clone(file));
        }
        // A Compose file is one document; an empty one (only comments) adds nothing.
        let Some(doc) = docs.first() else { continue };
        if doc.as_map().is_none() {
            error(
                doc,
                "a Compose file must be a mapping with `services:`".to_string(),
            );
            continue;
        }
        if let Some(services) = doc.get("services")
            && !services.is_null()
            && services.as_map().is_none()
        {
            error(
                services,
                "`services` must be a mapping of service names to services".to_string(),
            );
            continue;
        }
        let doc = merge::normalize(doc);
        merged = Some(match merged {
            Some(m) => merge::merge(&m, &doc, &[], tags),
            None => doc,
        });
    }
    compose::read(files, merged.as_ref(), vars, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::compose::*;
    use crate::source::Format;

    fn file(name: &str, text: &str) -> (Arc<SourceFile>, Vec<yaml::Node>) {
        let f = Arc::new(SourceFile::in_memory(name, Format::Compose, text));
        let s = yaml::load(&f);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        (f, s.docs)
    }

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect()
    }

    fn project(text: &str) -> Project {
        build_with(&file("compose.yaml", text), &[], &Vars::new())
    }

    #[test]
    fn reads_services_and_ignores_what_needs_no_reading() {
        let p = project(
            "version: '3.8'\nname: demo\nx-common: &c\n  restart: always\nnetworks: {a: {}}\nvolumes: {v: {}}\nsecrets: {s: {file: ./s}}\nservices:\n  web:\n    <<: *c\n    image: nginx:1.27\n    user: \"1000:1000\"\n    privileged: true\n    read_only: true\n    cap_add: [NET_ADMIN]\n    profiles: [debug]\n    env_file: .env.web\n    secrets: [s, {source: t, target: /run/t}]\n    x-extra: 1\n",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let web = p.service("web").unwrap();
        assert_eq!(web.image.as_ref().unwrap().value(), Some("nginx:1.27"));
        assert_eq!(web.user.as_ref().unwrap().value(), Some("1000:1000"));
        assert_eq!(web.privileged.as_ref().unwrap().as_bool(), Some(true));
        assert_eq!(web.read_only.as_ref().unwrap().as_bool(), Some(true));
        assert_eq!(web.cap_add[0].raw, "NET_ADMIN");
        assert_eq!(web.profiles[0].raw, "debug");
        assert_eq!(web.env_file[0].raw, ".env.web");
        let secrets: Vec<_> = web.secrets.iter().map(|s| s.raw.as_str()).collect();
        assert_eq!(secrets, ["s", "t"]);
        assert_eq!(web.name.at.text(), "web");
    }

    #[test]
    fn files_without_services_are_empty_projects() {
        let (f, docs) = file("compose.extras.yaml", "# only a comment\n");
        let p = build_with(&(f, docs), &[], &Vars::new());
        assert!(p.services.is_empty() && p.errors.is_empty());
        let p = project("version: '3'\nservices:\n");
        assert!(p.services.is_empty() && p.errors.is_empty());
    }

    #[test]
    fn bad_structure_is_located() {
        let p = project("- a\n- b\n");
        assert_eq!(p.errors.len(), 1);
        let p = project("services: [a]\n");
        assert_eq!(p.errors.len(), 1);
        let text = "services:\n  web: nginx\n";
        let p = project(text);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(&text[p.errors[0].span.start..p.errors[0].span.end], "nginx");
    }

    #[test]
    fn ports_in_every_form() {
        let p = project(
            "services:\n  web:\n    image: x:1\n    ports:\n      - 80\n      - \"8080:80\"\n      - 127.0.0.1:8081:81\n      - \"[::1]:8082:82\"\n      - 8000-8010:8000-8010\n      - 53:53/udp\n      - target: 90\n        published: \"9090\"\n        host_ip: 0.0.0.0\n        protocol: UDP\n      - target: 91\n    expose: [3000, \"4000-4002\", 5000/udp]\n",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let web = p.service("web").unwrap();
        assert!(web.ports_known);
        let got: Vec<String> = web
            .ports
            .iter()
            .map(|p| {
                format!(
                    "{}|{}|{}/{}",
                    p.host_ip.clone().unwrap_or_default(),
                    p.host.map(|h| h.to_string()).unwrap_or_default(),
                    p.container,
                    p.protocol
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                "||80/tcp",
                "|8080|80/tcp",
                "127.0.0.1|8081|81/tcp",
                "::1|8082|82/tcp",
                "|8000-8010|8000-8010/tcp",
                "|53|53/udp",
                "0.0.0.0|9090|90/udp",
                "||91/tcp",
            ]
        );
        let exposed: Vec<String> = web
            .expose
            .iter()
            .map(|e| format!("{}/{}", e.ports, e.protocol))
            .collect();
        assert_eq!(exposed, ["3000/tcp", "4000-4002/tcp", "5000/udp"]);
    }

    #[test]
    fn bad_ports_are_located_errors() {
        let text = "services:\n  web:\n    ports:\n      - \"80:abc\"\n      - target: 0\n      - published: 80\n    expose: [\"x\"]\n";
        let p = project(text);
        let at: Vec<&str> = p
            .errors
            .iter()
            .map(|e| &text[e.span.start..e.span.end])
            .collect();
        assert_eq!(at, ["\"80:abc\"", "0", "published: 80", "\"x\""]);
        assert!(!p.service("web").unwrap().ports_known);
    }

    #[test]
    fn unresolved_ports_are_unknown_not_errors() {
        let (f, d) = file(
            "compose.yaml",
            "services:\n  web:\n    ports: [\"${PORT}\", \"${HOST_PORT}:80\", \"${P2:-81}\"]\n",
        );
        let p = build_with(&(f, d), &[], &vars(&[("HOST_PORT", "8080")]));
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let web = p.service("web").unwrap();
        assert!(!web.ports_known);
        assert_eq!(web.ports.len(), 2);
        assert_eq!(web.ports[0].host, Some(PortRange::single(8080)));
        assert_eq!(web.ports[1].container, PortRange::single(81));
    }

    #[test]
    fn interpolation_keeps_raw_and_resolved_text() {
        let text = "services:\n  web:\n    image: \"nginx:${TAG}\"\n    user: ${RUN_AS:-root}\n    command: echo $$HOME\n    environment:\n      A: ${NOPE}\n      B: ${NOPE:-lit}\n";
        let (f, d) = file("compose.yaml", text);
        let p = build_with(&(f, d), &[], &vars(&[("TAG", "latest")]));
        let web = p.service("web").unwrap();
        let image = web.image.as_ref().unwrap();
        assert_eq!(
            (image.raw.as_str(), image.value()),
            ("nginx:${TAG}", Some("nginx:latest"))
        );
        assert_eq!(image.from_dotenv, ["TAG"]);
        let user = web.user.as_ref().unwrap();
        assert_eq!(user.value(), Some("root"));
        assert_eq!(user.defaults[0].text(), "root");
        assert_eq!(web.environment[0].value.as_ref().unwrap().value(), None);
        assert_eq!(
            web.environment[1].value.as_ref().unwrap().defaults[0].text(),
            "lit"
        );
        let text = "services:\n  web:\n    image: \"${TAG\"\n";
        let p = project(text);
        assert_eq!(p.errors.len(), 1);
        assert!(
            p.errors[0].message.contains("interpolation"),
            "{}",
            p.errors[0].message
        );
    }

    #[test]
    fn environment_and_args_in_both_forms_point_at_their_parts() {
        let text = "services:\n  web:\n    build:\n      context: .\n      args:\n        - VERSION=1.2\n        - \"TOKEN=abc\"\n    environment:\n      - PASSWORD=s3cret\n      - PASSTHROUGH\n";
        let p = project(text);
        let web = p.service("web").unwrap();
        let env = &web.environment;
        assert_eq!(env[0].name.at.text(), "PASSWORD");
        assert_eq!(env[0].value.as_ref().unwrap().at.text(), "s3cret");
        assert!(env[1].value.is_none());
        let args = &web.build.as_ref().unwrap().args;
        assert_eq!(args[1].value.as_ref().unwrap().at.text(), "abc");
        assert_eq!(
            web.build.as_ref().unwrap().context.as_ref().unwrap().raw,
            "."
        );
    }

    #[test]
    fn healthchecks_and_dependencies() {
        let p = project(
            "services:\n  a:\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8080\"]\n    depends_on: [b, c]\n  b:\n    healthcheck:\n      test: curl -f http://localhost\n    depends_on:\n      c:\n        condition: service_healthy\n  c:\n    healthcheck:\n      test: [\"NONE\"]\n  d:\n    healthcheck:\n      disable: true\n  e:\n    healthcheck:\n      interval: 5s\n  f:\n    healthcheck:\n      test: [\"CMD-SHELL\", \"nc -z localhost 80\"]\n",
        );
        let hc = |n: &str| p.service(n).unwrap().healthcheck.clone().unwrap();
        assert!(matches!(&hc("a").test, HealthTest::Exec(w) if w.len() == 3));
        assert!(matches!(&hc("b").test, HealthTest::Shell(s) if s.raw.starts_with("curl")));
        assert!(hc("c").disabled && matches!(hc("c").test, HealthTest::None));
        assert!(hc("d").disabled);
        assert!(matches!(hc("e").test, HealthTest::Inherit) && !hc("e").disabled);
        assert!(matches!(&hc("f").test, HealthTest::Shell(_)));
        let deps: Vec<_> = p
            .service("a")
            .unwrap()
            .depends_on
            .iter()
            .map(|d| d.service.value.as_str())
            .collect();
        assert_eq!(deps, ["b", "c"]);
        let b = &p.service("b").unwrap().depends_on[0];
        assert_eq!(b.condition.as_ref().unwrap().raw, "service_healthy");
    }

    #[test]
    fn resources_from_deploy_or_legacy_keys() {
        let p = project(
            "services:\n  a:\n    deploy:\n      resources:\n        limits: {cpus: '0.5', memory: 512M}\n        reservations: {memory: 128M}\n    mem_limit: 1g\n  b:\n    mem_limit: 1g\n    cpus: 2\n    mem_reservation: 256m\n",
        );
        let a = &p.service("a").unwrap().resources;
        assert_eq!(a.limit_memory.as_ref().unwrap().raw, "512M");
        assert_eq!(a.limit_cpus.as_ref().unwrap().raw, "0.5");
        assert_eq!(a.reserve_memory.as_ref().unwrap().raw, "128M");
        let b = &p.service("b").unwrap().resources;
        assert_eq!(b.limit_memory.as_ref().unwrap().raw, "1g");
        assert_eq!(b.limit_cpus.as_ref().unwrap().raw, "2");
        assert_eq!(b.reserve_memory.as_ref().unwrap().raw, "256m");
    }

    #[test]
    fn overrides_merge_as_compose_does() {
        let base = file(
            "compose.yaml",
            "services:\n  web:\n    image: app:1\n    command: [a, b]\n    ports: [\"80:80\", \"443:443\"]\n    environment:\n      - A=1\n      - B=2\n    healthcheck:\n      test: [CMD, curl, http://localhost:80]\n      interval: 5s\n    cap_add: [CHOWN]\n",
        );
        let over = file(
            "compose.override.yaml",
            "services:\n  web:\n    image: app:latest\n    command: [c]\n    ports: [\"443:443\", \"8080:8080\"]\n    environment:\n      B: 3\n      C: 4\n    healthcheck:\n      test: [CMD, curl, http://localhost:8080]\n    cap_add: [NET_ADMIN]\n  worker:\n    image: w:1\n",
        );
        let p = build_with(&base, std::slice::from_ref(&over), &Vars::new());
        assert!(p.errors.is_empty() && p.override_errors.is_empty());
        assert_eq!(p.files.len(), 2);
        let web = p.service("web").unwrap();
        let image = web.image.as_ref().unwrap();
        assert_eq!(image.raw, "app:latest");
        assert_eq!(image.at.file.display_path, "compose.override.yaml");
        let ports: Vec<_> = web
            .ports
            .iter()
            .map(|p| (p.container.start, p.at.file.display_path.as_str()))
            .collect();
        assert_eq!(
            ports,
            [
                (80, "compose.yaml"),
                (443, "compose.override.yaml"),
                (8080, "compose.override.yaml")
            ]
        );
        let env: Vec<_> = web
            .environment
            .iter()
            .map(|e| {
                (
                    e.name.value.as_str(),
                    e.value.as_ref().unwrap().raw.as_str(),
                )
            })
            .collect();
        assert_eq!(env, [("A", "1"), ("B", "3"), ("C", "4")]);
        let HealthTest::Exec(words) = &web.healthcheck.as_ref().unwrap().test else {
            panic!("exec test expected")
        };
        assert_eq!(words.len(), 2);
        assert_eq!(words[1].raw, "http://localhost:8080");
        let caps: Vec<_> = web.cap_add.iter().map(|c| c.raw.as_str()).collect();
        assert_eq!(caps, ["CHOWN", "NET_ADMIN"]);
        assert!(p.service("worker").is_some());
        // The service keeps its base key.
        assert_eq!(web.name.at.file.display_path, "compose.yaml");
    }

    #[test]
    fn override_errors_stay_with_the_override() {
        let base = file("compose.yaml", "services:\n  web:\n    image: a:1\n");
        let over = file(
            "compose.override.yaml",
            "services:\n  web:\n    ports: [\"x:1\"]\n",
        );
        let p = build_with(&base, &[over], &Vars::new());
        assert!(p.errors.is_empty());
        assert_eq!(p.override_errors.len(), 1);
        assert_eq!(p.override_errors[0].0.display_path, "compose.override.yaml");
    }

    #[test]
    fn reads_dotenv_beside_the_base_file() {
        let text = "services:\n  web:\n    image: app:${TAG}\n";
        let f = Arc::new(SourceFile::in_memory("compose.yaml", Format::Compose, text));
        let docs = yaml::load(&f).docs;
        let p = build(&(f, docs), &[], Some("TAG=2.0\n"), &Tags::default());
        assert!(p.dotenv);
        assert_eq!(
            p.services[0].image.as_ref().unwrap().value(),
            Some("app:2.0")
        );
    }

    #[test]
    fn every_prefix_builds_without_panic() {
        let text = "x-a: &a\n  cpus: \"0.5\"\nservices:\n  web:\n    <<: *a\n    image: \"app:${TAG:-1}\"\n    ports: [\"127.0.0.1:80:80/udp\", {target: 90, published: \"${P:-9}\"}]\n    expose: [\"3000-3001\"]\n    environment: [\"A=${B:?x}\", C]\n    healthcheck: {test: [CMD, curl, \"http://localhost:80\"], disable: false}\n    depends_on: {db: {condition: service_healthy}}\n    build: {context: ., args: [X=1]}\n";
        for i in 0..=text.len() {
            let f = Arc::new(SourceFile::in_memory(
                "compose.yaml",
                Format::Compose,
                &text[..i],
            ));
            let docs = yaml::load(&f).docs;
            let p = build_with(&(Arc::clone(&f), docs.clone()), &[(f, docs)], &Vars::new());
            for e in &p.errors {
                assert!(e.span.end <= i);
            }
        }
    }
}
