//! `--format compact`: one line per finding or error,
//! `path:line:col: severity [RULE] message`, the shape editors' problem matchers and `grep`
//! expect. Nothing else is printed: a run with nothing to report prints nothing, but a run
//! that checked no file says so (`plumbline: warning: No file was checked…`).

use std::io;

use super::escape::inline;
use crate::engine::Report;

pub(super) fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    if report.files_checked == 0 {
        writeln!(out, "plumbline: warning: {}", super::NO_FILES)?;
    }
    for e in &report.errors {
        let (line, col) = e.location.as_ref().map_or((1, 1), |(f, s)| {
            let lc = f.line_col(s.start);
            (lc.line, lc.column)
        });
        writeln!(
            out,
            "{}:{line}:{col}: {} [{}] {}",
            inline(&e.path),
            if e.kind.fails() { "error" } else { "note" },
            super::error_kind(&e.kind),
            one_line(&e.message)
        )?;
    }
    for f in &report.findings {
        let s = f.location.start();
        writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            inline(&f.location.file.display_path),
            s.line,
            s.column,
            f.severity.as_str(),
            f.rule.id,
            one_line(&f.message)
        )?;
    }
    Ok(())
}

/// Messages are single sentences, but a file error may quote a multi-line reason; whatever
/// else a message quotes from a file is made safe to print.
fn one_line(s: &str) -> String {
    inline(&s.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned()
}
