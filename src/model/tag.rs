//! What an image tag pins: one classifier for every format that names an image (a Dockerfile
//! `FROM`, a Compose `image`, a Kubernetes, Helm or Terraform container, a Bicep container
//! app), so that `redis:7` floats the same way wherever it is written.
//!
//! A tag pins when it names a version at least as precise as the project asks for
//! ([`Precision`], major.minor by default) or a build that is never re-pushed (a date, a build
//! number, a revision such as Bitnami's `-r16`). It floats when it names no version (`alpine`,
//! `jammy`, `prod`), a rolling line (`lts`, `stable`, `mainline`, `edge`, `*-latest`), a
//! wildcard (`5.x`) or only part of a version (`7`, `3-management`). A digest always pins.
//! Tags that are none of these (a Git SHA `a1b2c3d`, `build-1234`) are not judged.

/// How precise a version tag must be to count as pinned (`.plumbline.toml`
/// `[pinned-versions] tag-precision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Precision {
    /// `7`, `20-alpine`: the major version is enough.
    Major,
    /// `7.2`, `1.25-alpine`: the default.
    #[default]
    MajorMinor,
    /// `7.2.4`: only exact releases.
    Patch,
}

impl Precision {
    /// The values `.plumbline.toml` accepts.
    pub const NAMES: &'static [&'static str] = &["major", "major.minor", "major.minor.patch"];

    pub fn parse(s: &str) -> Option<Precision> {
        match s {
            "major" => Some(Precision::Major),
            "major.minor" => Some(Precision::MajorMinor),
            "major.minor.patch" => Some(Precision::Patch),
            _ => None,
        }
    }

    fn components(self) -> usize {
        match self {
            Precision::Major => 1,
            Precision::MajorMinor => 2,
            Precision::Patch => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        Precision::NAMES[self.components() - 1]
    }
}

/// Why a tag moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Floating {
    /// `latest` itself: the unpinned-image rules of each format report it.
    Latest,
    /// A rolling word: `lts`, `stable`, `2019-latest`, `edge`.
    Rolling(String),
    /// No version number at all: `alpine`, `nanoserver`, `jammy`, `prod`.
    NoVersion,
    /// A wildcard: `5.x`, `1.*`.
    Wildcard,
    /// A version less precise than asked: `7` or `3-management` at major.minor.
    Coarse { version: String },
}

impl Floating {
    /// Why the tag `tag` moves, for a message (`… because …`).
    pub fn explain(&self, tag: &str, precision: Precision) -> String {
        match self {
            Floating::Latest => format!("`{tag}` moves with every release"),
            Floating::Rolling(word) if tag.eq_ignore_ascii_case(word) => {
                format!("`{tag}` is a rolling tag, re-pushed with every release of its line")
            }
            Floating::Rolling(word) => format!(
                "`{tag}` is a rolling tag (`{word}`), re-pushed with every release of its line"
            ),
            Floating::NoVersion => format!(
                "`{tag}` names no version, so it is re-pushed with every release of its line"
            ),
            Floating::Wildcard => {
                format!("`{tag}` is a wildcard that follows every release it matches")
            }
            Floating::Coarse { version } => format!(
                "`{tag}` pins only `{version}`, so it moves with every `{version}.*` release (the project asks for {})",
                precision.as_str()
            ),
        }
    }
}

/// Images whose releases are one number (`fedora:40`): nothing finer exists to pin to.
const ONE_NUMBER_RELEASES: &[&str] = &["fedora"];

/// How an image reference's tag floats, leaving out what the unpinned-image rules of each
/// format report (no tag, `latest`) and what always pins (a digest).
pub fn floating_image(
    repository: &str,
    tag: Option<&str>,
    digest: Option<&str>,
    precision: Precision,
) -> Option<Floating> {
    if digest.is_some() {
        return None;
    }
    let last = repository.rsplit('/').next().unwrap_or(repository);
    let precision = if ONE_NUMBER_RELEASES.contains(&last) {
        Precision::Major
    } else {
        precision
    };
    floating(tag?, precision).filter(|f| *f != Floating::Latest)
}

/// Words that name a release line rather than a release.
const ROLLING: &[&str] = &[
    "latest", "lts", "stable", "mainline", "edge", "current", "nightly", "rolling", "canary",
    "unstable", "testing", "next", "dev", "devel", "develop", "master", "main", "trunk", "beta",
    "alpha", "preview", "insider", "snapshot",
];

/// How a tag floats at `precision`, or `None` when it pins (or cannot be judged).
pub fn floating(tag: &str, precision: Precision) -> Option<Floating> {
    if tag.eq_ignore_ascii_case("latest") {
        return Some(Floating::Latest);
    }
    let lower = tag.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(['-', '_', '.']).collect();
    if words.contains(&"latest") {
        return Some(Floating::Rolling("latest".into()));
    }
    let (components, wildcard, rest) = leading_version(&lower);
    if components.is_empty() {
        if wildcard {
            return Some(Floating::Wildcard);
        }
        if let Some(w) = words.iter().find(|w| ROLLING.contains(w)) {
            return Some(Floating::Rolling((*w).to_string()));
        }
        // A tag without a digit names a line (`alpine`, `bookworm`, `prod`), never a release.
        if !lower.chars().any(|c| c.is_ascii_digit()) {
            return Some(Floating::NoVersion);
        }
        return None;
    }
    let mut precise = components.len();
    // `v1`, `v5` alone name an application's own releases (`gb-frontend:v5`), which such
    // images never re-push as `v5.1`: nothing finer exists to pin to.
    if precise == 1 && !wildcard && lower.starts_with('v') && rest.is_empty() {
        return None;
    }
    // One long number is a date or a build number (`20240105`), not a major version.
    if precise == 1 && components[0].len() >= 6 {
        return None;
    }
    // A short revision later in the tag pins what the version leaves open: Bitnami's
    // `12-debian-12-r16`, SQL Server's `2019-CU18-ubuntu-20.04`.
    if rest.split(['-', '_']).skip(1).any(is_revision) {
        precise += 1;
    }
    if wildcard {
        return (components.len() < precision.components()).then_some(Floating::Wildcard);
    }
    if precise >= precision.components() {
        return None;
    }
    if let Some(w) = words.iter().find(|w| ROLLING.contains(w)) {
        return Some(Floating::Rolling((*w).to_string()));
    }
    Some(Floating::Coarse {
        version: components.join("."),
    })
}

/// The numeric components a tag starts with (after an optional `v`), whether a wildcard
/// component (`x`, `*`) follows them, and the tag from the version on.
fn leading_version(tag: &str) -> (Vec<&str>, bool, &str) {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let mut components = Vec::new();
    let mut wildcard = false;
    let mut rest = t;
    loop {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            components.push(&rest[..digits]);
            rest = &rest[digits..];
        } else if rest.starts_with(['x', '*'])
            && rest[1..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric())
        {
            wildcard = true;
            rest = &rest[1..];
            break;
        } else {
            break;
        }
        match rest.strip_prefix('.') {
            Some(r) if r.starts_with(|c: char| c.is_ascii_digit() || c == 'x' || c == '*') => {
                rest = r
            }
            _ => break,
        }
    }
    if components.is_empty() && !wildcard {
        return (Vec::new(), false, tag);
    }
    (components, wildcard, rest)
}

/// `r16`, `cu18`, `u1`: a short word of letters then a number, naming a revision.
fn is_revision(w: &str) -> bool {
    let letters = w.bytes().take_while(u8::is_ascii_alphabetic).count();
    (1..=3).contains(&letters)
        && w.len() > letters
        && w[letters..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(tag: &str) -> Option<Floating> {
        floating(tag, Precision::MajorMinor)
    }

    #[test]
    fn pinned_tags() {
        for t in [
            "15.4",
            "7.0-alpine",
            "1.25-alpine",
            "v1.11.1",
            "4.0.10",
            "3.12-slim-bookworm",
            "12-debian-12-r16",
            "2019-CU18-ubuntu-20.04",
            "20240105",
            "a1b2c3d",
            "sha-4f2e1c9",
            "v2.1.0-beta.1",
            "v5",
            "8.0",
        ] {
            assert_eq!(f(t), None, "{t}");
        }
    }

    #[test]
    fn floating_tags() {
        assert_eq!(f("latest"), Some(Floating::Latest));
        for t in [
            "7",
            "7-alpine",
            "20",
            "3-management",
            "3-management-alpine",
            "1809",
        ] {
            assert!(matches!(f(t), Some(Floating::Coarse { .. })), "{t}");
        }
        for t in ["alpine", "nanoserver", "jammy", "bookworm-slim", "prod"] {
            assert_eq!(f(t), Some(Floating::NoVersion), "{t}");
        }
        assert_eq!(f("lts-alpine"), Some(Floating::Rolling("lts".into())));
        assert_eq!(f("stable"), Some(Floating::Rolling("stable".into())));
        assert_eq!(f("2019-latest"), Some(Floating::Rolling("latest".into())));
        assert_eq!(f("edge"), Some(Floating::Rolling("edge".into())));
        assert_eq!(f("5.x"), Some(Floating::Wildcard));
        assert_eq!(f("1.*"), Some(Floating::Wildcard));
        assert_eq!(
            f("v3-alpine"),
            Some(Floating::Coarse {
                version: "3".into()
            })
        );
        assert_eq!(
            floating_image("fedora", Some("40"), None, Precision::MajorMinor),
            None
        );
        assert_eq!(
            floating_image("redis", Some("7"), Some("sha256:ab"), Precision::Patch),
            None
        );
        assert_eq!(
            floating_image("redis", Some("latest"), None, Precision::Major),
            None
        );
    }

    #[test]
    fn precision_is_configurable() {
        assert_eq!(floating("7-alpine", Precision::Major), None);
        assert_eq!(floating("5.x", Precision::Major), None);
        assert_eq!(
            floating("alpine", Precision::Major),
            Some(Floating::NoVersion)
        );
        assert!(floating("7.2", Precision::Patch).is_some());
        assert_eq!(floating("7.2.4", Precision::Patch), None);
    }
}
