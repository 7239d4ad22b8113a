#!/usr/bin/env bash
# Builds kine (github.com/k3s-io/kine: k3s' etcd v3 API over SQLite and other SQL stores) at the
# version pinned in hack/kube-version.env, into ${KAPI_CACHE:-$HOME/.cache/kapi}/bin/kine-$KINE_VERSION,
# and prints that path (the only line on stdout; progress goes to stderr). An existing binary is reused.
#
# The Go sample-apiserver on kine is what a Go user runs to avoid etcd: test/bench's `go-kine`
# server, the peer of kapi's embedded SQLite. Built as kine's own scripts/build builds it: cgo (the
# mattn/go-sqlite3 driver, as k3s ships it, not the pure-Go fallback) with k3s' SQLite tags. Only the
# benchmarks use it, so CI does not build it.
#
# Environment: KAPI_CACHE (cache dir), GOPROXY/GOMODCACHE/GOFLAGS as usual for go.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT_NAME=build-kine
# shellcheck source=lib/go-binary.sh
source "${HACK_DIR}/lib/go-binary.sh"

BIN="${BIN_DIR}/kine-${KINE_VERSION}"
reuse_or_lock "${BIN}"

log "building github.com/k3s-io/kine@${KINE_VERSION} with $(go version) (cgo; a few minutes: SQLite's C)"

make_work_dir

TAGS="sqlite_unlock_notify,sqlite_vtable,sqlite_stat4,sqlite_preupdate_hook,sqlite_math_functions,sqlite_dbstat,sqlite_column_metadata"
(cd "${WORK}" && CGO_ENABLED=1 GOBIN="${WORK}/bin" GOFLAGS="${GOFLAGS:-} -trimpath" go install -tags "${TAGS}" "github.com/k3s-io/kine@${KINE_VERSION}") >&2
install_built "${WORK}/bin/kine" "${BIN}"
