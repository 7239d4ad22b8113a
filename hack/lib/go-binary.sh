# Shared by the hack/build-*.sh scripts: the pinned versions, the binary cache, one build at a time,
# and the component-base version flags. Source it after setting SCRIPT_NAME and HACK_DIR.
# shellcheck shell=bash

# shellcheck source=../kube-version.env
source "${HACK_DIR}/kube-version.env"

log() { echo "[${SCRIPT_NAME}] $*" >&2; }

# The staging modules are v0.<minor>.<patch> of KUBE_VERSION; check the pinned value agrees.
derived_staging="v0.${KUBE_VERSION#v1.}"
if [[ "${KUBE_STAGING_VERSION}" != "${derived_staging}" ]]; then
  log "kube-version.env: KUBE_STAGING_VERSION=${KUBE_STAGING_VERSION} does not match KUBE_VERSION=${KUBE_VERSION} (expected ${derived_staging})"
  exit 1
fi

BIN_DIR="${KAPI_CACHE:-${HOME}/.cache/kapi}/bin"
build_started=${SECONDS}

report_time() {
  local took=$((SECONDS - build_started))
  log "took $((took / 60))m$((took % 60))s"
}

# Takes the build lock named NAME (a file in BIN_DIR), waiting while a parallel build holds it;
# returns once it is ours. Without flock (not Linux), returns at once.
take_build_lock() {
  local name="$1"
  mkdir -p "${BIN_DIR}"
  command -v flock >/dev/null || return 0
  exec 9>"${BIN_DIR}/.${name}.lock"
  if ! flock -n 9; then
    log "another build of ${name} is running; waiting for it"
    flock 9
  fi
}

# Prints the cached binary's path and exits when it is there; otherwise takes the build lock
# (waiting for a parallel build of the same binary, then reusing what it built) and returns.
reuse_or_lock() {
  local bin="$1"
  if [[ -x "${bin}" ]]; then
    log "reusing ${bin}"
    report_time
    echo "${bin}"
    exit 0
  fi
  take_build_lock "$(basename "${bin}")"
  if [[ -x "${bin}" ]]; then
    log "reusing ${bin} (built meanwhile)"
    report_time
    echo "${bin}"
    exit 0
  fi
  command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
}

# -ldflags that stamp KUBE_VERSION into k8s.io/component-base/version (else v0.0.0-master).
version_ldflags() {
  local minor="${KUBE_VERSION#v1.}"
  minor="${minor%%.*}"
  echo "-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/component-base/version.gitTreeState=clean"
}

# Sets WORK to a new scratch directory for SCRIPT_NAME's build, removed when the script exits.
make_work_dir() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/kapi-${SCRIPT_NAME#build-}-build.XXXXXX")"
  trap 'rm -rf "${WORK}"' EXIT
}

# Moves the built binary SRC to its cache path BIN, reports, and prints BIN (the script's one line of stdout).
install_built() {
  local src="$1" bin="$2"
  mv -f "${src}" "${bin}"
  log "built ${bin}"
  report_time
  echo "${bin}"
}
