#!/usr/bin/env bash
# The pre-commit hook, for real. Installs pre-commit from PyPI (../shared/tools/peers-setup.sh),
# makes a scratch git repository with a passing and a failing commit, and runs
# `pre-commit try-repo <this repository> plumbline` on the files each commit changed: the hook
# must pass on the first and fail on the second. pre-commit builds plumbline from this
# repository with cargo (`language: rust`), exactly as a user's pre-commit would.
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

# pre-commit checks the files the refs changed as they are in the work tree, so each run
# checks out the commit it is about.
run() {
  git checkout -q "$2"
  "$pc" try-repo "$repo" plumbline --from-ref "$1" --to-ref "$2" --color never
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
echo "pre-commit hook: passes a clean commit, fails an unpinned base image"
