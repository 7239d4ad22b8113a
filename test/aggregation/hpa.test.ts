/**
 * The HorizontalPodAutoscaler on kapi's resources, through a real kube-apiserver and
 * kube-controller-manager (its horizontal-pod-autoscaler-controller): an autoscaling/v2 HPA whose
 * scaleTargetRef is a Fleet (test/servers/fleet.ts: a kapi kind with a scale subresource and a
 * label selector) and whose metric is the External metric `flunders` of cmd/metrics-apiserver (the
 * count of the sample server's Flunders that the selector matches, read through the host). Flunders
 * are created and deleted; the HPA scales the Fleet up and down, and kubectl shows the metric.
 */
import { join, resolve } from 'node:path';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Kubectl } from '../e2e/kubectl.js';
import { eventually } from '../harness/index.js';
import { startAggregated, startServerBeside, type Aggregated, type ServerBeside } from './aggregated.js';
import { startMetricsServer } from './metrics-server.js';
import { GROUP as FLEET_GROUP } from '../servers/fleet.js';

jest.setTimeout(180_000);

const FLEET_MAIN = resolve(__dirname, '..', 'dist', 'servers', 'fleet.js');
const NS = 'autoscaled';

let env: Aggregated;
let metrics: ServerBeside | undefined;
let fleet: ServerBeside | undefined;
let kubectl: Kubectl;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kapi-hpa-'));
  env = await startAggregated();
  [metrics, fleet] = await Promise.all([
    startMetricsServer(env.cluster),
    startServerBeside(env.cluster, { main: FLEET_MAIN, served: { group: FLEET_GROUP, versions: ['v1'] }, service: { name: 'api', namespace: 'fleet' } }),
  ]);
  // After the APIServices are Available, so that the controller's first discovery has fleet.kapi.dev.
  await env.cluster.startControllerManager({
    controllers: ['horizontal-pod-autoscaler-controller'],
    extraArgs: ['--horizontal-pod-autoscaler-sync-period=1s'],
  });
  kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
}, 5 * 60_000);

afterAll(async () => {
  await metrics?.stop();
  await fleet?.stop();
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function apply(name: string, manifest: unknown): void {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(manifest));
  kubectl.ok(['apply', '-f', path]);
}

const flunder = (name: string) => ({
  apiVersion: 'wardle.example.com/v1beta1',
  kind: 'Flunder',
  metadata: { name, namespace: NS, labels: { app: 'web' } },
  spec: {},
});

const replicasOf = (name: string): number => Number(kubectl.ok(['get', `fleets.${FLEET_GROUP}`, name, '-n', NS, '-o', 'jsonpath={.spec.replicas}']));
const hpaState = (): string => kubectl.run(['get', 'hpa', 'f1', '-n', NS, '-o', 'json']).stdout;

describe('an autoscaling/v2 HPA on a kapi kind, from an External metric of a kapi metrics server', () => {
  beforeAll(() => {
    apply('fleet', { apiVersion: `${FLEET_GROUP}/v1`, kind: 'Fleet', metadata: { name: 'f1', namespace: NS }, spec: { replicas: 1 } });
    apply('hpa', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'f1', namespace: NS },
      spec: {
        scaleTargetRef: { apiVersion: `${FLEET_GROUP}/v1`, kind: 'Fleet', name: 'f1' },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [{ type: 'External', external: { metric: { name: 'flunders', selector: { matchLabels: { app: 'web' } } }, target: { type: 'AverageValue', averageValue: '1' } } }],
        // No stabilization: the test sees each change at once.
        behavior: { scaleUp: { stabilizationWindowSeconds: 0 }, scaleDown: { stabilizationWindowSeconds: 0 } },
      },
    });
  });

  it('reads the metric and keeps the fleet at its minimum while nothing matches', async () => {
    await eventually(
      'the HPA reads the metric',
      () => {
        const hpa = JSON.parse(hpaState() || '{}') as { status?: { currentMetrics?: Array<{ external?: { current?: { averageValue?: string } } }> } };
        return hpa.status?.currentMetrics?.[0]?.external?.current?.averageValue !== undefined;
      },
      60_000,
      hpaState,
    );
    expect(replicasOf('f1')).toBe(1);
  });

  it('scales up when the metric rises (three matching Flunders: three replicas at an average of one)', async () => {
    for (const name of ['a', 'b', 'c']) apply(`flunder-${name}`, flunder(name));
    apply('flunder-other', { ...flunder('other'), metadata: { name: 'other', namespace: NS, labels: { app: 'db' } } });
    await eventually('the fleet scaled to 3', () => replicasOf('f1') === 3, 60_000, hpaState);
    await eventually('the HPA shows the metric at its target', () => /\b1\/1 \(avg\)/.test(kubectl.ok(['get', 'hpa', 'f1', '-n', NS])), 30_000, () => kubectl.ok(['get', 'hpa', 'f1', '-n', NS]));
    expect(kubectl.ok(['get', 'hpa', 'f1', '-n', NS])).toMatch(/f1\s+Fleet\/f1\s+1\/1 \(avg\)\s+1\s+5\s+3\s/);
  });

  it('scales down when the metric falls', async () => {
    kubectl.ok(['delete', 'flunders.wardle.example.com', 'a', 'b', '-n', NS]);
    await eventually('the fleet scaled to 1', () => replicasOf('f1') === 1, 60_000, hpaState);
    const events = kubectl.ok(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler', '-o', 'jsonpath={.items[*].message}']);
    expect(events).toContain('New size: 3; reason: external metric flunders(&LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}) above target');
    expect(events).toContain('New size: 1; reason: All metrics below target');
  });
});
