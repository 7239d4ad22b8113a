#!/usr/bin/env bash
# Makes local stand-ins for the official node images, without any image registry, from this
# machine's own `node` (and npm), and imports them into the docker that DOCKER_HOST points at
# (hack/docker-local.sh env):
#
#   kapi-local/node-base:<node version>    runtime: node + the shared libraries `ldd` lists,
#                                          /etc/passwd with the non-root user node (1000:1000),
#                                          /tmp; no shell, no npm (stands in for node:NN-bookworm-slim
#                                          in the final stage, which only COPYs)
#   kapi-local/node-build:<node version>   build: a Debian bookworm rootfs (mmdebstrap, from the Debian
#                                          mirror) with python3, make, g++ (node-gyp, for
#                                          better-sqlite3 when no prebuilt binary can be downloaded),
#                                          plus this machine's node, npm, node headers (/usr/include/node),
#                                          global npmrc and CA bundle (stands in for node:NN-bookworm)
#
# Then: docker build -f deploy/Dockerfile \
#         --build-arg BUILD_BASE=kapi-local/node-build:<v> --build-arg BASE=kapi-local/node-base:<v> ...
#
# Both are for THIS machine only (its CA bundle goes into the build image). The node ABI of the two
# is the same binary, so the native module built in one runs in the other.
#
#   hack/make-node-base-images.sh            both (each skipped when the tag already exists)
#   hack/make-node-base-images.sh --force    rebuild both
# Prints the two image references (the only lines on stdout).
set -euo pipefail

log() { echo "[make-node-base-images] $*" >&2; }
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1
DOCKER="${DOCKER:-/usr/bin/docker}"
command -v "${DOCKER}" >/dev/null || DOCKER=docker
started=${SECONDS}

NODE_BIN="$(readlink -f "$(command -v node)")"
NODE_VERSION="$("${NODE_BIN}" --version)"
NODE_PREFIX="$(dirname "$(dirname "${NODE_BIN}")")"     # /usr for /usr/bin/node
BASE_REF="kapi-local/node-base:${NODE_VERSION}"
BUILD_REF="kapi-local/node-build:${NODE_VERSION}"
DEFAULT_PATH="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

have_image() { [[ ${FORCE} -eq 0 ]] && "${DOCKER}" image inspect "$1" >/dev/null 2>&1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kapi-node-images.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT

# Copies FILE (following symlinks) to ROOT/FILE, and keeps FILE's own symlink chain too.
copy_in() {
  local root="$1" f="$2"
  mkdir -p "${root}$(dirname "${f}")"
  cp -L "${f}" "${root}${f}"
}

if have_image "${BASE_REF}"; then
  log "${BASE_REF} exists"
else
  log "making ${BASE_REF} from ${NODE_BIN}"
  R="${WORK}/base"
  mkdir -p "${R}"/{etc,tmp,usr/bin,home/node}
  chmod 1777 "${R}/tmp"
  cp "${NODE_BIN}" "${R}/usr/bin/node"
  # The loader and every library node links (libc, libstdc++, libm, libgcc_s, ...); a native
  # module built on bookworm with g++ (better-sqlite3) needs no more than these.
  while read -r lib; do copy_in "${R}" "${lib}"; done < <(ldd "${NODE_BIN}" | grep -o '/[^ ]*')
  cat >"${R}/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
node:x:1000:1000::/home/node:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
  cat >"${R}/etc/group" <<'EOF'
root:x:0:
node:x:1000:
nogroup:x:65534:
EOF
  echo 'passwd: files
group: files
hosts: files dns' >"${R}/etc/nsswitch.conf"
  chown 1000:1000 "${R}/home/node"
  tar -C "${R}" --numeric-owner -c . | "${DOCKER}" import \
    --change "ENV ${DEFAULT_PATH}" --change 'CMD ["node"]' \
    -m "node ${NODE_VERSION} from $(hostname)'s ${NODE_BIN}" - "${BASE_REF}" >&2
fi

if have_image "${BUILD_REF}"; then
  log "${BUILD_REF} exists"
else
  command -v mmdebstrap >/dev/null || {
    log "installing mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y mmdebstrap >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y mmdebstrap >&2; }
  }
  log "making ${BUILD_REF}: mmdebstrap bookworm + python3 make g++ (about a minute)"
  R="${WORK}/build"
  mmdebstrap --variant=apt --include=python3,make,g++,ca-certificates \
    bookworm "${R}" http://deb.debian.org/debian >&2
  rm -rf "${R}"/var/cache/apt/archives/*.deb "${R}"/var/lib/apt/lists/*
  cp "${NODE_BIN}" "${R}/usr/bin/node"
  mkdir -p "${R}/usr/lib/node_modules" "${R}/usr/include" "${R}/usr/etc"
  cp -a "${NODE_PREFIX}/lib/node_modules/npm" "${R}/usr/lib/node_modules/"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "${R}/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "${R}/usr/bin/npx"
  # Headers for node-gyp (npm_config_nodedir=/usr): otherwise it downloads them from nodejs.org.
  cp -a "${NODE_PREFIX}/include/node" "${R}/usr/include/"
  # This machine's CA bundle and global npmrc (cafile=...): the npm registry is reached through
  # whatever TLS set-up the host has.
  cp -L /etc/ssl/certs/ca-certificates.crt "${R}/etc/ssl/certs/ca-certificates.crt"
  [[ -f "${NODE_PREFIX}/etc/npmrc" ]] && cp "${NODE_PREFIX}/etc/npmrc" "${R}/usr/etc/npmrc"
  if ! grep -q '^node:' "${R}/etc/passwd"; then
    echo 'node:x:1000:1000::/home/node:/bin/sh' >>"${R}/etc/passwd"
    echo 'node:x:1000:' >>"${R}/etc/group"
    mkdir -p "${R}/home/node" && chown 1000:1000 "${R}/home/node"
  fi
  tar -C "${R}" --numeric-owner -c . | "${DOCKER}" import \
    --change "ENV ${DEFAULT_PATH}" --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/bash"]' \
    -m "bookworm + python3 make g++ + node ${NODE_VERSION} from $(hostname)" - "${BUILD_REF}" >&2
fi

log "took $((SECONDS - started))s"
"${DOCKER}" image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^kapi-local/' >&2 || true
echo "${BASE_REF}"
echo "${BUILD_REF}"
