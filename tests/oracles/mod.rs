//! The oracles of the differential tests, as `tests/oracles/install.sh` installs them: real
//! Helm 3.17.3 and kubectl 1.31 (kustomize v5.4.2), looked for at `$PLUMBLINE_<TOOL>`,
//! `$PLUMBLINE_ORACLES/<tool>` and `$HOME/.cache/plumbline-oracles/<tool>`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// Where `tool` may be installed, in order.
pub fn candidates(tool: &str) -> Vec<PathBuf> {
    let env = format!("PLUMBLINE_{}", tool.to_ascii_uppercase());
    [
        std::env::var_os(env).map(PathBuf::from),
        std::env::var_os("PLUMBLINE_ORACLES").map(|d| PathBuf::from(d).join(tool)),
        std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".cache/plumbline-oracles").join(tool)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The first candidate whose `version_args` output says `version`; a differential test never
/// passes without its oracle, so its absence is a failure that says how to install it.
fn require(tool: &str, version_args: &[&str], version: &str, what: &str) -> PathBuf {
    let candidates = candidates(tool);
    for c in &candidates {
        if let Ok(out) = Command::new(c).args(version_args).output()
            && String::from_utf8_lossy(&out.stdout).contains(version)
        {
            return c.clone();
        }
    }
    panic!(
        "{what} is not installed (looked at {candidates:?}).\n\
         Run `bash tests/oracles/install.sh` (it installs into $HOME/.cache/plumbline-oracles), \
         or set PLUMBLINE_{}. The differential test does not pass without its oracle.",
        tool.to_ascii_uppercase()
    );
}

/// Helm 3.17.3.
pub fn helm() -> PathBuf {
    require("helm", &["version", "--short"], "v3.17.3", "Helm 3.17.3")
}

/// kubectl 1.31 with kustomize v5.4.2.
pub fn kubectl() -> PathBuf {
    require(
        "kubectl",
        &["version", "--client"],
        "Kustomize Version: v5.4.2",
        "kubectl 1.31 with kustomize v5.4.2",
    )
}
