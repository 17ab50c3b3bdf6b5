//! The thread pool every check runs on.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The stack of each thread that parses and checks files: what a main thread has (8 MiB).
/// Parsers bound their nesting (YAML 256 levels, Bicep and HCL 64, shell 64), but a level
/// costs several kilobytes of stack in a debug build, and 63 nested HCL `for` expressions
/// overflowed the 2 MiB that threads get by default.
pub const WORKER_STACK_BYTES: usize = 8 << 20;

static THREADS: AtomicUsize = AtomicUsize::new(0);
static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();

/// How many worker threads checks use (0, the default: one per core). Takes effect only
/// before the first check of the process.
pub fn set_threads(n: usize) {
    THREADS.store(n, Ordering::Relaxed);
}

/// Runs `f` on plumbline's thread pool (threads with [`WORKER_STACK_BYTES`] of stack), so
/// every parallel stage inside it runs there; on the calling thread's pool if that pool
/// cannot be created.
pub(super) fn in_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(THREADS.load(Ordering::Relaxed))
            .stack_size(WORKER_STACK_BYTES)
            .thread_name(|i| format!("plumbline-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}
