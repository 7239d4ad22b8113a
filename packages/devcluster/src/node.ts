/**
 * A node of a devcluster: a real kubelet (the pinned build) on a containerd of its own, through
 * CRI, registering as `name` — an address in 127.0.0.0/8 that is also its InternalIP — so that the
 * Pods it runs with `hostNetwork` serve on that address and nothing leaves loopback.
 *
 * Several nodes run side by side on one machine, each with its own containerd (a kubelet kills the
 * containers it does not know, so two cannot share one), root dir, cgroup root (a kubelet removes
 * the Pod cgroups it does not know), kubelet ports on its own address, and the pause image built
 * here (pause-image.ts). Its only network is the host's: its CNI config has the loopback plugin
 * alone, which makes containerd report the network ready (without a CNI config the node stays
 * NotReady, "cni plugin not initialized", and keeps the not-ready taint) while giving Pods no
 * address off loopback. So hostNetwork Pods run; any other Pod fails to get its sandbox's network.
 *
 * What it needs from the machine, as root: containerd and ctr (Debian's `containerd`, which
 * `docker.io` brings), runc, the loopback CNI plugin (Debian's `containernetworking-plugins`), and
 * cgroups. kube-apiserver's flags for it (a client certificate for
 * the kubelet's API) are set by startCluster whether nodes come or not.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { spawnLogged, stopProcess } from '@kapi/storage/etcd-server';
import { tail, writeUserKubeconfig, type ComponentHost } from './component.js';
import { requestTls, type TlsClient } from './http.js';
import { ensurePauseImage, PAUSE_IMAGE } from './pause-image.js';

const run = promisify(execFile);

/** The user kube-apiserver is to the kubelets (its --kubelet-client-certificate's CN). */
export const APISERVER_KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';

export interface NodeOptions {
  /** The node's name and InternalIP, an IPv4 address in 127.0.0.0/8; default 127.0.0.1. */
  name?: string;
  /** Bound on the wait for containerd and for the node to register; default 90 s. */
  readyTimeoutMs?: number;
}

export interface KubeNode {
  /** Its name, and the address its kubelet and hostNetwork Pods serve on. */
  readonly name: string;
  /** Its state: containerd's and the kubelet's dirs, configs and logs. */
  readonly dir: string;
  readonly kubeletLog: string;
  readonly containerdLog: string;
  /** Imports an image archive (`docker save`, or an OCI layout tar) into its containerd, for `imagePullPolicy: Never`. */
  importImage(archive: string): Promise<void>;
  /** Stops the kubelet, every container, containerd; unmounts and removes what they left. */
  stop(): Promise<void>;
}

/** What startCluster gives the launcher. */
export interface NodeHost extends ComponentHost {
  /** Admin credentials for kube-apiserver. */
  admin: TlsClient;
}

const STOP_GRACE_MS = 10_000;
const KUBELET_PORT = 10250;
const KUBELET_HEALTHZ_PORT = 10248;
const CNI_BIN_DIR = '/usr/lib/cni';

/** Polls `check` (an error from it means "not yet") until true; `exited` ends the wait at once. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, exited: () => boolean, details: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (exited()) throw new Error(`${what}: the process exited\n${details()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${details()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The mount points of the cgroup hierarchies (one per v1 controller set, or the v2 root). */
function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => {
      const sep = f.indexOf('-');
      return sep > 0 && (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2');
    })
    .map((f) => f[4]!);
}

/** Mount points under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mp): mp is string => mp !== undefined && (mp === dir || mp.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}

/** Removes a cgroup and the ones below it (rmdir, deepest first; a cgroup with processes stays). */
function removeCgroup(path: string): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) if (entry.isDirectory()) removeCgroup(join(path, entry.name));
  try {
    rmdirSync(path);
  } catch {
    // still has processes, or already gone
  }
}

export async function launchNode(host: NodeHost, kubelet: string, opts: NodeOptions = {}): Promise<KubeNode> {
  const name = opts.name ?? '127.0.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) throw new Error(`a node's name is its address, in 127.0.0.0/8: "${name}"`);
  for (const tool of ['containerd', 'ctr', 'runc']) {
    const found = await run('sh', ['-c', `command -v ${tool}`]).then(
      () => true,
      () => false,
    );
    if (!found) throw new Error(`${tool} is not on PATH: a node needs containerd (apt-get install -y containerd)`);
  }
  if (!existsSync(join(CNI_BIN_DIR, 'loopback'))) throw new Error(`${CNI_BIN_DIR}/loopback is missing: a node needs the CNI plugins (apt-get install -y containernetworking-plugins)`);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const dir = join(host.dir, `node-${name}`);
  const path = (...parts: string[]): string => join(dir, ...parts);
  for (const sub of ['containerd/root', 'containerd/state', 'containerd/opt', 'cni/net.d', 'kubelet/root', 'kubelet/pki', 'kubelet/pod-logs', 'kubelet/volume-plugins']) {
    mkdirSync(path(sub), { recursive: true });
  }
  const socket = path('containerd', 'containerd.sock');
  const containerdLog = path('containerd', 'containerd.log');
  const kubeletLog = path('kubelet', 'kubelet.log');
  const cgroupRoot = `/kapi-node-${name.replaceAll('.', '-')}`;
  const ctr = (...args: string[]): Promise<{ stdout: string }> => run('ctr', ['--address', socket, '-n', 'k8s.io', ...args], { maxBuffer: 16 << 20 });
  let containerd: ChildProcess | undefined;
  let kubeletChild: ChildProcess | undefined;
  const track = (): void => host.track(`node ${name}`, [containerd, kubeletChild].filter((c): c is ChildProcess => c !== undefined));

  writeFileSync(
    path('containerd', 'config.toml'),
    `version = 2
root = "${path('containerd', 'root')}"
state = "${path('containerd', 'state')}"
# A unix socket only; the CRI streaming server (exec, attach, port-forward) binds the node's address.
[grpc]
  address = "${socket}"
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${path('containerd', 'opt')}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  stream_server_address = "${name}"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  # Without CAP_SYS_RESOURCE (a container or VM), lowering oom_score_adj fails and with it every
  # sandbox ("can't get final child's PID from pipe: EOF"): clamp the scores to containerd's own.
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
    conf_dir = "${path('cni', 'net.d')}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
`,
  );

  writeFileSync(path('cni', 'net.d', '10-loopback.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'loopback-only', plugins: [{ type: 'loopback' }] }));

  const stop = async (): Promise<void> => {
    if (kubeletChild) await stopProcess(kubeletChild, STOP_GRACE_MS);
    kubeletChild = undefined;
    if (containerd && containerd.exitCode === null) {
      // The kubelet leaves its Pods running when it exits: kill their tasks, which ends their shims.
      const tasks = await ctr('tasks', 'ls', '-q').then(
        (r) => r.stdout.split('\n').filter(Boolean),
        () => [],
      );
      await Promise.all(tasks.map((id) => ctr('tasks', 'kill', '-s', 'SIGKILL', id).catch(() => undefined)));
      await Promise.all(tasks.map((id) => ctr('tasks', 'delete', '-f', id).catch(() => undefined)));
      await stopProcess(containerd, STOP_GRACE_MS);
    }
    containerd = undefined;
    track();
    // Shims that outlived containerd (they do by design).
    await run('pkill', ['-KILL', '-f', `containerd-shim-runc-v2 -namespace k8s.io -address ${socket}`]).catch(() => undefined);
    // The kubelet bind-mounts its root dir onto itself and mounts volumes below; containerd mounts rootfs overlays.
    for (const mp of mountsUnder(dir)) await run('umount', ['-l', mp]).catch(() => undefined);
    // The kubelet links /var/log/containers/*.log into its pod logs dir.
    const links = '/var/log/containers';
    if (existsSync(links)) {
      for (const entry of readdirSync(links)) {
        try {
          if (readlinkSync(join(links, entry)).startsWith(path('kubelet', 'pod-logs'))) rmSync(join(links, entry), { force: true });
        } catch {
          // not a link
        }
      }
    }
    for (const mount of cgroupMounts()) removeCgroup(join(mount, cgroupRoot));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    containerd = spawnLogged('containerd', ['--config', path('containerd', 'config.toml')], containerdLog);
    track();
    const daemon = containerd;
    await waitFor(
      `containerd of node ${name}`,
      readyTimeoutMs,
      async () => (await run('ctr', ['--address', socket, 'version'])).stdout.includes('Server'),
      () => daemon.exitCode !== null,
      () => `last lines of ${containerdLog}:\n${tail(containerdLog)}`,
    );
    await ctr('images', 'import', ensurePauseImage());

    // The kubelet's client certificate: system:node:<name> in system:nodes, for the Node authorizer.
    const kubeconfig = path('kubelet', 'kubeconfig');
    writeUserKubeconfig(kubeconfig, host.server, host.ca, `system:node:${name}`, ['system:nodes']);
    writeFileSync(path('kubelet', 'pki', 'client-ca.crt'), host.ca.cert);
    // Its cgroup root must exist in every hierarchy.
    for (const mount of cgroupMounts()) mkdirSync(join(mount, cgroupRoot), { recursive: true });
    writeFileSync(
      path('kubelet', 'config.yaml'),
      stringify({
        apiVersion: 'kubelet.config.k8s.io/v1beta1',
        kind: 'KubeletConfiguration',
        address: name,
        port: KUBELET_PORT,
        readOnlyPort: 0,
        healthzBindAddress: name,
        healthzPort: KUBELET_HEALTHZ_PORT,
        authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: path('kubelet', 'pki', 'client-ca.crt') } },
        authorization: { mode: 'Webhook' },
        containerRuntimeEndpoint: `unix://${socket}`,
        cgroupDriver: 'cgroupfs',
        cgroupRoot,
        // Since 1.35 a kubelet refuses cgroup v1 unless told not to.
        failCgroupV1: false,
        failSwapOn: false,
        podLogsDir: path('kubelet', 'pod-logs'),
        volumePluginDir: path('kubelet', 'volume-plugins'),
        resolvConf: '/etc/resolv.conf',
        registerNode: true,
        rotateCertificates: false,
        serverTLSBootstrap: false,
        // A shared test machine: no evictions or image GC to surprise a test.
        evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
        imageGCHighThresholdPercent: 100,
        imageGCLowThresholdPercent: 99,
      }),
    );
    // --hostname-override with an address: the kubelet takes it as the node's InternalIP as is
    // (--node-ip refuses a loopback address).
    kubeletChild = spawnLogged(
      kubelet,
      ['--config', path('kubelet', 'config.yaml'), '--kubeconfig', kubeconfig, '--root-dir', path('kubelet', 'root'), '--cert-dir', path('kubelet', 'pki'), '--hostname-override', name, '--v=2'],
      kubeletLog,
    );
    track();
    const started = kubeletChild;
    await waitFor(
      `node ${name} to register`,
      readyTimeoutMs,
      async () => (await requestTls(`${host.server}/api/v1/nodes/${name}`, host.admin)).status === 200,
      () => started.exitCode !== null,
      () => `last lines of ${kubeletLog}:\n${tail(kubeletLog)}`,
    );
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }

  return {
    name,
    dir,
    kubeletLog,
    containerdLog,
    async importImage(archive: string) {
      await ctr('images', 'import', archive);
    },
    stop,
  };
}
