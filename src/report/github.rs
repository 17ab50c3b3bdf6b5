//! `--format github`: GitHub Actions workflow commands
//! (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`), which the Actions
//! runner turns into annotations on the pull request's diff. Severities map to `error`,
//! `warning` and `notice`. Values are escaped as the runner requires: `%`, CR and LF
//! everywhere, and `:` and `,` in properties; every other control character (ESC, C1, bidi
//! controls, line separators) is replaced, so nothing from a file can start a line of its
//! own (a workflow command) or drive the log viewer.
//!
//! GitHub shows at most 10 annotations of each level per step: a summary line after the
//! annotations says how many there were and how many the diff cannot show, and
//! [`step_summary`] is the full table for `$GITHUB_STEP_SUMMARY` (the caller writes it).

use std::io;

use super::escape::inline;
use crate::engine::Report;
use crate::finding::Severity;

/// Annotations of one level GitHub shows per step.
pub const SHOWN_PER_LEVEL: usize = 10;
/// GitHub refuses a step summary larger than 1 MiB; the table stops short of it.
const MAX_SUMMARY_BYTES: usize = 1000 * 1000;

pub(super) fn write(
    report: &Report,
    opts: &super::ReportOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
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
    if report.files_checked == 0 {
        writeln!(
            out,
            "::warning title=plumbline checked no file::{}",
            data(super::NO_FILES)
        )?;
    }
    for f in &report.findings {
        let (s, e) = (f.location.start(), f.location.end());
        let title = format!("{} {}: {}", f.rule.id, f.rule.name, f.rule.title);
        writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            command(f.severity),
            property(&f.location.file.display_path),
            s.line,
            s.column,
            e.line,
            e.column,
            property(&title),
            data(&format!("{} ({})", f.message, f.rule.why_short))
        )?;
    }
    writeln!(out, "{}", summary_line(report, opts.github_step_summary))
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Annotations by level: errors (file errors included), warnings, notices.
fn levels(report: &Report) -> [usize; 3] {
    let c = super::Counts::of(report);
    [c.error + report.errors.len(), c.warning, c.info]
}

/// `plumbline: 2 errors, 14 warnings, 0 notices in 12 files.`, and what the diff cannot show.
/// A plain line (no `::`): the runner prints it as it is.
fn summary_line(report: &Report, step_summary: bool) -> String {
    let [e, w, n] = levels(report);
    let mut s = format!(
        "plumbline: {e} error annotation{}, {w} warning{}, {n} notice{} in {} file{}.",
        if e == 1 { "" } else { "s" },
        if w == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" },
        report.files_checked,
        if report.files_checked == 1 { "" } else { "s" },
    );
    let hidden: Vec<String> = [(e, "error"), (w, "warning"), (n, "notice")]
        .iter()
        .filter(|(count, _)| *count > SHOWN_PER_LEVEL)
        .map(|(count, what)| format!("{} {what}s", count - SHOWN_PER_LEVEL))
        .collect();
    if !hidden.is_empty() {
        s.push_str(&format!(
            " GitHub shows at most {SHOWN_PER_LEVEL} annotations of each level per step, so {} are not shown on the diff: {}.",
            hidden.join(", "),
            if step_summary {
                "the step summary lists every finding"
            } else {
                "they are all in this log, and `--format sarif` uploads them to code scanning"
            }
        ));
    }
    s
}

/// The job summary (`$GITHUB_STEP_SUMMARY`): the summary line and one table row per file
/// error and finding, as Markdown with every file-derived value escaped (it is rendered as
/// HTML). Stops short of GitHub's 1 MiB limit and says how many rows it left out.
pub fn step_summary(report: &Report) -> String {
    let mut s = String::from("## plumbline\n\n");
    s.push_str(&md(&summary_line(report, true)));
    s.push_str("\n\n");
    if report.files_checked == 0 {
        s.push_str(&format!("**{}.**\n\n", md(super::NO_FILES)));
    }
    if report.findings.is_empty() && report.errors.is_empty() {
        return s;
    }
    s.push_str("| level | rule | location | message |\n|---|---|---|---|\n");
    let mut rows = Vec::with_capacity(report.errors.len() + report.findings.len());
    for e in &report.errors {
        let at = e.location.as_ref().map_or(String::new(), |(f, sp)| {
            let lc = f.line_col(sp.start);
            format!(":{}:{}", lc.line, lc.column)
        });
        rows.push(format!(
            "| error | {} | {}{at} | {} |\n",
            super::error_kind(&e.kind),
            md(&e.path),
            md(&e.message)
        ));
    }
    for f in &report.findings {
        let lc = f.location.start();
        rows.push(format!(
            "| {} | {} | {}:{}:{} | {} |\n",
            command(f.severity),
            f.rule.id,
            md(&f.location.file.display_path),
            lc.line,
            lc.column,
            md(&f.message)
        ));
    }
    let total = rows.len();
    for (i, row) in rows.into_iter().enumerate() {
        if s.len() + row.len() > MAX_SUMMARY_BYTES {
            s.push_str(&format!(
                "\n{} more rows left out (GitHub's step summary holds at most 1 MiB).\n",
                total - i
            ));
            return s;
        }
        s.push_str(&row);
    }
    s
}

/// A value for a Markdown table cell that GitHub renders as HTML: control characters
/// replaced, and every character Markdown or HTML gives a meaning written as an entity.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in inline(s).chars() {
        match c {
            '&' | '<' | '>' | '|' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '\\' | '#' | '!'
            | '~' | '"' | '\'' | '@' | ':' => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn data(s: &str) -> String {
    let escaped = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    inline(&escaped).into_owned()
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

    #[test]
    fn markdown_cells_cannot_hold_markup() {
        assert_eq!(md("a|b<img src=x>"), "a&#124;b&#60;img src=x&#62;");
        assert_eq!(
            md("[x](http://e)\n"),
            "&#91;x&#93;&#40;http&#58;//e&#41;\u{FFFD}"
        );
    }
}
