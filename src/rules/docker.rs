//! Shared reading of a parsed Dockerfile for the Dockerfile rules: which stages make up the
//! final image, and what `ENV`/`ARG` values are in force.

use crate::parse::Document;
use crate::parse::dockerfile::{
    Dockerfile, From, ImageRef, Instruction, InstructionKind, Stage, Vars, Word, substitute,
};
use crate::parse::shell::SimpleCommand;
use crate::rules::FileContext;

/// The Dockerfile of the context, if the file is one.
pub fn dockerfile<'a>(ctx: &FileContext<'a>) -> Option<&'a Dockerfile> {
    match ctx.doc {
        Document::Dockerfile(d) => Some(d),
        _ => None,
    }
}

/// The stages whose instructions end up in the final image: the last stage and, when it is
/// built `FROM` an earlier stage, that stage and its own base, in build order (base first).
pub fn final_chain(df: &Dockerfile) -> Vec<&Stage> {
    let mut chain = Vec::new();
    let mut current = df.stages.len().checked_sub(1);
    while let Some(i) = current {
        let Some(stage) = df.stages.get(i) else { break };
        if chain.iter().any(|s: &&Stage| std::ptr::eq(*s, stage)) {
            break; // a cycle cannot be built; stop rather than loop
        }
        chain.push(stage);
        current = df
            .from_of(stage)
            .and_then(|f| f.base_stage)
            .filter(|&b| b < i);
    }
    chain.reverse();
    chain
}

/// Every `FROM` that pulls an image not pinned by digest, with its resolved name and
/// reference. Left out: stages built on an earlier stage (they inherit its pin), `scratch`,
/// and images whose variables have no default (they are chosen at build time).
pub fn bases_without_digest(df: &Dockerfile) -> Vec<(&From, &str, &ImageRef)> {
    df.stages
        .iter()
        .filter_map(|stage| {
            let from = df.from_of(stage)?;
            let (resolved, reference) = (from.resolved.as_deref()?, from.reference.as_ref()?);
            let pulled = from.base_stage.is_none() && resolved != "scratch";
            (pulled && reference.digest.is_none()).then_some((from, resolved, reference))
        })
        .collect()
}

/// Instructions of the final image in build order (base stages first).
pub fn final_instructions(df: &Dockerfile) -> Vec<&Instruction> {
    final_chain(df)
        .into_iter()
        .flat_map(|s| df.stage_instructions(s))
        .collect()
}

/// `ENV` values and `ARG` defaults in force at the end of `instructions` (later wins), plus
/// global `ARG` defaults, for reading `EXPOSE $PORT` or `curl localhost:${PORT}` literally.
/// Values are substituted as they are declared, so `ENV URL=http://localhost:$PORT` reads.
pub fn variables(df: &Dockerfile, instructions: &[&Instruction]) -> Vars {
    let mut vars = Vars::new();
    let declare = |vars: &mut Vars, name: &str, value: Option<&str>| {
        let value = value.map(|v| substitute(v, vars).unwrap_or_else(|| v.to_string()));
        match value {
            Some(v) => {
                vars.insert(name.to_string(), Some(v));
            }
            // `ARG X` without a default keeps a value declared earlier.
            None => {
                vars.entry(name.to_string()).or_insert(None);
            }
        }
    };
    for arg in &df.global_args {
        declare(
            &mut vars,
            &arg.name.text,
            arg.default.as_ref().map(|d| d.text.as_str()),
        );
    }
    for ins in instructions {
        match &ins.kind {
            InstructionKind::Env(pairs) => {
                for kv in pairs.iter().filter(|kv| kv.value.is_some()) {
                    declare(
                        &mut vars,
                        &kv.key.text,
                        kv.value.as_ref().map(|v| v.text.as_str()),
                    );
                }
            }
            InstructionKind::Arg(args) => {
                for a in args {
                    declare(
                        &mut vars,
                        &a.name.text,
                        a.default.as_ref().map(|d| d.text.as_str()),
                    );
                }
            }
            _ => {}
        }
    }
    vars
}

/// Every simple command of every `RUN`, as written, in file order.
pub fn raw_run_commands(df: &Dockerfile) -> Vec<SimpleCommand> {
    df.instructions
        .iter()
        .filter_map(|ins| match &ins.kind {
            InstructionKind::Run(run) => Some(run.command.commands()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Every simple command of every `RUN`, with `sudo`/`env` wrappers removed, in file order.
pub fn run_commands(df: &Dockerfile) -> Vec<SimpleCommand> {
    raw_run_commands(df)
        .into_iter()
        .map(|c| c.unwrapped())
        .collect()
}

/// The first word of `args` that is not an option (`-y`, `--no-cache`), skipping the values
/// of options listed in `with_value`; returns its index.
pub fn subcommand(args: &[Word], with_value: &[&str]) -> Option<usize> {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t.starts_with('-') {
            if with_value.contains(&t) {
                i += 1;
            }
            i += 1;
            continue;
        }
        return Some(i);
    }
    None
}

/// The operands after position `from` that can be read literally: words that are not
/// options, skipping the values of options listed in `with_value` (`--virtual .deps`,
/// `-o Dpkg::Options=x`), and leaving out empty words and shell variables (`"$PACKAGES"`),
/// which say nothing about what is installed.
pub fn operands<'a>(args: &'a [Word], from: usize, with_value: &[&str]) -> Vec<&'a Word> {
    let mut out = Vec::new();
    let mut i = from;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t.starts_with('-') && t.len() > 1 {
            if with_value.contains(&t) {
                i += 1;
            }
        } else if !t.is_empty() && !is_dynamic(t) {
            out.push(&args[i]);
        }
        i += 1;
    }
    out
}

/// Whether a word holds a shell variable or substitution we cannot read literally.
pub fn is_dynamic(word: &str) -> bool {
    word.contains('$') || word.contains('`')
}

/// Whether a `USER` value means root: `root`, `0`, with any group.
pub fn is_root_user(user: &str) -> bool {
    let user = user.split(':').next().unwrap_or(user).trim();
    user == "root" || user == "0"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::dockerfile::parse;

    #[test]
    fn variables_are_read_like_the_dockerfile_frontend() {
        let df = parse(
            "ARG HOST=0.0.0.0\nFROM a\nARG HOST\nENV PORT=8080 URL=http://localhost:$PORT\nARG NOPE\n",
        );
        let instructions = final_instructions(&df);
        let vars = variables(&df, &instructions);
        let s = |t: &str| substitute(t, &vars);
        assert_eq!(s("localhost:$PORT/x").as_deref(), Some("localhost:8080/x"));
        assert_eq!(s("${PORT}").as_deref(), Some("8080"));
        assert_eq!(
            s("${HOST:-127.0.0.1}:${PORT}").as_deref(),
            Some("0.0.0.0:8080")
        );
        assert_eq!(s("$URL").as_deref(), Some("http://localhost:8080"));
        assert_eq!(s("${NOPE}"), None);
        assert_eq!(s("${MISSING}"), None);
        assert_eq!(s("${NOPE:-5000}").as_deref(), Some("5000"));
        // `$` before something that is not a name stays literal, as in BuildKit.
        assert_eq!(s("a $ b $5").as_deref(), Some("a $ b $5"));
    }
}
