#!/usr/bin/env bash
# Builds kube-apiserver from the Go module k8s.io/kubernetes at the version pinned in
# hack/kube-version.env, into ${KAPI_CACHE:-$HOME/.cache/kapi}/bin/kube-apiserver-$KUBE_VERSION,
# and prints that path (the only line on stdout; progress goes to stderr). An existing binary
# is reused.
#
# k8s.io/kubernetes replaces every k8s.io/* staging module with ./staging/..., so `go install`
# refuses it. Instead: a scratch module (outside the repo) whose go.mod replaces each of those
# modules with its published version, then `go get` + `go build` with -ldflags setting the
# component-base version (otherwise the binary reports v0.0.0-master).
#
# Environment: KAPI_CACHE (cache dir), GOPROXY/GOMODCACHE/GOFLAGS as usual for go.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT_NAME=build-kube-apiserver
# shellcheck source=lib/go-binary.sh
source "${HACK_DIR}/lib/go-binary.sh"

BIN="${BIN_DIR}/kube-apiserver-${KUBE_VERSION}"
GO_DIRECTIVE="1.26.0"
reuse_or_lock "${BIN}"

log "building kube-apiserver ${KUBE_VERSION} with $(go version)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kapi-kube-apiserver-build.XXXXXX")"
cleanup() { rm -rf "${WORK}"; }
trap cleanup EXIT

log "reading the staging modules from k8s.io/kubernetes@${KUBE_VERSION}'s go.mod"
download_json="$(cd "${WORK}" && GOFLAGS="${GOFLAGS:-} -mod=mod" go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}")"
gomod="$(printf '%s\n' "${download_json}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "${gomod}" || ! -f "${gomod}" ]]; then
  log "go mod download gave no GoMod file:"
  printf '%s\n' "${download_json}" >&2
  exit 1
fi
# Lines such as "k8s.io/api => ./staging/src/k8s.io/api", inside or outside a replace ( ) block.
mapfile -t staging < <(sed -n 's#^[[:space:]]*\(replace[[:space:]]\{1,\}\)\{0,1\}\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\2#p' "${gomod}" | sort -u)
if [[ ${#staging[@]} -eq 0 ]]; then
  log "found no ./staging replacements in ${gomod}"
  exit 1
fi
log "${#staging[@]} staging modules, replaced with ${KUBE_STAGING_VERSION}"

{
  echo "module kapi.local/kube-apiserver-build"
  echo
  echo "go ${GO_DIRECTIVE}"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do
    echo "	${m} => ${m} ${KUBE_STAGING_VERSION}"
  done
  echo ")"
} >"${WORK}/go.mod"

cd "${WORK}"
log "go get k8s.io/kubernetes/cmd/kube-apiserver@${KUBE_VERSION}"
go get "k8s.io/kubernetes/cmd/kube-apiserver@${KUBE_VERSION}" >&2

log "go build k8s.io/kubernetes/cmd/kube-apiserver (several minutes when the build cache is cold)"
# Build to a temp name and rename, so an interrupted build never leaves a binary that looks done.
go build -trimpath -ldflags "$(version_ldflags)" -o "${BIN}.tmp.$$" k8s.io/kubernetes/cmd/kube-apiserver
mv -f "${BIN}.tmp.$$" "${BIN}"

log "built $("${BIN}" --version) at ${BIN}"
report_time
echo "${BIN}"
