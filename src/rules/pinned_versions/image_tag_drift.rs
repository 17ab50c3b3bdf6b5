//! PIN090 image-tag-drift: one project deploys the same image repository at different tags in
//! different files (Compose `postgres:15.4`, a manifest `postgres:16`).
//!
//! Two layers are compared when they are one service (linked across files in the service
//! graph), or when they belong to one project and are deployed by different kinds of file (a
//! Compose stack and a Helm chart), even when the graph could not link them: eShop's Compose
//! gateways `mobileshoppingapigw`/`webshoppingapigw` and its Helm charts `apigwms`/`apigwws`
//! all run `envoyproxy/envoy`, at `v1.11.1` in one and `v1.21.0` in the other, and no name
//! says which is which. Two files of one kind in one project (two charts, two Compose stacks)
//! are left alone unless linked: they are often different services that happen to share a
//! base, released on their own. Two tags in one file are a deliberate pair (a migration). For
//! Helm charts only the base values (`default` environment) count: an overlay that moves a
//! tag on purpose is a release, not drift.

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::Graph;
use crate::model::layer::{Layer, LayerKind};
use crate::rules::{GraphSink, Rule};

pub struct ImageTagDrift;

impl Rule for ImageTagDrift {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        let mut service_of: Vec<Option<usize>> = vec![None; graph.layers.len()];
        for (s, svc) in graph.services.iter().enumerate() {
            for l in &svc.layers {
                service_of[*l] = Some(s);
            }
        }
        // Every pulled, tagged image of a deploy layer, by project and repository.
        let mut groups: BTreeMap<(&std::path::Path, &str), Vec<usize>> = BTreeMap::new();
        for (i, l) in graph.layers.iter().enumerate() {
            if !l.kind.deploys() || l.environment.as_deref().is_some_and(|e| e != "default") {
                continue;
            }
            let Some(image) = &l.image else { continue };
            // A Compose service that builds its image names a local build, not a pull.
            if l.kind == LayerKind::Compose && l.builds.is_some() {
                continue;
            }
            // Untagged and `latest` images are PIN010/PIN020's; digests pin exactly.
            if tag(l).is_none_or(|t| t == "latest") || image.value.digest.is_some() {
                continue;
            }
            // A Windows build (`redis:nanoserver`, `…-windowsservercore-ltsc2022`) is another
            // platform's image, not drift from the Linux one.
            if tag(l).is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                ["nanoserver", "windowsservercore", "ltsc"]
                    .iter()
                    .any(|w| t.contains(w))
            }) {
                continue;
            }
            let project = graph
                .projects
                .get(i)
                .map_or(std::path::Path::new(""), |p| p.as_path());
            groups
                .entry((project, image.value.repository.as_str()))
                .or_default()
                .push(i);
        }
        for ((_, repo), members) in groups {
            check_group(graph, repo, &members, &service_of, sink);
        }
    }
}

fn tag(l: &Layer) -> Option<&str> {
    l.image.as_ref().and_then(|i| i.value.tag.as_deref())
}

/// The version a tag starts with (`v1.21.0` of `v1.21.0-alpine`, `3.0.0` of `3.0.0-ad`);
/// `None` for a tag that starts with no number (`stable`, `bookworm`).
fn version_core(tag: &str) -> Option<&str> {
    let t = tag.strip_prefix(['v', 'V']).unwrap_or(tag);
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let core = t[..end].trim_end_matches('.');
    core.starts_with(|c: char| c.is_ascii_digit())
        .then_some(core)
}

fn check_group(
    graph: &Graph,
    repo: &str,
    members: &[usize],
    service_of: &[Option<usize>],
    sink: &mut GraphSink,
) {
    let layer = |i: usize| &graph.layers[i];
    // The reference: the most common tag, then the earliest layer kind.
    let mut tags: Vec<(&str, usize, LayerKind)> = Vec::new();
    for m in members {
        let t = tag(layer(*m)).unwrap_or_default();
        match tags.iter_mut().find(|(x, _, _)| *x == t) {
            Some(entry) => entry.1 += 1,
            None => tags.push((t, 1, layer(*m).kind)),
        }
    }
    if tags.len() < 2 {
        return;
    }
    // One version in several builds (`demo:3.0.0-ad`, `demo:3.0.0-cart`: one repository,
    // an image per component; `7.2-alpine`, `7.2-bookworm`) is not drift: the versions agree.
    let first_core = version_core(tags[0].0);
    if first_core.is_some() && tags.iter().all(|(t, _, _)| version_core(t) == first_core) {
        return;
    }
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let reference = tags[0].0;
    let at_reference: Vec<usize> = members
        .iter()
        .copied()
        .filter(|m| tag(layer(*m)) == Some(reference))
        .collect();
    for m in members {
        let l = layer(*m);
        let Some(image) = &l.image else { continue };
        let t = tag(l).unwrap_or_default();
        if t == reference {
            continue;
        }
        let file = &image.at.file.display_path;
        let linked = |r: &usize| service_of[*r].is_some() && service_of[*r] == service_of[*m];
        // Partners: the same service, or another kind of file of this project; never this
        // file itself.
        let partners: Vec<usize> = at_reference
            .iter()
            .copied()
            .filter(|r| linked(r) || layer(*r).kind != l.kind)
            .filter(|r| {
                layer(*r)
                    .image
                    .as_ref()
                    .is_some_and(|i| i.at.file.display_path != *file)
            })
            .collect();
        // The same service first, then the others in file order.
        let mut partners = partners;
        partners.sort_by_key(|p| !linked(p));
        let Some(first) = partners.first().copied() else {
            continue;
        };
        let what = if linked(&first) {
            "the same image at different tags"
        } else {
            "one project deploys this image at two tags"
        };
        let mut named: Vec<String> = Vec::new();
        for p in &partners {
            let r = layer(*p);
            let file = r.image.as_ref().map_or(&r.at.file, |i| &i.at.file);
            let n = format!("{} ({})", r.label, file.display_path);
            if !named.contains(&n) {
                named.push(n);
            }
        }
        let (others, verb) = match named.len() {
            1 => (named[0].clone(), "runs"),
            2 => (format!("{} and {}", named[0], named[1]), "run"),
            n => (
                format!("{}, {} and {} more", named[0], named[1], n - 2),
                "run",
            ),
        };
        let finding = sink.report_at(
            &image.at,
            format!(
                "{} runs `{repo}:{t}`, but {others} {verb} `{repo}:{reference}`: {what}",
                l.label
            ),
        );
        let mut seen = BTreeSet::new();
        finding.related = partners
            .iter()
            .filter_map(|p| {
                let at = &layer(*p).image.as_ref()?.at;
                seen.insert((at.file.display_path.clone(), at.span.start))
                    .then(|| crate::finding::Related {
                        location: at.clone(),
                        message: format!("`{repo}:{reference}` here"),
                    })
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::version_core;

    #[test]
    fn versions_of_tags() {
        assert_eq!(version_core("3.0.0-ad"), Some("3.0.0"));
        assert_eq!(version_core("3.0.0-cart"), version_core("3.0.0-ad"));
        assert_eq!(version_core("v1.21.0"), Some("1.21.0"));
        assert_ne!(version_core("15-alpine"), version_core("16"));
        assert_eq!(version_core("stable"), None);
        assert_eq!(version_core("alpine"), None);
    }
}
