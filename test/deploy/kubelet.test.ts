/**
 * deploy/ as a user applies it, to a cluster whose Pods real kubelets run: two nodes (kubelets on
 * containerd, @kapi/devcluster startNode) at 127.0.0.1 and 127.0.0.2, kube-scheduler,
 * kube-controller-manager, and the image hack/build-image.sh built, imported into each node. A
 * kustomize overlay of deploy/base adapts it to a machine where nothing may leave loopback:
 * hostNetwork Pods serving on their node's address, one per node; the Service an ExternalName for a
 * load balancer in front of the nodes (load-balancer.ts says why the aggregator cannot reach them
 * through the endpoints); etcd on this machine; fresh serving certificates.
 *
 * The Pods must become Ready through their own probes, the APIServices Available, kubectl must work
 * through kube-apiserver; a deleted Pod is replaced without losing an acknowledged write, and a
 * rollout to a new image under the same tag (`kubectl rollout restart`) fails none of the reads of
 * a client that keeps reading.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { ApiClient } from '@kapi/client';
import { createCA, createServingCert } from '@kapi/apiserver/security';
import { freePort, startEtcd, type EtcdServer } from '@kapi/storage/etcd-server';
import { WardleV1beta1Client } from '../clients/wardle/v1beta1/index.js';
import { Kubectl } from '../e2e/kubectl.js';
import { Workload, type Target } from '../faults/workload.js';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js';
import { eventually, startCluster, type Cluster } from '../harness/index.js';

const REPO = resolve(__dirname, '../..');
const FIRST_RUN_TIMEOUT_MS = 20 * 60 * 1000;
const NODES = ['127.0.0.1', '127.0.0.2'];
const NS = 'wardle';
/** The image's tag in the nodes: first the built image, then one made from it, for the rollout. */
const IMAGE = 'kapi-sample-apiserver:deploy-test';
const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'serviceaccount-controller',
  'root-ca-certificate-publisher-controller',
  'node-lifecycle-controller',
  'garbage-collector-controller',
  'namespace-controller',
];
jest.setTimeout(300_000);

interface PodView {
  name: string;
  node: string;
  podIP: string;
  ready: boolean;
  restarts: number;
  imageID: string;
  terminating: boolean;
}

let work: string;
let etcd: EtcdServer;
let balancer: LoadBalancer;
let cluster: Cluster;
let kubectl: Kubectl;
let api: ApiClient;
let wardle: WardleV1beta1Client;
/** The second image's archive, imported into the nodes for the rollout. */
let nextArchive: string;
/** The image IDs of the two archives, as docker names them (sha256:…). */
const imageIds = { first: '', next: '' };

function docker(env: NodeJS.ProcessEnv, args: readonly string[]): string {
  const result = spawnSync('/usr/bin/docker', args, { env, encoding: 'utf8', timeout: 300_000 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Builds the image, and a second one from it (a label apart), each saved under IMAGE for the nodes. */
function buildArchives(): { first: string; next: string } {
  const built = execFileSync('bash', [join(REPO, 'hack/build-image.sh')], { env: { ...process.env, KAPI_LOCAL_BASES: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const host = execFileSync('bash', [join(REPO, 'hack/docker-local.sh'), 'env'], { encoding: 'utf8' }).trim().replace(/^export DOCKER_HOST=/, '');
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '1' };
  const archives = { first: join(work, 'first.tar'), next: join(work, 'next.tar') };
  docker(env, ['tag', built, IMAGE]);
  imageIds.first = docker(env, ['image', 'inspect', '--format', '{{.Id}}', IMAGE]);
  docker(env, ['save', '-o', archives.first, IMAGE]);
  const context = join(work, 'next-image');
  mkdirSync(context);
  writeFileSync(join(context, 'Dockerfile'), `FROM ${built}\nLABEL example.kapi.dev/build="next-${process.pid}"\n`);
  docker(env, ['build', '-q', '-t', IMAGE, context]);
  imageIds.next = docker(env, ['image', 'inspect', '--format', '{{.Id}}', IMAGE]);
  docker(env, ['save', '-o', archives.next, IMAGE]);
  return archives;
}

/** deploy/base with what this machine needs: the overlay a user would write for their cluster. */
function writeOverlay(dir: string, port: number, balancerPort: number): void {
  const base = parse(readFileSync(join(REPO, 'deploy/base/deployment.yaml'), 'utf8')) as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
  const container = base.spec.template.spec.containers[0]!;
  const args = container.args.map((arg) => {
    if (arg.startsWith('--secure-port=')) return `--secure-port=${port}`;
    // A hostNetwork Pod's IP is its node's address: each replica binds its own.
    if (arg.startsWith('--bind-address=')) return '--bind-address=$(POD_IP)';
    if (arg.startsWith('--etcd-servers=')) return `--etcd-servers=${etcd.endpoint}`;
    return arg;
  });
  const ca = createCA('wardle-serving-ca');
  const serving = createServingCert(ca, { hosts: ['api.wardle.svc', 'api', 'api.wardle', 'api.wardle.svc.cluster.local'] });
  const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
  const containerPath = '/spec/template/spec/containers/0';
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [relative(dir, join(REPO, 'deploy/base'))],
    patches: [
      {
        target: { kind: 'Deployment', name: 'apiserver' },
        patch: stringify([
          { op: 'replace', path: `${containerPath}/image`, value: IMAGE },
          { op: 'replace', path: `${containerPath}/imagePullPolicy`, value: 'Never' },
          { op: 'replace', path: `${containerPath}/args`, value: args },
          { op: 'replace', path: `${containerPath}/ports/0/containerPort`, value: port },
          {
            op: 'add',
            path: `${containerPath}/env`,
            value: [
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              // The kubernetes Service's ClusterIP leads nowhere here: kube-apiserver's own address instead.
              { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' },
              { name: 'KUBERNETES_SERVICE_PORT', value: new URL(cluster.server).port },
            ],
          },
          { op: 'add', path: '/spec/template/spec/hostNetwork', value: true },
          { op: 'add', path: '/spec/template/spec/dnsPolicy', value: 'ClusterFirstWithHostNet' },
          // One hostNetwork replica per node (the port is taken): the old Pod goes before the new one comes.
          { op: 'add', path: '/spec/strategy', value: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } },
        ]),
      },
      {
        target: { kind: 'Secret', name: 'api-serving-cert' },
        patch: stringify([{ op: 'replace', path: '/data', value: { 'ca.crt': b64(ca.cert), 'tls.crt': b64(serving.cert), 'tls.key': b64(serving.key) } }]),
      },
      {
        target: { kind: 'APIService' },
        patch: stringify([
          { op: 'replace', path: '/spec/caBundle', value: b64(ca.cert) },
          { op: 'replace', path: '/spec/service/port', value: balancerPort },
        ]),
      },
      {
        target: { kind: 'Service', name: 'api' },
        patch: stringify([{ op: 'replace', path: '/spec', value: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port: balancerPort, protocol: 'TCP' }] } }]),
      },
    ],
  };
  writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization));
}

function pods(): PodView[] {
  const list = JSON.parse(kubectl.ok(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/component=apiserver', '-o', 'json'])) as {
    items: Array<{
      metadata: { name: string; deletionTimestamp?: string };
      spec: { nodeName?: string };
      status: { podIP?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ restartCount: number; imageID: string }> };
    }>;
  };
  return list.items.map((p) => ({
    name: p.metadata.name,
    node: p.spec.nodeName ?? '',
    podIP: p.status.podIP ?? '',
    ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: p.status.containerStatuses?.[0]?.restartCount ?? 0,
    imageID: p.status.containerStatuses?.[0]?.imageID ?? '',
    terminating: p.metadata.deletionTimestamp !== undefined,
  }));
}

/** The Pods, and the last log lines of one that is not Ready (of its previous container if it restarted). */
function describePods(): string {
  const now = pods();
  const unready = now.find((p) => !p.ready);
  if (!unready) return JSON.stringify(now);
  const logs = kubectl.run(['logs', '-n', NS, unready.name, '--tail=30', ...(unready.restarts > 0 ? ['--previous'] : [])]);
  return `${JSON.stringify(now)}\nlast lines of ${unready.name}'s log:\n${logs.stdout}${logs.stderr}`;
}

/** Both replicas Ready, on two nodes, none terminating, none of `gone` among them. */
async function twoReady(gone: readonly string[] = []): Promise<PodView[]> {
  return eventually(
    'two Ready replicas on two nodes',
    () => {
      const now = pods();
      const ready = now.filter((p) => p.ready && !p.terminating);
      return now.length === 2 && ready.length === 2 && new Set(ready.map((p) => p.node)).size === 2 && !now.some((p) => gone.includes(p.name)) && now;
    },
    180_000,
    describePods,
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kapi-deploy-'));
  const archives = buildArchives();
  etcd = await startEtcd();
  cluster = await startCluster({ controllerManager: { controllers: CONTROLLERS } });
  await cluster.startScheduler();
  for (const name of NODES) {
    const node = await cluster.startNode({ name });
    await node.importImage(archives.first);
  }
  kubectl = new Kubectl(cluster.kubeconfig);
  const overlay = join(work, 'overlay');
  mkdirSync(overlay);
  const port = await freePort();
  balancer = await startLoadBalancer({ port: await freePort(), backends: NODES.map((node) => `${node}:${port}`), healthPath: '/readyz' });
  writeOverlay(overlay, port, balancer.port);
  kubectl.ok(['apply', '-k', overlay]);
  // Kept for the rollout: the second image goes into the nodes under the same tag.
  nextArchive = archives.next;
  api = await ApiClient.fromKubeConfig({ kubeconfig: cluster.kubeconfig, timeoutMs: 15_000 });
  wardle = new WardleV1beta1Client(api);
}, FIRST_RUN_TIMEOUT_MS);

afterAll(async () => {
  api?.close();
  await cluster?.stop();
  await balancer?.stop();
  await etcd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('runs both replicas Ready through their probes, one per node, and the APIServices become Available', async () => {
  const ready = await twoReady();
  expect(ready.map((p) => p.node).sort()).toEqual(NODES);
  for (const pod of ready) {
    // hostNetwork: the Pod's address is its node's.
    expect(pod.podIP).toBe(pod.node);
    expect(pod.restarts).toBe(0);
    expect(pod.imageID).toContain(imageIds.first.replace(/^sha256:/, ''));
    expect(kubectl.ok(['logs', '-n', NS, pod.name])).toContain(`serving securely on ${pod.node}:`);
  }
  for (const version of ['v1alpha1', 'v1beta1']) {
    const available = (): string => kubectl.ok(['get', `apiservice/${version}.wardle.example.com`, '-o', 'jsonpath={.status.conditions[?(@.type=="Available")]}']);
    const state = (): string => `${available()}\nlast lines of ${ready[0]!.name}'s log:\n${kubectl.run(['logs', '-n', NS, ready[0]!.name, '--tail=40']).stdout}`;
    await eventually(`APIService ${version} Available`, () => (JSON.parse(available() || '{}') as { status?: string }).status === 'True', 120_000, state);
  }
});

it('serves kubectl through kube-apiserver', async () => {
  const flunder = `apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata: { name: through-the-aggregator, namespace: default }
spec: { reference: x }
`;
  expect(kubectl.ok(['create', '-f', '-'], { input: flunder })).toContain('flunder.wardle.example.com/through-the-aggregator created');
  expect(kubectl.ok(['get', 'flunders', '-n', 'default', '-o', 'name'])).toContain('flunder.wardle.example.com/through-the-aggregator');
  expect(kubectl.ok(['api-resources', '--api-group=wardle.example.com', '-o', 'name'])).toContain('flunders.wardle.example.com');
});

it('replaces a deleted Pod without losing an acknowledged write', async () => {
  kubectl.ok(['create', 'namespace', 'pod-loss']);
  const server: Target = { name: 'through kube-apiserver', client: wardle };
  let replaced = false;
  const w = new Workload({ namespace: 'pod-loss', replicas: () => [server], writers: 3, keysPerWriter: 4, opsPerWriter: 100_000, counterClients: 2, incrementsPerClient: 100_000, thinkMs: 20, until: () => replaced });
  await w.createCounters();
  await w.startWatchers();
  const victim = (await twoReady())[0]!;
  await Promise.all([
    w.run(),
    (async () => {
      await new Promise((r) => setTimeout(r, 2000));
      kubectl.ok(['delete', 'pod', '-n', NS, victim.name, '--wait=false']);
      await twoReady([victim.name]);
      // Writes go on against the new replica too.
      await new Promise((r) => setTimeout(r, 3000));
      replaced = true;
    })(),
  ]);
  const report = await w.verify();
  console.log(`a Pod deleted under writes: ${report.summary()}; retries ${w.figures.retries}`);
  expect(report.toString()).toMatch(/^history check passed/);
  expect(report.figures.operations.ok).toBeGreaterThan(50);
});

it('rolls out a new image (kubectl rollout restart) without failing a read of a client that keeps reading', async () => {
  kubectl.ok(['apply', '-f', '-'], { input: 'apiVersion: wardle.example.com/v1alpha1\nkind: Flunder\nmetadata: { name: read-during-rollout, namespace: default }\nspec: { reference: read }\n' });
  const before = await twoReady();
  for (const node of cluster.nodes) await node.importImage(nextArchive);
  const failures: string[] = [];
  let reads = 0;
  let reading = true;
  const reader = (async () => {
    while (reading) {
      try {
        await wardle.flunders('default').get('read-during-rollout');
        reads++;
      } catch (err) {
        failures.push(`${new Date().toISOString()} ${err instanceof Error ? err.message : String(err)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    kubectl.ok(['rollout', 'restart', 'deployment/apiserver', '-n', NS]);
    const status = await kubectl.runAsync(['rollout', 'status', 'deployment/apiserver', '-n', NS, '--timeout=240s'], { timeoutMs: 250_000 });
    expect(status.stdout).toContain('successfully rolled out');
    const after = await twoReady(before.map((p) => p.name));
    for (const pod of after) expect(pod.imageID).toContain(imageIds.next.replace(/^sha256:/, ''));
    await new Promise((r) => setTimeout(r, 2000));
  } finally {
    reading = false;
    await reader;
  }
  console.log(`rollout: ${reads} reads, ${failures.length} failed`);
  expect(failures).toEqual([]);
  expect(reads).toBeGreaterThan(100);
});
