//! PIN053 terraform-helm-release-unpinned: a `helm_release` of a chart from a repository
//! without `version`, so each apply installs the chart's newest release.

use crate::render::terraform::Value;
use crate::rules::terraform::each_module;
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformHelmReleaseUnpinned;

impl Rule for TerraformHelmReleaseUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        each_module(ctx, sink, |m, sink| {
            for r in m.resources_of(&["helm_release"]) {
                if r.body().get("version").is_some() {
                    continue;
                }
                let Some(chart) = r.body().get("chart") else {
                    continue;
                };
                let value = m.resolve(&chart.value);
                let Value::Str(text) = &value.value else {
                    continue;
                };
                // A chart in a local directory or a packaged `.tgz` is versioned by its files.
                let local = text.starts_with("./")
                    || text.starts_with("../")
                    || text.starts_with('/')
                    || text.ends_with(".tgz")
                    || (r.body().get("repository").is_none()
                        && !text.starts_with("oci://")
                        && !text.contains('/'));
                if local {
                    continue;
                }
                sink.report_at(
                &chart.value.at,
                format!(
                    "Helm release `{}` installs chart `{text}` without a `version`, so each apply may install a newer chart",
                    r.name.value
                ),
            );
            }
        });
    }
}
