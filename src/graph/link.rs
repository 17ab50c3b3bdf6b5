//! Which layers are the same service, and why. Evidence, strongest first:
//!
//! 1. a Helm component is the same service in every environment of its chart;
//! 2. a Compose `build:` names the Dockerfile it builds;
//! 3. an image's repository path (`shop/api`, registry and tag left out) names what builds
//!    it: a Compose service that builds and tags that image, or else a Dockerfile whose path
//!    gives that name (`services/api/Dockerfile`, `Dockerfile.api`, `api.Dockerfile`);
//! 4. equal names (Compose service, Kubernetes container or workload, Helm component,
//!    Terraform container) in different kinds of layer, when their images do not say
//!    otherwise.
//!
//! Never a guess: when the evidence names two candidates that are not already one service,
//! neither link is made and the ambiguity is recorded for `plumbline graph` to show.
//!
//! Explicit links in `.plumbline.toml` (`[services.api] dockerfile = …, images = […]`) come
//! before all of these and win: layers they name are one service, layers of two explicit
//! services are never joined, and `not = [names]` forbids joining layers of those names.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::graph::model::{Ambiguity, Graph, Link, Service};
use crate::model::layer::{Layer, LayerKind};
use crate::source::absolute;
use crate::source::normalize;

/// A service stated in `.plumbline.toml`, with paths made absolute.
#[derive(Debug, Clone, Default)]
pub struct Explicit {
    pub name: String,
    /// The config file, for the link's reason.
    pub config: String,
    pub dockerfile: Option<std::path::PathBuf>,
    /// Repository paths (`shop/api`).
    pub images: Vec<String>,
    pub compose: Option<String>,
    pub helm: Option<String>,
    pub kubernetes: Vec<String>,
    pub terraform: Vec<String>,
    pub not: Vec<String>,
}

impl Explicit {
    fn matches(&self, l: &Layer) -> bool {
        let named = |kind: LayerKind, names: &[String]| {
            l.kind == kind
                && names
                    .iter()
                    .any(|n| l.names.contains(&n.to_ascii_lowercase()))
        };
        (l.kind == LayerKind::Dockerfile
            && self
                .dockerfile
                .as_ref()
                .is_some_and(|d| normalize(&absolute(&l.at.file.path)) == *d))
            || l.image
                .as_ref()
                .is_some_and(|i| self.images.contains(&i.value.repository))
            || named(LayerKind::Compose, self.compose.as_slice())
            || named(LayerKind::Helm, self.helm.as_slice())
            || named(LayerKind::Kubernetes, &self.kubernetes)
            || named(LayerKind::Terraform, &self.terraform)
    }
}

/// Union-find over layers, recording the reason of each union that joined two sets, and
/// refusing unions the explicit services forbid.
struct Sets {
    parent: Vec<usize>,
    links: Vec<Link>,
    /// The explicit service each layer was named by.
    owner: Vec<Option<usize>>,
    /// Per explicit service: the names it must never be joined with.
    forbid: Vec<Vec<String>>,
    /// Names of each layer.
    names: Vec<Vec<String>>,
}

impl Sets {
    fn new(layers: &[Layer]) -> Self {
        let n = layers.len();
        Sets {
            parent: (0..n).collect(),
            links: Vec::new(),
            owner: vec![None; n],
            forbid: Vec::new(),
            names: layers.iter().map(|l| l.names.clone()).collect(),
        }
    }

    /// Whether joining the sets of `a` and `b` is forbidden by an explicit service.
    fn forbidden(&mut self, a: usize, b: usize) -> bool {
        if self.forbid.is_empty() {
            return false;
        }
        let (ra, rb) = (self.root(a), self.root(b));
        let members = |sets: &mut Sets, r: usize| -> Vec<usize> {
            (0..sets.parent.len())
                .filter(|i| sets.root(*i) == r)
                .collect()
        };
        let (ma, mb) = (members(self, ra), members(self, rb));
        let owners = |m: &[usize], sets: &Sets| -> Vec<usize> {
            m.iter().filter_map(|i| sets.owner[*i]).collect()
        };
        let (oa, ob) = (owners(&ma, self), owners(&mb, self));
        if oa.iter().any(|x| ob.iter().any(|y| x != y)) {
            return true;
        }
        let clashes = |own: &[usize], other: &[usize], sets: &Sets| {
            own.iter().any(|o| {
                other
                    .iter()
                    .any(|m| sets.names[*m].iter().any(|n| sets.forbid[*o].contains(n)))
            })
        };
        clashes(&oa, &mb, self) || clashes(&ob, &ma, self)
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize, reason: String) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb && !self.forbidden(a, b) {
            self.parent[ra.max(rb)] = ra.min(rb);
            self.links.push(Link { a, b, reason });
        }
    }

    /// The distinct sets among `candidates`, one representative each.
    fn distinct(&mut self, candidates: &[usize]) -> Vec<usize> {
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for c in candidates {
            let r = self.root(*c);
            if !seen.iter().any(|(root, _)| *root == r) {
                seen.push((r, *c));
            }
        }
        seen.into_iter().map(|(_, c)| c).collect()
    }
}

/// Links the layers into services.
pub fn link(layers: Vec<Layer>, explicit: &[Explicit], projects: &[(PathBuf, bool)]) -> Graph {
    let n = layers.len();
    let mut sets = Sets::new(&layers);
    let mut ambiguous = Vec::new();

    // 0. Explicit services from `.plumbline.toml`.
    for (e, svc) in explicit.iter().enumerate() {
        sets.forbid
            .push(svc.not.iter().map(|x| x.to_ascii_lowercase()).collect());
        let matched: Vec<usize> = (0..n).filter(|i| svc.matches(&layers[*i])).collect();
        for m in &matched {
            if sets.owner[*m].is_none() {
                sets.owner[*m] = Some(e);
            }
        }
        for w in matched.windows(2) {
            sets.join(
                w[0],
                w[1],
                format!("[services.{}] in {} names both", svc.name, svc.config),
            );
        }
    }

    // 1. A Helm container across its chart's environments.
    let mut by_origin: BTreeMap<(String, usize, usize, Vec<String>), Vec<usize>> = BTreeMap::new();
    for (i, l) in layers.iter().enumerate() {
        if l.kind == LayerKind::Helm {
            by_origin
                .entry((
                    l.at.file.display_path.clone(),
                    l.at.span.start,
                    l.at.span.end,
                    l.names.clone(),
                ))
                .or_default()
                .push(i);
        }
    }
    for group in by_origin.values() {
        for w in group.windows(2) {
            let name = layers[w[0]].names.first().cloned().unwrap_or_default();
            sets.join(
                w[0],
                w[1],
                format!(
                    "the same Helm container `{name}` in environments {} and {}",
                    layers[w[0]].environment.as_deref().unwrap_or("default"),
                    layers[w[1]].environment.as_deref().unwrap_or("default")
                ),
            );
        }
    }

    // 2. Compose `build:` → the Dockerfile.
    let dockerfiles: Vec<usize> = (0..n)
        .filter(|i| layers[*i].kind == LayerKind::Dockerfile)
        .collect();
    let by_path: HashMap<PathBuf, usize> = dockerfiles
        .iter()
        .rev()
        .map(|d| (normalize(&layers[*d].at.file.path), *d))
        .collect();
    for (i, l) in layers.iter().enumerate() {
        let Some(builds) = &l.builds else { continue };
        if let Some(d) = by_path.get(&builds.value) {
            sets.join(
                i,
                *d,
                format!(
                    "{} builds {} (`build:` in {})",
                    l.label, layers[*d].at.file.display_path, builds.at.file.display_path
                ),
            );
        }
    }

    // 3. An image's repository → what builds it. Indexed by name, so a monorepo's thousands
    // of layers are not each compared with every other.
    let mut builders_by_repo: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut compose_builders_by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (b, l) in layers.iter().enumerate() {
        if l.builds.is_none() {
            continue;
        }
        if let Some(image) = &l.image {
            builders_by_repo
                .entry(image.value.repository.as_str())
                .or_default()
                .push(b);
        }
        if l.kind == LayerKind::Compose {
            for name in &l.names {
                compose_builders_by_name
                    .entry(name.as_str())
                    .or_default()
                    .push(b);
            }
        }
    }
    let mut dockerfiles_by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for d in &dockerfiles {
        for name in &layers[*d].names {
            dockerfiles_by_name
                .entry(name.as_str())
                .or_default()
                .push(*d);
        }
    }
    for (i, l) in layers.iter().enumerate() {
        if !l.kind.deploys() || l.builds.is_some() {
            continue;
        }
        let Some(image) = &l.image else { continue };
        let by_tag: Vec<usize> = builders_by_repo
            .get(image.value.repository.as_str())
            .cloned()
            .unwrap_or_default();
        let name = image.value.last_segment().to_ascii_lowercase();
        // A one-word image names a Dockerfile of this project only, and never when it is a
        // Docker Official Image (`redis:7.2` is the public Redis, whatever `redis/Dockerfile`
        // in the repository builds).
        let one_word = !image.value.repository.contains('/');
        let by_path: Vec<usize> = if one_word && OFFICIAL_IMAGES.contains(&name.as_str()) {
            Vec::new()
        } else {
            dockerfiles_by_name
                .get(name.as_str())
                .into_iter()
                .flatten()
                .copied()
                .filter(|d| !one_word || projects[*d].0 == projects[i].0)
                .collect()
        };
        // Compose tags what it builds `<project>-<service>` (`<project>_<service>` before
        // Compose v2): `examplevotingapp_vote` is service `vote`'s image.
        let by_compose_name: Vec<usize> = match name.rfind(['_', '-']) {
            Some(pos) if pos + 1 < name.len() => compose_builders_by_name
                .get(&name[pos + 1..])
                .into_iter()
                .flatten()
                .copied()
                .filter(|b| projects[*b].0 == projects[i].0)
                .collect(),
            _ => Vec::new(),
        };
        let (candidates, how) = if !by_tag.is_empty() {
            (by_tag, "Compose service that builds it")
        } else if !by_path.is_empty() {
            (by_path, "Dockerfile whose path names it")
        } else {
            (
                by_compose_name,
                "Compose service whose default image name it is",
            )
        };
        let mut distinct = sets.distinct(&candidates);
        // `Dockerfile` beside `Dockerfile.debug`: the variant is not what is deployed.
        if distinct.len() > 1 {
            let main: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|c| !is_variant(&layers[*c]))
                .collect();
            let main = sets.distinct(&main);
            if main.len() == 1 {
                distinct = main;
            }
        }
        match distinct.as_slice() {
            [] => {}
            [one] => sets.join(
                i,
                *one,
                format!(
                    "{} runs image `{}`, built by {}",
                    l.title(),
                    image.value.repository,
                    layers[*one].title()
                ),
            ),
            many => ambiguous.push(Ambiguity {
                layer: i,
                candidates: many.to_vec(),
                reason: format!(
                    "image `{}` matches more than one {how}",
                    image.value.repository
                ),
            }),
        }
    }

    // 4. Equal names across kinds of deploy layer, images permitting, within one project.
    let mut by_name: BTreeMap<(&Path, &str), Vec<usize>> = BTreeMap::new();
    for (i, l) in layers.iter().enumerate() {
        // Layers an explicit service names are settled.
        if l.kind.deploys() && sets.owner[i].is_none() {
            for name in &l.names {
                by_name
                    .entry((projects[i].0.as_path(), name.as_str()))
                    .or_default()
                    .push(i);
            }
        }
    }
    for ((_, name), members) in by_name {
        let mut kinds: BTreeMap<LayerKind, Vec<usize>> = BTreeMap::new();
        for m in members {
            kinds.entry(layers[m].kind).or_default().push(m);
        }
        if kinds.len() < 2 {
            continue;
        }
        // One representative per kind, or none when a kind has several unrelated layers of
        // that name.
        let mut reps: Vec<usize> = Vec::new();
        let mut unclear: Vec<Vec<usize>> = Vec::new();
        for group in kinds.values() {
            let distinct = sets.distinct(group);
            if distinct.len() == 1 {
                reps.push(distinct[0]);
            } else if let Some(repo) =
                one_image(&layers, group).filter(|_| group.iter().all(|g| projects[*g].1))
            {
                // Alternative files of one project (`docker-compose.yml` and
                // `docker-compose.images.yml`) declaring the same name with the same image;
                // only where the project is marked (a repository or a Compose root), not
                // across whatever unrelated trees sit below a scan root.
                for w in distinct.windows(2) {
                    sets.join(
                        w[0],
                        w[1],
                        format!(
                            "{} and {} are both named `{name}` and both run `{repo}`",
                            layers[w[0]].title(),
                            layers[w[1]].title()
                        ),
                    );
                }
                reps.push(distinct[0]);
            } else {
                unclear.push(distinct);
            }
        }
        for group in &unclear {
            for r in &reps {
                if !images_disagree(&layers[*r], &layers[group[0]]) {
                    ambiguous.push(Ambiguity {
                        layer: *r,
                        candidates: group.clone(),
                        reason: format!(
                            "several {} layers are named `{name}`",
                            layers[group[0]].kind.as_str()
                        ),
                    });
                }
            }
        }
        for w in 0..reps.len() {
            for v in (w + 1)..reps.len() {
                let (a, b) = (reps[w], reps[v]);
                if !images_disagree(&layers[a], &layers[b]) {
                    sets.join(
                        a,
                        b,
                        format!(
                            "{} and {} are both named `{name}`",
                            layers[a].title(),
                            layers[b].title()
                        ),
                    );
                }
            }
        }
    }

    // Services: the sets, in order of their first layer.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let r = sets.root(i);
        groups.entry(r).or_default().push(i);
    }
    let mut services: Vec<Service> = groups
        .into_values()
        .map(|mut members| {
            members.sort_by_key(|m| (layers[*m].kind, *m));
            Service {
                name: service_name(&layers, &members),
                layers: members,
            }
        })
        .collect();
    services.sort_by(|a, b| a.name.cmp(&b.name).then(a.layers.cmp(&b.layers)));
    Graph {
        layers,
        services,
        links: sets.links,
        ambiguous,
    }
}

/// Docker Official Images that deployments run as published: a one-word image of one of these
/// names is the public image, not the project's own build.
const OFFICIAL_IMAGES: &[&str] = &[
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
fn is_variant(l: &Layer) -> bool {
    l.kind == LayerKind::Dockerfile
        && l.at
            .file
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| {
                let n = n.to_ascii_lowercase();
                ["dockerfile.", "containerfile."].iter().any(|b| {
                    n.strip_prefix(b)
                        .is_some_and(|v| crate::model::layers::VARIANTS.contains(&v))
                })
            })
}

/// The image repository every layer of `group` runs, when they all run one (and say so).
fn one_image(layers: &[Layer], group: &[usize]) -> Option<String> {
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
fn images_disagree(a: &Layer, b: &Layer) -> bool {
    match (&a.image, &b.image) {
        (Some(x), Some(y)) => !x
            .value
            .last_segment()
            .eq_ignore_ascii_case(y.value.last_segment()),
        _ => false,
    }
}

/// A Compose service name, else a Kubernetes workload, else a Helm component, else any
/// deploy name, else the Dockerfile's.
fn service_name(layers: &[Layer], members: &[usize]) -> String {
    for kind in [
        LayerKind::Compose,
        LayerKind::Kubernetes,
        LayerKind::Helm,
        LayerKind::Terraform,
        LayerKind::Bicep,
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
