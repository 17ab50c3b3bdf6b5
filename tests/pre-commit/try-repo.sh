#!/usr/bin/env bash
# The pre-commit hook, for real, both ways the README gives. Installs pre-commit from PyPI
# (../shared/tools/peers-setup.sh) and makes a scratch git repository with a passing and a
# failing commit; on the files each commit changed, the hook must pass the first and fail the
# second:
# 1. the README's install line (`cargo install --locked --path .`) and its exact
#    `.pre-commit-config.yaml` snippet (`repo: local`, taken from README.md between markers);
# 2. `pre-commit try-repo <this repository> plumbline --ref <commit>`: pre-commit builds
#    plumbline from this repository with cargo (`language: rust`), as a user's would.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/../shared/tools/peers-setup.sh" pre-commit >/dev/null
pc=${PEERS:-/tmp/peers}/bin/pre-commit

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/cache"
cd "$work"
mkdir scratch && cd scratch
git init -q
git config user.email ci@example.invalid
git config user.name ci
git config commit.gpgsign false

write() { mkdir -p "$(dirname "$1")"; printf '%b' "$2" >"$1"; }
# The first commit: a clean service.
write services/api/Dockerfile 'FROM python:3.12-slim\nUSER 10001\n'
write compose.yaml 'services:\n  api:\n    build: ./services/api\n    user: "10001"\n'
git add -A && git commit -qm "clean"
base=$(git rev-parse HEAD)

# A passing commit: an unrelated, clean change.
write services/api/Dockerfile 'FROM python:3.12-slim\nLABEL team=shop\nUSER 10001\n'
git add -A && git commit -qm "passing"
passing=$(git rev-parse HEAD)

# A failing commit: the base image floats.
write services/api/Dockerfile 'FROM python:latest\nLABEL team=shop\nUSER 10001\n'
git add -A && git commit -qm "failing"
failing=$(git rev-parse HEAD)

# 1. The README's way today: install, then a local hook.
echo "== the README's install line"
install_line=$(grep -o 'cargo install --locked --path \.' "$repo/README.md" | head -n 1)
[ "$install_line" = "cargo install --locked --path ." ] || {
  echo "README.md has no install line \`cargo install --locked --path .\`" >&2
  exit 1
}
# The release build CI already made is reused (CARGO_TARGET_DIR); the binary goes to a
# scratch root instead of ~/.cargo/bin.
(cd "$repo" && CARGO_TARGET_DIR="$repo/target" $install_line --root "$work/install" --quiet)
export PATH="$work/install/bin:$PATH"
plumbline --version

snippet=$(sed -n '/<!-- pre-commit-local:start -->/,/<!-- pre-commit-local:end -->/p' "$repo/README.md" \
  | sed '1,2d;$d' | sed '$d')
[ -n "$snippet" ] || { echo "README.md: no pre-commit-local snippet between its markers" >&2; exit 1; }
# The snippet's `files` is the hook definition's.
hook_files=$(grep -E '^  files:' "$repo/.pre-commit-hooks.yaml" | sed 's/^  files: //')
readme_files=$(echo "$snippet" | grep -E '^ +files:' | sed 's/^ *files: //')
[ "$hook_files" = "$readme_files" ] || {
  echo "README's hook files differ from .pre-commit-hooks.yaml:" >&2
  echo "  $readme_files" >&2
  echo "  $hook_files" >&2
  exit 1
}

# pre-commit checks the files the refs changed as they are in the work tree, so each run
# checks out the commit it is about.
run_local() {
  git checkout -q "$2"
  printf '%s\n' "$snippet" >"$work/local-config.yaml"
  "$pc" run --config "$work/local-config.yaml" --from-ref "$1" --to-ref "$2" --color never
}
echo "== README snippet on the passing commit"
if ! out=$(run_local "$base" "$passing" 2>&1); then
  echo "$out"
  echo "the README's hook failed on a clean commit" >&2
  exit 1
fi
echo "$out" | tail -n 1
echo "== README snippet on the failing commit"
if out=$(run_local "$passing" "$failing" 2>&1); then
  echo "$out"
  echo "the README's hook passed a commit with an unpinned base image" >&2
  exit 1
fi
echo "$out" | grep -q "PIN001" || {
  echo "$out"
  echo "the README's hook failed, but not with PIN001" >&2
  exit 1
}

# 2. pre-commit builds the hook from this repository, at a commit.
rev=$(git -C "$repo" rev-parse HEAD)
run() {
  git checkout -q "$2"
  "$pc" try-repo "$repo" plumbline --ref "$rev" --from-ref "$1" --to-ref "$2" --color never
}

echo "== pre-commit on the passing commit"
if ! out=$(run "$base" "$passing" 2>&1); then
  echo "$out"
  echo "the hook failed on a clean commit" >&2
  exit 1
fi
echo "$out" | tail -n 3

echo "== pre-commit on the failing commit"
if out=$(run "$passing" "$failing" 2>&1); then
  echo "$out"
  echo "the hook passed a commit with an unpinned base image" >&2
  exit 1
fi
echo "$out" | grep -q "PIN001" || {
  echo "$out"
  echo "the hook failed, but not with PIN001" >&2
  exit 1
}
echo "$out" | grep -E "PIN001|Failed|Passed" | head -n 5
echo "pre-commit hook (README's local snippet, and built by pre-commit at $rev): passes a clean commit, fails an unpinned base image"
