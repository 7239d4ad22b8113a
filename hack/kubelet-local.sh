#!/usr/bin/env bash
# A one-node "cluster" on loopback: etcd + kube-apiserver (@kapi/devcluster), containerd with its
# CRI plugin (Debian's containerd 1.6, a config of its own), the pinned kubelet registering node
# "127.0.0.1" (InternalIP 127.0.0.1), a locally built pause image, and the kapi sample server run as
# a hostNetwork Pod from an image loaded into containerd (imagePullPolicy: Never). No registry, no
# CNI, nothing listens outside 127.0.0.0/8.
#
#   hack/kubelet-local.sh up          everything below, in order (KL_CNI=loopback: also `cni`)
#   hack/kubelet-local.sh pause       build the pause binary (hack/kubelet-local/pause), image
#                                     docker.io/kapi-local/pause:1.0, imported into containerd's k8s.io
#   hack/kubelet-local.sh containerd  start containerd (CRI);  ... cluster ; ... kubelet
#   hack/kubelet-local.sh load-image  docker save $KL_APP_IMAGE | ctr -n k8s.io images import
#   hack/kubelet-local.sh pod         the hostNetwork Pod (nodeName 127.0.0.1), waits for Ready
#   hack/kubelet-local.sh cni         optional loopback-only CNI config: the node turns Ready
#   hack/kubelet-local.sh down        delete the pods, stop kubelet, containerd, cluster (nothing left running)
#   hack/kubelet-local.sh status
# State: ${KL_STATE:-${KAPI_CACHE:-$HOME/.cache/kapi}/kubelet-local}. Needs root; docker from
# hack/docker-local.sh (docker save of the app image, docker import of the pause image); the
# repo built (npx tsc -b: @kapi/devcluster's dist); the image from
#   docker build -f deploy/Dockerfile --build-arg BUILD_BASE=... --build-arg BASE=... -t kapi-sample-apiserver:test .
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "${HERE}/.." && pwd)"
STATE="${KL_STATE:-${KAPI_CACHE:-${HOME}/.cache/kapi}/kubelet-local}"
KUBE_VERSION="$(sed -n 's/^KUBE_VERSION=//p' "${REPO}/hack/kube-version.env")"
KUBELET_BIN="${KAPI_CACHE:-${HOME}/.cache/kapi}/bin/kubelet-${KUBE_VERSION}"
CTRD="${STATE}/containerd"
SOCK="${CTRD}/containerd.sock"
KL="${STATE}/kubelet"
NODE_NAME=127.0.0.1
PAUSE_IMAGE=docker.io/kapi-local/pause:1.0
# Debian's containernetworking-plugins (only its "loopback" plugin is used, by `kl.sh cni`).
CNI_BIN_DIR=/usr/lib/cni
APP_IMAGE="${KL_APP_IMAGE:-kapi-sample-apiserver:test}"
APP_PORT="${KL_APP_PORT:-18443}"
DOCKER=/usr/bin/docker
export DOCKER_HOST="${DOCKER_HOST:-unix://${KAPI_CACHE:-${HOME}/.cache/kapi}/docker/docker.sock}"
log() { echo "[kubelet-local] $*" >&2; }
ctr_() { ctr --address "${SOCK}" -n k8s.io "$@"; }

kubectl_() {
  # shellcheck disable=SC1091
  source "${STATE}/cluster.env"
  kubectl --kubeconfig "${KUBECONFIG}" "$@"
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pidfile() {
  local f="$1" name="$2" pid i
  alive "${f}" || { rm -f "${f}"; return 0; }
  pid="$(cat "${f}")"
  log "stopping ${name} (pid ${pid})"
  kill -TERM "${pid}"
  for i in $(seq 1 60); do kill -0 "${pid}" 2>/dev/null || { rm -f "${f}"; return 0; }; sleep 0.5; done
  log "${name} did not exit in 30s: SIGKILL"
  kill -KILL "${pid}" || true
  rm -f "${f}"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs="$1" what="$2" i
  shift 2
  for i in $(seq 1 $((secs * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "timed out waiting for ${what}"
  return 1
}

do_pause() {
  mkdir -p "${STATE}/pause/rootfs"
  (cd "${HERE}/pause" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "${STATE}/pause/rootfs/pause" .)
  tar -C "${STATE}/pause/rootfs" --numeric-owner -c pause | "${DOCKER}" import \
    --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535' - "${PAUSE_IMAGE#docker.io/}" >/dev/null
  "${DOCKER}" save "${PAUSE_IMAGE#docker.io/}" -o "${STATE}/pause/pause.tar"
  log "pause image ${PAUSE_IMAGE}: $(du -h "${STATE}/pause/pause.tar" | cut -f1) tar"
  if alive "${CTRD}/pid"; then ctr_ images import "${STATE}/pause/pause.tar" >&2; fi
}

write_containerd_config() {
  mkdir -p "${CTRD}/root" "${CTRD}/state" "${CTRD}/opt" "${STATE}/cni/net.d" "${STATE}/cni/bin"
  cat >"${CTRD}/config.toml" <<EOF
version = 2
root = "${CTRD}/root"
state = "${CTRD}/state"
# Only a unix socket; no TCP: the CRI streaming server (exec/attach/port-forward) binds 127.0.0.1.
[grpc]
  address = "${SOCK}"
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${CTRD}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # The kernel here has no AppArmor.
  disable_apparmor = true
  # No CAP_SYS_RESOURCE here (CapEff lacks bit 24): lowering oom_score_adj fails with EACCES, so
  # the sandbox's -998 makes runc fail ("can't get final child's PID from pipe: EOF"). Clamp the
  # scores to containerd's own (0) instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${STATE}/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
EOF
}

do_containerd() {
  if alive "${CTRD}/pid"; then log "containerd running"; return 0; fi
  write_containerd_config
  log "starting containerd (log ${CTRD}/containerd.log)"
  setsid containerd --config "${CTRD}/config.toml" >"${CTRD}/containerd.log" 2>&1 </dev/null &
  echo $! >"${CTRD}/pid"
  wait_for 30 "containerd" ctr --address "${SOCK}" version
  if [[ -f "${STATE}/pause/pause.tar" ]]; then ctr_ images import "${STATE}/pause/pause.tar" >&2; else do_pause; fi
}

do_cluster() {
  if alive "${STATE}/cluster.pid"; then log "cluster running"; return 0; fi
  rm -f "${STATE}/cluster.env"
  # kube-apiserver -> kubelet (logs, exec, port-forward): a client certificate from a CA of our
  # own, made before the cluster (its flags are fixed at start); the kubelet trusts that CA too.
  local pki="${STATE}/pki"
  mkdir -p "${pki}"
  if [[ ! -f "${pki}/kubelet-client-ca.crt" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=kapi-kubelet-client-ca" \
      -keyout "${pki}/kubelet-client-ca.key" -out "${pki}/kubelet-client-ca.crt" 2>/dev/null
    openssl req -new -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver-kubelet-client" \
      -keyout "${pki}/apiserver-kubelet-client.key" -out "${pki}/apiserver-kubelet-client.csr" 2>/dev/null
    openssl x509 -req -in "${pki}/apiserver-kubelet-client.csr" -CA "${pki}/kubelet-client-ca.crt" \
      -CAkey "${pki}/kubelet-client-ca.key" -CAcreateserial -days 30 -out "${pki}/apiserver-kubelet-client.crt" \
      -extfile <(printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n') 2>/dev/null
  fi
  log "starting etcd + kube-apiserver (log ${STATE}/cluster.log)"
  setsid node "${HERE}/kubelet-local/cluster.mjs" "${STATE}" "${REPO}" \
    "--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt" \
    "--kubelet-client-key=${pki}/apiserver-kubelet-client.key" \
    >"${STATE}/cluster.log" 2>&1 </dev/null &
  echo $! >"${STATE}/cluster.pid"
  wait_for 150 "kube-apiserver" test -f "${STATE}/cluster.env"
  # shellcheck disable=SC1091
  source "${STATE}/cluster.env"
  log "kube-apiserver ${SERVER}, certs in ${DIR}"
  # The pods' ServiceAccount (no kube-controller-manager creates "default" here).
  kubectl_ create serviceaccount default -n default --dry-run=client -o yaml | kubectl_ apply -f - >&2
  # The kubelet authorizes kube-apiserver's requests (Webhook: a SubjectAccessReview) as that user.
  kubectl_ create clusterrolebinding kube-apiserver-kubelet-api --clusterrole=system:kubelet-api-admin \
    --user=kube-apiserver-kubelet-client --dry-run=client -o yaml | kubectl_ apply -f - >&2
}

do_kubelet() {
  if alive "${KL}/pid"; then log "kubelet running"; return 0; fi
  [[ -x "${KUBELET_BIN}" ]] || "${REPO}/hack/build-kube.sh" kubelet >/dev/null
  # shellcheck disable=SC1091
  source "${STATE}/cluster.env"
  mkdir -p "${KL}/root" "${KL}/pki" "${KL}/pod-logs" "${KL}/volume-plugins"
  # Client certificate for system:node:127.0.0.1 (group system:nodes: the Node authorizer), signed
  # by the devcluster CA (kube-apiserver's --client-ca-file).
  openssl req -new -newkey rsa:2048 -nodes -keyout "${KL}/pki/client.key" \
    -subj "/O=system:nodes/CN=system:node:${NODE_NAME}" -out "${KL}/pki/client.csr" 2>/dev/null
  openssl x509 -req -in "${KL}/pki/client.csr" -CA "${DIR}/ca.crt" -CAkey "${DIR}/ca.key" \
    -CAcreateserial -days 7 -out "${KL}/pki/client.crt" \
    -extfile <(printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n') 2>/dev/null
  cat >"${KL}/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${SERVER}
    certificate-authority: ${DIR}/ca.crt
users:
- name: kubelet
  user:
    client-certificate: ${KL}/pki/client.crt
    client-key: ${KL}/pki/client.key
contexts:
- name: local
  context: {cluster: local, user: kubelet}
current-context: local
EOF
  # Client CAs the kubelet accepts: the cluster CA and the one of kube-apiserver's kubelet client cert.
  cat "${DIR}/ca.crt" "${STATE}/pki/kubelet-client-ca.crt" >"${KL}/pki/client-ca.crt"
  cat >"${KL}/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# Serving (logs/exec, /pods) and healthz on loopback only.
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${KL}/pki/client-ca.crt}
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://${SOCK}
# This machine: cgroup v1 with cgroupfs, no swap (failSwapOn false anyway). Since 1.35 a kubelet
# refuses cgroup v1 unless failCgroupV1 is false.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
podLogsDir: ${KL}/pod-logs
volumePluginDir: ${KL}/volume-plugins
resolvConf: /etc/resolv.conf
registerNode: true
rotateCertificates: false
serverTLSBootstrap: false
# Pods only with nodeName (no scheduler): keep evictions and image GC from surprising us.
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  imagefs.available: 2%
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
EOF
  log "starting kubelet ${KUBE_VERSION} (log ${KL}/kubelet.log)"
  # --hostname-override with an IP: the kubelet takes it as the node's InternalIP as is
  # (--node-ip=127.0.0.1 is refused: "nodeIP can't be loopback address").
  setsid "${KUBELET_BIN}" \
    --config "${KL}/config.yaml" \
    --kubeconfig "${KL}/kubeconfig" \
    --root-dir "${KL}/root" \
    --cert-dir "${KL}/pki" \
    --hostname-override "${NODE_NAME}" \
    -v 2 >"${KL}/kubelet.log" 2>&1 </dev/null &
  echo $! >"${KL}/pid"
  wait_for 60 "node ${NODE_NAME} registered" kubectl_ get node "${NODE_NAME}"
  kubectl_ get node -o wide >&2
}

do_load_image() {
  log "docker save ${APP_IMAGE} | ctr -n k8s.io images import"
  "${DOCKER}" save "${APP_IMAGE}" | ctr_ images import - >&2
  ctr_ images ls -q | grep -v '^sha256:' >&2
}

do_pod() {
  cat >"${STATE}/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: sample-apiserver
  namespace: default
spec:
  nodeName: ${NODE_NAME}
  hostNetwork: true
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 10
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    runAsGroup: 1000
  containers:
  - name: apiserver
    image: ${APP_IMAGE}
    imagePullPolicy: Never
    args:
    - --secure-port=${APP_PORT}
    - --bind-address=127.0.0.1
    - --data-dir=/var/lib/kapi/data
    - --cert-dir=/var/lib/kapi
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    # host: 127.0.0.1 — the probes would otherwise go to the pod IP, which for a hostNetwork pod is
    # the node's InternalIP (127.0.0.1 here anyway).
    startupProbe:
      httpGet: {host: 127.0.0.1, path: /livez, port: ${APP_PORT}, scheme: HTTPS}
      periodSeconds: 2
      failureThreshold: 30
    livenessProbe:
      httpGet: {host: 127.0.0.1, path: /livez, port: ${APP_PORT}, scheme: HTTPS}
      periodSeconds: 10
    readinessProbe:
      httpGet: {host: 127.0.0.1, path: /readyz, port: ${APP_PORT}, scheme: HTTPS}
      periodSeconds: 5
    volumeMounts:
    - {name: state, mountPath: /var/lib/kapi}
    - {name: tmp, mountPath: /tmp}
  volumes:
  - {name: state, emptyDir: {}}
  - {name: tmp, emptyDir: {}}
EOF
  kubectl_ apply -f "${STATE}/pod.yaml" >&2
  kubectl_ wait --for=condition=Ready pod/sample-apiserver --timeout=120s >&2
  kubectl_ get pod sample-apiserver -o wide >&2
}

# Optional: a CNI config whose only plugin is "loopback". containerd's CRI then reports
# NetworkReady=true and the node turns Ready; a non-hostNetwork pod would get a netns with lo only.
# (Without it the node stays NotReady "cni plugin not initialized", and hostNetwork pods run anyway.)
do_cni() {
  [[ -x "${CNI_BIN_DIR}/loopback" ]] || DEBIAN_FRONTEND=noninteractive apt-get install -y containernetworking-plugins >&2
  mkdir -p "${STATE}/cni/net.d"
  cat >"${STATE}/cni/net.d/10-loopback.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "loopback-only",
  "plugins": [{ "type": "loopback" }]
}
EOF
  log "CNI config ${STATE}/cni/net.d/10-loopback.conflist (containerd picks it up live)"
}

do_down() {
  if alive "${KL}/pid" && [[ -f "${STATE}/cluster.env" ]]; then
    kubectl_ delete pod --all -n default --grace-period=5 --wait=true --timeout=30s >&2 || true
  fi
  stop_pidfile "${KL}/pid" kubelet
  if alive "${CTRD}/pid"; then
    # Containers the kubelet left (it does not stop pods when it exits).
    local c
    for c in $(crictl_ ps -q 2>/dev/null); do crictl_ stop "$c" >/dev/null 2>&1 || true; done
    for c in $(crictl_ pods -q 2>/dev/null); do crictl_ stopp "$c" >/dev/null 2>&1 || true; crictl_ rmp "$c" >/dev/null 2>&1 || true; done
    for c in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true; done
  fi
  stop_pidfile "${CTRD}/pid" containerd
  stop_pidfile "${STATE}/cluster.pid" "cluster (etcd, kube-apiserver)"
  # The devcluster dir (certs, kubeconfig, kube-apiserver.log) was kept for debugging; remove it.
  if [[ -f "${STATE}/cluster.env" ]]; then
    # shellcheck disable=SC1091
    source "${STATE}/cluster.env"
    [[ "${DIR:-}" == /tmp/kapi-cluster-* ]] && rm -rf "${DIR}"
    rm -f "${STATE}/cluster.env"
  fi
  # The kubelet bind-mounts its root dir onto itself (to make it rshared) and leaves that mount.
  while mountpoint -q "${KL}/root" 2>/dev/null; do umount "${KL}/root" || break; done
  # Outside the state dir, the kubelet also writes /var/log/containers/*.log (symlinks into
  # podLogsDir), /var/lib/kubelet/device-plugins/kubelet.sock (a fixed path) and the /kubepods
  # cgroups; remove the symlinks that point at our pod logs.
  local l
  for l in /var/log/containers/*.log; do
    [[ -L "${l}" && "$(readlink "${l}")" == "${KL}/pod-logs/"* ]] && rm -f "${l}"
  done
  return 0
  # Leftover shims (containerd-shim-runc-v2 outlives containerd by design).
  local p
  for p in $(pgrep -f "containerd-shim-runc-v2 -namespace k8s.io -address ${SOCK}" || true); do kill -TERM "$p" 2>/dev/null || true; done
}

crictl_() { command -v crictl >/dev/null || return 1; crictl --runtime-endpoint "unix://${SOCK}" "$@"; }

do_status() {
  local n
  for n in "containerd:${CTRD}/pid" "cluster:${STATE}/cluster.pid" "kubelet:${KL}/pid"; do
    if alive "${n#*:}"; then echo "${n%%:*} running (pid $(cat "${n#*:}"))"; else echo "${n%%:*} stopped"; fi
  done
  if alive "${STATE}/cluster.pid"; then kubectl_ get nodes,pods -A -o wide || true; fi
}

mkdir -p "${STATE}"
case "${1:-}" in
  pause) do_pause ;;
  containerd) do_containerd ;;
  cluster) do_cluster ;;
  kubelet) do_kubelet ;;
  load-image) do_load_image ;;
  pod) do_pod ;;
  cni) do_cni ;;
  up)
    if [[ "${KL_CNI:-}" == loopback ]]; then do_cni; else rm -f "${STATE}/cni/net.d/10-loopback.conflist"; fi
    do_containerd; do_cluster; do_kubelet; do_load_image; do_pod ;;
  down) do_down ;;
  status) do_status ;;
  *) echo "usage: $0 up|down|status|pause|containerd|cluster|kubelet|load-image|pod|cni" >&2; exit 2 ;;
esac
