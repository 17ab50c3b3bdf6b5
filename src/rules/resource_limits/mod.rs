//! resource-limits: every container should say how much memory and CPU it may use. Without
//! limits, one leaking or busy container takes the host's memory or CPU from all the others,
//! and the kernel's OOM killer picks its victims at random.

pub mod compose_limits;
