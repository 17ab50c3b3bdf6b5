#!/usr/bin/env python3
"""Benchmark plumbline against hadolint, Trivy and Checkov on the same inputs, in one run.

Inputs (from ../shared/corpus, never copied into the repository):
  corpus       the whole corpus
  monorepo     the corpus replicated into a temporary directory until it holds ~50,000 files
  precommit    5 files, as a pre-commit hook passes them: checked in their projects' context
               (the default: cross-file findings hold), and alone (`--no-context`)
  dockerfiles  only the corpus's Dockerfiles (`--no-context`: hadolint reads no context)
  read         the corpus merely read (`cat` of every file, as plumbline reads them): the
               floor any checker that reads its input stands on
  helm         every chart of the corpus, copied with the dependencies the corpus holds
               vendored (as tests/helm_oracle.rs does), rendered in each conventional
               environment: in process by plumbline's renderer (`examples/helm_render.rs --all`,
               charts in parallel as `plumbline check` renders them, and with one thread), and
               by `helm template` run on each (Helm 3.17.3 from tests/oracles/install.sh),
               summed

Each measurement is repeated (--repeat, default 5; Checkov once: it takes minutes) and the
median wall time, CPU time (user + system) and peak memory (max RSS) are reported, with the
ratio peer / plumbline. Peers are used when ../shared/tools/peers-setup.sh has installed them
into /tmp/peers (or $PEERS); missing peers are reported as such, not failed.

Usage: python3 bench/compare.py [--repeat N] [--skip-checkov] [--write-readme]
The table goes to bench/results.md (and, with --write-readme, into README.md's performance
section). Build first: cargo build --release.
"""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()
PEERS = Path(os.environ.get("PEERS", "/tmp/peers"))
PLUMBLINE = ROOT / "target" / "release" / "plumbline"
HELM_RENDER = ROOT / "target" / "release" / "examples" / "helm_render"
TIME = shutil.which("time") or "/usr/bin/time"


def run_timed(cmd, cwd=None):
    """Runs cmd under /usr/bin/time; returns (wall s, cpu s, max rss MB, exit code)."""
    # Wall time from a monotonic clock here (GNU time's %e has 10 ms steps, too coarse for
    # the pre-commit case); CPU and peak RSS from GNU time.
    with tempfile.NamedTemporaryFile(mode="r", suffix=".time") as t:
        start = time.perf_counter()
        proc = subprocess.run(
            [TIME, "-f", "%e %U %S %M", "-o", t.name, *cmd],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        fields = Path(t.name).read_text().split()
    _, user, system, rss_kb = (float(x) for x in fields[-4:])
    return wall, user + system, rss_kb / 1024, proc.returncode


def measure(cmd, repeat, cwd=None, warmup=False):
    # A discarded first run for the fast tools: their cold start (page cache, the VM's
    # scheduler) is a large share of a sub-second run and would make the median noisy.
    if warmup:
        run_timed(cmd, cwd)
    runs = [run_timed(cmd, cwd) for _ in range(repeat)]
    return {
        "wall": statistics.median(r[0] for r in runs),
        "cpu": statistics.median(r[1] for r in runs),
        "rss": max(r[2] for r in runs),
        "runs": repeat,
    }


def files_under(path):
    return [p for p in Path(path).rglob("*") if p.is_file()]


def make_monorepo(target_files):
    """Copies the corpus N times into a temporary directory (hard links where possible)."""
    base = files_under(CORPUS)
    copies = max(1, round(target_files / len(base)))
    tmp = Path(tempfile.mkdtemp(prefix="plumbline-monorepo-"))
    for i in range(copies):
        dest = tmp / f"copy{i:03}"
        shutil.copytree(CORPUS, dest, copy_function=os.link if i else shutil.copy2)
    return tmp, copies


def dockerfiles():
    lines = (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]
    return [str(CORPUS / l.split("\t")[0]) for l in lines if l.split("\t")[1] == "dockerfile"]


def helm_binary():
    """Helm where tests/oracles/install.sh puts it (the lookup of tests/oracles/mod.rs)."""
    for c in [os.environ.get("PLUMBLINE_HELM"),
              os.environ.get("PLUMBLINE_ORACLES") and
              os.path.join(os.environ["PLUMBLINE_ORACLES"], "helm"),
              os.path.expanduser("~/.cache/plumbline-oracles/helm")]:
        if c and os.access(c, os.X_OK):
            return c
    return None


def measure_helm(helm, renders, repeat):
    """`helm template` on each render, one after the other: the sums of wall and CPU time
    over all renders (median over `repeat` passes), the largest peak RSS, the refusals."""
    passes = []
    refused = 0
    for _ in range(repeat):
        wall = cpu = rss = 0.0
        refused = 0
        for chart, *values in renders:
            cmd = [helm, "template", chart]
            for v in values:
                cmd += ["-f", v]
            w, c, m, code = run_timed(cmd)
            wall, cpu, rss = wall + w, cpu + c, max(rss, m)
            refused += code != 0
        passes.append((wall, cpu, rss))
    return {
        "wall": statistics.median(p[0] for p in passes),
        "cpu": statistics.median(p[1] for p in passes),
        "rss": max(p[2] for p in passes),
        "runs": repeat,
    }, refused


def fmt(m):
    if m is None:
        return "not installed"
    return f"{m['wall']:.3f} s wall, {m['cpu']:.2f} s CPU, {m['rss']:.0f} MB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-checkov", action="store_true")
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    if not PLUMBLINE.exists():
        sys.exit("build first: cargo build --release")
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")

    corpus_files = files_under(CORPUS)
    corpus_mb = sum(p.stat().st_size for p in corpus_files) / 1e6
    dfs = dockerfiles()
    five = [str(CORPUS / p) for p in [
        "Azure-Samples__aks-store-demo/src/order-service/Dockerfile",
        "Azure-Samples__aks-store-demo/docker-compose.yml",
        "Azure-Samples__aks-store-demo/charts/aks-store-demo/values.yaml",
        "dockersamples__example-voting-app/k8s-specifications/vote-deployment.yaml",
        "Azure-Samples__todo-nodejs-mongo-aca/infra/main.bicep",
    ] if (CORPUS / p).exists()]
    pl = lambda *paths: [str(PLUMBLINE), "check", *paths, "--format", "json", "--fail-on", "never"]

    results = []  # (input, tool, measurement, ratio_base)

    def row(name, tool, m, base=None):
        results.append((name, tool, m, base))
        print(f"{name:12} {tool:22} {fmt(m)}", flush=True)

    # (a) the whole corpus, against merely reading it
    read_cmd = ["sh", "-c", 'find "$0" -type f -print0 | xargs -0 cat > /dev/null', str(CORPUS)]
    r = measure(read_cmd, max(5, args.repeat), warmup=True)
    a = measure(pl(str(CORPUS)), max(5, args.repeat), warmup=True)
    row("corpus", "plumbline", a)
    row("corpus", "read only (find | xargs cat)", r)
    a1 = measure(pl(str(CORPUS)) + ["--threads", "1"], max(5, args.repeat), warmup=True)
    row("corpus", "plumbline --threads 1", a1)
    same = subprocess.run(pl(str(CORPUS)), capture_output=True).stdout == subprocess.run(
        pl(str(CORPUS)) + ["--threads", "1"], capture_output=True).stdout
    trivy = PEERS / "bin" / "trivy"
    if trivy.exists():
        row("corpus", "trivy config", measure(
            [str(trivy), "config", "--skip-check-update", "--quiet", str(CORPUS)],
            max(1, args.repeat // 2)), a)
    else:
        row("corpus", "trivy config", None, a)
    checkov = PEERS / "bin" / "checkov"
    if checkov.exists() and not args.skip_checkov:
        row("corpus", "checkov -d", measure(
            [str(checkov), "-d", str(CORPUS), "--quiet", "--compact", "-o", "json"], 1), a)
    else:
        row("corpus", "checkov -d", None, a)

    # (d) the Dockerfiles only
    d = measure(pl(*dfs) + ["--no-context"], max(5, args.repeat), warmup=True)
    row("dockerfiles", "plumbline", d)
    hadolint = PEERS / "bin" / "hadolint"
    if hadolint.exists():
        row("dockerfiles", "hadolint", measure([str(hadolint), "--no-fail", *dfs],
                                               args.repeat), d)
    else:
        row("dockerfiles", "hadolint", None, d)

    # (c) a pre-commit-sized input
    c = measure(pl(*five), max(10, args.repeat * 2), warmup=True)
    row("precommit", "plumbline (5 files, in context)", c)
    c0 = measure(pl(*five) + ["--no-context"], max(10, args.repeat * 2), warmup=True)
    row("precommit", "plumbline (5 files alone)", c0)

    # (e) Helm rendering: in process against `helm template` on each chart.
    subprocess.run(["cargo", "build", "--release", "--example", "helm_render"], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    charts = Path(tempfile.mkdtemp(prefix="plumbline-charts-"))
    helm_note = None
    try:
        subprocess.run([str(HELM_RENDER), "--vendor", str(CORPUS), str(charts)], check=True,
                       stdout=subprocess.DEVNULL)
        listed = subprocess.run([str(HELM_RENDER), "--list", str(charts)], check=True,
                                capture_output=True, text=True).stdout
        renders = [line.split("\t") for line in listed.splitlines() if line]
        h = measure([str(HELM_RENDER), "--all", str(charts)], max(10, args.repeat * 2),
                    warmup=True)
        row("helm", f"plumbline ({len(renders)} renders)", h)
        h1 = measure([str(HELM_RENDER), "--all", "--threads", "1", str(charts)],
                     max(10, args.repeat * 2), warmup=True)
        row("helm", "plumbline, one thread", h1)
        helm = helm_binary()
        if helm:
            ht, refused = measure_helm(helm, renders, max(1, args.repeat // 2))
            row("helm", "helm template, summed", ht, h)
            helm_note = (
                f"- helm: {len(renders)} renders of the corpus's charts; `helm template` run on "
                f"each, summed ({refused} refused by Helm: a library chart, a `required` value), "
                f"against plumbline rendering all of them in one process: "
                f"{ht['wall'] / h['wall']:.0f}× the wall time "
                f"({ht['wall']:.3f} s / {h['wall']:.3f} s), "
                f"{ht['cpu'] / h1['cpu']:.0f}× the CPU time of one thread "
                f"({ht['cpu']:.2f} s / {h1['cpu']:.2f} s)")
        else:
            row("helm", "helm template, summed", None, h)
    finally:
        shutil.rmtree(charts, ignore_errors=True)

    # (b) the monorepo
    mono, copies = make_monorepo(50_000)
    try:
        mono_files = len(files_under(mono))
        b = measure(pl(str(mono)), max(1, args.repeat // 2))
        row("monorepo", f"plumbline ({mono_files} files)", b)
    finally:
        shutil.rmtree(mono, ignore_errors=True)

    # The table.
    cores = os.cpu_count()
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    today = datetime.date.today().isoformat()
    out = [f"Measured {today} on {platform.machine()}, {cores} cores, {mem_gb:.0f} GiB "
           f"(`python3 bench/compare.py`; plumbline: median of {max(5, args.repeat)} runs after a "
           f"discarded warm-up run; peers: median of {args.repeat}, Trivy of "
           f"{max(1, args.repeat // 2)}, Checkov once).", "",
           "| input | tool | wall | CPU | peak RSS | peer / plumbline (wall) |",
           "|---|---|---:|---:|---:|---:|"]
    for name, tool, m, base in results:
        if m is None:
            out.append(f"| {name} | {tool} | not installed | | | |")
            continue
        ratio = f"{m['wall'] / base['wall']:.0f}×" if base else ""
        out.append(f"| {name} | {tool} | {m['wall']:.3f} s | {m['cpu']:.2f} s | "
                   f"{m['rss']:.0f} MB | {ratio} |")
    out += ["",
            f"- corpus: {len(corpus_files)} files, {corpus_mb:.1f} MB: "
            f"{len(corpus_files) / a['wall']:.0f} files/s, {corpus_mb / a['wall']:.0f} MB/s; "
            f"CPU/wall {a['cpu'] / a['wall']:.2f} on {cores} cores",
            f"- monorepo: {copies}× the corpus, {mono_files} files: {b['wall']:.2f} s, "
            f"{b['rss']:.0f} MB; wall time grew {b['wall'] / a['wall']:.1f}× for "
            f"{mono_files / len(corpus_files):.1f}× the files",
            f"- corpus check / merely reading the corpus: {a['wall'] / r['wall']:.1f}× "
            f"({a['wall']:.3f} s / {r['wall']:.3f} s)",
            f"- output with `--threads 1` identical to the parallel run: {'yes' if same else 'NO'}",
            *([helm_note] if helm_note else []),
            ""]
    table = "\n".join(out)
    (ROOT / "bench" / "results.md").write_text(table)
    print("\n" + table)
    if args.write_readme:
        readme = (ROOT / "README.md").read_text()
        start = readme.index("<!-- bench:start -->") + len("<!-- bench:start -->")
        end = readme.index("<!-- bench:end -->")
        (ROOT / "README.md").write_text(readme[:start] + "\n" + table + readme[end:])


if __name__ == "__main__":
    main()
