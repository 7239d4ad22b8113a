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
# shellcheck source=kube-version.env
source "${HACK_DIR}/kube-version.env"

derived_staging="v0.${KUBE_VERSION#v1.}"
if [[ "${KUBE_STAGING_VERSION}" != "${derived_staging}" ]]; then
  echo "kube-version.env: KUBE_STAGING_VERSION=${KUBE_STAGING_VERSION} does not match KUBE_VERSION=${KUBE_VERSION} (expected ${derived_staging})" >&2
  exit 1
fi

CACHE_DIR="${KAPI_CACHE:-${HOME}/.cache/kapi}"
BIN_DIR="${CACHE_DIR}/bin"
BIN="${BIN_DIR}/sample-apiserver-${KUBE_STAGING_VERSION}"

log() { echo "[build-sample-apiserver] $*" >&2; }

start=${SECONDS}
report_time() {
  local took=$((SECONDS - start))
  log "took $((took / 60))m$((took % 60))s"
}

if [[ -x "${BIN}" ]]; then
  log "reusing ${BIN}"
  report_time
  echo "${BIN}"
  exit 0
fi

mkdir -p "${BIN_DIR}"
# One build at a time (parallel runs on a fresh machine): wait for another, then reuse it.
if command -v flock >/dev/null; then
  exec 9>"${BIN_DIR}/.sample-apiserver-${KUBE_STAGING_VERSION}.lock"
  if ! flock -n 9; then
    log "another build of ${KUBE_STAGING_VERSION} is running; waiting for it"
    flock 9
  fi
  if [[ -x "${BIN}" ]]; then
    log "reusing ${BIN} (built meanwhile)"
    report_time
    echo "${BIN}"
    exit 0
  fi
fi

command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
log "building k8s.io/sample-apiserver@${KUBE_STAGING_VERSION} with $(go version)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kapi-sample-apiserver-build.XXXXXX")"
cleanup() { rm -rf "${WORK}"; }
trap cleanup EXIT

minor="${KUBE_VERSION#v1.}"
minor="${minor%%.*}"
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION}"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version.gitMinor=${minor}"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"

# Outside any module (the repo has none, but a parent dir might): module mode from the version.
(cd "${WORK}" && GOBIN="${WORK}/bin" GOFLAGS="${GOFLAGS:-} -trimpath" go install -ldflags "${ldflags}" "k8s.io/sample-apiserver@${KUBE_STAGING_VERSION}") >&2
mv -f "${WORK}/bin/sample-apiserver" "${BIN}"

log "built ${BIN}"
report_time
echo "${BIN}"
