//! ROOT001 final-stage-runs-as-root: the image's last `USER` is root, or no stage of the final
//! image sets a `USER` at all.

use crate::model::dockerfile::runs_as_root;
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct FinalStageRunsAsRoot;

impl Rule for FinalStageRunsAsRoot {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        if let Some(root) = runs_as_root(df) {
            sink.report(root.span, root.message);
        }
    }
}
