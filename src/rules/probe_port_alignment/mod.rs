//! probe-port-alignment: the port a service listens on, the port it declares and the port its
//! health check probes must be the same port. When they drift, health checks fail (and
//! orchestrators restart healthy containers) or pass while the service is unreachable.

// One module per rule, named after the rule (`rules/<ID>.toml` `name`), declared by
// build.rs from the catalogue: a rule is its TOML, its file here, and its fixtures.
include!(concat!(env!("OUT_DIR"), "/rules/probe_port_alignment.rs"));
