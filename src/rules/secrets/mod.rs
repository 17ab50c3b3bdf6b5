//! secrets: credentials must not be written into files that are committed, and never into
//! image layers, where anyone who can pull the image can read them back (`docker history`,
//! `docker save`), long after the value was rotated in the source.

// One module per rule, named after the rule (`rules/<ID>.toml` `name`), declared by
// build.rs from the catalogue: a rule is its TOML, its file here, and its fixtures.
include!(concat!(env!("OUT_DIR"), "/rules/secrets.rs"));
