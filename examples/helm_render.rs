//! Renders Helm charts in process and shows where every value came from, or times it.
//!
//! ```sh
//! cargo run --release --example helm_render -- CHART_DIR            # documents, origins
//! cargo run --release --example helm_render -- --time DIR...        # charts under DIRs, timed
//! cargo run --release --example helm_render -- --vendor CORPUS OUT  # copies, deps vendored
//! cargo run --release --example helm_render -- --all DIR...         # render all, in parallel
//! cargo run --release --example helm_render -- --list DIR...        # the renders, for helm
//! ```
//!
//! Charts are found below the given directories (a directory with `Chart.yaml` that is not
//! inside another chart's `charts/`), each rendered in all its conventional environments
//! (`values.yaml`, `values-<env>.yaml`).
//!
//! - `--time` renders them one after the other and prints the time per chart and in all; with
//!   `--helm PATH` it also runs `helm template` on the same charts and environments and prints
//!   both totals and their ratio.
//! - `--vendor` copies every chart below CORPUS into OUT with the dependencies the corpus holds
//!   vendored into its `charts/` (as `tests/helm_oracle.rs` does), so that `helm template`
//!   renders them too.
//! - `--all` renders them as `plumbline check` does: in one process, charts in parallel on a
//!   pool of `--threads N` workers (default: one per core), the largest first. `bench/compare.py` times it against
//!   `helm template` run on each line `--list` prints (`CHART_DIR<TAB>VALUES...`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use plumbline::parse::yaml::{Node, Value};
use plumbline::render::helm::{self, Options};
use plumbline::source::files::DiskFiles;
use rayon::prelude::*;

#[path = "../tests/oracles/vendor.rs"]
mod vendor;

// As the plumbline binary: a fifth of a run was malloc and free with glibc's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn show(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let at = |n: &Node| {
        let o = n.origin();
        let lc = o.start();
        format!("{}:{}:{}", o.file.display_path, lc.line, lc.column)
    };
    match &node.value {
        Value::Scalar(s) => out.push_str(&format!("{pad}{:?}  ← {}\n", s.text, at(node))),
        Value::Seq(items) => {
            for i in items {
                out.push_str(&format!("{pad}-\n"));
                show(i, indent + 2, out);
            }
        }
        Value::Map(entries) => {
            for e in entries {
                out.push_str(&format!(
                    "{pad}{}:  ← {}\n",
                    e.key.as_str().unwrap_or("?"),
                    at(&e.key)
                ));
                show(&e.value, indent + 2, out);
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cwd = std::env::current_dir().unwrap_or_default();
    let files = DiskFiles::new(10 << 20, &cwd);
    match args.first().map(String::as_str) {
        Some("--vendor") => {
            let [_, corpus, out] = &args[..] else {
                eprintln!("usage: helm_render --vendor CORPUS OUT");
                std::process::exit(2);
            };
            let copies = vendor::vendor_all(Path::new(corpus), Path::new(out));
            println!("{} charts copied into {out}", copies.len());
            return;
        }
        Some("--all") => return render_all(&files, &args[1..]),
        Some("--list") => return list(&files, &args[1..]),
        _ => {}
    }
    if args.first().map(String::as_str) == Some("--time") {
        let mut helm_bin = None;
        let mut dirs = Vec::new();
        let mut it = args[1..].iter();
        while let Some(a) = it.next() {
            if a == "--helm" {
                helm_bin = it.next().map(PathBuf::from);
            } else {
                dirs.push(a.clone());
            }
        }
        let found = found(&dirs);
        let mut ours = Duration::ZERO;
        let mut theirs = Duration::ZERO;
        let mut renders = 0;
        for c in &found {
            let envs = helm::conventional_environments(&files, c);
            let start = Instant::now();
            let r = helm::render(&files, c, &envs, &Options::default());
            let took = start.elapsed();
            ours += took;
            renders += envs.len();
            let docs: usize = r.environments.iter().map(|e| e.documents.len()).sum();
            let mut line = format!(
                "{:>9.2} ms  {} env(s), {docs} documents  {}",
                took.as_secs_f64() * 1000.0,
                envs.len(),
                c.display()
            );
            if let Some(h) = &helm_bin {
                let mut t = Duration::ZERO;
                for env in &envs {
                    let mut cmd = Command::new(h);
                    cmd.arg("template").arg(c);
                    for v in &env.values {
                        cmd.arg("-f").arg(c.join(v));
                    }
                    let start = Instant::now();
                    let _ = cmd.output();
                    t += start.elapsed();
                }
                theirs += t;
                line.push_str(&format!("   helm {:.0} ms", t.as_secs_f64() * 1000.0));
            }
            println!("{line}");
        }
        println!(
            "{} charts, {renders} renders: plumbline {:.1} ms in all",
            found.len(),
            ours.as_secs_f64() * 1000.0
        );
        if helm_bin.is_some() {
            println!(
                "helm template {:.1} ms in all: {:.0}× the time",
                theirs.as_secs_f64() * 1000.0,
                theirs.as_secs_f64() / ours.as_secs_f64().max(1e-9)
            );
        }
        return;
    }
    let Some(dir) = args.first() else {
        eprintln!("usage: helm_render CHART_DIR | --time [--helm PATH] DIR...");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let envs = helm::conventional_environments(&files, &dir);
    let r = helm::render(&files, &dir, &envs, &Options::default());
    for d in &r.diagnostics {
        println!(
            "chart: {:?} {} ({})",
            d.severity, d.message, d.at.file.display_path
        );
    }
    for env in &r.environments {
        println!("=== environment {}", env.environment.name);
        for d in &env.diagnostics {
            let lc = d.at.start();
            println!(
                "  {:?} {}:{}: {}",
                d.severity, d.at.file.display_path, lc.line, d.message
            );
        }
        for doc in &env.documents {
            let mut s = String::new();
            show(&doc.node, 2, &mut s);
            println!("--- {}\n{s}", doc.rendered.display_path);
        }
        println!("  {} value → template pairs", env.written_by.len());
    }
}

fn found(dirs: &[String]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for d in dirs {
        vendor::find_charts(Path::new(d), &mut found);
    }
    found
}

/// Every chart in every environment, charts in parallel as the engine renders its units (on
/// workers with the engine's 8 MiB stacks).
fn render_all(files: &DiskFiles, args: &[String]) {
    let mut threads = 0;
    let mut dirs = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--threads" {
            threads = it.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        } else {
            dirs.push(a.clone());
        }
    }
    // As the engine schedules its units: the largest first, each taken by whichever worker
    // is free.
    let mut charts = found(&dirs);
    charts.sort_by_cached_key(|c| std::cmp::Reverse(bytes_below(c)));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(8 << 20)
        .build()
        .expect("thread pool");
    let (renders, documents) = pool.install(|| {
        charts
            .iter()
            .par_bridge()
            .map(|c| {
                let envs = helm::conventional_environments(files, c);
                let r = helm::render(files, c, &envs, &Options::default());
                let docs: usize = r.environments.iter().map(|e| e.documents.len()).sum();
                (envs.len(), docs)
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    println!(
        "{} charts, {renders} renders, {documents} documents",
        charts.len()
    );
}

/// The bytes of the files below `dir`.
fn bytes_below(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => bytes_below(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// One line per render: the chart directory and its values files, tab-separated.
fn list(files: &DiskFiles, dirs: &[String]) {
    for c in found(dirs) {
        for env in helm::conventional_environments(files, &c) {
            let mut line = c.display().to_string();
            for v in &env.values {
                line.push('\t');
                line.push_str(&c.join(v).display().to_string());
            }
            println!("{line}");
        }
    }
}
