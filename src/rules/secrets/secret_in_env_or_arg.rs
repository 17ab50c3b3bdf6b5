//! SEC001 secret-in-env-or-arg: `ENV` or `ARG` whose name means a secret, with a literal value.

use crate::finding::mask_secret;
use crate::model::secret::contains_token;
use crate::model::secret::{is_placeholder, is_secret_name};
use crate::parse::dockerfile::{Instruction, InstructionKind, Word};
use crate::rules::docker::dockerfile;
use crate::rules::{FileContext, Rule, Sink};

pub struct SecretInEnvOrArg;

impl Rule for SecretInEnvOrArg {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(df) = dockerfile(ctx) else { return };
        for ins in &df.instructions {
            check(ins, sink);
            if let InstructionKind::Onbuild(inner) = &ins.kind {
                check(inner, sink);
            }
        }
    }
}

fn check(ins: &Instruction, sink: &mut Sink<'_>) {
    let pairs: Vec<(&Word, &Word)> = match &ins.kind {
        InstructionKind::Env(kvs) => kvs
            .iter()
            .filter_map(|kv| Some((&kv.key, kv.value.as_ref()?)))
            .collect(),
        InstructionKind::Arg(args) => args
            .iter()
            .filter_map(|a| Some((&a.name, a.default.as_ref()?)))
            .collect(),
        _ => return,
    };
    for (key, value) in pairs {
        if !is_secret_name(&key.text) || is_placeholder(&value.text) || contains_token(&value.text)
        {
            continue;
        }
        let finding = sink.report(
            value.span,
            format!(
                "`{} {}` bakes a secret into the image (`{}`): anyone who can pull the image can read it",
                ins.keyword,
                key.text,
                mask_secret(&value.text)
            ),
        );
        finding.secrets.push(value.span);
    }
}
