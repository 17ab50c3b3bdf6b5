//! The `plumbline` binary: parse the command line, run, exit with its code.

use clap::Parser;

/// mimalloc instead of glibc's malloc: parsing allocates many small nodes from two threads,
/// and glibc's per-thread arenas both spent a fifth of the run in malloc/free and held about
/// twice the live heap as resident memory on a 50,000-file repository (see README,
/// Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = plumbline::cli::Cli::parse();
    std::process::exit(plumbline::cli::run(cli));
}
