//! The one redaction pass every output goes through: the six report formats, the baseline
//! file, `plumbline graph` in every format, and the error lines printed on standard error.
//!
//! It is fed by every secret the run knows of and by the detectors themselves:
//!
//! - the secret spans of every finding, whether it was reported, suppressed, filtered out by
//!   config, baselined or cut by the per-file limit ([`Report::secret_spans`]): a frame around
//!   one finding shows the lines around it, which may hold a secret another finding flagged;
//! - the text of those spans, wherever it reappears in free text (a message quoting the same
//!   value, a parse error echoing it upper-cased);
//! - the detectors of [`crate::model::secret`] (token formats in any case, URL passwords,
//!   secret-named assignments) run over every message and every source line an output shows,
//!   so a secret no rule reported — its rule off, its file unparsable — is still not printed;
//! - the known-format tokens of every file the report draws from (findings, related
//!   locations, errors, the graph's layers), wherever their text reappears: a Compose service
//!   named after a token (`xgithub_pat_…`, no word boundary for a detector) must not print it
//!   in `plumbline graph`, where no rule ran.
//!
//! A mask never gives the secret's length away and never swallows what surrounds it (a
//! closing quote stays): it is [`mask_secret`]'s fixed-width form, the same text rule messages
//! use, so a reader sees one mask for one secret everywhere.

use std::borrow::Cow;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::engine::Report;
use crate::finding::mask_secret;
use crate::model::secret::find_in_text;
use crate::source::{SourceFile, Span};

/// Known secret texts shorter than this are not searched for in free text: a short value
/// (`admin`, `postgres`) also names services and images, and masking every mention of it
/// would garble messages without hiding anything a detector would not. Spans of any length
/// are still masked where they are shown as source.
const MIN_KNOWN_CHARS: usize = 10;

/// How far around the shown part of a cut line the detectors read, so a token cut by the
/// window is still recognised.
const DETECT_MARGIN: usize = 512;

/// What to mask, for one report.
pub struct Redactor {
    /// Secret spans by file (display path), sorted and merged.
    spans: HashMap<String, Vec<Span>>,
    /// The texts of those spans (see [`MIN_KNOWN_CHARS`]), matched in any ASCII case.
    known: Option<AhoCorasick>,
    /// Known-format tokens of each file a frame shows, found once per file over its whole
    /// text: a private key block spans lines, and a line of its body alone says nothing.
    whole_file: std::sync::Mutex<HashMap<String, std::sync::Arc<Vec<Span>>>>,
}

impl Redactor {
    /// The redactor of `report`: its secret spans, and every reported or suppressed finding's.
    pub fn of(report: &Report) -> Redactor {
        let mut spans: HashMap<String, Vec<Span>> = HashMap::new();
        let mut texts: Vec<String> = Vec::new();
        let mut add = |file: &SourceFile, span: Span| {
            let span = unquoted(file, span);
            let text = file.slice(span);
            if text.chars().count() >= MIN_KNOWN_CHARS {
                texts.push(text.to_ascii_lowercase());
            }
            spans
                .entry(file.display_path.clone())
                .or_default()
                .push(span);
        };
        for o in &report.secret_spans {
            add(&o.file, o.span);
        }
        let findings = || {
            (report.findings.iter()).chain(report.suppressed_findings.iter().map(|s| &s.finding))
        };
        for f in findings() {
            for s in &f.secrets {
                add(&f.location.file, *s);
            }
        }
        for list in spans.values_mut() {
            *list = merge(std::mem::take(list));
        }
        // Every file the report draws from, once, with its tokens found over its whole text.
        let mut files: HashMap<String, std::sync::Arc<SourceFile>> = HashMap::new();
        let mut note = |f: &std::sync::Arc<SourceFile>| {
            if !files.contains_key(&f.display_path) {
                files.insert(f.display_path.clone(), std::sync::Arc::clone(f));
            }
        };
        for f in findings() {
            note(&f.location.file);
            f.related.iter().for_each(|r| note(&r.location.file));
        }
        for e in &report.errors {
            if let Some((f, _)) = &e.location {
                note(f);
            }
        }
        if let Some(g) = &report.graph {
            for l in &g.layers {
                note(&l.at.file);
                l.env.iter().for_each(|e| note(&e.at.file));
                if let Some(i) = &l.image {
                    note(&i.at.file);
                }
            }
        }
        let mut whole_file: HashMap<String, std::sync::Arc<Vec<Span>>> = HashMap::new();
        for (path, file) in files {
            let found: Vec<Span> = crate::model::secret::find_tokens(&file.text)
                .into_iter()
                .map(|(s, _)| s)
                .collect();
            texts.extend(
                found
                    .iter()
                    .map(|s| file.slice(*s).to_ascii_lowercase())
                    .filter(|t| t.chars().count() >= MIN_KNOWN_CHARS),
            );
            whole_file.insert(path, std::sync::Arc::new(merge(found)));
        }
        texts.sort();
        texts.dedup();
        let known = (!texts.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&texts)
                    .ok()
            })
            .flatten();
        Redactor {
            spans,
            known,
            whole_file: std::sync::Mutex::new(whole_file),
        }
    }

    /// A redactor that knows no secret of its own: the detectors only (for text that comes
    /// with no report, such as a config error).
    pub fn detectors_only() -> Redactor {
        Redactor {
            spans: HashMap::new(),
            known: None,
            whole_file: Default::default(),
        }
    }

    /// Free text (a message, an error, a label) with every secret in it masked.
    pub fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let mut found = find_in_text(s);
        if let Some(ac) = &self.known {
            found.extend(ac.find_iter(s).map(|m| Span::new(m.start(), m.end())));
        }
        if found.is_empty() {
            return Cow::Borrowed(s);
        }
        let found = merge(found);
        let mut out = String::with_capacity(s.len());
        let mut at = 0;
        for sp in found {
            out.push_str(&s[at..sp.start]);
            out.push_str(&mask_secret(&s[sp.start..sp.end]));
            at = sp.end;
        }
        out.push_str(&s[at..]);
        Cow::Owned(out)
    }

    /// An owned, redacted copy of `s`.
    pub fn string(&self, s: &str) -> String {
        self.text(s).into_owned()
    }

    /// The secrets to mask in `shown`, a part of one line of `file` (file offsets): the known
    /// spans that touch it, the known secret texts in it, and what the detectors find on the
    /// line around it. Sorted, merged, and cut to `shown`.
    pub fn on_line(&self, file: &SourceFile, line: Span, shown: Span) -> Vec<Span> {
        let mut out: Vec<Span> = self
            .spans
            .get(&file.display_path)
            .map(|spans| {
                let from = spans.partition_point(|s| s.end <= shown.start);
                spans[from..]
                    .iter()
                    .take_while(|s| s.start < shown.end.max(shown.start + 1))
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        let tokens = self.tokens_of(file);
        let from = tokens.partition_point(|s| s.end <= shown.start);
        out.extend(
            tokens[from..]
                .iter()
                .take_while(|s| s.start < shown.end)
                .copied(),
        );
        let lo = file.clamp(shown.start.saturating_sub(DETECT_MARGIN).max(line.start));
        let hi = file.clamp(shown.end.saturating_add(DETECT_MARGIN).min(line.end));
        let around = &file.text[lo..hi.max(lo)];
        out.extend(
            find_in_text(around)
                .into_iter()
                .map(|s| Span::new(s.start + lo, s.end + lo)),
        );
        if let Some(ac) = &self.known {
            out.extend(
                ac.find_iter(around)
                    .map(|m| Span::new(m.start() + lo, m.end() + lo)),
            );
        }
        merge(out)
            .into_iter()
            .map(|s| Span::new(s.start.max(shown.start), s.end.min(shown.end)))
            .filter(|s| s.start < s.end)
            .collect()
    }
}

impl Redactor {
    /// The known-format tokens of `file`'s whole text (sorted, merged), computed once.
    fn tokens_of(&self, file: &SourceFile) -> std::sync::Arc<Vec<Span>> {
        let mut cache = self.whole_file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = cache.get(&file.display_path) {
            return std::sync::Arc::clone(t);
        }
        let found = crate::model::secret::find_tokens(&file.text)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let t = std::sync::Arc::new(merge(found));
        cache.insert(file.display_path.clone(), std::sync::Arc::clone(&t));
        t
    }
}

/// The mask shown for a secret's text: see the module doc.
pub fn mask(secret: &str) -> String {
    mask_secret(secret)
}

/// A span without the quotes around its value (`"hunter2"` → `hunter2`): rules flag a
/// scalar with its quotes, and a mask must leave the closing quote in place.
fn unquoted(file: &SourceFile, span: Span) -> Span {
    let text = file.slice(span);
    for q in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(q) && text.ends_with(q) {
            return Span::new(span.start + 1, span.end - 1);
        }
    }
    span
}

/// Sorted, with overlapping and touching spans merged.
fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|s| s.start < s.end);
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;

    #[test]
    fn free_text_is_masked_by_the_detectors_in_any_case() {
        let r = Redactor::detectors_only();
        let m = r.text("`ADD https://user:password123@host/x.tgz` downloads a file");
        assert!(!m.contains("password123"), "{m}");
        assert!(m.contains("https://user:pass****@host"), "{m}");
        let m = r.text("unknown instruction `GHP_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789`");
        assert!(
            !m.contains("GHP_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            "{m}"
        );
        assert!(m.ends_with("`GHP_****`"), "{m}");
        assert_eq!(
            r.text("Service `web` has no limit"),
            "Service `web` has no limit"
        );
    }

    #[test]
    fn a_key_body_line_is_masked_by_the_whole_file_scan() {
        let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
        let text = format!(
            "key: |\n  -----BEGIN RSA PRIVATE KEY-----\n  {body}\n  -----END RSA PRIVATE KEY-----\nimage: x\n"
        );
        let file = SourceFile::in_memory("k.yaml", Format::Kubernetes, text);
        let r = Redactor::detectors_only();
        let line = file.line_span(3);
        // The line alone says nothing; the block it is part of does.
        assert!(find_in_text(file.slice(line)).is_empty());
        let spans = r.on_line(&file, line, line);
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert!(file.slice(spans[0]).contains(body));
    }

    #[test]
    fn masks_are_fixed_width_and_keep_quotes() {
        let file = SourceFile::in_memory(
            "main.bicep",
            Format::Bicep,
            "param adminPassword string = 'SuperSecret1234!'\n",
        );
        let r = Redactor::detectors_only();
        let line = file.line_span(1);
        let spans = r.on_line(&file, line, line);
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert_eq!(file.slice(spans[0]), "SuperSecret1234!");
        assert_eq!(mask(file.slice(spans[0])), "Supe****");
        assert_eq!(mask("abcdefghijklmnopqrstuvwxyz"), "abcd****");
    }
}
