#!/usr/bin/env bash
# Builds the sample server's image from deploy/Dockerfile and prints its reference (the only line
# on stdout; progress goes to stderr).
#
#   hack/build-image.sh                     on the official node images (node:24-bookworm[-slim]),
#                                           with the docker on PATH / DOCKER_HOST (BuildKit)
#   KAPI_LOCAL_BASES=1 hack/build-image.sh  on this machine, which reaches no image registry: a
#                                           private dockerd (hack/docker-local.sh, left running) and
#                                           local stand-in bases (hack/make-node-base-images.sh)
#
# Environment: KAPI_IMAGE (default kapi-sample-apiserver:dev). A rebuild with nothing changed takes
# seconds (every layer is cached); a source change re-runs tsc, a package.json change npm ci.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "${HACK_DIR}")"
IMAGE="${KAPI_IMAGE:-kapi-sample-apiserver:dev}"
log() { echo "[build-image] $*" >&2; }
started=${SECONDS}

args=()
if [[ "${KAPI_LOCAL_BASES:-0}" == 1 ]]; then
  "${HACK_DIR}/docker-local.sh" start
  eval "$("${HACK_DIR}/docker-local.sh" env)"
  # Debian's docker 20.10 CLI: its built-in BuildKit honours deploy/Dockerfile.dockerignore.
  DOCKER=/usr/bin/docker
  mapfile -t bases < <("${HACK_DIR}/make-node-base-images.sh")
  args+=(--build-arg "BASE=${bases[0]}" --build-arg "BUILD_BASE=${bases[1]}")
else
  DOCKER="${DOCKER:-docker}"
fi

log "docker build -t ${IMAGE} ${args[*]}"
cd "${REPO}"
DOCKER_BUILDKIT=1 "${DOCKER}" build --network host -f deploy/Dockerfile "${args[@]}" -t "${IMAGE}" . >&2
log "built ${IMAGE} in $((SECONDS - started)) s"
echo "${IMAGE}"
