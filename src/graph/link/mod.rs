//! Which layers are the same service, and why. Evidence, strongest first:
//!
//! 1. a Helm component is the same service in every environment of its chart;
//! 2. a Compose `build:` names the Dockerfile it builds;
//! 3. an image's repository path (`shop/api`, registry and tag left out) names what builds
//!    it: a Compose service that builds and tags that image, or else a Dockerfile whose path
//!    gives that name (`services/api/Dockerfile`, `Dockerfile.api`, `api.Dockerfile`); the
//!    builders in the layer's own project when it has any, else those anywhere in the run;
//!    of several builders of one repository, the one whose tag names the same component
//!    (`demo:3.0.0-cart` deployed, `demo:latest-cart` built), when exactly one does;
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

mod evidence;
mod sets;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::graph::model::{Ambiguity, Graph, Service};
use crate::model::layer::{ImageName, Layer, LayerKind};
use crate::source::{absolute, normalize};
use evidence::{
    OFFICIAL_IMAGES, component, images_disagree, is_variant, name_for, name_key, one_image,
    service_name,
};
use sets::Sets;

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

/// Links the layers into services, one step per kind of evidence, strongest first (see the
/// module doc); `projects` holds the project of each layer's file, for name-based links.
pub fn link(layers: Vec<Layer>, explicit: &[Explicit], projects: &[(PathBuf, bool)]) -> Graph {
    let mut linking = Linking {
        layers: &layers,
        projects,
        sets: Sets::new(&layers),
        ambiguous: Vec::new(),
    };
    linking.explicit(explicit);
    linking.chart_environments();
    linking.compose_builds();
    linking.image_builders();
    linking.equal_names();
    let Linking {
        mut sets,
        ambiguous,
        ..
    } = linking;
    // Services: the sets, in order of their first layer.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..layers.len() {
        groups.entry(sets.root(i)).or_default().push(i);
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
        projects: projects.iter().map(|(p, _)| p.clone()).collect(),
        services,
        links: sets.links,
        ambiguous,
    }
}

/// The layers being linked, the sets they form so far and the ambiguities met.
struct Linking<'a> {
    layers: &'a [Layer],
    projects: &'a [(PathBuf, bool)],
    sets: Sets,
    ambiguous: Vec<Ambiguity>,
}

impl Linking<'_> {
    /// Step 0: Explicit services from `.plumbline.toml`: the layers each names are one service.
    fn explicit(&mut self, explicit: &[Explicit]) {
        let layers = self.layers;
        let n = layers.len();
        for (e, svc) in explicit.iter().enumerate() {
            self.sets
                .forbid
                .push(svc.not.iter().map(|x| x.to_ascii_lowercase()).collect());
            let matched: Vec<usize> = (0..n).filter(|i| svc.matches(&layers[*i])).collect();
            for m in &matched {
                if self.sets.owner[*m].is_none() {
                    self.sets.owner[*m] = Some(e);
                }
            }
            for w in matched.windows(2) {
                self.sets.join(
                    w[0],
                    w[1],
                    format!("[services.{}] in {} names both", svc.name, svc.config),
                );
            }
        }
    }

    /// Step 1: A layer deployed in several environments (a Helm container per values overlay,
    /// a Compose service per variant, a Kustomize base's container per overlay) is one service:
    /// the same declaration, at the same place, under the same names.
    fn chart_environments(&mut self) {
        let layers = self.layers;
        // Kind, file, span and names of the declaration.
        type Origin = (LayerKind, String, usize, usize, Vec<String>);
        let mut by_origin: BTreeMap<Origin, Vec<usize>> = BTreeMap::new();
        for (i, l) in layers.iter().enumerate() {
            if l.environment.is_some() {
                by_origin
                    .entry((
                        l.kind,
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
                let what = match layers[w[0]].kind {
                    LayerKind::Helm => "Helm container",
                    LayerKind::Compose => "Compose service",
                    _ => "Kubernetes container",
                };
                self.sets.join(
                    w[0],
                    w[1],
                    format!(
                        "the same {what} `{name}` in environments {} and {}",
                        layers[w[0]].environment.as_deref().unwrap_or("default"),
                        layers[w[1]].environment.as_deref().unwrap_or("default")
                    ),
                );
            }
        }
    }

    /// Step 2: A Compose `build:` names the Dockerfile it builds.
    fn compose_builds(&mut self) {
        let layers = self.layers;
        let n = layers.len();
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
                self.sets.join(
                    i,
                    *d,
                    format!(
                        "{} builds {} (`{}` in {})",
                        l.label,
                        layers[*d].at.file.display_path,
                        if l.kind == LayerKind::Azd {
                            "project"
                        } else {
                            "build:"
                        },
                        builds.at.file.display_path
                    ),
                );
            }
        }
    }

    /// Step 3: An image's repository names what builds it: a Compose service that builds and
    /// tags it, else a Dockerfile whose path names it, else a Compose service whose default
    /// image name it is. Indexed by name, so a monorepo's thousands of layers are not each
    /// compared with every other.
    fn image_builders(&mut self) {
        let layers = self.layers;
        let builders = Builders::index(layers, self.projects);
        // Many layers meet one candidate list (every container of a chart that runs one
        // repository): its distinct sets are worked out once, and again only after a join.
        // Each list is a vector of the index, so its address and length name it; the deployed
        // tag's component is part of the key (see `distinct_builders`).
        type Settled = (usize, Vec<usize>, bool);
        let mut settled: HashMap<(*const usize, usize, Option<&str>), Settled> = HashMap::new();
        for (i, l) in layers.iter().enumerate() {
            if !l.kind.deploys() || l.builds.is_some() {
                continue;
            }
            let Some(image) = &l.image else { continue };
            let (candidates, how) = builders.of(i, &image.value, self.projects);
            let part = image.value.tag.as_deref().and_then(component);
            let key = (candidates.as_ptr(), candidates.len(), part);
            let joins = self.sets.links.len();
            let (distinct, by_component) = match settled.get(&key) {
                Some((at, distinct, by)) if *at == joins => (distinct.clone(), *by),
                _ => {
                    let found = self.distinct_builders(candidates, part);
                    settled.insert(key, (joins, found.0.clone(), found.1));
                    found
                }
            };
            let by_component = part.filter(|_| by_component);
            match distinct.as_slice() {
                [] => {}
                [one] => self.sets.join(
                    i,
                    *one,
                    match by_component {
                        None => format!(
                            "{} runs image `{}`, built by {}",
                            l.title(),
                            image.value.repository,
                            layers[*one].title()
                        ),
                        Some(part) => format!(
                            "{} runs image `{}` tagged for `{part}`, built by {}, the one builder of that repository whose tag names `{part}`",
                            l.title(),
                            image.value.repository,
                            layers[*one].title()
                        ),
                    },
                ),
                many => self.ambiguous.push(Ambiguity {
                    layer: i,
                    candidates: many.to_vec(),
                    reason: format!(
                        "image `{}` matches more than one {how}",
                        image.value.repository
                    ),
                }),
            }
        }
    }

    /// The distinct sets among the builders of an image, narrowed to one where the evidence
    /// allows: the main one when the others are variants (`Dockerfile` beside
    /// `Dockerfile.debug`: the variant is not what is deployed), else the one whose tag names
    /// the deployed tag's component `part`. Also whether the component decided.
    fn distinct_builders(
        &mut self,
        candidates: &[usize],
        part: Option<&str>,
    ) -> (Vec<usize>, bool) {
        let distinct = self.sets.distinct(candidates);
        if distinct.len() <= 1 {
            return (distinct, false);
        }
        let main: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|c| !is_variant(&self.layers[*c]))
            .collect();
        let main = self.sets.distinct(&main);
        if main.len() == 1 {
            return (main, false);
        }
        if let Some(part) = part {
            let tag_of = |c: usize| self.layers[c].image.as_ref()?.value.tag.as_deref();
            let same: Vec<usize> = distinct
                .iter()
                .copied()
                .filter(|c| tag_of(*c).and_then(component) == Some(part))
                .collect();
            if same.len() == 1 {
                return (same, true);
            }
        }
        (distinct, false)
    }

    /// Step 4: Equal names across kinds of deploy layer, images permitting, within one project.
    fn equal_names(&mut self) {
        let layers = self.layers;
        let projects = self.projects;
        // Names compare without separators and kind suffixes (`basket-data` is `basketdata`).
        let mut by_name: BTreeMap<(&Path, String), Vec<usize>> = BTreeMap::new();
        for (i, l) in layers.iter().enumerate() {
            // Layers an explicit service names are settled.
            if l.kind.deploys() && self.sets.owner[i].is_none() {
                let mut keys: Vec<String> = l.names.iter().map(|n| name_key(n)).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    by_name
                        .entry((projects[i].0.as_path(), key))
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
                let distinct = self.sets.distinct(group);
                if distinct.len() == 1 {
                    reps.push(distinct[0]);
                } else if let Some(repo) =
                    one_image(layers, group).filter(|_| group.iter().all(|g| projects[*g].1))
                {
                    // Alternative files of one project (`docker-compose.yml` and
                    // `docker-compose.images.yml`) declaring the same name with the same image;
                    // only where the project is marked (a repository or a Compose root), not
                    // across whatever unrelated trees sit below a scan root.
                    for w in distinct.windows(2) {
                        self.sets.join(
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
                        self.ambiguous.push(Ambiguity {
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
                        let (na, nb) = (name_for(&layers[a], &name), name_for(&layers[b], &name));
                        let named = if na == nb {
                            format!("are both named `{na}`")
                        } else {
                            format!(
                                "are named `{na}` and `{nb}`, one name but for separators or a kind suffix"
                            )
                        };
                        self.sets.join(
                            a,
                            b,
                            format!("{} and {} {named}", layers[a].title(), layers[b].title()),
                        );
                    }
                }
            }
        }
    }
}

/// The layers that build images, indexed by what names them.
struct Builders<'a> {
    /// Compose services with `build:`, by the repository of the image they tag.
    by_repo: HashMap<&'a str, Vec<usize>>,
    /// The same, by project and repository.
    by_repo_here: Nested<'a>,
    /// Compose services with `build:`, by project and service name.
    compose_by_name: Nested<'a>,
    /// Dockerfiles, by the names their paths give.
    dockerfiles_by_name: HashMap<&'a str, Vec<usize>>,
    /// The same, by project and name.
    dockerfiles_by_name_here: Nested<'a>,
}

impl<'a> Builders<'a> {
    fn index(layers: &'a [Layer], projects: &'a [(PathBuf, bool)]) -> Self {
        let mut b = Builders {
            by_repo: HashMap::new(),
            by_repo_here: HashMap::new(),
            compose_by_name: HashMap::new(),
            dockerfiles_by_name: HashMap::new(),
            dockerfiles_by_name_here: HashMap::new(),
        };
        for (i, l) in layers.iter().enumerate() {
            let here = projects[i].0.as_path();
            if l.kind == LayerKind::Dockerfile {
                for name in &l.names {
                    b.dockerfiles_by_name
                        .entry(name.as_str())
                        .or_default()
                        .push(i);
                    b.dockerfiles_by_name_here
                        .entry(here)
                        .or_default()
                        .entry(name.as_str())
                        .or_default()
                        .push(i);
                }
            }
            if l.builds.is_none() {
                continue;
            }
            if let Some(image) = &l.image {
                let repo = image.value.repository.as_str();
                b.by_repo.entry(repo).or_default().push(i);
                b.by_repo_here
                    .entry(here)
                    .or_default()
                    .entry(repo)
                    .or_default()
                    .push(i);
            }
            if l.kind == LayerKind::Compose {
                for name in &l.names {
                    b.compose_by_name
                        .entry(here)
                        .or_default()
                        .entry(name.as_str())
                        .or_default()
                        .push(i);
                }
            }
        }
        b
    }

    /// The candidates for building the image that layer `i` runs, and how they were found.
    /// Those in the layer's own project come first: when there are any, the others are not
    /// candidates (the nearer evidence wins; two builders in the project stay ambiguous).
    /// This also keeps the step linear in a monorepo whose projects build images of one name:
    /// each layer meets its project's builders, not every copy's.
    fn of(
        &self,
        i: usize,
        image: &ImageName,
        projects: &[(PathBuf, bool)],
    ) -> (&[usize], &'static str) {
        let here = projects[i].0.as_path();
        let repo = image.repository.as_str();
        if let Some(all) = self.by_repo.get(repo) {
            let own = in_project(&self.by_repo_here, here, repo);
            return (found(own.or(Some(all))), "Compose service that builds it");
        }
        let name = image.last_segment().to_ascii_lowercase();
        // A one-word image names a Dockerfile of this project only, and never when it is a
        // Docker Official Image (`redis:7.2` is the public Redis, whatever `redis/Dockerfile`
        // in the repository builds).
        let one_word = !image.repository.contains('/');
        if !(one_word && OFFICIAL_IMAGES.contains(&name.as_str())) {
            let own = in_project(&self.dockerfiles_by_name_here, here, &name);
            let by_path = if one_word {
                found(own)
            } else {
                found(own.or_else(|| self.dockerfiles_by_name.get(name.as_str())))
            };
            if !by_path.is_empty() {
                return (by_path, "Dockerfile whose path names it");
            }
        }
        // Compose tags what it builds `<project>-<service>` (`<project>_<service>` before
        // Compose v2): `examplevotingapp_vote` is service `vote`'s image.
        let by_compose_name = match name.rfind(['_', '-']) {
            Some(pos) if pos + 1 < name.len() => {
                found(in_project(&self.compose_by_name, here, &name[pos + 1..]))
            }
            _ => &[],
        };
        (
            by_compose_name,
            "Compose service whose default image name it is",
        )
    }
}

/// Layers by project, then by a name.
type Nested<'a> = HashMap<&'a Path, HashMap<&'a str, Vec<usize>>>;

/// The layers of project `here` under `key`.
fn in_project<'s>(map: &'s Nested<'_>, here: &Path, key: &str) -> Option<&'s Vec<usize>> {
    map.get(here)?.get(key)
}

/// A candidate list of the index, or none.
fn found(list: Option<&Vec<usize>>) -> &[usize] {
    list.map_or(&[], Vec::as_slice)
}
