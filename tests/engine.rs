//! The engine on real directories: what only shows with files on disk (thread stacks, FIFOs,
//! units completed from siblings).

use plumbline::engine::{Options, check};

#[test]
fn worker_threads_have_room_for_the_deepest_nesting_parsers_allow() {
    // 63 nested `for` expressions (hcl-edit allows 64) in two files of one module, so
    // they are parsed on worker threads: this overflowed threads of the default 2 MiB
    // in a debug build and aborted the process.
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "locals {{\n  a = {}y{}\n}}\n",
        "[for x in ".repeat(63),
        ": x]".repeat(63)
    );
    std::fs::write(dir.path().join("a.tf"), &deep).unwrap();
    std::fs::write(dir.path().join("b.tf"), &deep).unwrap();
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        cwd: dir.path().to_path_buf(),
        ..Options::default()
    };
    let report = check(&opts).unwrap();
    assert_eq!(report.files_checked, 2);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[cfg(unix)]
#[test]
fn a_fifo_dockerignore_is_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM x:1\nCOPY . .\n").unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.path().join(".dockerignore"))
        .status();
    assert!(fifo.is_ok_and(|s| s.success()));
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        cwd: dir.path().to_path_buf(),
        ..Options::default()
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(check(&opts).map(|r| r.files_checked)));
    let checked = rx.recv_timeout(std::time::Duration::from_secs(20));
    assert_eq!(checked.expect("the check blocked"), Ok(1));
}

#[test]
fn a_refused_file_is_not_read_again_as_a_sibling() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  a:\n    image: x:1\n",
    )
    .unwrap();
    // The override is refused when the walk reads it; the base then asks for it as a
    // partner, which must not read it (and report it) a second time.
    std::fs::write(dir.path().join("compose.override.yaml"), b"\0\0").unwrap();
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        cwd: dir.path().to_path_buf(),
        ..Options::default()
    };
    let report = check(&opts).unwrap();
    let messages: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("compose.override.yaml"),
        "{messages:?}"
    );
}
