//! `.dockerignore` files: the patterns that leave files out of a build context, compiled once.

/// A `.dockerignore` found beside a Dockerfile (or `<name>.dockerignore`, which BuildKit
/// prefers for that Dockerfile), with its patterns compiled once when it is read.
#[derive(Debug, Clone, Default)]
pub struct Dockerignore {
    pub path: String,
    /// Each usable pattern in file order: whether it re-includes (`!pattern`), and its matcher.
    patterns: Vec<(bool, globset::GlobMatcher)>,
}

impl Dockerignore {
    /// Reads the patterns: comments and blank lines are skipped, a leading `/` or `./` and a
    /// trailing `/` are ignored (patterns match from the context root), and a pattern that is
    /// not a valid glob is left out.
    pub fn parse(path: String, text: &str) -> Self {
        let patterns = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|line| {
                let (negate, pat) = match line.strip_prefix('!') {
                    Some(p) => (true, p.trim()),
                    None => (false, line),
                };
                let pat = pat
                    .trim_start_matches("./")
                    .trim_start_matches('/')
                    .trim_end_matches('/');
                if pat.is_empty() {
                    return None;
                }
                let glob = globset::GlobBuilder::new(pat)
                    .literal_separator(true)
                    .build()
                    .ok()?;
                Some((negate, glob.compile_matcher()))
            })
            .collect();
        Self { path, patterns }
    }

    /// Whether a file at `rel` (relative to the context, with `/`) would be left out of the
    /// build context. Follows Docker's rules: `**` matches any number of directories, a
    /// pattern matching a directory excludes everything below it, and a later `!pattern`
    /// re-includes.
    pub fn excludes(&self, rel: &str) -> bool {
        let mut excluded = false;
        for (negate, glob) in &self.patterns {
            // A pattern matching a parent directory excludes everything below it.
            let hit = rel
                .char_indices()
                .chain(std::iter::once((rel.len(), '/')))
                .any(|(i, c)| c == '/' && glob.is_match(&rel[..i]));
            if hit {
                excluded = !negate;
            }
        }
        excluded
    }
}
