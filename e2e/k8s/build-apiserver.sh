#!/usr/bin/env bash
# Builds kube-apiserver from the Go module proxy into a cached, git-ignored folder (no Kubernetes
# server package exists for these machines). Idempotent: a cached binary of the pinned version is reused.
set -euo pipefail
K8S_VERSION="${K8S_VERSION:-1.32.3}"
STAGING="0.${K8S_VERSION#1.}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${TOLLGATE_K8S_BIN:-$root/.cache/k8s/v$K8S_VERSION}"
if [ -x "$out/kube-apiserver" ]; then echo "$out/kube-apiserver"; exit 0; fi
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > go.mod <<MOD
module tollgate.dev/apiserver-build

go 1.23

require k8s.io/kubernetes v$K8S_VERSION
MOD
for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api \
  cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms \
  kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics \
  mount-utils pod-security-admission sample-apiserver; do
  echo "replace k8s.io/$m => k8s.io/$m v$STAGING" >> go.mod
done
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
export GOFLAGS=-mod=mod
go mod tidy >&2 || true
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
echo "$out/kube-apiserver"
