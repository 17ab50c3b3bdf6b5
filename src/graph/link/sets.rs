//! Union-find over layers: which layers are one service so far, the reason of each union,
//! and the unions explicit services forbid.

use crate::graph::model::Link;
use crate::model::layer::Layer;

/// Union-find over layers, recording the reason of each union that joined two sets, and
/// refusing unions the explicit services forbid.
pub(super) struct Sets {
    parent: Vec<usize>,
    pub(super) links: Vec<Link>,
    /// The explicit service each layer was named by.
    pub(super) owner: Vec<Option<usize>>,
    /// Per explicit service: the names it must never be joined with.
    pub(super) forbid: Vec<Vec<String>>,
    /// Names of each layer.
    names: Vec<Vec<String>>,
}

impl Sets {
    pub(super) fn new(layers: &[Layer]) -> Self {
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

    pub(super) fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    pub(super) fn join(&mut self, a: usize, b: usize, reason: String) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb && !self.forbidden(a, b) {
            self.parent[ra.max(rb)] = ra.min(rb);
            self.links.push(Link { a, b, reason });
        }
    }

    /// The distinct sets among `candidates`, one representative each.
    /// Linear in `candidates`: a name shared by layers in many copies of a project (`web`,
    /// `api`) makes groups that grow with the repository, and a list of the roots seen made
    /// this quadratic in them.
    pub(super) fn distinct(&mut self, candidates: &[usize]) -> Vec<usize> {
        let mut roots = std::collections::HashSet::with_capacity(candidates.len());
        let mut out = Vec::new();
        for c in candidates {
            if roots.insert(self.root(*c)) {
                out.push(*c);
            }
        }
        out
    }
}
