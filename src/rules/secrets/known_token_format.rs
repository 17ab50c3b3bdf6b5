//! SEC004 known-token-format: credentials in a recognisable format (cloud keys, API tokens,
//! private key blocks) anywhere in a file, whatever the key they are under.

use crate::finding::mask_secret;
use crate::model::secret::find_tokens;
use crate::rules::{FileContext, Rule, Sink};
use crate::source::Span;

pub struct KnownTokenFormat;

impl Rule for KnownTokenFormat {
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
