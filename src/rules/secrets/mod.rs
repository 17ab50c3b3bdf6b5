//! secrets: credentials must not be written into files that are committed, and never into
//! image layers, where anyone who can pull the image can read them back (`docker history`,
//! `docker save`), long after the value was rotated in the source.

pub mod bicep_literal_secret;
pub mod bicep_output_secret;
pub mod bicep_param_secure;
pub mod bicep_registry_admin;
pub mod compose_env;
pub mod container_env;
pub mod copy_context;
pub mod env_arg;
pub mod helm_values;
pub mod k8s_secret_data;
pub mod run_credentials;
pub mod secret_files;
pub mod secret_handling_drift;
pub mod terraform_literal_secret;
pub mod terraform_registry_admin;
pub mod terraform_sensitive;
pub mod token_formats;

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
    if v.is_empty() || v.starts_with('$') || v.contains("${") || v.starts_with("{{") {
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
