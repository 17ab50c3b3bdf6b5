//! `--format github`: GitHub Actions workflow commands
//! (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`), which the Actions
//! runner turns into annotations on the pull request's diff. Severities map to `error`,
//! `warning` and `notice`. Values are escaped as the runner requires: `%`, CR and LF
//! everywhere, and `:` and `,` in properties.

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
        let (command, title) = if e.kind.fails() {
            ("error", "plumbline could not check this file")
        } else {
            ("notice", "plumbline did not check part of this file")
        };
        props.push(format!("title={title}"));
        writeln!(out, "::{command} {}::{}", props.join(","), data(&e.message))?;
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
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
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
    }
}
