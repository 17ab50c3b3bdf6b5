//! Shared reading of a parsed Dockerfile for the Dockerfile rules: which stages make up the
//! final image, and what `ENV`/`ARG` values are in force.

use std::collections::HashMap;

use crate::parse::Document;
use crate::parse::dockerfile::{Dockerfile, Instruction, InstructionKind, Stage, Word};
use crate::parse::shell::SimpleCommand;
use crate::rules::FileContext;

/// The Dockerfile of the context, if the file is one.
pub fn dockerfile<'a>(ctx: &FileContext<'a>) -> Option<&'a Dockerfile> {
    match ctx.doc {
        Document::Dockerfile(d) => Some(d),
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

/// Instructions of the final image in build order (base stages first).
pub fn final_instructions(df: &Dockerfile) -> Vec<&Instruction> {
    final_chain(df)
        .into_iter()
        .flat_map(|s| df.stage_instructions(s))
        .collect()
}

/// `ENV` values and `ARG` defaults in force at the end of `instructions` (later wins), plus
/// global `ARG` defaults, for reading `EXPOSE $PORT` or `curl localhost:${PORT}` literally.
pub fn variables(df: &Dockerfile, instructions: &[&Instruction]) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    for arg in &df.global_args {
        if let Some(d) = &arg.default {
            vars.insert(arg.name.text.clone(), d.text.clone());
        }
    }
    for ins in instructions {
        match &ins.kind {
            InstructionKind::Env(pairs) => {
                for kv in pairs {
                    if let Some(v) = &kv.value {
                        let value = substitute(&v.text, &vars).unwrap_or_else(|| v.text.clone());
                        vars.insert(kv.key.text.clone(), value);
                    }
                }
            }
            InstructionKind::Arg(args) => {
                for a in args {
                    if let Some(d) = &a.default {
                        vars.insert(a.name.text.clone(), d.text.clone());
                    }
                }
            }
            _ => {}
        }
    }
    vars
}

/// Substitutes `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR-default}` from `vars`. Returns
/// `None` when a variable has no value, since the result could then be anything.
pub fn substitute(text: &str, vars: &HashMap<String, String>) -> Option<String> {
    if !text.contains('$') {
        return Some(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(inner) = rest.strip_prefix('{') {
            let close = inner.find('}')?;
            let expr = &inner[..close];
            rest = &inner[close + 1..];
            let (name, default) = match expr.find([':', '-']) {
                Some(j) => {
                    let d = expr[j..].trim_start_matches(':');
                    (&expr[..j], d.strip_prefix('-'))
                }
                None => (expr, None),
            };
            match (vars.get(name), default) {
                (Some(v), _) if !v.is_empty() => out.push_str(v),
                (_, Some(d)) => out.push_str(d),
                (Some(v), None) => out.push_str(v),
                (None, None) => return None,
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                out.push('$');
                continue;
            }
            out.push_str(vars.get(&rest[..end])?);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    Some(out)
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

/// The operands after position `from`: words that are not options, skipping the values of
/// options listed in `with_value` (`--virtual .deps`, `-o Dpkg::Options=x`).
pub fn operands<'a>(args: &'a [Word], from: usize, with_value: &[&str]) -> Vec<&'a Word> {
    let mut out = Vec::new();
    let mut i = from;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t.starts_with('-') && t.len() > 1 {
            if with_value.contains(&t) {
                i += 1;
            }
        } else {
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

    #[test]
    fn substitutes_like_the_dockerfile_frontend() {
        let vars: HashMap<String, String> = [("PORT".to_string(), "8080".to_string())].into();
        assert_eq!(
            substitute("localhost:$PORT/x", &vars).as_deref(),
            Some("localhost:8080/x")
        );
        assert_eq!(substitute("${PORT}", &vars).as_deref(), Some("8080"));
        assert_eq!(
            substitute("${HOST:-0.0.0.0}:${PORT}", &vars).as_deref(),
            Some("0.0.0.0:8080")
        );
        assert_eq!(substitute("${NOPE}", &vars), None);
        assert_eq!(substitute("cost $5", &vars), None);
        assert_eq!(substitute("a $ b", &vars).as_deref(), Some("a $ b"));
    }
}
