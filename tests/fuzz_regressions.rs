//! Every input the fuzzer ever crashed on, replayed through the same target body
//! (`plumbline::fuzz::run`), so a fixed crash stays fixed without a nightly toolchain.
//! Files live in `tests/fuzz-regressions/<target>/`; `fuzz/README.md` says how to add one.

use std::path::Path;

#[test]
fn every_crash_the_fuzzer_found_stays_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut replayed = 0;
    for target in plumbline::fuzz::TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut inputs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        inputs.sort();
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| plumbline::fuzz::run(target, &data));
            assert!(outcome.is_ok(), "{} crashes again", input.display());
            replayed += 1;
        }
    }
    // Directories for unknown targets would be silently skipped: refuse them.
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            plumbline::fuzz::TARGETS.contains(&name.as_str()),
            "tests/fuzz-regressions/{name} names no fuzz target"
        );
    }
    assert!(
        replayed > 0,
        "no regression inputs found under {}",
        root.display()
    );
}

#[test]
fn every_target_accepts_trivial_inputs() {
    for target in plumbline::fuzz::TARGETS {
        for data in [
            &b""[..],
            b"\0",
            b"\n\r\n\r",
            b"\xff\xfe\x00",
            b"{{",
            b"\x02FROM",
        ] {
            plumbline::fuzz::run(target, data);
        }
    }
}
