#!/usr/bin/env bash
# Builds the Kubernetes components kapi runs — kube-apiserver, kube-controller-manager,
# kube-scheduler and kubelet — from the Go module k8s.io/kubernetes at the version pinned in
# hack/kube-version.env, into ${KAPI_CACHE:-$HOME/.cache/kapi}/bin/<component>-$KUBE_VERSION, and
# prints their paths, one a line, in the order asked (the only lines on stdout; progress to stderr).
#
#   hack/build-kube.sh                                   all four in ONE go build (they share the
#                                                        compiled dependencies)
#   hack/build-kube.sh kube-apiserver                    that one only
#   hack/build-kube.sh kube-apiserver kube-controller-manager
#
# A binary already in the cache is reused; the missing ones are built by ONE `go build` (they
# share nearly all their compiled dependencies; one build compiles them once and links each).
#
# k8s.io/kubernetes replaces every k8s.io/* staging module with ./staging/..., so `go install`
# refuses it. Instead: a scratch module (outside the repo) whose go.mod replaces each of those
# modules with its published version, then `go get` + `go build` with -ldflags setting the
# component-base version (otherwise the binaries report v0.0.0-master).
#
# Environment: KAPI_CACHE (cache dir), GOPROXY/GOMODCACHE/GOFLAGS as usual for go.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT_NAME=build-kube
# shellcheck source=lib/go-binary.sh
source "${HACK_DIR}/lib/go-binary.sh"

KNOWN=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
# With no arguments: all the test suites need (test/deploy runs nodes and the scheduler).
DEFAULT=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
GO_DIRECTIVE="1.26.0"

components=("$@")
[[ ${#components[@]} -gt 0 ]] || components=("${DEFAULT[@]}")
for c in "${components[@]}"; do
  [[ " ${KNOWN[*]} " == *" ${c} "* ]] || { log "unknown component ${c} (known: ${KNOWN[*]})"; exit 2; }
done

bin_of() { echo "${BIN_DIR}/$1-${KUBE_VERSION}"; }

# The requested components not yet in the cache.
missing_components() {
  local c
  for c in "${components[@]}"; do
    [[ -x "$(bin_of "${c}")" ]] || echo "${c}"
  done
}

print_paths() {
  local c
  for c in "${components[@]}"; do bin_of "${c}"; done
}

mapfile -t missing < <(missing_components)
if [[ ${#missing[@]} -eq 0 ]]; then
  log "reusing $(print_paths | tr '\n' ' ')"
  report_time
  print_paths
  exit 0
fi

# One lock for the module: a parallel run waits, then builds only what is still missing.
take_build_lock "k8s.io-kubernetes-${KUBE_VERSION}"
mapfile -t missing < <(missing_components)
if [[ ${#missing[@]} -eq 0 ]]; then
  log "reusing $(print_paths | tr '\n' ' ') (built meanwhile)"
  report_time
  print_paths
  exit 0
fi
command -v go >/dev/null || { log "go is not on PATH"; exit 1; }

log "building ${missing[*]} ${KUBE_VERSION} with $(go version)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kapi-kube-build.XXXXXX")"
# The binaries are linked beside the cache (same file system: the final rename is atomic).
OUT="${BIN_DIR}/.build.$$"
cleanup() { rm -rf "${WORK}" "${OUT}"; }
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
  echo "module kapi.local/kube-build"
  echo
  echo "go ${GO_DIRECTIVE}"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do
    echo "	${m} => ${m} ${KUBE_STAGING_VERSION}"
  done
  echo ")"
} >"${WORK}/go.mod"

packages=()
for c in "${missing[@]}"; do packages+=("k8s.io/kubernetes/cmd/${c}"); done

cd "${WORK}"
log "go get ${packages[*]/%/@${KUBE_VERSION}}"
go get "${packages[@]/%/@${KUBE_VERSION}}" >&2

log "go build ${packages[*]} (several minutes when the build cache is cold)"
# Into a temp dir (go build -o DIR/ names each binary after its package), then renamed, so an
# interrupted build never leaves a binary that looks done.
mkdir -p "${OUT}"
go build -trimpath -ldflags "$(version_ldflags)" -o "${OUT}/" "${packages[@]}"
for c in "${missing[@]}"; do
  bin="$(bin_of "${c}")"
  mv -f "${OUT}/${c}" "${bin}"
  log "built $("${bin}" --version) at ${bin}"
done

report_time
print_paths
