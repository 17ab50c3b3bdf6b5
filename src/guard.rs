//! Panic containment. A bug in one parser or rule must cost the run one file, never the
//! run: every per-file stage (parse, assembly of a unit, each rule on each file, the graph
//! and each cross-file rule) runs inside [`guarded`], and a panic comes back as an `Err`
//! with its message and source location, which the engine reports as an internal error
//! naming the file.
//!
//! The default panic hook would print a backtrace-style message to standard error in the
//! middle of the output; while a guarded call runs, ours records the message instead and
//! stays silent. Outside guarded calls the previous hook runs unchanged.
//!
//! Under `cfg(fuzzing)` (set by `cargo fuzz`) nothing is caught, so the fuzzer sees every
//! panic as the crash it is.

// Under the fuzzer nothing is caught, so the hook and its state go unused.
#![cfg_attr(fuzzing, allow(dead_code, unused_imports))]

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many guarded calls are running on this thread (they may nest).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// The message and location of the last panic inside a guarded call on this thread.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) == 0 {
                previous(info);
                return;
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let at = info
                .location()
                .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            LAST.with(|last| *last.borrow_mut() = Some(format!("{message}{at}")));
        }));
    });
}

/// Runs `f`, turning a panic into `Err(message)`.
#[cfg(not(fuzzing))]
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    outcome.map_err(|_| {
        LAST.with(|last| last.borrow_mut().take())
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}

/// Under the fuzzer a panic is the finding: let it through.
#[cfg(fuzzing)]
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    Ok(f())
}

/// A panic on purpose, for the tests that prove containment: in debug builds only, when
/// `PLUMBLINE_TEST_PANIC` is `<stage>:<suffix of the key>` (stage `parse`, `assemble` or
/// `rule`; the key is the file's path, `<RULE> <path>` for `rule`) or `graph`, the matching
/// stage panics. The key is formatted only then: this runs for every rule on every file.
/// Release builds compile it to nothing.
pub fn injected(stage: &str, key: std::fmt::Arguments<'_>) {
    static SPEC: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(spec) = SPEC.get_or_init(|| std::env::var("PLUMBLINE_TEST_PANIC").ok()) else {
        return;
    };
    let key = key.to_string();
    let hit = match spec.split_once(':') {
        Some((s, suffix)) => s == stage && key.ends_with(suffix),
        None => spec == stage,
    };
    if hit {
        panic!("injected panic ({stage}) for {key}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_location() {
        let err = guarded(|| -> u8 { panic!("boom {}", 42) }).unwrap_err();
        assert!(err.starts_with("boom 42 at "), "{err}");
        assert!(err.contains("guard.rs"), "{err}");
        assert_eq!(guarded(|| 7), Ok(7));
    }

    #[test]
    fn nested_guards_report_the_inner_panic() {
        let outer = guarded(|| guarded(|| -> u8 { panic!("inner") }));
        let inner = outer.expect("the outer call did not panic");
        assert!(inner.unwrap_err().starts_with("inner"));
    }
}
