//! non-root: containers should not run as root. A process that breaks out of a root container
//! starts with root on the host's kernel; a non-root user turns many escapes into nothing.

pub mod compose_capabilities;
pub mod compose_privileged;
pub mod compose_runs_image_as_root;
pub mod compose_user;
pub mod container_escalation;
pub mod container_non_root;
pub mod container_privileged;
pub mod container_uid0;
pub mod final_user;
pub mod run_as_non_root_unverifiable;
pub mod run_as_user_differs;
pub mod sudo;
pub mod terraform_container_group_privileged;
