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

/// A Compose project whose files say nothing by their names: the environments come from
/// `[environments.<name>]` in the config.
fn declared_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir(p.join("deploy")).unwrap();
    std::fs::write(
        p.join(".plumbline.toml"),
        "[environments]\nproduction = [\"live\"]\n\n\
         [environments.live]\ncompose = [\"stack.yml\", \"deploy/live.yml\", \"deploy/live-extra.yml\"]\n\n\
         [environments.qa]\ncompose = [\"stack.yml\", \"deploy/qa.yml\"]\n",
    )
    .unwrap();
    std::fs::write(
        p.join("stack.yml"),
        "services:\n  web:\n    image: nginx:1.27.3\n    user: \"101\"\n",
    )
    .unwrap();
    // Partial services: each needs the base, and says nothing of what it runs alone.
    std::fs::write(
        p.join("deploy/live.yml"),
        "services:\n  web:\n    environment:\n      MODE: live\n",
    )
    .unwrap();
    std::fs::write(
        p.join("deploy/live-extra.yml"),
        "services:\n  web:\n    image: nginx:latest\n",
    )
    .unwrap();
    std::fs::write(
        p.join("deploy/qa.yml"),
        "services:\n  web:\n    user: root\n",
    )
    .unwrap();
    dir
}

#[test]
fn declared_compose_environments_are_merged_in_the_order_given() {
    let dir = declared_project();
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        cwd: dir.path().to_path_buf(),
        ..Options::default()
    };
    let report = check(&opts).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let found: Vec<(String, String, Vec<String>)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.id.to_string(),
                f.location.file.display_path.clone(),
                f.environments.clone(),
            )
        })
        .collect();
    // `:latest` holds in `live` only (the last file listed wins), `root` in `qa` only.
    assert!(
        found.iter().any(|(id, file, envs)| id.starts_with("PIN")
            && file == "deploy/live-extra.yml"
            && envs == &["live".to_string()]),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|(id, file, envs)| id.starts_with("ROOT")
            && file == "deploy/qa.yml"
            && envs == &["qa".to_string()]),
        "{found:#?}"
    );
    // The base alone pins and runs as a user: nothing holds in every environment.
    assert!(
        !found.iter().any(
            |(id, _, envs)| (id.starts_with("PIN") || id.starts_with("ROOT"))
                && envs.iter().any(|e| e == "default")
        ),
        "{found:#?}"
    );
    // A changed-files run on one declared file keeps what holds in its environment.
    let alone = check(&Options {
        paths: vec![dir.path().join("deploy/live-extra.yml")],
        cwd: dir.path().to_path_buf(),
        context: true,
        ..Options::default()
    })
    .unwrap();
    assert!(
        alone
            .findings
            .iter()
            .any(|f| f.rule.id.starts_with("PIN") && f.environments == ["live"]),
        "{:#?}",
        alone.findings
    );
}

#[test]
fn a_declared_file_that_does_not_exist_is_a_config_error() {
    let dir = declared_project();
    std::fs::remove_file(dir.path().join("deploy/qa.yml")).unwrap();
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        cwd: dir.path().to_path_buf(),
        ..Options::default()
    };
    let err = check(&opts).unwrap_err();
    assert!(
        err.contains("[environments.qa]") && err.contains("deploy/qa.yml"),
        "{err}"
    );
}
