//! PIN090 image-tag-drift: one service (linked across files in the service graph) runs the
//! same image repository at different tags in different files (Compose `postgres:15.4`, a
//! manifest `postgres:16`). Unrelated services that happen to use one image (two projects'
//! databases) are not compared. Each file's tag is a pin, but
//! the pins disagree, so development, CI and production run different software. For Helm
//! charts only the base values (`default` environment) count: an overlay that moves a tag on
//! purpose is a release, not drift.

use std::collections::BTreeMap;

use crate::graph::Graph;
use crate::model::layer::{Layer, LayerKind};
use crate::rules::{GraphSink, Rule};

pub struct ImageTagDrift;

impl Rule for ImageTagDrift {
    fn check_graph(&self, graph: &Graph, sink: &mut GraphSink) {
        for svc in &graph.services {
            check_service(graph.layers_of(svc).map(|(_, l)| l), sink);
        }
    }
}

fn check_service<'a>(layers: impl Iterator<Item = &'a Layer>, sink: &mut GraphSink) {
    let mut by_repo: BTreeMap<&str, Vec<&Layer>> = BTreeMap::new();
    for l in layers {
        if !l.kind.deploys() || l.environment.as_deref().is_some_and(|e| e != "default") {
            continue;
        }
        let Some(image) = &l.image else { continue };
        // A Compose service that builds its image names a local build, not a pull.
        if l.kind == LayerKind::Compose && l.builds.is_some() {
            continue;
        }
        // Untagged and `latest` images are PIN010/PIN020's; digests pin exactly.
        if image.value.tag.as_deref().is_none_or(|t| t == "latest") || image.value.digest.is_some()
        {
            continue;
        }
        by_repo.entry(&image.value.repository).or_default().push(l);
    }
    for (repo, layers) in by_repo {
        let mut tags: Vec<(&str, usize, LayerKind)> = Vec::new();
        for l in &layers {
            let tag = l
                .image
                .as_ref()
                .and_then(|i| i.value.tag.as_deref())
                .unwrap_or_default();
            match tags.iter_mut().find(|(t, _, _)| *t == tag) {
                Some(entry) => entry.1 += 1,
                None => tags.push((tag, 1, l.kind)),
            }
        }
        if tags.len() < 2 {
            continue;
        }
        // Only across files: two tags in one file are a deliberate pair (a migration).
        let files: std::collections::BTreeSet<&str> = layers
            .iter()
            .filter_map(|l| l.image.as_ref().map(|i| i.at.file.display_path.as_str()))
            .collect();
        if files.len() < 2 {
            continue;
        }
        // The reference: the most common tag, then the earliest layer kind.
        tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        let reference = tags[0].0;
        let at_reference: Vec<&&Layer> = layers
            .iter()
            .filter(|l| l.image.as_ref().and_then(|i| i.value.tag.as_deref()) == Some(reference))
            .collect();
        for l in &layers {
            let Some(image) = &l.image else { continue };
            let tag = image.value.tag.as_deref().unwrap_or_default();
            if tag == reference {
                continue;
            }
            let finding = sink.report_at(
                    &image.at,
                    format!(
                        "{} runs `{repo}:{tag}`, but {} runs `{repo}:{reference}`: the same image at different tags",
                        l.label,
                        at_reference.first().map_or("another file".to_string(), |r| format!("{} ({})", r.label, r.at.file.display_path)),
                    ),
                );
            finding.related = at_reference
                .iter()
                .filter_map(|r| {
                    Some(crate::finding::Related {
                        location: r.image.as_ref()?.at.clone(),
                        message: format!("`{repo}:{reference}` here"),
                    })
                })
                .collect();
        }
    }
}
