//! The command line: `check`, `rules`, `explain`. Parses arguments, calls the library, and maps
//! the outcome to an exit code. Nothing here knows about formats or rules beyond their names.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::baseline::Baseline;
use crate::engine::{self, ErrorKind, Options};
use crate::finding::Severity;
use crate::report::{self, OutputFormat, ReportOptions};

/// Exit codes: nothing at or above the threshold, findings at or above it, usage or I/O error.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// The version, with the commit it was built from when built from a git checkout
/// (`0.1.0 (commit 1a2b3c4d5e6f)`).
const VERSION: &str = const_format_version();

const fn const_format_version() -> &'static str {
    if env!("PLUMBLINE_COMMIT").is_empty() {
        env!("CARGO_PKG_VERSION")
    } else {
        concat!(
            env!("CARGO_PKG_VERSION"),
            " (commit ",
            env!("PLUMBLINE_COMMIT"),
            ")"
        )
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "plumbline",
    version = VERSION,
    about = "Checks that a service's Dockerfile, Compose, Helm, Kubernetes, Bicep and Terraform files are pinned, non-root, aligned, secret-free and resource-limited.",
    after_help = "Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or I/O error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check files and directories (default: the current directory).
    Check(CheckArgs),
    /// List every rule: id, family, default severity, title.
    Rules {
        /// Output as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show the services: which files describe each, what each says, and why they were
    /// linked.
    Graph(GraphArgs),
    /// Record today's findings so that `check --baseline` reports only new ones.
    Baseline(BaselineArgs),
    /// Write a commented starter `.plumbline.toml` in the current directory.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print a rule's documentation (by id or name).
    Explain {
        /// A rule id such as PIN001, or its name such as base-image-unpinned.
        rule: String,
    },
    /// Print a shell completion script (e.g. `plumbline completions bash >
    /// ~/.local/share/bash-completion/completions/plumbline`).
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the manual page, in roff (e.g. `plumbline man > ~/.local/share/man/man1/plumbline.1`).
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// What to scan: shared by `check` and `baseline`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and directories to check. Directories are walked honouring .gitignore; files
    /// named here are always checked, whatever their name.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Leave out paths matching this glob (gitignore syntax) when walking directories.
    /// Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Turn on an opt-in rule, by id or name (e.g. PIN005). Repeatable.
    #[arg(long, value_name = "RULE")]
    pub enable: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Use this configuration for every file, instead of each file's nearest
    /// `.plumbline.toml`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report ignore comments that suppress nothing (SUP002). Default: on when the `CI`
    /// environment variable is set (as CI services do), off otherwise.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub report_unused_ignores: Option<bool>,
    /// Files larger than this are not read and are reported as an error (bytes, or with a
    /// unit: 512K, 10M, 1G).
    #[arg(long, value_name = "SIZE", default_value = "10M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Report at most this many findings per file, then say how many more there were
    /// (0: no limit). A baseline always records every finding.
    #[arg(long, value_name = "N", default_value_t = engine::MAX_FINDINGS_PER_FILE)]
    pub max_findings_per_file: usize,
    /// Check named files alone. By default a file named on the command line (a pre-commit
    /// hook's changed files) is checked in its project's context, and the report keeps what
    /// touches it: the same findings as a run over the whole project.
    #[arg(long)]
    pub no_context: bool,
}

/// `10M` → 10 MiB; plain digits are bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size (examples: 4096, 512K, 10M, 1G)"))?;
    let scale: u64 = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use K, M or G)")),
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Exit with 1 when a finding at or above this severity exists (or a file could not be
    /// parsed, unless `never`).
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Report only findings not recorded in this baseline (see `plumbline baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// When to colour human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// SARIF paths are relative to this directory (the repository root) instead of the
    /// working directory.
    #[arg(long, value_name = "DIR")]
    pub sarif_root: Option<PathBuf>,
    /// Read the file to check from standard input (`plumbline check - --stdin-filename
    /// PATH`), as an editor passes an unsaved buffer: PATH decides the format and the
    /// project, whose other files are read from disk; it need not exist.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Print one line per rule with its number of findings, instead of the findings (with
    /// `--format json`, a JSON array).
    #[arg(long)]
    pub statistics: bool,
}

pub use crate::report::graph::GraphFormat;

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Files and directories to read (default: the current directory).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// `text` for people, `json` for scripts, `dot` for Graphviz (`| dot -Tsvg > graph.svg`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: GraphFormat,
    /// Leave out paths matching this glob. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Use this configuration instead of each file's nearest `.plumbline.toml`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Show one environment: its layers (a Helm values overlay, a Kustomize overlay, a Compose
    /// variant…) and the layers every environment shares (Dockerfiles, plain manifests).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Where to write the baseline.
    #[arg(long, short, default_value = ".plumbline-baseline.json")]
    pub output: PathBuf,
}

/// Whether this looks like a CI run: CI services set `CI` (GitHub Actions, GitLab, Azure
/// Pipelines, CircleCI, Travis, Buildkite…).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Runs the command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Baseline(args) => baseline(args),
        Command::Graph(args) => graph(args),
        Command::Init { force } => init(force),
        Command::Rules { json } => list_rules(json),
        Command::Explain { rule } => explain(&rule),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "plumbline", &mut out);
            print_or_pipe(&String::from_utf8_lossy(&out))
        }
        Command::Man => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => print_or_pipe(&String::from_utf8_lossy(&out)),
                Err(e) => {
                    usage_error(&e.to_string());
                    EXIT_ERROR
                }
            }
        }
    }
}

/// What a scan is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Check,
    /// `plumbline baseline`: every finding is recorded, whatever the per-file limit.
    Record,
}

/// Runs the engine for `check` and `baseline`; `Err` is an exit code after a usage error.
fn scan(
    args: ScanArgs,
    baseline: Option<Baseline>,
    purpose: Purpose,
    stdin: Option<(PathBuf, Vec<u8>)>,
) -> Result<engine::Report, i32> {
    if let Some(n) = args.threads {
        engine::set_threads(n.max(1));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let opts = Options {
        paths: args.paths,
        excludes: args.exclude,
        enable: args.enable,
        cwd,
        report_unused_ignores: args.report_unused_ignores.unwrap_or_else(in_ci),
        config: args.config,
        limits: engine::Limits {
            file_bytes: args.max_file_size,
            // A baseline records every finding, whatever the report would show.
            findings_per_file: (args.max_findings_per_file > 0 && purpose == Purpose::Check)
                .then_some(args.max_findings_per_file),
        },
        baseline,
        graph_only: false,
        context: !args.no_context,
        stdin,
    };
    engine::check(&opts).map_err(|message| {
        usage_error(&message);
        EXIT_ERROR
    })
}

fn baseline(args: BaselineArgs) -> i32 {
    let report = match scan(args.scan, None, Purpose::Record, None) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if refuse_checked_input(&args.output, &report) {
        return EXIT_ERROR;
    }
    let (b, json) = report::baseline_json(&report);
    if let Err(e) = crate::source::write::write(&args.output, json.as_bytes()) {
        eprintln!(
            "plumbline: error: cannot write {}: {e}",
            args.output.display()
        );
        return EXIT_ERROR;
    }
    eprintln!(
        "Recorded {} in {} ({} checked{}).",
        plural(b.entries.len(), "finding"),
        args.output.display(),
        plural(report.files_checked, "file"),
        if report.errors.is_empty() {
            String::new()
        } else {
            format!(
                "; {} could not be checked and {} not recorded",
                plural(report.errors.len(), "file"),
                if report.errors.len() == 1 {
                    "is"
                } else {
                    "are"
                }
            )
        }
    );
    if report.errors.iter().any(|e| e.kind == ErrorKind::Io) {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

fn graph(args: GraphArgs) -> i32 {
    let opts = Options {
        paths: args.paths,
        excludes: args.exclude,
        cwd: std::env::current_dir().unwrap_or_default(),
        config: args.config,
        graph_only: true,
        ..Options::default()
    };
    let mut report = match engine::check(&opts) {
        Ok(r) => r,
        Err(message) => {
            usage_error(&message);
            return EXIT_ERROR;
        }
    };
    let _ = report::write_error_lines(&report, &mut std::io::stderr().lock());
    if let Some(env) = &args.env {
        let g = report.graph.take().unwrap_or_default();
        let known = g.environments();
        if !known.contains(&env.as_str()) {
            usage_error(&format!(
                "no environment `{env}` here (environments: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
            return EXIT_ERROR;
        }
        report.graph = Some(g.in_environment(env));
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let written =
        crate::report::graph::write(&report, args.format, &mut w).and_then(|()| w.flush());
    match written {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("plumbline: error: {e}");
            EXIT_ERROR
        }
    }
}

fn init(force: bool) -> i32 {
    let path = std::path::Path::new(crate::config::FILE_NAME);
    if crate::source::write::exists(path) && !force {
        eprintln!(
            "plumbline: error: {} already exists (use --force to overwrite it)",
            path.display()
        );
        return EXIT_ERROR;
    }
    match crate::source::write::write(path, crate::config::STARTER.as_bytes()) {
        Ok(()) => {
            eprintln!(
                "Wrote {}: every setting is commented out; it changes nothing until you uncomment one.",
                path.display()
            );
            EXIT_OK
        }
        Err(e) => {
            eprintln!("plumbline: error: cannot write {}: {e}", path.display());
            EXIT_ERROR
        }
    }
}

/// Says so and returns true when `output` is one of the files the run checked: plumbline
/// never writes to the files it checks.
fn refuse_checked_input(output: &std::path::Path, report: &engine::Report) -> bool {
    let cwd = std::env::current_dir().unwrap_or_default();
    let checked: Vec<String> = report.checked.iter().map(|(p, _)| p.clone()).collect();
    let refused = crate::source::write::is_checked_input(output, &checked, &cwd);
    if refused {
        eprintln!(
            "plumbline: error: refusing to write to {}: it is one of the files this run checked",
            output.display()
        );
    }
    refused
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn check(args: CheckArgs) -> i32 {
    let baseline = match args.baseline.as_deref().map(Baseline::read).transpose() {
        Ok(b) => b,
        Err(message) => {
            usage_error(&message);
            return EXIT_ERROR;
        }
    };
    let mut scan_args = args.scan;
    let stdin = match read_stdin(&mut scan_args, args.stdin_filename) {
        Ok(s) => s,
        Err(message) => {
            usage_error(&message);
            return EXIT_ERROR;
        }
    };
    let report = match scan(scan_args, baseline, Purpose::Check, stdin) {
        Ok(r) => r,
        Err(code) => return code,
    };

    if let Some(out) = &args.output
        && refuse_checked_input(out, &report)
    {
        return EXIT_ERROR;
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let threshold = args.fail_on.threshold();
    // GitHub shows 10 annotations per level on the diff; the job summary can show them all.
    let step_summary = (args.format == OutputFormat::Github)
        .then(|| std::env::var_os("GITHUB_STEP_SUMMARY"))
        .flatten()
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let ropts = ReportOptions {
        color,
        fail_on: threshold,
        sarif_root: args.sarif_root,
        github_step_summary: step_summary.is_some(),
    };
    if let Some(path) = &step_summary {
        let table = report::github_step_summary(&report);
        if let Err(e) = crate::source::write::append(path, table.as_bytes()) {
            eprintln!(
                "plumbline: warning: cannot write the step summary {}: {e}",
                path.display()
            );
        }
    }
    if args.statistics {
        if !matches!(args.format, OutputFormat::Human | OutputFormat::Json) {
            usage_error("--statistics prints text, or JSON with --format json");
            return EXIT_ERROR;
        }
        // The files that could not be checked are still said, on standard error.
        let _ = report::write_error_lines(&report, &mut std::io::stderr().lock());
    }
    let emit = |w: &mut dyn Write| {
        if args.statistics {
            report::statistics::write(&report, args.format == OutputFormat::Json, w)
        } else {
            report::write(&report, args.format, &ropts, w)
        }
    };
    let written = match &args.output {
        Some(path) => crate::source::write::write_with(path, |w| emit(w)),
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            emit(&mut w).and_then(|()| w.flush())
        }
    };
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return EXIT_OK;
        }
        eprintln!("plumbline: error: cannot write the report: {e}");
        return EXIT_ERROR;
    }
    exit_code(&report, threshold)
}

/// The buffer to check from standard input, when the paths are `-` or `--stdin-filename`
/// is given; the paths become the buffer's. At most `--max-file-size` bytes are read.
fn read_stdin(
    args: &mut ScanArgs,
    name: Option<PathBuf>,
) -> Result<Option<(PathBuf, Vec<u8>)>, String> {
    use std::io::Read;
    let dash = args.paths.iter().any(|p| p.as_os_str() == "-");
    let defaulted = args.paths == [PathBuf::from(".")];
    let Some(name) = name else {
        return if dash {
            Err(
                "reading standard input (`-`) needs --stdin-filename PATH: the path decides \
                 the format and the project (e.g. `--stdin-filename charts/api/values.yaml`)"
                    .to_string(),
            )
        } else {
            Ok(None)
        };
    };
    if !(defaulted || args.paths == [PathBuf::from("-")]) {
        return Err(
            "--stdin-filename checks standard input alone: give `-` as the only path".to_string(),
        );
    }
    let mut bytes = Vec::new();
    let limit = args.max_file_size;
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "standard input is larger than --max-file-size ({limit} bytes)"
        ));
    }
    args.paths = vec![name.clone()];
    Ok(Some((name, bytes)))
}

/// 2 when a path could not be read; otherwise 1 when a finding reaches the threshold or a file
/// could not be parsed (a broken file must not pass a gate silently); otherwise 0.
pub fn exit_code(report: &engine::Report, threshold: Option<Severity>) -> i32 {
    if report.errors.iter().any(|e| e.kind == ErrorKind::Io) {
        return EXIT_ERROR;
    }
    let Some(threshold) = threshold else {
        return EXIT_OK;
    };
    if report.errors.iter().any(|e| e.kind.fails())
        || report.findings.iter().any(|f| f.severity >= threshold)
    {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn list_rules(json: bool) -> i32 {
    let catalogue = crate::catalogue::all();
    let mut out = String::new();
    if json {
        let items: Vec<_> = catalogue
            .iter()
            .map(|m| {
                serde_json::json!({
                    "id": m.id, "name": m.name, "family": m.family.as_str(),
                    "severity": m.severity.as_str(), "title": m.title,
                    "formats": m.formats, "opt_in": m.opt_in,
                })
            })
            .collect();
        out = serde_json::to_string_pretty(&items).unwrap_or_default();
        out.push('\n');
    } else {
        let w_name = catalogue.iter().map(|m| m.name.len()).max().unwrap_or(4);
        out.push_str(&format!(
            "{:<7} {:<w_name$} {:<21} {:<8} TITLE\n",
            "ID", "NAME", "FAMILY", "SEVERITY"
        ));
        for m in catalogue {
            let title = if m.opt_in {
                format!("{} (opt-in)", m.title)
            } else {
                m.title.clone()
            };
            out.push_str(&format!(
                "{:<7} {:<w_name$} {:<21} {:<8} {}\n",
                m.id,
                m.name,
                m.family.as_str(),
                m.severity.as_str(),
                title
            ));
        }
    }
    print_or_pipe(&out)
}

fn explain(rule: &str) -> i32 {
    match crate::catalogue::meta(rule) {
        Some(m) => print_or_pipe(&m.markdown()),
        None => {
            eprintln!("plumbline: error: unknown rule `{rule}` (see `plumbline rules`)");
            EXIT_ERROR
        }
    }
}

fn print_or_pipe(s: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("plumbline: error: {e}");
            EXIT_ERROR
        }
    }
}

/// Says a run-stopping error, each of its lines as one error (a config with several mistakes
/// says them all).
/// The message may quote a file (a config's keys and values, a stranger's): each line goes
/// through [`report::safe_text`], so no secret is printed and nothing starts a workflow
/// command.
fn usage_error(message: &str) {
    for line in message.lines() {
        eprintln!("plumbline: error: {}", report::safe_text(line));
    }
}
