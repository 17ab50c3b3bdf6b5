//! pinned-versions: what an image is built from and what it installs must not change under
//! the same file. Unpinned inputs make builds irreproducible and let a compromised or broken
//! release in without a commit.

// One module per rule, named after the rule (`rules/<ID>.toml` `name`), declared by
// build.rs from the catalogue: a rule is its TOML, its file here, and its fixtures.
include!(concat!(env!("OUT_DIR"), "/rules/pinned_versions.rs"));

use crate::parse::dockerfile::Word;

/// `1 package`, `3 packages`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `a, b, c` — at most five names, then `and N more`.
pub fn list(words: &[&Word]) -> String {
    let mut s = words
        .iter()
        .take(5)
        .map(|w| format!("`{}`", w.text))
        .collect::<Vec<_>>()
        .join(", ");
    if words.len() > 5 {
        s.push_str(&format!(" and {} more", words.len() - 5));
    }
    s
}
