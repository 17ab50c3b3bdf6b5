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

/// The same token formats in any letter case: for text that is not a file's own (a parse
/// error upper-cases the word it quotes, `GHP_…`), where a missed secret costs more than a
/// masked word.
static PATTERNS_ANY_CASE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|p| Regex::new(&format!("(?i){}", p.regex.as_str())).expect("token pattern compiles"))
        .collect()
});

/// The byte ranges of known-format tokens in `text`, matched in any letter case (see
/// [`PATTERNS_ANY_CASE`]).
pub fn find_tokens_any_case(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    for re in PATTERNS_ANY_CASE.iter() {
        for m in re.find_iter(text) {
            if DOCUMENTED_EXAMPLES
                .iter()
                .any(|e| e.eq_ignore_ascii_case(m.as_str()))
            {
                continue;
            }
            let end = m.start() + m.as_str().trim_end().len();
            out.push(Span::new(m.start(), end));
        }
    }
    out
}

/// `name = value`, `name: value`, `"name": "value"`, Bicep's `param name type = value`: a
/// name and the literal written after it on the same line.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        concat!(
            r#"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)["']?"#,
            // A Bicep param's type.
            r#"(?:[ \t]+(?:string|object|secureString|secureObject))?"#,
            // `=` takes any value; `:` a quoted one, or a bare one after a blank (YAML), so
            // `file.yaml:7:5` is not read as an assignment.
            r#"(?:[ \t]*=[ \t]*(?:"(?P<dq1>(?:[^"\\\r\n]|\\.)*)"|'(?P<sq1>[^'\r\n]*)'|(?P<bare1>[^\s"'#,;{}\[\]()]+))"#,
            r#"|[ \t]*:[ \t]*(?:"(?P<dq2>(?:[^"\\\r\n]|\\.)*)"|'(?P<sq2>[^'\r\n]*)')"#,
            r#"|[ \t]*:[ \t]+(?P<bare2>[^\s"'#,;{}\[\]()]+))"#,
        ),
    )
    .expect("compiles")
});

/// Every secret the detectors find in one line (or any short text) that is not a file's
/// parsed structure: known-format tokens in any case, passwords in URLs, and literals
/// assigned to a name that says it holds a secret (`password: hunter2`,
/// `DB_PASSWORD="…"`, `param adminPassword string = '…'`). Spans cover the value only, never
/// its quotes. Values already masked (`hunt****`), placeholders and references are left
/// alone. The report's redaction pass runs this over every line and message it prints, so a
/// secret no rule reported (its rule off, its file unparsable) is still not printed.
pub fn find_in_text(text: &str) -> Vec<Span> {
    // Most text holds nothing a detector could match: one pass over it for the words every
    // match needs spares running the regexes (the report runs this on every message and
    // every line it shows).
    let (mut tokens, mut url, mut named) = (false, false, false);
    for m in HINTS.find_iter(text) {
        match HINT_WORDS[m.pattern().as_usize()].1 {
            Hint::Token => tokens = true,
            Hint::Url => url = true,
            Hint::Name => named = true,
        }
    }
    let mut out = if tokens {
        find_tokens_any_case(text)
    } else {
        Vec::new()
    };
    if !url {
        return find_named(text, named, out);
    }
    for c in URL_USERINFO.captures_iter(text) {
        if let Some(m) = c.get(1)
            && !is_placeholder(m.as_str())
            && !m.as_str().contains("****")
        {
            out.push(Span::new(m.start(), m.end()));
        }
    }
    find_named(text, named, out)
}

/// What a hint word says may be in a text.
#[derive(Clone, Copy)]
enum Hint {
    Token,
    Url,
    Name,
}

/// Words one of which every detector's match holds (in any case): token prefixes, a URL's
/// `://`, and the words of every secret name [`is_secret_name`] accepts.
const HINT_WORDS: &[(&str, Hint)] = &[
    ("akia", Hint::Token),
    ("asia", Hint::Token),
    ("abia", Hint::Token),
    ("acca", Hint::Token),
    ("gh", Hint::Token),
    ("github_pat", Hint::Token),
    ("npm_", Hint::Token),
    ("xox", Hint::Token),
    ("accountkey=", Hint::Token),
    ("aiza", Hint::Token),
    ("_live_", Hint::Token),
    ("-----begin", Hint::Token),
    ("://", Hint::Url),
    ("pass", Hint::Name),
    ("secret", Hint::Name),
    ("token", Hint::Name),
    ("key", Hint::Name),
    ("credential", Hint::Name),
    ("pwd", Hint::Name),
    ("conn", Hint::Name),
];

static HINTS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(HINT_WORDS.iter().map(|(w, _)| w))
        .expect("hint words compile")
});

/// [`find_in_text`]'s secret-named assignments, added to `out` (sorted, without duplicates).
fn find_named(text: &str, named: bool, mut out: Vec<Span>) -> Vec<Span> {
    if !named {
        out.sort();
        out.dedup();
        return out;
    }
    for c in ASSIGNMENT.captures_iter(text) {
        let (Some(name), Some(value)) = (
            c.name("name"),
            ["dq1", "sq1", "bare1", "dq2", "sq2", "bare2"]
                .iter()
                .find_map(|g| c.name(g)),
        ) else {
            continue;
        };
        let v = value.as_str();
        let bare = c.name("bare1").or(c.name("bare2")).is_some();
        // A bare dotted path or call (`data.x.token`, `account.listKeys()`) is a reference in
        // HCL and Bicep, not a literal.
        let reference = bare
            && (text[value.end()..].starts_with(['(', '[', '.'])
                || v.contains('.')
                    && v.split('.').all(|w| {
                        w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                            && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    }));
        if value.is_empty()
            || reference
            || !is_secret_name(name.as_str())
            || is_reference_name(name.as_str())
            || is_placeholder(v)
            || v.contains("****")
            || v.starts_with("secretKeyRef")
        {
            continue;
        }
        out.push(Span::new(value.start(), value.end()));
    }
    out.sort();
    out.dedup();
    out
}

/// Names of settings that point at a secret kept elsewhere (`existingSecret`,
/// `passwordSecretKey`, `secretName`, `tokenRef`) rather than hold one.
fn is_reference_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase().replace(['-', '_', '.'], "");
    lower.starts_with("existing")
        || lower.ends_with("ref")
        || lower.ends_with("secretkey") && lower != "secretkey" && !lower.ends_with("awssecretkey")
        || lower.ends_with("passwordkey")
        || lower.ends_with("tokenkey")
        || lower.ends_with("secretname")
        || lower.ends_with("secrets")
        || lower.ends_with("keyname")
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
/// `/run/secrets/db-password`, `/var/secrets/google/key.json`: where a secret is (a mounted
/// file), not the secret.
pub fn is_file_path(value: &str) -> bool {
    value.starts_with('/')
        && value.len() > 1
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
}

/// Whether a variable or key name says it holds a secret: `DB_PASSWORD`, `apiKey`,
/// `GITHUB_TOKEN`, `client_secret`. Names that only point at a secret (`*_FILE`, `*_PATH`) or
/// describe one (`*_LENGTH`, `*_ENABLED`, `*_ID`) do not.
pub fn is_secret_name(name: &str) -> bool {
    // Most names say nothing of secrets: every `true` below needs one of these words in the
    // name, whatever its separators and case (a profile showed this function at 6% of a
    // corpus check). Non-ASCII names take the full path: their upper case can be ASCII.
    if name.is_ascii() {
        let squashed: String = name
            .bytes()
            .filter(|b| !matches!(b, b'-' | b'.' | b'_'))
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
        const NEEDED: &[&str] = &[
            "pass",
            "secret",
            "token",
            "key",
            "credential",
            "connectionstring",
            "connstr",
            "pwd",
        ];
        if !NEEDED.iter().any(|w| squashed.contains(w)) {
            return false;
        }
    }
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
        // Durations: `TOKEN_EXPIRY_SECONDS=3600` is how long a token lives.
        "_SECONDS",
        "_SECS",
        "_MINUTES",
        "_MINS",
        "_HOURS",
        "_DAYS",
        "_MS",
        "_MILLIS",
        "_LIFETIME",
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
        "APP_KEY",
    ];
    if MARKERS
        .iter()
        .any(|m| words.contains(m) || upper.contains(m))
    {
        return true;
    }
    // `APP_KEYS` (Strapi), `SESSION_KEYS`: lists of signing keys; public and authorized keys
    // are not secrets.
    if (words.ends_with("_KEYS") || words == "KEYS")
        && !["PUBLIC_KEYS", "AUTHORIZED_KEYS", "SSH_KEYS", "HOST_KEYS"]
            .iter()
            .any(|k| words.ends_with(k))
    {
        return true;
    }
    // `*_PWD` and `*_PASS`, but never `PWD` (the working directory) or `PASSENGER`.
    words.ends_with("_PWD") || words.ends_with("_PASS") || words == "PASS"
}

/// Whether a name says its value authenticates, as `NEO4J_AUTH`, `REDIS_AUTH` or
/// `BASIC_AUTH` do: such a value is a secret when it has a credential's form
/// ([`credential_pair`]), not when it names a method (`none`, `basic`).
pub fn is_auth_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    upper.ends_with("_AUTH") || upper == "AUTH" || upper.ends_with("BASICAUTH")
}

/// `neo4j/s3cret` or `admin:s3cret`: a user and a password in one value (Neo4j's
/// `NEO4J_AUTH`, basic-auth pairs). The password's byte range, when the value has that form
/// and the password is not a placeholder.
pub fn credential_pair(value: &str) -> Option<Span> {
    let v = value.trim();
    let sep = v.find(['/', ':'])?;
    let (user, password) = (&v[..sep], &v[sep + 1..]);
    let word = |w: &str| {
        !w.is_empty()
            && !w.contains(char::is_whitespace)
            && !w.contains(['/', ':', '@', '$', '{', '}'])
    };
    if !word(user)
        || !word(password)
        || !user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        || is_placeholder(password)
    {
        return None;
    }
    let start = value.len() - value.trim_start().len() + sep + 1;
    Some(Span::new(start, start + password.len()))
}

/// `Server=db;User Id=sa;Password=Pa55w0rd!`: the byte range of a literal password (or
/// account key, shared access key) in an ADO.NET-style connection string, whatever the
/// variable is called.
pub fn connection_string_password(text: &str) -> Option<Span> {
    static PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:^|;)\s*(?:password|pwd|accountkey|sharedaccesskey)\s*=\s*([^;]+)")
            .expect("compiles")
    });
    PASSWORD.captures_iter(text).find_map(|c| {
        let m = c.get(1)?;
        let v = m.as_str().trim_end();
        (!is_placeholder(v)).then(|| Span::new(m.start(), m.start() + v.len()))
    })
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
        "fake",
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
            "TOKEN_EXPIRY_SECONDS",
            "SESSION_SECRET_LIFETIME",
        ] {
            assert!(!is_secret_name(no), "{no}");
        }
    }

    #[test]
    fn text_detectors_find_every_kind_in_any_case() {
        let pat = format!("github_pat_{}", "a1B2".repeat(20) + "xy");
        for (text, secret) in [
            (
                format!("unknown instruction `{}`", pat.to_uppercase()),
                pat.to_uppercase(),
            ),
            (
                "x AKIAZ7Q2X4M9P3L8K6J5 y".to_string(),
                "AKIAZ7Q2X4M9P3L8K6J5".into(),
            ),
            ("ADD https://u:s3cr3tPass@h/x".into(), "s3cr3tPass".into()),
            ("ENV DB_PASSWORD=Qw3rtyUi0p".into(), "Qw3rtyUi0p".into()),
            ("  password: \"Qw3rty'Ui0p\"".into(), "Qw3rty'Ui0p".into()),
            (
                "param adminPassword string = 'S3cret!'".into(),
                "S3cret!".into(),
            ),
        ] {
            let found = find_in_text(&text);
            assert!(
                found.iter().any(|s| text[s.start..s.end] == secret),
                "{text}: {found:?}"
            );
        }
        for clean in [
            "file.secret.yaml:7:5",
            "token = data.google_client_config.provider.access_token",
            "output key string = account.listKeys().keys[0].value",
            "existingSecret: my-secret",
            "password: ${DB_PASSWORD}",
            "`ENV PASSWORD=hunt****`",
        ] {
            assert!(
                find_in_text(clean).is_empty(),
                "{clean}: {:?}",
                find_in_text(clean)
            );
        }
    }

    #[test]
    fn credentials_by_form() {
        let t = "neo4j/password";
        let s = credential_pair(t).unwrap();
        assert_eq!(&t[s.start..s.end], "password");
        assert!(credential_pair("admin:Sup3rS3cret").is_some());
        assert!(credential_pair("none").is_none());
        assert!(credential_pair("neo4j/${NEO4J_PASSWORD}").is_none());
        assert!(credential_pair("neo4j/changeme").is_none());
        assert!(credential_pair("http://a/b").is_none());
        assert!(is_auth_name("NEO4J_AUTH") && is_auth_name("ME_CONFIG_BASICAUTH"));
        assert!(!is_auth_name("OAUTH_ENABLED") && !is_auth_name("AUTHOR"));
        let c = "Server=sqldata;Database=Orders;User Id=sa;Password=Pass@word";
        let s = connection_string_password(c).unwrap();
        assert_eq!(&c[s.start..s.end], "Pass@word");
        assert!(connection_string_password("Server=db;Password=${DB_PASSWORD}").is_none());
        assert!(connection_string_password("Server=db;Integrated Security=true").is_none());
        assert!(is_secret_name("APP_KEYS") && is_secret_name("APP_KEY"));
        assert!(!is_secret_name("SSH_AUTHORIZED_KEYS") && !is_secret_name("JWT_PUBLIC_KEYS"));
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
            "fake_password",
        ] {
            assert!(is_placeholder(yes), "{yes}");
        }
        for no in ["s3cr3t-Pa55", "hunter2", "ghp_abc"] {
            assert!(!is_placeholder(no), "{no}");
        }
    }
}
