//! Shared reading for the Dockerfile rules: the Dockerfile of the context, and the operands of
//! the commands in `RUN` (which stages make up the final image, and the variables in force,
//! are facts of [`crate::model::dockerfile`]).

use crate::model::Document;
use crate::parse::dockerfile::{Dockerfile, Word};
use crate::rules::FileContext;

/// The Dockerfile of the context, if the file is one.
pub fn dockerfile<'a>(ctx: &FileContext<'a>) -> Option<&'a Dockerfile> {
    match ctx.doc {
        Document::Dockerfile(d) => Some(d),
        _ => None,
    }
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
