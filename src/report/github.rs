//! `--format github`: GitHub Actions workflow commands
//! (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`), which the Actions
//! runner turns into annotations on the pull request's diff. Severities map to `error`,
//! `warning` and `notice`. Values are escaped as the runner requires: `%`, CR and LF
//! everywhere, and `:` and `,` in properties; every other control character (ESC, C1, bidi
//! controls, line separators) is replaced, so nothing from a file can start a line of its
//! own (a workflow command) or drive the log viewer.

use std::io;

use crate::engine::Report;
use crate::finding::Severity;

pub(super) fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    for e in &report.errors {
        let mut props = vec![format!("file={}", property(&e.path))];
        if let Some((f, s)) = &e.location {
            let lc = f.line_col(s.start);
            props.push(format!("line={}", lc.line));
            props.push(format!("col={}", lc.column));
        }
        props.push("title=plumbline could not check this file".to_string());
        writeln!(out, "::error {}::{}", props.join(","), data(&e.message))?;
    }
    for f in &report.findings {
        let (s, e) = (f.location.start(), f.location.end());
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let title = format!("{} {}: {}", f.rule.id, f.rule.name, f.rule.title);
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&f.location.file.display_path),
            s.line,
            s.column,
            e.line,
            e.column,
            property(&title),
            data(&format!("{} ({})", f.message, f.rule.why_short))
        )?;
    }
    Ok(())
}

fn data(s: &str) -> String {
    let escaped = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    super::escape::inline(&escaped).into_owned()
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(
            data("a\u{1b}]0;x\u{7}\u{2028}::"),
            "a\u{FFFD}]0;x\u{FFFD}\u{FFFD}::"
        );
    }
}
