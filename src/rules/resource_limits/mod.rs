//! resource-limits: every container should say how much CPU and memory it needs (requests,
//! which the scheduler places it by) and may use (limits). Without them one runaway process
//! starves its neighbours or gets the node's OOM killer to pick a victim at random.

pub mod bicep_container_app_resources;
pub mod bicep_container_group_resources;
pub mod compose_above_production;
pub mod compose_limits;
pub mod container_requests_limits;
pub mod container_resources;
pub mod terraform_container_app_resources;
