//! `.helmignore`, as Helm 3.17 reads it (`pkg/ignore`): one pattern a line, `#` comments,
//! Go's `filepath.Match` syntax (`*`, `?`, `[…]`, `\` escapes; no `**`), a trailing `/` for
//! directories only, a leading `/` or any `/` to match the whole path relative to the chart,
//! otherwise the base name. The default rule `templates/.?*` leaves out hidden files in
//! `templates/`.
//!
//! A negated rule (`!pattern`) is kept as Helm evaluates it, which is not as `.gitignore` does:
//! Helm ignores every path the negated pattern does *not* match.

/// The rules of one chart.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    glob: String,
    negate: bool,
    must_dir: bool,
    /// Match against the base name only (no `/` in the pattern).
    base_only: bool,
}

impl Rules {
    /// Parses a `.helmignore`; a bad pattern (Helm refuses the chart) is an error naming the
    /// 1-based line.
    pub fn parse(text: &str) -> Result<Rules, (usize, String)> {
        let mut rules = Rules::default();
        for (i, line) in text.lines().enumerate() {
            rules.add(line).map_err(|e| (i + 1, e))?;
        }
        Ok(rules)
    }

    /// The rule Helm always adds.
    pub fn add_defaults(&mut self) {
        let _ = self.add("templates/.?*");
    }

    fn add(&mut self, rule: &str) -> Result<(), String> {
        let mut rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        if matches(rule, "abc").is_none() {
            return Err("syntax error in pattern".into());
        }
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let must_dir = rule.ends_with('/');
        if must_dir {
            rule = &rule[..rule.len() - 1];
        }
        let base_only = !rule.contains('/');
        let glob = rule.strip_prefix('/').unwrap_or(rule).to_string();
        self.patterns.push(Pattern {
            glob,
            negate,
            must_dir,
            base_only,
        });
        Ok(())
    }

    /// Whether `path` (relative to the chart, `/`-separated) is ignored.
    pub fn ignores(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            let subject = if p.base_only {
                path.rsplit('/').next().unwrap_or(path)
            } else {
                path
            };
            let hit = matches(&p.glob, subject).unwrap_or(false);
            if p.negate {
                if (p.must_dir && !is_dir) || !hit {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if hit {
                return true;
            }
        }
        false
    }
}

/// Go's `path/filepath.Match` on `/`-separated names: `Some(matched)`, or `None` for a
/// malformed pattern. Bounded: backtracking over `*` is limited.
pub(crate) fn matches(pattern: &str, name: &str) -> Option<bool> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let mut budget = 100_000u32;
    match_at(&p, &n, &mut budget)
}

fn match_at(p: &[char], n: &[char], budget: &mut u32) -> Option<bool> {
    *budget = budget.checked_sub(1)?;
    let Some(&c) = p.first() else {
        return Some(n.is_empty());
    };
    match c {
        '*' => {
            // A star never crosses a separator; the rest of the pattern is checked for
            // syntax even when nothing is left to match (as Go reports ErrBadPattern).
            let rest = &p[1..];
            let mut i = 0;
            loop {
                if match_at(rest, &n[i..], budget)? {
                    return Some(true);
                }
                if i >= n.len() || n[i] == '/' {
                    return Some(false);
                }
                i += 1;
            }
        }
        '?' => {
            let ok = n.first().is_some_and(|&x| x != '/');
            let rest = match_at(&p[1..], n.get(1..).unwrap_or(&[]), budget)?;
            Some(ok && rest)
        }
        '[' => {
            let (matched, used) = class(&p[1..], n.first().copied())?;
            let rest = match_at(&p[1 + used..], n.get(1..).unwrap_or(&[]), budget)?;
            Some(matched && n.first().is_some_and(|&x| x != '/') && rest)
        }
        '\\' => {
            let &lit = p.get(1)?;
            let rest = match_at(&p[2..], n.get(1..).unwrap_or(&[]), budget)?;
            Some(n.first() == Some(&lit) && rest)
        }
        lit => {
            let rest = match_at(&p[1..], n.get(1..).unwrap_or(&[]), budget)?;
            Some(n.first() == Some(&lit) && rest)
        }
    }
}

/// A `[…]` class after its `[`: whether `c` is in it, and how many pattern characters it used
/// (through the closing `]`). `None` when malformed.
fn class(p: &[char], c: Option<char>) -> Option<(bool, usize)> {
    let mut i = 0;
    let negated = p.first() == Some(&'^');
    if negated {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let &ch = p.get(i)?;
        if ch == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        let lo = if ch == '\\' {
            i += 1;
            *p.get(i)?
        } else {
            ch
        };
        i += 1;
        let mut hi = lo;
        if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|&x| x != ']') {
            i += 1;
            let &h = p.get(i)?;
            hi = if h == '\\' {
                i += 1;
                *p.get(i)?
            } else {
                h
            };
            i += 1;
            if hi < lo {
                return None;
            }
        }
        if let Some(c) = c
            && lo <= c
            && c <= hi
        {
            hit = true;
        }
    }
    Some((hit != negated, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match() {
        assert_eq!(matches("*.txt", "a.txt"), Some(true));
        assert_eq!(matches("*.txt", "d/a.txt"), Some(false));
        assert_eq!(matches("templates/.?*", "templates/.x"), Some(true));
        assert_eq!(matches("templates/.?*", "templates/."), Some(false));
        assert_eq!(matches("a[0-9]", "a5"), Some(true));
        assert_eq!(matches("a[^0-9]", "a5"), Some(false));
        assert_eq!(matches("a\\*", "a*"), Some(true));
        assert_eq!(matches("[", "a"), None);
        assert_eq!(matches("*[", "a"), None);
    }

    #[test]
    fn helm_rules() {
        let mut r = Rules::parse("# comment\n*.bak\n/ci/\ndocs/*.md\n").unwrap();
        r.add_defaults();
        assert!(r.ignores("x.bak", false));
        assert!(r.ignores("templates/y.bak", false));
        assert!(r.ignores("ci", true));
        assert!(!r.ignores("ci", false));
        assert!(r.ignores("docs/a.md", false));
        assert!(!r.ignores("README.md", false));
        assert!(r.ignores("templates/.hidden.yaml", false));
        assert!(!r.ignores("templates/deploy.yaml", false));
        assert!(Rules::parse("a/**/b\n").is_err());
        // Helm's negation: everything the pattern does not match is ignored.
        let n = Rules::parse("!keep.txt\n").unwrap();
        assert!(n.ignores("other.txt", false));
        assert!(!n.ignores("keep.txt", false));
    }
}
