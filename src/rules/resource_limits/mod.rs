//! resource-limits: every container should say how much CPU and memory it needs (requests,
//! which the scheduler places it by) and may use (limits). Without them one runaway process
//! starves its neighbours or gets the node's OOM killer to pick a victim at random.

// One module per rule, named after the rule (`rules/<ID>.toml` `name`), declared by
// build.rs from the catalogue: a rule is its TOML, its file here, and its fixtures.
include!(concat!(env!("OUT_DIR"), "/rules/resource_limits.rs"));
