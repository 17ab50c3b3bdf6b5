//! What the links weigh: official images, image variants, agreeing or disagreeing images, and
//! the name a service is shown by.

use crate::model::layer::{Layer, LayerKind};

/// Docker Official Images that deployments run as published: a one-word image of one of these
/// names is the public image, not the project's own build.
pub(super) const OFFICIAL_IMAGES: &[&str] = &[
    "alpine",
    "busybox",
    "debian",
    "ubuntu",
    "centos",
    "fedora",
    "amazonlinux",
    "nginx",
    "httpd",
    "caddy",
    "traefik",
    "haproxy",
    "redis",
    "memcached",
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "cassandra",
    "couchdb",
    "elasticsearch",
    "kibana",
    "logstash",
    "rabbitmq",
    "zookeeper",
    "kafka",
    "nats",
    "consul",
    "vault",
    "registry",
    "python",
    "node",
    "golang",
    "openjdk",
    "eclipse-temurin",
    "ruby",
    "php",
    "wordpress",
    "ghost",
    "drupal",
    "nextcloud",
    "gitea",
    "jenkins",
    "sonarqube",
    "grafana",
    "prometheus",
    "influxdb",
    "telegraf",
    "solr",
    "neo4j",
    "adminer",
    "phpmyadmin",
    "mongo-express",
    "tomcat",
    "jetty",
];

/// A Dockerfile for a variant of an image (`Dockerfile.debug`, `Dockerfile.dev`).
pub(super) fn is_variant(l: &Layer) -> bool {
    l.kind == LayerKind::Dockerfile && crate::model::layers::is_variant_dockerfile(&l.at.file.path)
}

/// The image repository every layer of `group` runs, when they all run one (and say so).
pub(super) fn one_image(layers: &[Layer], group: &[usize]) -> Option<String> {
    let mut repo: Option<&str> = None;
    for g in group {
        let r = layers[*g].image.as_ref()?.value.repository.as_str();
        match repo {
            None => repo = Some(r),
            Some(x) if x == r => {}
            Some(_) => return None,
        }
    }
    repo.map(str::to_string)
}

/// Two layers whose images are both known and name different repositories (by last path
/// segment) are not the same service, whatever their names.
pub(super) fn images_disagree(a: &Layer, b: &Layer) -> bool {
    match (&a.image, &b.image) {
        (Some(x), Some(y)) => !x
            .value
            .last_segment()
            .eq_ignore_ascii_case(y.value.last_segment()),
        _ => false,
    }
}

/// A Compose service name, else a Kubernetes workload, else a Helm component, else any
/// deploy name (an azd service's among them), else the Dockerfile's.
pub(super) fn service_name(layers: &[Layer], members: &[usize]) -> String {
    for kind in [
        LayerKind::Compose,
        LayerKind::Kubernetes,
        LayerKind::Helm,
        LayerKind::Terraform,
        LayerKind::Bicep,
        LayerKind::Azd,
        LayerKind::Dockerfile,
    ] {
        if let Some(name) = members
            .iter()
            .map(|m| &layers[*m])
            .filter(|l| l.kind == kind)
            .find_map(|l| l.names.first())
        {
            return name.clone();
        }
    }
    "?".into()
}

/// Suffixes that say what kind of thing carries a name, not which service it is.
const KIND_SUFFIXES: &[&str] = &[
    "service",
    "svc",
    "deployment",
    "deploy",
    "server",
    "container",
    "app",
];

/// The name layers are compared by: lower-case, without separators (Helm `basket-data` is
/// Compose `basketdata`, `catalog.api` is `catalog-api`), and without a suffix that names a
/// kind of thing (`-service`, `-svc`, `-app`…) when at least three letters are left.
pub(super) fn name_key(name: &str) -> String {
    let key: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .collect::<String>()
        .to_ascii_lowercase();
    for suffix in KIND_SUFFIXES {
        if let Some(stem) = key.strip_suffix(suffix)
            && stem.len() >= 3
        {
            return stem.to_string();
        }
    }
    key
}

/// The name of `l` that gives `key`, as written.
pub(super) fn name_for<'a>(l: &'a Layer, key: &'a str) -> &'a str {
    l.names
        .iter()
        .find(|n| name_key(n) == key)
        .map_or(key, |n| n.as_str())
}

/// The component a tag names after its version (`cart` of `3.0.0-cart`, `latest-cart`,
/// `v2_cart`); `None` when the tag is a version alone or names nothing after one.
pub(super) fn component(tag: &str) -> Option<&str> {
    let (version, rest) = tag.split_once(['-', '_'])?;
    let v = version.strip_prefix(['v', 'V']).unwrap_or(version);
    let is_version = version.eq_ignore_ascii_case("latest")
        || (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    (is_version && !rest.is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_separators_and_kind_suffixes() {
        assert_eq!(name_key("basket-data"), name_key("basketdata"));
        assert_eq!(name_key("Catalog.API"), name_key("catalog-api"));
        assert_eq!(name_key("cart-service"), name_key("cart"));
        assert_eq!(name_key("redis-svc"), "redis");
        assert_eq!(name_key("app"), "app");
        assert_eq!(name_key("webapp"), "web");
        assert_ne!(name_key("basket-api"), name_key("basket-data"));
    }

    #[test]
    fn the_component_a_tag_names_after_its_version() {
        assert_eq!(component("3.0.0-cart"), Some("cart"));
        assert_eq!(component("latest-frontend-proxy"), Some("frontend-proxy"));
        assert_eq!(component("v2_cart"), Some("cart"));
        assert_eq!(component("1.2.3"), None);
        assert_eq!(component("latest"), None);
        assert_eq!(component("3.0.0-"), None);
        assert_eq!(component("alpine-3.18"), None);
        assert_eq!(component("stable-cart"), None);
    }
}
