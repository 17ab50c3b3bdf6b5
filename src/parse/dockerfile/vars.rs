//! Variable substitution as the Dockerfile frontend does it, shared by the parser (global
//! `ARG`s in `FROM`) and the rules (`ENV`/`ARG` values in `EXPOSE`, `HEALTHCHECK`, `CMD`).

use std::collections::HashMap;

/// Variables in force: a name declared without a value (`ARG X`) maps to `None`, which
/// `${X-default}` treats differently from an unknown name.
pub type Vars = HashMap<String, Option<String>>;

/// Substitutes `$VAR` and the `${VAR…}` forms in `s` from `vars`. `None` when a variable
/// without a value is needed, or for syntax we do not evaluate: the result could then be
/// anything.
pub fn substitute(s: &str, vars: &Vars) -> Option<String> {
    substitute_at(s, vars, 0)
}

/// How deep `${A:-${B:-…}}` defaults may nest before we give up (and report "unresolved").
const MAX_SUBSTITUTION_DEPTH: usize = 8;

/// Substitutes at nesting `depth`: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`,
/// `${VAR+alt}`, `${VAR:?msg}` and `${VAR?msg}` from `vars`. `None` when a variable without a
/// value is needed, or for syntax we do not evaluate.
fn substitute_at(s: &str, vars: &Vars, depth: usize) -> Option<String> {
    if depth > MAX_SUBSTITUTION_DEPTH {
        return None;
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut literal = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        out.push_str(&s[literal..i]);
        if b.get(i + 1) == Some(&b'{') {
            let close = matching_brace(b, i + 2)?;
            out.push_str(&expand_braced(&s[i + 2..close], vars, depth)?);
            i = close + 1;
        } else {
            let n = name_len(&s[i + 1..]);
            if n == 0 {
                out.push('$');
            } else {
                out.push_str(vars.get(&s[i + 1..i + 1 + n])?.as_deref()?);
            }
            i += 1 + n;
        }
        literal = i;
    }
    out.push_str(&s[literal..]);
    Some(out)
}

/// The index of the `}` closing a `${` whose contents start at `from`.
fn matching_brace(b: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    for (i, &c) in b.iter().enumerate().skip(from) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The length of the variable name at the start of `s` (`[A-Za-z_][A-Za-z0-9_]*`), or 0.
fn name_len(s: &str) -> usize {
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return 0;
    }
    s.bytes()
        .take_while(|&c| c.is_ascii_alphanumeric() || c == b'_')
        .count()
}

/// Expands the inside of `${…}`.
fn expand_braced(inner: &str, vars: &Vars, depth: usize) -> Option<String> {
    let n = name_len(inner);
    if n == 0 {
        return None;
    }
    let value = vars.get(&inner[..n]).cloned().flatten();
    let op = &inner[n..];
    let word = |w: &str| substitute_at(w, vars, depth + 1);
    let set_nonempty = value.as_deref().is_some_and(|v| !v.is_empty());
    if op.is_empty() {
        value
    } else if let Some(w) = op.strip_prefix(":-") {
        if set_nonempty { value } else { word(w) }
    } else if let Some(w) = op.strip_prefix(":+") {
        if set_nonempty {
            word(w)
        } else {
            Some(String::new())
        }
    } else if op.starts_with(":?") {
        value.filter(|v| !v.is_empty())
    } else if let Some(w) = op.strip_prefix('-') {
        value.or_else(|| word(w))
    } else if let Some(w) = op.strip_prefix('+') {
        if value.is_some() {
            word(w)
        } else {
            Some(String::new())
        }
    } else if op.starts_with('?') {
        value
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_edge_cases() {
        let mut vars = HashMap::new();
        vars.insert("A".to_string(), Some("a".to_string()));
        vars.insert("E".to_string(), Some(String::new()));
        vars.insert("U".to_string(), None);
        let s = |t: &str| substitute(t, &vars);
        assert_eq!(s("x$A-${A}").as_deref(), Some("xa-a"));
        assert_eq!(s("${E:-d}|${E-d}|${U-d}").as_deref(), Some("d||d"));
        assert_eq!(s("${A:+y}${E:+y}${U+y}").as_deref(), Some("y"));
        assert_eq!(s("${U:-${A}}").as_deref(), Some("a"));
        assert_eq!(s("$ $1 $").as_deref(), Some("$ $1 $"));
        assert_eq!(s("$U"), None);
        assert_eq!(s("${A"), None);
        assert_eq!(s("${A#x}"), None);
        let deep = format!("{}x{}", "${U:-".repeat(100), "}".repeat(100));
        assert_eq!(s(&deep), None);
    }
}
