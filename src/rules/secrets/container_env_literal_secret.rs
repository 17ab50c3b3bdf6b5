//! SEC020 container-env-literal-secret: a Kubernetes or Helm container `env` entry that
//! writes a secret into the manifest: a literal value for a secret-named variable, or a URL
//! with a password in any variable.

use crate::finding::mask_secret;
use crate::model::secret::{contains_token, is_substitution_marker};
use crate::model::secret::{is_file_path, is_placeholder, is_secret_name, url_password};
use crate::model::workload::is_templated;
use crate::rules::workload::{ContainerReports, describe};
use crate::rules::{FileContext, Rule, Sink};
use crate::source::Span;

pub struct ContainerEnvLiteralSecret;

impl Rule for ContainerEnvLiteralSecret {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let mut reports = ContainerReports::new();
        for c in ctx.doc.containers() {
            for var in &c.env {
                let Some(value) = &var.value else { continue };
                let v = value.value.as_str();
                if var.from_ref
                    || is_placeholder(v)
                    || is_templated(v)
                    || is_substitution_marker(v)
                    || contains_token(v)
                {
                    continue;
                }
                let name = &var.name.value;
                // `GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json` names the file.
                if is_secret_name(name) && !is_file_path(v) {
                    reports
                        .add(
                            c,
                            &value.at,
                            format!(
                                "{} sets `{name}` to a literal secret (`{}`): anyone who can read the manifest has it",
                                describe(c),
                                mask_secret(v)
                            ),
                        )
                        .secret(value.at.span);
                } else if let Some(pw) = url_password(v) {
                    // The password's place in the file: the scalar may be quoted.
                    let written = value.at.text();
                    let secret = &v[pw.start..pw.end];
                    let span = written.find(secret).map_or(value.at.span, |i| {
                        let start = value.at.span.start + i;
                        Span::new(start, start + secret.len())
                    });
                    reports
                        .add(
                            c,
                            &value.at,
                            format!(
                                "{} puts a password in the URL of `{name}` (`{}`): anyone who can read the manifest has it",
                                describe(c),
                                mask_secret(secret)
                            ),
                        )
                        .secret(span);
                }
            }
        }
        reports.flush(sink);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::secret::is_substitution_marker;

    #[test]
    fn substitution_markers() {
        assert!(is_substitution_marker("GOOGLE_API_KEY_VAL"));
        assert!(is_substitution_marker("INSERT_ETCD_DISCOVERY_TOKEN"));
        assert!(!is_substitution_marker("PASSWORD"));
        assert!(!is_substitution_marker("s3cr3t_Pa55"));
        assert!(!is_substitution_marker("8312341g-5678"));
    }
}
