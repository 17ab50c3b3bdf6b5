//! What a secret looks like: names that say a value is one (`DB_PASSWORD`, `apiKey`), values
//! in a known credential format (cloud keys, API tokens, private key blocks), passwords in
//! URLs, and the placeholders that are not secrets. Rules decide findings with these; the
//! report's redaction pass uses the same detectors, so what a rule would call a secret is
//! never printed.

use std::sync::LazyLock;

use regex::Regex;

use crate::source::Span;

struct Pattern {
    what: &'static str,
    regex: Regex,
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let p = |what, re: &str| Pattern {
        what,
        regex: Regex::new(re).expect("token pattern compiles"),
    };
    vec![
        p(
            "an AWS access key id",
            r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
        ),
        p(
            "a GitHub token",
            r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b",
        ),
        p(
            "a GitHub fine-grained token",
            r"\bgithub_pat_[A-Za-z0-9_]{82}\b",
        ),
        p("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        p("a Slack token", r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
        p(
            "an Azure storage account key",
            r"AccountKey=[A-Za-z0-9+/]{40,}={0,2}",
        ),
        p("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        p("a Stripe live key", r"\b(?:sk|rk)_live_[0-9A-Za-z]{24,}\b"),
        p(
            "a private key block",
            // The header alone is often quoted in documentation ("keys start with -----BEGIN
            // RSA PRIVATE KEY-----"): only a header followed by key material is a key.
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?:\\n|\\r|\s)+(?:Proc-Type:|[A-Za-z0-9+/=]{40})(?:[A-Za-z0-9+/=]|\\n|\\r|[ \t\r\n])*",
        ),
    ]
});

/// Keys published in documentation as examples; they are not anyone's credentials.
const DOCUMENTED_EXAMPLES: &[&str] = &["AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE"];

/// Every known-format token in `text`: its byte range and what it is.
pub fn find_tokens(text: &str) -> Vec<(Span, &'static str)> {
    let mut out = Vec::new();
    for p in PATTERNS.iter() {
        for m in p.regex.find_iter(text) {
            if DOCUMENTED_EXAMPLES.contains(&m.as_str()) {
                continue;
            }
            // A key block's match runs over the blanks after its last line.
            let end = m.start() + m.as_str().trim_end().len();
            out.push((Span::new(m.start(), end), p.what));
        }
    }
    out.sort();
    out
}

/// Whether `text` holds a known-format token (rules that judge by key name leave those to
/// this rule, so one secret gives one finding).
pub fn contains_token(text: &str) -> bool {
    !find_tokens(text).is_empty()
}

/// A value in `SCREAMING_SNAKE_CASE` (`GOOGLE_API_KEY_VAL`, `INSERT_ETCD_TOKEN`): a marker
/// that a script or kustomize replaces before deploying, not a secret.
pub fn is_substitution_marker(value: &str) -> bool {
    let v = value.trim();
    v.contains('_')
        && v.starts_with(|c: char| c.is_ascii_uppercase())
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}
/// Whether a variable or key name says it holds a secret: `DB_PASSWORD`, `apiKey`,
/// `GITHUB_TOKEN`, `client_secret`. Names that only point at a secret (`*_FILE`, `*_PATH`) or
/// describe one (`*_LENGTH`, `*_ENABLED`, `*_ID`) do not.
pub fn is_secret_name(name: &str) -> bool {
    let upper: String = name
        .chars()
        .flat_map(|c| c.to_uppercase())
        .map(|c| if c == '-' || c == '.' { '_' } else { c })
        .collect();
    // camelCase: `apiKey` → `API_KEY` for the word checks below.
    let mut words = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            words.push('_');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        words.extend(c.to_uppercase());
    }
    let words = words.replace(['-', '.'], "_");
    const NOT_A_VALUE: &[&str] = &[
        "_FILE",
        "_PATH",
        "_DIR",
        "_LENGTH",
        "_LEN",
        "_ENABLED",
        "_ENABLE",
        "_ID",
        "_NAME",
        "_TTL",
        "_EXPIRY",
        "_EXPIRES",
        "_TIMEOUT",
        "_HEADER",
        "_TYPE",
        "_MODE",
        "_VERSION",
        "_SIZE",
        "_ALGORITHM",
        "_URL",
        "_URI",
        "_ENDPOINT",
        "_REF",
        "_KEY_REF",
        "_POLICY",
        "_PROVIDER",
        "_FORMAT",
        "_LOCATION",
        "_SOURCE",
        "_COMMAND",
        "_CMD",
        "_PROMPT",
        "_REQUIRED",
        "_MIN",
        "_MAX",
        "_COUNT",
        "_STORE",
        "_VAULT",
        "_INTERVAL",
        "_ARN",
        "_ARNS",
    ];
    if NOT_A_VALUE
        .iter()
        .any(|s| words.ends_with(s) || upper.ends_with(s))
    {
        return false;
    }
    const MARKERS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "SECRET_KEY",
        "AUTH_KEY",
        "CLIENT_SECRET",
        "CREDENTIAL",
        "ACCOUNT_KEY",
        "CONNECTION_STRING",
        "CONN_STR",
        "SAS_KEY",
        "MASTER_KEY",
        "ENCRYPTION_KEY",
        "SIGNING_KEY",
    ];
    if MARKERS
        .iter()
        .any(|m| words.contains(m) || upper.contains(m))
    {
        return true;
    }
    // `*_PWD` and `*_PASS`, but never `PWD` (the working directory) or `PASSENGER`.
    words.ends_with("_PWD") || words.ends_with("_PASS") || words == "PASS"
}

/// `scheme://user:password@host`: the password group is the secret.
pub static URL_USERINFO: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@").expect("compiles")
});

/// The byte range of a literal password in a URL's user-info (`postgresql://app:s3cret@db`),
/// if `text` holds one that is not a placeholder or a variable reference.
pub fn url_password(text: &str) -> Option<crate::source::Span> {
    URL_USERINFO.captures_iter(text).find_map(|c| {
        let m = c.get(1)?;
        (!is_placeholder(m.as_str())).then(|| crate::source::Span::new(m.start(), m.end()))
    })
}

/// Whether a literal value is obviously not a real secret: empty, a reference, a boolean, or a
/// placeholder someone is meant to replace.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    if v.is_empty()
        || v.starts_with('$')
        || v.contains("${")
        || v.starts_with("{{")
        || v.contains(crate::render::helm::template::UNKNOWN_TEXT)
    {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "none" | "null" | "nil" | "0" | "1" | "yes" | "no" | "-"
    ) {
        return true;
    }
    if (v.starts_with('<') && v.ends_with('>'))
        || v.chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '_' | '-'))
    {
        return true;
    }
    const WORDS: &[&str] = &[
        "changeme",
        "change_me",
        "change-me",
        "replace",
        "placeholder",
        "your_",
        "your-",
        "yourpassword",
        "example",
        "dummy",
        "redacted",
        "todo",
        "fixme",
        "<secret>",
        "not-a-secret",
        "notasecret",
    ];
    WORDS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for yes in [
            "DB_PASSWORD",
            "apiKey",
            "GITHUB_TOKEN",
            "client_secret",
            "MYSQL_ROOT_PWD",
            "AWS_SECRET_ACCESS_KEY",
            "npm-token",
            "Password",
        ] {
            assert!(is_secret_name(yes), "{yes}");
        }
        for no in [
            "PWD",
            "POSTGRES_PASSWORD_FILE",
            "AWS_ACCESS_KEY_ID",
            "TOKEN_URL",
            "PASSWORD_MIN_LENGTH",
            "SECRET_NAME",
            "PATH",
            "PASSENGER_VERSION",
            "KEYCLOAK_HOME",
            "secret_rotation_interval",
            "task_exec_secret_arns",
        ] {
            assert!(!is_secret_name(no), "{no}");
        }
    }

    #[test]
    fn url_passwords() {
        let t = "postgresql://app:s3cret@db:5432/x";
        let s = url_password(t).unwrap();
        assert_eq!(&t[s.start..s.end], "s3cret");
        assert!(url_password("postgresql://app:${DB_PASS}@db").is_none());
        assert!(url_password("https://example.com/a:b@c").is_none());
    }

    #[test]
    fn placeholders() {
        for yes in [
            "",
            "${DB_PASSWORD}",
            "$TOKEN",
            "changeme",
            "<your-token>",
            "****",
            "true",
            "your_api_key_here",
        ] {
            assert!(is_placeholder(yes), "{yes}");
        }
        for no in ["s3cr3t-Pa55", "hunter2", "ghp_abc"] {
            assert!(!is_placeholder(no), "{no}");
        }
    }
}
