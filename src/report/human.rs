//! The human format: one miette code frame per finding and per located file error, then a
//! one-line summary.
//!
//! This module owns the *window*: miette never sees a whole file. For each frame it copies a
//! few lines around the spans into a small buffer ([`Window`]), cuts very long lines down to
//! the part around the spans, redacts secret spans, replaces control characters (a file
//! must not be able to drive the terminal), and maps the spans into that buffer. Line and
//! column numbers in the frame still come from the real file, so a 10 MB file or a 1 MB
//! single line costs a few hundred bytes of output.

use std::fmt;
use std::io;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
};
use rayon::prelude::*;

use super::escape::{REPLACEMENT, is_unsafe};
use super::redact::{Redactor, mask};
use super::{Counts, ReportOptions, error_kind};
use crate::engine::{ErrorKind, FileError, Report};
use crate::finding::{Finding, Severity};
use crate::source::{SourceFile, Span};

/// Lines of context shown above and below the spans.
const CONTEXT_LINES: usize = 2;
/// Lines longer than this (in characters) are cut around the spans they hold.
const MAX_LINE_CHARS: usize = 300;
/// Characters kept of a line that is cut.
const KEPT_CHARS: usize = 120;
/// Of those, characters kept before the first span on the line.
const KEPT_BEFORE: usize = 40;
/// A span over more lines than this is shown by its first lines only.
const MAX_SPAN_LINES: usize = 12;
/// Related locations in the same file at most this many lines away share the frame; farther
/// ones get a frame of their own.
const NEAR_LINES: usize = 8;
/// Width messages and help are wrapped to. Fixed, so the output does not depend on the
/// terminal.
const WIDTH: usize = 100;
/// Messages, labels and paths are cut after this many characters.
const MAX_TEXT_CHARS: usize = 500;
/// What replaces the cut part of a long line.
const ELLIPSIS: &str = "…";

pub(super) fn write(
    report: &Report,
    redactor: &Redactor,
    opts: &ReportOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(WIDTH)
        .with_context_lines(CONTEXT_LINES)
        .without_syntax_highlighting();

    // A frame shows context lines, which may hold a secret another finding flagged (reported
    // or not) or one no rule did: the redactor knows both.
    // Frames are rendered in parallel (on a repository with thousands of findings this was
    // the longest serial step of a run) and written in order.
    let frames: Vec<String> = report
        .findings
        .par_iter()
        .map(|f| {
            render(&handler, &finding_diagnostic(f, redactor), || {
                plain_finding(f)
            })
        })
        .collect();
    for frame in frames {
        out.write_all(frame.as_bytes())?;
    }
    // Frames end with a blank line; one-line errors get one after the last of them.
    let mut after_line = false;
    // Notes say what was not checked and why (a module not vendored, a remote base): one
    // line each, after the errors, not a frame each. A repository full of registry modules
    // has hundreds, and their frames buried the findings (2,000 lines on the corpus); the
    // line still gives the place, and every other format keeps each note whole.
    let (notes, errors): (Vec<&FileError>, Vec<&FileError>) = report
        .errors
        .iter()
        .partition(|e| e.kind == ErrorKind::Note);
    for e in errors {
        match &e.location {
            Some((file, span)) => {
                if after_line {
                    writeln!(out)?;
                }
                let diag = error_diagnostic(e, file, *span, redactor);
                out.write_all(render(&handler, &diag, || plain_error(e)).as_bytes())?;
                after_line = false;
            }
            None => {
                writeln!(out, "{}", plain_error_line(e, opts.color))?;
                after_line = true;
            }
        }
    }
    for e in &notes {
        writeln!(out, "{}", plain_error_line(e, opts.color))?;
    }
    if after_line || !notes.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary(report, opts))
}

/// Renders one frame and the frames of its related locations shown apart, followed by a
/// blank line; falls back to `plain` if miette cannot.
fn render(
    handler: &GraphicalReportHandler,
    diag: &Frame,
    plain: impl FnOnce() -> String,
) -> String {
    let mut out = String::new();
    for (i, frame) in std::iter::once(diag).chain(&diag.apart).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut s = String::new();
        if handler.render_report(&mut s, frame).is_err() {
            return plain() + "\n";
        }
        for line in s.trim_matches('\n').lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

fn plain_finding(f: &Finding) -> String {
    let at = f.location.start();
    format!(
        "{}[{}] {}:{}:{}: {}\n",
        f.severity.as_str(),
        f.rule.id,
        sanitize(&f.location.file.display_path),
        at.line,
        at.column,
        sanitize(&f.message)
    )
}

fn plain_error(e: &FileError) -> String {
    format!("{}\n", plain_error_line(e, false))
}

/// `error: path: message` (without repeating a path the message already names), or for a
/// note `note: path:line:col: message`, the place as editors and terminals link it.
fn plain_error_line(e: &FileError, color: bool) -> String {
    let (word, code) = match e.kind {
        ErrorKind::Note => ("note", "1;36"),
        _ => ("error", "1;31"),
    };
    let label = if color {
        format!("\x1b[{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    };
    let message = sanitize(&e.message);
    match &e.location {
        Some((file, span)) if e.kind == ErrorKind::Note => {
            let at = file.line_col(span.start);
            format!(
                "{label}: {}:{}:{}: {message}",
                sanitize(&file.display_path),
                at.line,
                at.column
            )
        }
        _ if e.path.is_empty() || e.message.contains(e.path.as_str()) => {
            format!("{label}: {message}")
        }
        _ => format!("{label}: {}: {message}", sanitize(&e.path)),
    }
}

/// `Found 3 errors, 2 warnings, 1 info in 12 files (15 rules).` and what else the run needs
/// to say: findings at the failing threshold, files that could not be checked.
fn summary(report: &Report, opts: &ReportOptions) -> String {
    let c = Counts::of(report);
    let scope = format!(
        "in {} ({})",
        plural(report.files_checked, "file", "files"),
        plural(report.rules.len(), "rule", "rules")
    );
    let mut s = if report.files_checked == 0 {
        format!("{}.", super::NO_FILES)
    } else if report.findings.is_empty() {
        format!("No findings {scope}.")
    } else {
        let mut parts = Vec::new();
        if c.error > 0 {
            parts.push(plural(c.error, "error", "errors"));
        }
        if c.warning > 0 {
            parts.push(plural(c.warning, "warning", "warnings"));
        }
        if c.info > 0 {
            parts.push(format!("{} info", c.info));
        }
        format!("Found {} {scope}.", parts.join(", "))
    };
    if let Some(b) = report.baseline {
        s.push_str(&format!(
            " {} in the baseline not shown",
            plural(b.matched, "finding", "findings")
        ));
        if b.stale > 0 {
            s.push_str(&format!(
                "; {} fixed since (run `plumbline baseline` to drop {})",
                plural(b.stale, "baseline entry is", "baseline entries are"),
                if b.stale == 1 { "it" } else { "them" }
            ));
        }
        s.push('.');
    }
    if report.suppressed > 0 {
        s.push_str(&format!(
            " {} suppressed by ignore comments.",
            plural(report.suppressed, "finding", "findings")
        ));
    }
    if let Some(threshold) = opts.fail_on
        && !report.findings.is_empty()
    {
        let n = c.at_least(threshold);
        if n == 0 {
            s.push_str(&format!(" None at or above `{}`.", threshold.as_str()));
        } else {
            s.push_str(&format!(
                " {} at or above `{}`.",
                plural(n, "finding", "findings"),
                threshold.as_str()
            ));
        }
    }
    let mut unreadable: Vec<&str> = Vec::new();
    let mut partial: Vec<&str> = Vec::new();
    let mut limited: Vec<&str> = Vec::new();
    let mut crashed: Vec<&str> = Vec::new();
    let mut noted: Vec<&str> = Vec::new();
    for e in &report.errors {
        match e.kind {
            ErrorKind::Io => unreadable.push(&e.path),
            ErrorKind::Parse => partial.push(&e.path),
            ErrorKind::Limit => limited.push(&e.path),
            ErrorKind::Internal => crashed.push(&e.path),
            ErrorKind::Note => noted.push(&e.path),
        }
    }
    for list in [
        &mut unreadable,
        &mut partial,
        &mut limited,
        &mut crashed,
        &mut noted,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    partial.retain(|p| unreadable.binary_search(p).is_err());
    if !unreadable.is_empty() {
        s.push_str(&format!(
            " {} could not be checked.",
            plural(unreadable.len(), "file", "files")
        ));
    }
    if !partial.is_empty() {
        s.push_str(&format!(
            " {} could only be checked in part (parse errors).",
            plural(partial.len(), "file", "files")
        ));
    }
    if !limited.is_empty() {
        s.push_str(&format!(
            " {} hit a limit.",
            plural(limited.len(), "file", "files")
        ));
    }
    if !noted.is_empty() {
        s.push_str(&format!(
            " {} with parts not checked (notes).",
            plural(noted.len(), "file", "files")
        ));
    }
    // An internal error without a path is the cross-file stage's.
    let graph_crashed = crashed.first() == Some(&"");
    crashed.retain(|p| !p.is_empty());
    if !crashed.is_empty() {
        s.push_str(&format!(
            " {} met an internal error.",
            plural(crashed.len(), "file", "files")
        ));
    }
    if graph_crashed {
        s.push_str(" The cross-file checks met an internal error.");
    }
    if opts.color {
        let color = if c.error > 0 || report.errors.iter().any(|e| e.kind.fails()) {
            "1;31"
        } else if c.warning > 0 {
            "1;33"
        } else if c.info > 0 {
            "1;36"
        } else {
            "1;32"
        };
        format!("\x1b[{color}m{s}\x1b[0m")
    } else {
        s
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Replaces characters that could drive a terminal or start a line of their own (controls
/// but tab, line breaks, bidi controls: see [`is_unsafe`]) in text that comes from files:
/// paths and messages. Text longer than [`MAX_TEXT_CHARS`] is cut: a message quoting a huge
/// value must not flood the terminal.
fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_TEXT_CHARS)
        .map(|c| {
            if c != '\t' && is_unsafe(c) {
                REPLACEMENT
            } else {
                c
            }
        })
        .collect();
    if out.len() < s.len() && s.chars().nth(MAX_TEXT_CHARS).is_some() {
        out.push_str(ELLIPSIS);
    }
    out
}

/// One miette frame: a finding, a related location shown apart, or a file error.
#[derive(Debug)]
struct Frame {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<Window>>,
    labels: Vec<LabeledSpan>,
    /// Related locations too far away or in another file: rendered right after this frame.
    apart: Vec<Frame>,
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Frame {}

impl Diagnostic for Frame {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() || self.source.is_none() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// A span to show and its label.
struct Mark {
    span: Span,
    label: Option<String>,
    primary: bool,
}

fn finding_diagnostic(f: &Finding, redactor: &Redactor) -> Frame {
    let file = &f.location.file;
    let primary = Span::new(
        file.clamp(f.location.span.start),
        file.clamp(f.location.span.end),
    );
    let primary = if primary.end < primary.start {
        Span::new(primary.start, primary.start)
    } else {
        primary
    };
    let first = file.line_col(primary.start).line;
    let last = file.line_col(primary.end).line;
    let (lo, hi) = (
        first.saturating_sub(NEAR_LINES),
        last.saturating_add(NEAR_LINES),
    );

    let mut marks = vec![Mark {
        span: primary,
        label: Some(sanitize(&f.rule.title)),
        primary: true,
    }];
    let mut apart = Vec::new();
    for r in &f.related {
        let same_file = Arc::ptr_eq(&r.location.file, file)
            || r.location.file.display_path == file.display_path;
        let line = r.location.file.line_col(r.location.span.start).line;
        if same_file && (lo..=hi).contains(&line) {
            marks.push(Mark {
                span: r.location.span,
                label: Some(sanitize(&r.message)),
                primary: false,
            });
        } else {
            let (source, labels) = window_for(
                &r.location.file,
                &[Mark {
                    span: r.location.span,
                    label: None,
                    primary: true,
                }],
                redactor,
            );
            apart.push(Frame {
                message: format!("related: {}", sanitize(&r.message)),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                source: Some(source),
                labels,
                apart: Vec::new(),
            });
        }
    }

    let (source, labels) = window_for(file, &marks, redactor);
    Frame {
        message: sanitize(&f.message),
        code: Some(format!(
            "{}[{}] {}",
            f.severity.as_str(),
            f.rule.id,
            f.rule.family.as_str()
        )),
        severity: miette_severity(f.severity),
        help: Some(format!(
            "{} (details: `plumbline explain {}`)",
            sanitize(f.rule.why_short.trim()),
            f.rule.id
        )),
        source: Some(source),
        labels,
        apart,
    }
}

fn error_diagnostic(
    e: &FileError,
    file: &Arc<SourceFile>,
    span: Span,
    redactor: &Redactor,
) -> Frame {
    let (source, labels) = window_for(
        file,
        &[Mark {
            span,
            label: None,
            primary: true,
        }],
        redactor,
    );
    // Notes are lines of their own (`plain_error_line`): what reaches here fails the run.
    Frame {
        message: sanitize(&e.message),
        code: Some(format!("error[{}]", error_kind(&e.kind))),
        severity: miette::Severity::Error,
        help: None,
        source: Some(source),
        labels,
        apart: Vec::new(),
    }
}

/// Builds the window over `marks` (which must all be in `file`) and maps them into it.
fn window_for(
    file: &Arc<SourceFile>,
    marks: &[Mark],
    redactor: &Redactor,
) -> (NamedSource<Window>, Vec<LabeledSpan>) {
    let window = Window::new(file, marks, redactor);
    let labels = marks
        .iter()
        .map(|m| {
            let start = window.to_window(file.clamp(m.span.start));
            let end = window.to_window(file.clamp(m.span.end)).max(start);
            let span = SourceSpan::from((start, end - start));
            if m.primary {
                LabeledSpan::new_primary_with_span(m.label.clone(), span)
            } else {
                LabeledSpan::new_with_span(m.label.clone(), span)
            }
        })
        .collect();
    (
        NamedSource::new(sanitize(&file.display_path), window),
        labels,
    )
}

/// A few lines of a file, cut, redacted and made safe to print, with the map back to the
/// file's byte offsets.
#[derive(Debug)]
struct Window {
    file: Arc<SourceFile>,
    text: String,
    lines: Vec<WindowLine>,
    /// `(window offset, file offset)` of each mark's start: a mark that starts inside a
    /// masked secret is shown at the mask, but the frame's header still names its own line
    /// and column.
    anchors: Vec<(usize, usize)>,
}

#[derive(Debug)]
struct WindowLine {
    /// Byte offsets of the whole line in the file (without its line ending).
    src_start: usize,
    src_end: usize,
    /// Byte offset of the line in the window.
    win_start: usize,
    /// `(file offset, window offset)` of every kept character, then of the end of the kept
    /// part: sorted in both.
    map: Vec<(usize, usize)>,
}

impl Window {
    fn new(file: &Arc<SourceFile>, marks: &[Mark], redactor: &Redactor) -> Window {
        let total_lines = file.line_col(file.text.len()).line;
        let mut first = usize::MAX;
        let mut last = 0;
        for m in marks {
            let start = file.line_col(m.span.start).line;
            let end = file.line_col(m.span.end.max(m.span.start)).line;
            first = first.min(start);
            last = last.max(end.min(start.saturating_add(MAX_SPAN_LINES)));
        }
        if first == usize::MAX {
            first = 1;
            last = 1;
        }
        let first = first.saturating_sub(CONTEXT_LINES).max(1);
        let last = last
            .saturating_add(CONTEXT_LINES)
            .min(total_lines)
            .max(first);

        let mut text = String::new();
        let mut lines = Vec::with_capacity(last - first + 1);
        for line in first..=last {
            if line > first {
                text.push('\n');
            }
            let Span {
                start: src_start,
                end: src_end,
            } = file.line_span(line);
            let (keep_start, keep_end) = kept_range(file, src_start, src_end, marks);
            let win_start = text.len();
            if keep_start > src_start {
                text.push_str(ELLIPSIS);
            }
            // Secrets become a fixed-width mask; every file offset inside one maps to the
            // mask's start.
            let secrets = redactor.on_line(
                file,
                Span::new(src_start, src_end),
                Span::new(keep_start, keep_end),
            );
            let mut map = Vec::with_capacity((keep_end - keep_start).min(MAX_LINE_CHARS) + 1);
            let mut at = keep_start;
            for s in secrets {
                let (start, end) = (file.clamp(s.start).max(at), file.clamp(s.end));
                if start >= end {
                    continue;
                }
                push_shown(&file.text[at..start], at, &mut text, &mut map);
                map.push((start, text.len()));
                text.push_str(&safe(&mask(&file.text[start..end])));
                at = end;
            }
            push_shown(&file.text[at..keep_end], at, &mut text, &mut map);
            map.push((keep_end, text.len()));
            if keep_end < src_end {
                text.push_str(ELLIPSIS);
            }
            lines.push(WindowLine {
                src_start,
                src_end,
                win_start,
                map,
            });
        }
        let mut window = Window {
            file: Arc::clone(file),
            text,
            lines,
            anchors: Vec::new(),
        };
        window.anchors = marks
            .iter()
            .map(|m| {
                let src = file.clamp(m.span.start);
                (window.to_window(src), src)
            })
            .collect();
        window
    }

    /// The window offset showing file offset `src` (clamped to the shown text).
    fn to_window(&self, src: usize) -> usize {
        let i = self.lines.partition_point(|l| l.src_start <= src);
        let Some(line) = i.checked_sub(1).and_then(|i| self.lines.get(i)) else {
            return self
                .lines
                .first()
                .and_then(|l| l.map.first())
                .map_or(0, |m| m.1);
        };
        let src = src.min(line.src_end);
        let j = line.map.partition_point(|m| m.0 <= src);
        match j.checked_sub(1).and_then(|j| line.map.get(j)) {
            Some(m) => m.1,
            None => line.map.first().map_or(line.win_start, |m| m.1),
        }
    }

    /// The file offset shown at window offset `win`.
    fn to_source(&self, win: usize) -> usize {
        let i = self.lines.partition_point(|l| l.win_start <= win);
        let Some(line) = i.checked_sub(1).and_then(|i| self.lines.get(i)) else {
            return self.lines.first().map_or(0, |l| l.src_start);
        };
        let j = line.map.partition_point(|m| m.1 <= win);
        match j.checked_sub(1).and_then(|j| line.map.get(j)) {
            Some(m) => m.0,
            None => line.map.first().map_or(line.src_start, |m| m.0),
        }
    }
}

/// Appends `shown` (file text from offset `base`) to the window, made safe to print, and maps
/// each of its characters.
fn push_shown(shown: &str, base: usize, text: &mut String, map: &mut Vec<(usize, usize)>) {
    for (i, c) in shown.char_indices() {
        map.push((base + i, text.len()));
        text.push(if c == '\t' || !is_unsafe(c) {
            c
        } else {
            REPLACEMENT
        });
    }
}

/// Text made safe to print (no length limit).
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe(c) { REPLACEMENT } else { c })
        .collect()
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let offset = inner.span().offset();
        let src = self
            .anchors
            .iter()
            .find(|(w, _)| *w == offset)
            .map_or_else(|| self.to_source(offset), |(_, s)| *s);
        let at = self.file.line_col(src);
        let column = if context_lines_before == 0 {
            at.column.saturating_sub(1)
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new(
            inner.data(),
            *inner.span(),
            at.line.saturating_sub(1),
            column,
            inner.line_count(),
        )))
    }
}

/// The part of the line `start..end` to show: all of it when short, else about
/// [`KEPT_CHARS`] characters around the first mark on the line.
fn kept_range(file: &SourceFile, start: usize, end: usize, marks: &[Mark]) -> (usize, usize) {
    let line = &file.text[start..end];
    if line.len() <= MAX_LINE_CHARS || line.chars().nth(MAX_LINE_CHARS).is_none() {
        return (start, end);
    }
    // Where the first mark touching this line starts on it (the line start if none does).
    let focus = marks
        .iter()
        .filter(|m| m.span.start <= end && m.span.end.max(m.span.start) >= start)
        .map(|m| file.clamp(m.span.start.clamp(start, end)))
        .min()
        .unwrap_or(start);
    let rel = focus - start;
    // Back up to KEPT_BEFORE characters before the focus, then take KEPT_CHARS forward.
    let mut from = line[..rel]
        .char_indices()
        .rev()
        .nth(KEPT_BEFORE.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let mut to = line[from..]
        .char_indices()
        .nth(KEPT_CHARS)
        .map_or(line.len(), |(i, _)| from + i);
    if to == line.len() {
        // Near the end of the line: spend the rest of the budget before the focus.
        let taken = line[from..].chars().count();
        if taken < KEPT_CHARS {
            from = line[..from]
                .char_indices()
                .rev()
                .nth(KEPT_CHARS - taken - 1)
                .map_or(0, |(i, _)| i);
        }
    }
    if from > to {
        to = from;
    }
    (start + from, start + to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;

    fn marks(spans: &[Span]) -> Vec<Mark> {
        spans
            .iter()
            .map(|s| Mark {
                span: *s,
                label: None,
                primary: true,
            })
            .collect()
    }

    #[test]
    fn window_maps_offsets_both_ways() {
        let text = "l1\nl2\nl3\nl4 é x\nl5\nl6\nl7\nl8\n";
        let file = Arc::new(SourceFile::in_memory("f", Format::Dockerfile, text));
        let x = text.find('x').unwrap();
        let w = Window::new(
            &file,
            &marks(&[Span::new(x, x + 1)]),
            &Redactor::detectors_only(),
        );
        assert_eq!(w.text, "l2\nl3\nl4 é x\nl5\nl6");
        let wx = w.to_window(x);
        assert_eq!(&w.text[wx..wx + 1], "x");
        assert_eq!(w.to_source(wx), x);
        // Before and after the window clamp to its ends.
        assert_eq!(w.to_window(0), 0);
        assert_eq!(w.to_window(text.len()), w.text.len());
        // Mid-character offsets land on a boundary.
        let e = text.find('é').unwrap();
        assert!(w.text.is_char_boundary(w.to_window(e + 1)));
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let mut text = "a".repeat(100_000);
        text.push_str("TARGET");
        text.push_str(&"b".repeat(100_000));
        let file = Arc::new(SourceFile::in_memory("f", Format::Dockerfile, text.clone()));
        let at = text.find("TARGET").unwrap();
        let w = Window::new(
            &file,
            &marks(&[Span::new(at, at + 6)]),
            &Redactor::detectors_only(),
        );
        assert!(w.text.len() < 300, "{}", w.text.len());
        assert!(w.text.starts_with(ELLIPSIS) && w.text.ends_with(ELLIPSIS));
        let s = w.to_window(at);
        assert_eq!(&w.text[s..s + 6], "TARGET");
        // A span at the very end keeps the budget before it.
        let w = Window::new(
            &file,
            &marks(&[Span::new(text.len(), text.len())]),
            &Redactor::detectors_only(),
        );
        assert!(w.text.starts_with(ELLIPSIS) && !w.text.ends_with(ELLIPSIS));
        assert!(w.text.chars().count() > KEPT_CHARS / 2);
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let file = Arc::new(SourceFile::in_memory(
            "f",
            Format::Dockerfile,
            "A\x1b[31mB\u{202E}C",
        ));
        let w = Window::new(
            &file,
            &marks(&[Span::new(0, 1)]),
            &Redactor::detectors_only(),
        );
        assert!(!w.text.contains('\x1b') && !w.text.contains('\u{202E}'));
        assert_eq!(sanitize("a\x1bb\nc"), "a\u{FFFD}b\u{FFFD}c");
        let long = "é".repeat(10_000);
        assert_eq!(sanitize(&long).chars().count(), MAX_TEXT_CHARS + 1);
        assert_eq!(
            sanitize(&"é".repeat(MAX_TEXT_CHARS)),
            "é".repeat(MAX_TEXT_CHARS)
        );
    }
}
