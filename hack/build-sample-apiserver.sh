#!/usr/bin/env bash
# Builds the Go k8s.io/sample-apiserver (the reference aggregated API server serving
# wardle.example.com Flunders and Fischers) at the staging version pinned in hack/kube-version.env,
# into ${KAPI_CACHE:-$HOME/.cache/kapi}/bin/sample-apiserver-$KUBE_STAGING_VERSION, and prints that
# path (the only line on stdout; progress goes to stderr). An existing binary is reused.
#
# Unlike k8s.io/kubernetes, k8s.io/sample-apiserver's go.mod has no ./staging replacements, so a
# plain `go install module@version` works; GOBIN points at a temp dir and the binary is renamed
# into the cache, so an interrupted build never leaves a binary that looks done.
#
# Environment: KAPI_CACHE (cache dir), GOPROXY/GOMODCACHE/GOFLAGS as usual for go.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT_NAME=build-sample-apiserver
# shellcheck source=lib/go-binary.sh
source "${HACK_DIR}/lib/go-binary.sh"

BIN="${BIN_DIR}/sample-apiserver-${KUBE_STAGING_VERSION}"
reuse_or_lock "${BIN}"

log "building k8s.io/sample-apiserver@${KUBE_STAGING_VERSION} with $(go version)"

make_work_dir

# Outside any module (the repo has none, but a parent dir might): module mode from the version.
(cd "${WORK}" && GOBIN="${WORK}/bin" GOFLAGS="${GOFLAGS:-} -trimpath" go install -ldflags "$(version_ldflags)" "k8s.io/sample-apiserver@${KUBE_STAGING_VERSION}") >&2
install_built "${WORK}/bin/sample-apiserver" "${BIN}"
