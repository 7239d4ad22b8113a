#!/usr/bin/env bash
# Runs a private dockerd (Debian's docker.io) for kapi's image builds, with everything of its own
# under ${KAPI_DOCKER_DIR:-${KAPI_CACHE:-$HOME/.cache/kapi}/docker}: data root, exec root, its own
# unix socket, log and pid file. It never touches the network: no bridge (--bridge=none, so no
# docker0 on 172.17.0.0/16), no iptables rules, no TCP listener. Containers must be run with
# `--network host` (or `--network none`); `docker build` RUN steps use the host network too.
#
#   hack/docker-local.sh start      start it (installs docker.io with apt-get if dockerd is missing)
#   hack/docker-local.sh stop       stop it (SIGTERM, waits for it to exit)
#   hack/docker-local.sh status     exit 0 when it answers
#   hack/docker-local.sh env        print `export DOCKER_HOST=...` (eval "$(hack/docker-local.sh env)")
#
# Needs root (dockerd does). The docker CLI talks to it through DOCKER_HOST; use Debian's
# /usr/bin/docker (20.10, built-in BuildKit: DOCKER_BUILDKIT=1) or any newer CLI with buildx.
set -euo pipefail

DIR="${KAPI_DOCKER_DIR:-${KAPI_CACHE:-${HOME}/.cache/kapi}/docker}"
SOCK="${DIR}/docker.sock"
PIDFILE="${DIR}/dockerd.pid"
LOG="${DIR}/dockerd.log"
log() { echo "[docker-local] $*" >&2; }

running() { [[ -f "${PIDFILE}" ]] && kill -0 "$(cat "${PIDFILE}")" 2>/dev/null; }
answers() { DOCKER_HOST="unix://${SOCK}" /usr/bin/docker version >/dev/null 2>&1; }

start() {
  if running && answers; then log "already running (pid $(cat "${PIDFILE}"))"; return 0; fi
  if ! command -v dockerd >/dev/null; then
    log "installing docker.io (brings containerd, runc, tini)"
    # A policy-rc.d that says 101 keeps the package from starting the system dockerd, which would
    # create docker0 on 172.17.0.0/16; one is put in place for the install when there is none.
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io >&2; }
    [[ ${made_policy} -eq 0 ]] || rm -f /usr/sbin/policy-rc.d
  fi
  mkdir -p "${DIR}/data" "${DIR}/exec"
  # An empty config file of our own, so /etc/docker/daemon.json (if any) does not apply.
  [[ -f "${DIR}/daemon.json" ]] || echo '{}' >"${DIR}/daemon.json"
  log "starting dockerd, log ${LOG}"
  # setsid: its own session, so it outlives this script and a Ctrl-C of the caller.
  setsid dockerd \
    --config-file "${DIR}/daemon.json" \
    --data-root "${DIR}/data" \
    --exec-root "${DIR}/exec" \
    --pidfile "${PIDFILE}" \
    -H "unix://${SOCK}" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=false \
    --storage-driver=overlay2 \
    >"${LOG}" 2>&1 </dev/null &
  local i
  for i in $(seq 1 60); do
    if answers; then log "up: DOCKER_HOST=unix://${SOCK}"; return 0; fi
    sleep 0.5
  done
  log "dockerd did not answer in 30s; tail of ${LOG}:"
  tail -20 "${LOG}" >&2
  return 1
}

stop() {
  if ! running; then log "not running"; return 0; fi
  local pid
  pid="$(cat "${PIDFILE}")"
  log "stopping dockerd (pid ${pid})"
  kill -TERM "${pid}"
  local i
  for i in $(seq 1 60); do
    if ! kill -0 "${pid}" 2>/dev/null; then
      # dockerd leaves its default network namespace mounted (nsfs) under the exec root.
      if mountpoint -q "${DIR}/exec/netns/default" 2>/dev/null; then umount "${DIR}/exec/netns/default" || true; fi
      log "stopped"
      return 0
    fi
    sleep 0.5
  done
  log "dockerd ${pid} still running after 30s"
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  env) echo "export DOCKER_HOST=unix://${SOCK}" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
