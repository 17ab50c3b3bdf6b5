//! `--format junit`: JUnit XML, which CI systems (GitLab, Jenkins, Azure Pipelines) show as a
//! test report. One `<testsuite>` per file checked, one `<testcase>` per rule that applies to
//! the file's format (or reported on it), with a `<failure>` per finding; a file that could not
//! be read or parsed gets a testcase `parse` with an `<error>`.

use std::collections::BTreeMap;
use std::io;

use crate::catalogue::RuleMeta;
use crate::engine::Report;
use crate::finding::Finding;

#[derive(Default)]
struct Suite<'a> {
    format: Option<&'static str>,
    findings: Vec<&'a Finding>,
    errors: Vec<String>,
}

pub(super) fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let mut suites: BTreeMap<&str, Suite<'_>> = BTreeMap::new();
    for (path, format) in &report.checked {
        suites.entry(path).or_default().format = Some(format.name());
    }
    for f in &report.findings {
        suites
            .entry(&f.location.file.display_path)
            .or_default()
            .findings
            .push(f);
    }
    // A note is not a failure to check: JUnit has no place for it but the suite's output.
    for e in report.errors.iter().filter(|e| e.kind.fails()) {
        let at = e.location.as_ref().map_or(String::new(), |(f, s)| {
            let lc = f.line_col(s.start);
            format!(":{}:{}", lc.line, lc.column)
        });
        suites
            .entry(&e.path)
            .or_default()
            .errors
            .push(format!("{}{at}: {}", e.path, e.message));
    }

    let mut body = String::new();
    let (mut total, mut failures, mut errors) = (0, 0, 0);
    for (path, suite) in &suites {
        let cases = cases(&report.rules, suite);
        let tests = cases.len() + usize::from(!suite.errors.is_empty());
        let failed = cases.iter().filter(|(_, f)| !f.is_empty()).count();
        total += tests;
        failures += failed;
        errors += usize::from(!suite.errors.is_empty());
        body.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failed}\" errors=\"{}\">\n",
            xml(path),
            usize::from(!suite.errors.is_empty())
        ));
        if !suite.errors.is_empty() {
            body.push_str(&format!(
                "    <testcase name=\"parse\" classname=\"{}\">\n      <error message=\"{}\">{}</error>\n    </testcase>\n",
                xml(path),
                xml(suite.errors.first().map_or("", String::as_str)),
                xml(&suite.errors.join("\n"))
            ));
        }
        for (meta, found) in cases {
            let name = xml(&format!("{} {}", meta.id, meta.name));
            if found.is_empty() {
                body.push_str(&format!(
                    "    <testcase name=\"{name}\" classname=\"{}\"/>\n",
                    xml(path)
                ));
                continue;
            }
            body.push_str(&format!(
                "    <testcase name=\"{name}\" classname=\"{}\">\n",
                xml(path)
            ));
            for f in found {
                let s = f.location.start();
                body.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}:{}:{}: {}</failure>\n",
                    f.severity.as_str(),
                    xml(&f.message),
                    xml(path),
                    s.line,
                    s.column,
                    xml(&format!("{} ({})", f.message, f.rule.why_short))
                ));
            }
            body.push_str("    </testcase>\n");
        }
        body.push_str("  </testsuite>\n");
    }
    if report.files_checked == 0 {
        // A report with no test at all reads as a pass: say that nothing was checked.
        total += 1;
        body.push_str(&format!(
            "  <testsuite name=\"plumbline\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\">\n    <testcase name=\"files checked\" classname=\"plumbline\">\n      <skipped message=\"{}\"/>\n    </testcase>\n  </testsuite>\n",
            xml(super::NO_FILES)
        ));
    }
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"plumbline\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\">\n{body}</testsuites>\n"
    )
}

/// The rules that apply to a file (its format is in their `formats`) or reported on it, in
/// id order, with the file's findings of each.
fn cases<'a>(
    rules: &[&'static RuleMeta],
    suite: &Suite<'a>,
) -> Vec<(&'static RuleMeta, Vec<&'a Finding>)> {
    rules
        .iter()
        .filter_map(|m| {
            let found: Vec<&Finding> = suite
                .findings
                .iter()
                .copied()
                .filter(|f| f.rule.id == m.id)
                .collect();
            let applies = suite
                .format
                .is_some_and(|fmt| m.formats.iter().any(|x| x == fmt));
            (applies || !found.is_empty()).then_some((*m, found))
        })
        .collect()
}

/// Escapes text for XML attributes and content. Characters XML 1.0 cannot hold (C0 controls,
/// U+FFFE, U+FFFF) and those that must not reach a terminal raw (C1, bidi controls: see
/// [`super::escape::is_unsafe`]) become U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if super::escape::is_unsafe(c) => out.push(super::escape::REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            xml("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}"
        );
        assert_eq!(xml("\u{FFFE}\u{FFFF}\u{9b}"), "\u{FFFD}\u{FFFD}\u{FFFD}");
    }
}
