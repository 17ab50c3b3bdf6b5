//! non-root: containers should not run as root. A process that breaks out of a root container
//! starts with root on the host's kernel; a non-root user turns many escapes into nothing.

// One module per rule, named after the rule (`rules/<ID>.toml` `name`), declared by
// build.rs from the catalogue: a rule is its TOML, its file here, and its fixtures.
include!(concat!(env!("OUT_DIR"), "/rules/non_root.rs"));
