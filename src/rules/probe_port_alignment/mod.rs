//! probe-port-alignment: the port a service listens on, the port it declares and the port its
//! health check probes must be the same port. When they drift, health checks fail (and
//! orchestrators restart healthy containers) or pass while the service is unreachable.

// One module per rule, named after the rule (`rules/<ID>.toml` `name`), declared by
// build.rs from the catalogue: a rule is its TOML, its file here, and its fixtures.
include!(concat!(env!("OUT_DIR"), "/rules/probe_port_alignment.rs"));

use std::collections::BTreeMap;

use crate::graph::Graph;
use crate::model::layer::{Layer, LayerKind};
use crate::source::Origin;

/// How a Compose service knows it is healthy.
pub enum Health<'a> {
    /// Its own `healthcheck:`.
    Compose(&'a Origin),
    /// The `HEALTHCHECK` of the image its Dockerfile builds.
    Image(&'a Origin),
    /// Turned off on purpose (`disable: true`, `HEALTHCHECK NONE`).
    Off(&'a Origin),
    /// Nothing we can see: no `healthcheck:`, and no Dockerfile with a `HEALTHCHECK` (an
    /// image pulled from a registry is taken to have none).
    Unknown,
}

/// The Compose services of a run, one project at a time: per document and environment, the
/// layers by service name, with each layer's health.
pub struct ComposeProjects<'g> {
    pub graph: &'g Graph,
    service_of: Vec<Option<usize>>,
}

impl<'g> ComposeProjects<'g> {
    pub fn new(graph: &'g Graph) -> Self {
        let mut service_of = vec![None; graph.layers.len()];
        for (s, svc) in graph.services.iter().enumerate() {
            for l in &svc.layers {
                service_of[*l] = Some(s);
            }
        }
        ComposeProjects { graph, service_of }
    }

    /// Compose layers grouped by the document (base file) and environment that hold them,
    /// each group by service name.
    pub fn groups(&self) -> Vec<BTreeMap<&'g str, usize>> {
        let mut groups: BTreeMap<(&str, Option<&str>), BTreeMap<&str, usize>> = BTreeMap::new();
        for (i, l) in self.graph.layers.iter().enumerate() {
            if l.kind != LayerKind::Compose {
                continue;
            }
            let Some(name) = l.names.first() else {
                continue;
            };
            groups
                .entry((l.document.as_str(), l.environment.as_deref()))
                .or_default()
                .insert(name.as_str(), i);
        }
        groups.into_values().collect()
    }

    /// How the Compose layer `i` is health-checked.
    pub fn health(&self, i: usize) -> Health<'g> {
        let l = &self.graph.layers[i];
        if let Some(off) = &l.health_off {
            return Health::Off(off);
        }
        if let Some(p) = l.probes.first() {
            return Health::Compose(&p.at);
        }
        let image = self.service_of[i].and_then(|s| self.graph.image_of(&self.graph.services[s]));
        match image {
            Some(d) => match &d.health_off {
                Some(off) => Health::Off(off),
                None => d
                    .probes
                    .iter()
                    .find(|p| p.kind == "HEALTHCHECK")
                    .map_or(Health::Unknown, |p| Health::Image(&p.at)),
            },
            None => Health::Unknown,
        }
    }
}

/// Who waits on whom in one Compose project: each service's `depends_on` entries, indexed by
/// the service they name (case-insensitively, as Compose matches them), built once per group
/// so that asking for every service's dependants stays linear.
pub struct Dependants<'g> {
    by_name: std::collections::HashMap<String, Vec<(&'g str, &'g crate::model::layer::DependsOn)>>,
}

impl<'g> Dependants<'g> {
    pub fn new(graph: &'g Graph, group: &BTreeMap<&'g str, usize>) -> Self {
        let mut by_name: std::collections::HashMap<String, Vec<_>> =
            std::collections::HashMap::new();
        for (n, j) in group {
            for d in &graph.layers[*j].depends_on {
                by_name
                    .entry(d.service.to_ascii_lowercase())
                    .or_default()
                    .push((*n, d));
            }
        }
        Self { by_name }
    }

    /// The services that list `name` in `depends_on` (itself excepted), with the entry, in
    /// service order.
    pub fn of(&self, name: &str) -> Vec<(&'g str, &'g crate::model::layer::DependsOn)> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|v| v.iter().copied().filter(|(n, _)| *n != name).collect())
            .unwrap_or_default()
    }
}

/// The environments a Compose layer holds in, for a cross-file finding.
pub fn environments(l: &Layer) -> Vec<String> {
    l.environment.iter().cloned().collect()
}
