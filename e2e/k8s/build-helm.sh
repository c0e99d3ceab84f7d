#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy into the git-ignored .cache/bin/ (no prebuilt helm
# download is reachable from these machines). Idempotent: a cached binary of the pinned version is
# reused. Prints the binary's path on the last line of stdout.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-3.17.4}"
# The Kubernetes version helm assumes for .Capabilities and `helm lint` deprecation checks when it
# has no cluster: helm's Makefile derives it from its client-go (v0.32 for helm 3.17); `go install`
# alone would leave helm's fallback of 1.20 in place.
HELM_K8S_MINOR="${HELM_K8S_MINOR:-32}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${TOLLGATE_HELM_BIN:-$root/.cache/bin}"
out="$bin/helm"
stamp="$bin/.helm-version"
want="v$HELM_VERSION k8s 1.$HELM_K8S_MINOR"
if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then echo "$out"; exit 0; fi
mkdir -p "$bin"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$HELM_K8S_MINOR"
done
# go install into a temporary GOBIN, then move into place, so an interrupted build never leaves a
# half-written binary behind the version stamp.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
GOBIN="$work" CGO_ENABLED=0 GOFLAGS=-mod=mod go install -trimpath -ldflags="$ldflags" \
  "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" >&2
mv -f "$work/helm" "$out"
echo "$want" > "$stamp"
echo "$out"
