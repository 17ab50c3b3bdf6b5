//! The `.env` file beside a Compose file: `KEY=VALUE` lines that feed interpolation.
//!
//! Follows Compose's reader where it matters for the values we compare: `export KEY=VALUE`,
//! `#` comments (whole lines, and after an unquoted value following a blank), single quotes
//! (literal), double quotes (`\n`, `\"`, `\\` escapes), and `${VAR}` references to variables
//! set earlier in the same file. A line that is none of these is skipped: `.env` is an input
//! here, not a checked file.

use super::interpolate::{Vars, interpolate};

/// Reads `text` into variables. A value referring to a variable `.env` does not set is kept
/// as unknown (`None`).
pub fn parse(text: &str) -> Vars {
    let mut vars = Vars::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            continue;
        }
        let value = value.trim_start();
        let parsed = if let Some(rest) = value.strip_prefix('\'') {
            Some(rest.split_once('\'').map_or(rest, |(v, _)| v).to_string())
        } else if let Some(rest) = value.strip_prefix('"') {
            expand(&unescape(rest), &vars)
        } else {
            let bare = match value.find(" #") {
                Some(i) => &value[..i],
                None => value,
            };
            expand(bare.trim_end(), &vars)
        };
        vars.insert(key.to_string(), parsed);
    }
    vars
}

fn expand(value: &str, vars: &Vars) -> Option<String> {
    interpolate(value, vars)
        .ok()
        .filter(|r| r.resolved)
        .map(|r| r.text)
}

/// The body of a double-quoted value up to its closing quote, with escapes read.
fn unescape(rest: &str) -> String {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_forms() {
        let v = parse(
            "# comment\n\nTAG=1.2\nexport NAME = web\nQ='lit ${TAG}'\nD=\"a\\\"b ${TAG}\"\nC=x # note\nURL=http://${HOST}:1\nREF=${TAG}-x\nnot a line\nEMPTY=\n",
        );
        let get = |k: &str| v.get(k).cloned();
        assert_eq!(get("TAG"), Some(Some("1.2".into())));
        assert_eq!(get("NAME"), Some(Some("web".into())));
        assert_eq!(get("Q"), Some(Some("lit ${TAG}".into())));
        assert_eq!(get("D"), Some(Some("a\"b 1.2".into())));
        assert_eq!(get("C"), Some(Some("x".into())));
        assert_eq!(get("URL"), Some(None));
        assert_eq!(get("REF"), Some(Some("1.2-x".into())));
        assert_eq!(get("EMPTY"), Some(Some(String::new())));
        assert_eq!(v.len(), 8);
    }
}
