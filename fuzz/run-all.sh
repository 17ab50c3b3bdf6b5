#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 1200), JOBS at a time (default 2), at low
# priority, continuing past crashes (each is saved under fuzz/artifacts/<target>/).
# Logs go to $LOGS (default /tmp/fuzzlogs). Usage: fuzz/run-all.sh [SECONDS] [target...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-1200}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dockerfile yaml compose kubernetes helm helm_template helm_chart bicep terraform arm pipeline)
jobs=${JOBS:-2}
logs=${LOGS:-/tmp/fuzzlogs}
mkdir -p "$logs"
cargo +nightly fuzz build -O >/dev/null 2>&1
run() {
  local t=$1
  mkdir -p "corpus/$t" "artifacts/$t"
  nice -n 19 cargo +nightly fuzz run -O "$t" -- \
    -max_total_time="$secs" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    >"$logs/$t.log" 2>&1 || true
  echo "$t done: $(grep -a -E '^#[0-9]+' "$logs/$t.log" | tail -1)"
}
export -f run; export secs logs
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run {}'
