#![no_main]
//! See `plumbline::fuzz::run` and fuzz/README.md.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| plumbline::fuzz::run("helm_template", data));
