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

use std::collections::BTreeMap;

use crate::graph::model::{Ambiguity, Graph, Layer, LayerKind, Link, Service};
use crate::parse::assemble::normalize;

/// Union-find over layers, recording the reason of each union that joined two sets.
struct Sets {
    parent: Vec<usize>,
    links: Vec<Link>,
}

impl Sets {
    fn new(n: usize) -> Self {
        Sets {
            parent: (0..n).collect(),
            links: Vec::new(),
        }
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
        if ra != rb {
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
pub fn link(layers: Vec<Layer>) -> Graph {
    let n = layers.len();
    let mut sets = Sets::new(n);
    let mut ambiguous = Vec::new();

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
    for (i, l) in layers.iter().enumerate() {
        let Some(builds) = &l.builds else { continue };
        if let Some(d) = dockerfiles
            .iter()
            .find(|d| normalize(&layers[**d].at.file.path) == builds.value)
        {
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

    // 3. An image's repository → what builds it.
    let builders: Vec<usize> = (0..n)
        .filter(|i| layers[*i].builds.is_some() && layers[*i].image.is_some())
        .collect();
    for (i, l) in layers.iter().enumerate() {
        if !l.kind.deploys() || l.builds.is_some() {
            continue;
        }
        let Some(image) = &l.image else { continue };
        let by_tag: Vec<usize> = builders
            .iter()
            .copied()
            .filter(|b| {
                layers[*b]
                    .image
                    .as_ref()
                    .is_some_and(|bi| bi.value.repository == image.value.repository)
            })
            .collect();
        let (candidates, how) = if by_tag.is_empty() {
            let name = image.value.last_segment().to_ascii_lowercase();
            let by_path: Vec<usize> = dockerfiles
                .iter()
                .copied()
                .filter(|d| layers[*d].names.contains(&name))
                .collect();
            (by_path, "a Dockerfile whose path names")
        } else {
            (by_tag, "a Compose service that builds")
        };
        let distinct = sets.distinct(&candidates);
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
                    "image `{}` matches more than one {how} it",
                    image.value.repository
                ),
            }),
        }
    }

    // 4. Equal names across kinds of deploy layer, images permitting.
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in layers.iter().enumerate() {
        if l.kind.deploys() {
            for name in &l.names {
                by_name.entry(name.as_str()).or_default().push(i);
            }
        }
    }
    for (name, members) in by_name {
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

/// A Compose service name, else a Helm component, else any deploy name, else the
/// Dockerfile's.
fn service_name(layers: &[Layer], members: &[usize]) -> String {
    for kind in [
        LayerKind::Compose,
        LayerKind::Helm,
        LayerKind::Kubernetes,
        LayerKind::Terraform,
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
