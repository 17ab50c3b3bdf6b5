//! Compose variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, `$VAR` and `$$` (a literal
//! `$`), with values from the project's `.env` file only.
//!
//! plumbline never reads the process environment: a result must not depend on the machine
//! that runs the check. A variable that `.env` does not set is therefore unknown, and a value
//! that needs one (with no default to fall back on) is kept as raw text and marked
//! unresolved, so rules leave it alone.

use std::collections::HashMap;
use std::ops::Range;

/// Variables from `.env`: `None` marks a variable whose own value could not be resolved.
pub type Vars = HashMap<String, Option<String>>;

/// The outcome of interpolating one scalar.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interpolated {
    /// The text with every reference replaced; meaningful only when `resolved`.
    pub text: String,
    /// False when some variable is neither in `.env` nor has a default.
    pub resolved: bool,
    /// Variables whose value came from `.env`.
    pub from_dotenv: Vec<String>,
    /// Byte ranges of the raw text holding defaults (`${VAR:-default}`) that were used.
    pub defaults: Vec<Range<usize>>,
}

/// Interpolates `raw`. An `Err` is a malformed reference (`${` without `}`, `${}`), which
/// Compose refuses too.
pub fn interpolate(raw: &str, vars: &Vars) -> Result<Interpolated, String> {
    let mut out = Interpolated {
        resolved: true,
        ..Interpolated::default()
    };
    run(raw, 0, vars, &mut out, 0)?;
    Ok(out)
}

/// Nesting of `${A:-${B:-...}}` deeper than this is refused.
const MAX_NESTING: usize = 16;

fn run(
    raw: &str,
    base: usize,
    vars: &Vars,
    out: &mut Interpolated,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_NESTING {
        return Err("variable defaults nested too deeply".into());
    }
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut literal_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        out.text.push_str(&raw[literal_start..i]);
        match bytes.get(i + 1) {
            Some(b'$') => {
                out.text.push('$');
                i += 2;
            }
            Some(b'{') => {
                let close = matching_brace(raw, i + 2)
                    .ok_or_else(|| format!("`{}` has no closing `}}`", &raw[i..]))?;
                braced(&raw[i + 2..close], base + i + 2, vars, out, depth)?;
                i = close + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let end = raw[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(raw.len(), |e| i + 1 + e);
                lookup(&raw[i + 1..end], vars, out);
                i = end;
            }
            // A `$` before anything else is kept as it is.
            _ => {
                out.text.push('$');
                i += 1;
            }
        }
        literal_start = i;
    }
    out.text.push_str(&raw[literal_start..]);
    Ok(())
}

/// The index of the `}` closing a `${` whose body starts at `from`.
fn matching_brace(raw: &str, from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let bytes = raw.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The body of `${...}` starting at `base` in the raw text.
fn braced(
    body: &str,
    base: usize,
    vars: &Vars,
    out: &mut Interpolated,
    depth: usize,
) -> Result<(), String> {
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let name = &body[..name_end];
    if name.is_empty() {
        return Err(format!("`${{{body}}}` names no variable"));
    }
    let rest = &body[name_end..];
    let (op, arg_at) = if let Some(op) = ["-", "?", "+"]
        .iter()
        .find_map(|op| rest.strip_prefix(&format!(":{op}")).map(|_| *op))
    {
        (format!(":{op}"), name_end + 2)
    } else if let Some(op) = ["-", "?", "+"].iter().find(|op| rest.starts_with(**op)) {
        (op.to_string(), name_end + 1)
    } else if rest.is_empty() {
        lookup(name, vars, out);
        return Ok(());
    } else {
        return Err(format!("`${{{body}}}` is not a valid variable reference"));
    };
    let arg = &body[arg_at..];
    let value = vars.get(name);
    // `Some(None)`: set in `.env` but to something unknown.
    let set = value.is_some();
    let non_empty = matches!(value, Some(Some(v)) if !v.is_empty()) || matches!(value, Some(None));
    let use_value = match op.as_str() {
        ":-" | ":?" => non_empty,
        "-" | "?" => set,
        // `:+`/`+`: the alternative when set, else empty.
        _ => {
            let alt = if op == ":+" { non_empty } else { set };
            if alt {
                return run(arg, base + arg_at, vars, out, depth + 1);
            }
            return Ok(());
        }
    };
    if use_value {
        lookup(name, vars, out);
    } else if op.ends_with('-') {
        out.defaults.push(base + arg_at..base + body.len());
        run(arg, base + arg_at, vars, out, depth + 1)?;
    } else {
        // `:?`/`?` with the variable unset: Compose stops, unless the shell sets it.
        out.resolved = false;
    }
    Ok(())
}

fn lookup(name: &str, vars: &Vars, out: &mut Interpolated) {
    match vars.get(name) {
        Some(Some(v)) => {
            out.text.push_str(v);
            out.from_dotenv.push(name.to_string());
        }
        _ => out.resolved = false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        [("TAG", Some("1.2")), ("EMPTY", Some("")), ("UNKNOWN", None)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    fn ok(raw: &str) -> Interpolated {
        interpolate(raw, &vars()).unwrap()
    }

    #[test]
    fn braced_and_bare_references() {
        let r = ok("app:${TAG}");
        assert_eq!((r.text.as_str(), r.resolved), ("app:1.2", true));
        assert_eq!(r.from_dotenv, ["TAG"]);
        assert_eq!(ok("app:$TAG-x").text, "app:1.2-x");
        assert!(!ok("app:${NOPE}").resolved);
        assert!(!ok("app:$NOPE").resolved);
        assert!(!ok("app:${UNKNOWN}").resolved);
    }

    #[test]
    fn defaults() {
        let r = ok("a:${NOPE:-3.4}");
        assert_eq!((r.text.as_str(), r.resolved), ("a:3.4", true));
        assert_eq!(r.defaults.first(), Some(&(10..13)));
        assert_eq!(r.defaults.len(), 1);
        assert_eq!(ok("${EMPTY:-d}").text, "d");
        assert_eq!(ok("${EMPTY-d}").text, "");
        assert_eq!(ok("${NOPE-d}").text, "d");
        assert_eq!(ok("${TAG:-d}").text, "1.2");
        assert!(ok("${TAG:-d}").defaults.is_empty());
        let nested = ok("${NOPE:-${TAG}}");
        assert_eq!((nested.text.as_str(), nested.resolved), ("1.2", true));
        assert!(!ok("${NOPE:-${ALSO_NOPE}}").resolved);
    }

    #[test]
    fn required_and_alternative() {
        assert!(!ok("${NOPE:?must be set}").resolved);
        assert!(!ok("${NOPE?must be set}").resolved);
        assert_eq!(ok("${TAG:?x}").text, "1.2");
        assert_eq!(ok("${EMPTY?x}").text, "");
        assert_eq!(ok("${TAG:+on}").text, "on");
        assert_eq!(ok("${NOPE:+on}").text, "");
        assert_eq!(ok("${EMPTY+on}").text, "on");
    }

    #[test]
    fn dollars() {
        assert_eq!(ok("echo $$HOME").text, "echo $HOME");
        assert!(ok("echo $$HOME").resolved);
        assert_eq!(ok("cost: 5$").text, "cost: 5$");
        assert_eq!(ok("$1 $?").text, "$1 $?");
    }

    #[test]
    fn malformed() {
        assert!(interpolate("${TAG", &vars()).is_err());
        assert!(interpolate("${}", &vars()).is_err());
        assert!(interpolate("${TAG!x}", &vars()).is_err());
        assert!(interpolate(&"${A:-".repeat(40), &vars()).is_err());
    }
}
