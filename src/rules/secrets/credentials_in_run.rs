//! SEC003 credentials-in-run: literal credentials on a `RUN` command line — `curl -u
//! user:pass`, `https://user:token@host`, `docker login -p`, `mysql -pSECRET`, `export
//! TOKEN=…`, `echo "_authToken=…" > .npmrc`. Build commands are recorded in the image history.

use std::sync::LazyLock;

use regex::Regex;

use crate::finding::mask_secret;
use crate::model::dockerfile::raw_run_commands;
use crate::model::secret::URL_USERINFO;
use crate::model::secret::contains_token;
use crate::model::secret::{is_placeholder, is_secret_name};
use crate::parse::dockerfile::Word;
use crate::parse::shell::SimpleCommand;
use crate::rules::docker::{dockerfile, is_dynamic};
use crate::rules::{FileContext, Rule, Sink};
use crate::source::Span;

pub struct CredentialsInRun;

/// `key=value` pairs inside echoed text: `_authToken=abc`, `password=abc`. Only `=`: a
/// sudoers line such as `ALL=(ALL) NOPASSWD: ALL` has a colon after a secret-looking word.
static KEY_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([A-Za-z_][A-Za-z0-9_.-]*)=([^\s;&|'\x22]+)").expect("compiles"));

/// A credential found in one word: the value as text and what it was passed as.
struct Hit<'a> {
    word: &'a Word,
    value: String,
    what: String,
}

impl Rule for CredentialsInRun {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        for cmd in raw_run_commands(df) {
            let mut hits = Vec::new();
            scan(&cmd, &mut hits);
            let inner = cmd.unwrapped();
            if inner.words.len() != cmd.words.len() {
                scan(&inner, &mut hits);
            }
            let mut seen: Vec<Span> = Vec::new();
            for hit in hits {
                if is_placeholder(&hit.value)
                    || is_dynamic(&hit.value)
                    || contains_token(&hit.value)
                {
                    continue;
                }
                let span = value_span(ctx.file.slice(hit.word.span), hit.word.span, &hit.value);
                if seen.contains(&span) {
                    continue;
                }
                seen.push(span);
                let finding = sink.report(
                    span,
                    format!(
                        "{} on a `RUN` line (`{}`): build commands are kept in the image history",
                        hit.what,
                        mask_secret(&hit.value)
                    ),
                );
                finding.secrets.push(span);
            }
        }
    }
}

/// The span of `value` inside a word's source, or the whole word when quoting hides it.
fn value_span(raw: &str, word: Span, value: &str) -> Span {
    match raw.find(value) {
        Some(i) => Span::new(word.start + i, word.start + i + value.len()),
        None => word,
    }
}

fn scan<'a>(cmd: &'a SimpleCommand, hits: &mut Vec<Hit<'a>>) {
    let program = cmd.program().unwrap_or("");
    let words = &cmd.words;
    for (i, word) in words.iter().enumerate() {
        let t = word.text.as_str();
        let next = words.get(i + 1);
        // Credentials in URLs, in any command.
        if let Some(c) = URL_USERINFO.captures(t) {
            hits.push(Hit {
                word,
                value: c[1].to_string(),
                what: "A password in a URL".into(),
            });
        }
        // `TOKEN=… cmd` and `export TOKEN=…`
        if let Some((name, value)) = t.split_once('=')
            && is_env_name(name)
            && is_secret_name(name)
        {
            hits.push(Hit {
                word,
                value: value.to_string(),
                what: format!("`{name}` set to a literal"),
            });
        }
        match program {
            "curl" => {
                if matches!(t, "-u" | "--user" | "-U" | "--proxy-user") {
                    if let Some(n) = next
                        && let Some((_, pass)) = n.text.split_once(':')
                    {
                        hits.push(Hit {
                            word: n,
                            value: pass.to_string(),
                            what: "A password passed to `curl -u`".into(),
                        });
                    }
                } else if let Some(v) = t
                    .strip_prefix("--user=")
                    .or_else(|| t.strip_prefix("-u").filter(|v| !v.is_empty()))
                    && let Some((_, pass)) = v.split_once(':')
                {
                    hits.push(Hit {
                        word,
                        value: pass.to_string(),
                        what: "A password passed to `curl -u`".into(),
                    });
                }
            }
            "wget" => {
                for opt in [
                    "--password",
                    "--http-password",
                    "--ftp-password",
                    "--proxy-password",
                ] {
                    if let Some(v) = t.strip_prefix(opt).and_then(|r| r.strip_prefix('=')) {
                        hits.push(Hit {
                            word,
                            value: v.to_string(),
                            what: format!("A password passed to `wget {opt}`"),
                        });
                    } else if t == opt
                        && let Some(n) = next
                    {
                        hits.push(Hit {
                            word: n,
                            value: n.text.clone(),
                            what: format!("A password passed to `wget {opt}`"),
                        });
                    }
                }
            }
            "docker" | "podman" | "helm" | "buildah" | "skopeo" | "oras" | "crane" | "sshpass" => {
                if matches!(t, "-p" | "--password") {
                    if let Some(n) = next {
                        hits.push(Hit {
                            word: n,
                            value: n.text.clone(),
                            what: format!("A password passed to `{program} {t}`"),
                        });
                    }
                } else if let Some(v) = t.strip_prefix("--password=") {
                    hits.push(Hit {
                        word,
                        value: v.to_string(),
                        what: format!("A password passed to `{program} --password`"),
                    });
                }
            }
            "mysql" | "mariadb" | "mysqladmin" | "mysqldump" => {
                if let Some(v) = t
                    .strip_prefix("--password=")
                    .or_else(|| t.strip_prefix("-p").filter(|v| !v.is_empty()))
                {
                    hits.push(Hit {
                        word,
                        value: v.to_string(),
                        what: format!("A password passed to `{program}`"),
                    });
                }
            }
            "echo" | "printf" => {
                for c in KEY_VALUE.captures_iter(t) {
                    let key = c[1].trim_start_matches(['/', ':', '_']);
                    if is_secret_name(key)
                        || c[1].ends_with("_authToken")
                        || c[1].ends_with(":_auth")
                    {
                        hits.push(Hit {
                            word,
                            value: c[2].to_string(),
                            what: format!("`{}` written from a literal", &c[1]),
                        });
                    }
                }
            }
            _ => {}
        }
    }
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}
