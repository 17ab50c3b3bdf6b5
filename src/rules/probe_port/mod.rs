//! probe-port-alignment: the port a service listens on, the port it declares and the port its
//! health check probes must be the same port. When they drift, health checks fail (and
//! orchestrators restart healthy containers) or pass while the service is unreachable.

pub mod bicep_probe_port;
pub mod cmd_bind;
pub mod compose_depends_healthy;
pub mod compose_healthcheck_port;
pub mod compose_port_conflict;
pub mod container_probe_port;
pub mod container_probes;
pub mod healthcheck_not_deployed;
pub mod healthcheck_port;
pub mod k8s_service_target_port;
pub mod missing_healthcheck;
pub mod probe_vs_image;
pub mod service_ports;
pub mod terraform_container_app_probe;
