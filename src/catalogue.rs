//! The rule catalogue: each rule's identity (id, name, family), documentation and defaults,
//! read from `rules/<ID>.toml` (embedded at build time by `build.rs`). The same files generate
//! `docs/rules/<ID>.md` and the registry of rule implementations (`crate::rules`).
//!
//! It sits below findings, configuration and rules: all of them name rules by their entry.

use std::sync::OnceLock;

use serde::Deserialize;

use serde::Serialize;

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// The families every rule belongs to: the five policy families, and `suppressions` for
/// findings about ignore comments. The strings are stable: they appear in every
/// output format and in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Family {
    #[serde(rename = "pinned-versions")]
    PinnedVersions,
    #[serde(rename = "non-root")]
    NonRoot,
    #[serde(rename = "probe-port-alignment")]
    ProbePortAlignment,
    #[serde(rename = "secrets")]
    Secrets,
    #[serde(rename = "resource-limits")]
    ResourceLimits,
    /// Findings about plumbline's own ignore comments (`SUP*`).
    #[serde(rename = "suppressions")]
    Suppressions,
}

impl Family {
    pub const ALL: [Family; 6] = [
        Family::PinnedVersions,
        Family::NonRoot,
        Family::ProbePortAlignment,
        Family::Secrets,
        Family::ResourceLimits,
        Family::Suppressions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::PinnedVersions => "pinned-versions",
            Family::NonRoot => "non-root",
            Family::ProbePortAlignment => "probe-port-alignment",
            Family::Secrets => "secrets",
            Family::ResourceLimits => "resource-limits",
            Family::Suppressions => "suppressions",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// One rule's catalogue entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    /// Stable id, e.g. `PIN001`.
    pub id: String,
    /// Readable kebab-case name, e.g. `base-image-unpinned`; accepted wherever an id is.
    pub name: String,
    #[serde(deserialize_with = "de_family")]
    pub family: Family,
    #[serde(deserialize_with = "de_severity")]
    pub severity: Severity,
    /// One line, shown in listings and SARIF's short description.
    pub title: String,
    /// Formats the rule reads, e.g. `["dockerfile"]`.
    pub formats: Vec<String>,
    /// Off unless enabled (`--enable ID`).
    #[serde(default)]
    pub opt_in: bool,
    /// SARIF `security-severity` (0.0–10.0) for security-relevant rules.
    #[serde(default)]
    pub security_severity: Option<f32>,
    /// hadolint rule codes this rule covers (their inline ignores are honoured).
    #[serde(default)]
    pub hadolint: Vec<String>,
    /// One sentence: why it matters, shown with each finding.
    pub why_short: String,
    /// Markdown sections.
    pub what: String,
    pub why: String,
    pub example: String,
    pub fix: String,
    #[serde(default)]
    pub references: Vec<String>,
}

fn de_family<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Family, D::Error> {
    let s = String::deserialize(d)?;
    Family::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown family `{s}`")))
}

fn de_severity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
    let s = String::deserialize(d)?;
    Severity::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown severity `{s}`")))
}

/// Every entry, parsed once and sorted by id. A malformed entry is a build defect caught by
/// the test suite (`catalogue_parses`), so it panics with the file name here.
pub fn all() -> &'static [RuleMeta] {
    static ALL: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<RuleMeta> = CATALOGUE
            .iter()
            .map(|(name, text)| {
                toml::from_str(text).unwrap_or_else(|e| panic!("rules/{name} is malformed: {e}"))
            })
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    })
}

impl RuleMeta {
    /// The rule's documentation page as Markdown, as written to `docs/rules/<ID>.md`.
    pub fn markdown(&self) -> String {
        let mut s = format!("# {} — {}\n\n", self.id, self.name);
        s.push_str(&format!(
            "| family | default severity | formats | enabled by default |\n|---|---|---|---|\n| `{}` | {} | {} | {} |\n\n",
            self.family.as_str(),
            self.severity.as_str(),
            self.formats.join(", "),
            if self.opt_in { "no (opt-in: `--enable ".to_string() + &self.id + "`)" } else { "yes".into() },
        ));
        s.push_str(&format!("**{}**\n\n", self.title));
        s.push_str(&format!("## What it does\n\n{}\n\n", self.what.trim()));
        s.push_str(&format!("## Why it matters\n\n{}\n\n", self.why.trim()));
        s.push_str(&format!("## Example\n\n{}\n\n", self.example.trim()));
        s.push_str(&format!("## Fix\n\n{}\n", self.fix.trim()));
        if !self.hadolint.is_empty() {
            s.push_str(&format!(
                "\n## Related hadolint rules\n\n{}\n",
                self.hadolint
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.references.is_empty() {
            s.push_str("\n## References\n\n");
            for r in &self.references {
                s.push_str(&format!("- <{r}>\n"));
            }
        }
        s
    }

    /// Where the rule's page is published (SARIF `helpUri`).
    pub fn help_uri(&self) -> String {
        format!(
            "{}/blob/main/docs/rules/{}.md",
            env!("CARGO_PKG_REPOSITORY"),
            self.id
        )
    }
}

/// The catalogue entry for a rule id (any case) or name.
pub fn meta(id_or_name: &str) -> Option<&'static RuleMeta> {
    all()
        .iter()
        .find(|m| m.id.eq_ignore_ascii_case(id_or_name) || m.name == id_or_name)
}
