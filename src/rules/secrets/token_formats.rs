//! SEC004 known-token-format: credentials in a recognisable format (cloud keys, API tokens,
//! private key blocks) anywhere in a file, whatever the key they are under.

use std::sync::LazyLock;

use regex::Regex;

use crate::finding::mask_secret;
use crate::rules::{FileContext, Rule, Sink};
use crate::source::Span;

pub struct KnownTokenFormat;

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

impl Rule for KnownTokenFormat {
    fn id(&self) -> &'static str {
        "SEC004"
    }

    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        for (span, what) in find_tokens(&ctx.file.text) {
            let value = ctx.file.slice(span);
            let is_key_block = what == "a private key block";
            let finding = sink.report(
                span,
                if is_key_block {
                    "A private key is written into this file".to_string()
                } else {
                    format!("This looks like {what} (`{}`)", mask_secret(value))
                },
            );
            if is_key_block {
                // Mask the key material after the header.
                let header = value.find("KEY-----").map_or(0, |i| i + "KEY-----".len());
                finding
                    .secrets
                    .push(Span::new(span.start + header, span.end));
            } else {
                finding.secrets.push(span);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_key_needs_key_material_after_its_header() {
        let doc = "## key should start with -----BEGIN RSA PRIVATE KEY-----\n  ## name: x\n";
        assert!(find_tokens(doc).is_empty());
        let key = format!(
            "key: |\n  -----BEGIN RSA PRIVATE KEY-----\n  {}\n",
            "MIIEpAIBAAKCAQEA7Yq3Zy9kF0x2c1Vb8wQm5TnR4sLpHjKe".repeat(2)
        );
        assert_eq!(find_tokens(&key).len(), 1);
        let json =
            "\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC\"";
        assert_eq!(find_tokens(json).len(), 1);
    }

    #[test]
    fn finds_tokens_but_not_documented_examples() {
        let text = "a=AKIAIOSFODNN7EXAMPLE b=AKIAZ7VRSQ5TQNG2KXLM c=ghp_0123456789abcdefghijABCDEFGHIJklmnop";
        let found = find_tokens(text);
        assert_eq!(found.len(), 2);
        assert_eq!(
            &text[found[0].0.start..found[0].0.end],
            "AKIAZ7VRSQ5TQNG2KXLM"
        );
    }
}
