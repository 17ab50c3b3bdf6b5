//! SEC002 secret-file-copied: `COPY`/`ADD` of files that hold credentials (`.env`, SSH and TLS
//! private keys, `.npmrc`, cloud credentials) into the image.

use crate::parse::dockerfile::InstructionKind;
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct SecretFileCopied;

/// What a copied path is, when it is a credentials file.
pub fn secret_file_kind(path: &str) -> Option<&'static str> {
    let trimmed = path.trim_end_matches('/');
    let base = trimmed
        .rsplit('/')
        .next()
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    let lower = trimmed.to_ascii_lowercase();
    if base == ".env"
        || (base.starts_with(".env.")
            && !["example", "sample", "template", "dist", "defaults", "tmpl"]
                .iter()
                .any(|s| base.ends_with(s)))
    {
        return Some("an environment file with secrets");
    }
    if matches!(
        base.as_str(),
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519"
    ) {
        return Some("an SSH private key");
    }
    if base.ends_with(".key")
        || base.ends_with(".p12")
        || base.ends_with(".pfx")
        || base.ends_with(".jks")
        || base.ends_with(".keystore")
    {
        return Some("a private key or keystore");
    }
    // A .pem may be a public certificate (ca.pem, fullchain.pem): only key-like names count.
    if base.ends_with(".pem")
        && ["key", "private", "priv", "secret", "id_"]
            .iter()
            .any(|m| base.contains(m))
    {
        return Some("a private key");
    }
    if matches!(
        base.as_str(),
        ".npmrc" | ".pypirc" | ".netrc" | ".git-credentials" | ".pgpass" | ".htpasswd"
    ) {
        return Some("a credentials file");
    }
    if base == "credentials"
        || base == "credentials.json"
        || lower.ends_with(".aws")
        || lower.contains(".aws/")
        || lower.ends_with(".docker/config.json")
        || lower.ends_with(".kube/config")
    {
        return Some("cloud or registry credentials");
    }
    None
}

impl Rule for SecretFileCopied {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        for ins in &df.instructions {
            let (InstructionKind::Copy(copy) | InstructionKind::Add(copy)) = &ins.kind else {
                continue;
            };
            for src in &copy.sources {
                if src.text.starts_with("<<") || src.text.contains("://") {
                    continue;
                }
                if let Some(kind) = secret_file_kind(&src.text) {
                    sink.report(
                        src.span,
                        format!(
                            "`{} {}` copies {kind} into an image layer, where it stays even if a later step deletes it",
                            ins.keyword, src.text
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::secret_file_kind;

    #[test]
    fn secret_files() {
        for yes in [
            ".env",
            "config/.env.production",
            "id_rsa",
            "/root/.ssh/id_ed25519",
            "server.key",
            "tls-key.pem",
            ".npmrc",
            ".aws/credentials",
            "credentials.json",
            ".aws/",
        ] {
            assert!(secret_file_kind(yes).is_some(), "{yes}");
        }
        for no in [
            ".env.example",
            "ca.pem",
            "fullchain.pem",
            "id_rsa.pub",
            "keys.txt",
            "package.json",
            "src/",
            ".",
        ] {
            assert!(secret_file_kind(no).is_none(), "{no}");
        }
    }
}
