//! PORT002 healthcheck-port-not-exposed: the `HEALTHCHECK` probes a local port that the image
//! does not `EXPOSE`.

use crate::model::dockerfile::{exposed_ports, final_with_vars, local_url_port};
use crate::parse::dockerfile::substitute;
use crate::parse::dockerfile::{CommandLine, InstructionKind};
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct HealthcheckPortNotExposed;

impl Rule for HealthcheckPortNotExposed {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        let (instructions, vars) = final_with_vars(df);
        let Some(health) = instructions.iter().rev().find_map(|i| match &i.kind {
            InstructionKind::Healthcheck(h) => Some(h),
            _ => None,
        }) else {
            return;
        };
        let Some(command) = &health.command else {
            return;
        };
        // Without EXPOSE, or with ports we cannot read, there is nothing to compare against.
        let Some(exposed) = exposed_ports(&instructions, &vars) else {
            return;
        };
        if exposed.is_empty() {
            return;
        }
        let words = match command {
            CommandLine::Exec(w) => w.clone(),
            CommandLine::Shell(s) => s.commands.iter().flat_map(|c| c.words.clone()).collect(),
        };
        for word in &words {
            let Some(text) = substitute(&word.text, &vars) else {
                continue;
            };
            // curl and wget take `localhost:8080/health` without a scheme, as plain http. A
            // bare host (`mysqladmin ping -h 127.0.0.1`) names no port: it is not a probe of 80.
            let url = if text.contains("://") {
                text
            } else if ["localhost", "127.", "0.0.0.0", "[::1]"]
                .iter()
                .any(|h| text.starts_with(h))
                && host_has_port_or_path(&text)
            {
                format!("http://{text}")
            } else {
                continue;
            };
            let Some(port) = local_url_port(&url) else {
                continue;
            };
            if exposed.iter().any(|(p, _)| *p == port) {
                continue;
            }
            let mut declared: Vec<String> = exposed.iter().map(|(p, _)| p.to_string()).collect();
            declared.dedup();
            let mut seen = Vec::new();
            let related: Vec<_> = exposed
                .iter()
                .filter(|(_, e)| {
                    let new = !seen.contains(&e.word.span);
                    seen.push(e.word.span);
                    new
                })
                .map(|(_, e)| {
                    (
                        e.word.span,
                        format!("`EXPOSE {}` declared here", e.word.text),
                    )
                })
                .collect();
            let related = related
                .into_iter()
                .map(|(span, message)| sink.related_here(span, message))
                .collect();
            sink.report(
                word.span,
                format!(
                    "`HEALTHCHECK` probes port {port}, but the image exposes {}",
                    declared.join(", ")
                ),
            )
            .related = related;
        }
    }
}

/// Whether a scheme-less `host…` goes on with a `:port` or a `/path` after the host.
fn host_has_port_or_path(text: &str) -> bool {
    let host_end = if text.starts_with('[') {
        text.find(']').map(|i| i + 1)
    } else {
        text.find([':', '/'])
    };
    host_end.is_some_and(|i| i < text.len())
}
