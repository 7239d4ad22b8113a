#!/usr/bin/env bash
# Builds etcd's own load generator, `benchmark` (go.etcd.io/etcd/v3/tools/benchmark, on Go's
# clientv3), at the version pinned in hack/kube-version.env, into
# ${KAPI_CACHE:-$HOME/.cache/kapi}/bin/etcd-benchmark-$ETCD_BENCHMARK_VERSION, and prints that path
# (the only line on stdout; progress goes to stderr). An existing binary is reused.
#
# test/bench measures etcd with it: what a Go client gets from the same etcd is the ceiling the
# npm etcd3 client (and kapi's etcd3 backend on it) is held against. go.etcd.io/etcd/v3's go.mod
# replaces its sibling modules with local paths, so `go install module@version` refuses it; built
# instead from a throwaway module that requires it (a dependency's replace directives do not apply).
# Only the benchmarks use it, so CI does not build it.
#
# Environment: KAPI_CACHE (cache dir), GOPROXY/GOMODCACHE/GOFLAGS as usual for go.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT_NAME=build-etcd-benchmark
# shellcheck source=lib/go-binary.sh
source "${HACK_DIR}/lib/go-binary.sh"

BIN="${BIN_DIR}/etcd-benchmark-${ETCD_BENCHMARK_VERSION}"
reuse_or_lock "${BIN}"

log "building go.etcd.io/etcd/v3/tools/benchmark@${ETCD_BENCHMARK_VERSION} with $(go version)"

make_work_dir

(
  cd "${WORK}"
  go mod init kapi.local/etcd-benchmark
  go get "go.etcd.io/etcd/v3/tools/benchmark@${ETCD_BENCHMARK_VERSION}"
  GOFLAGS="${GOFLAGS:-} -trimpath" go build -o "${WORK}/benchmark" go.etcd.io/etcd/v3/tools/benchmark
) >&2
install_built "${WORK}/benchmark" "${BIN}"
