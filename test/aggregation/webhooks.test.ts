/**
 * The host cluster's admission webhooks on kapi's resources, through a real kube-apiserver, with
 * the Go sample-apiserver asked the same as the control. Each case has its own namespace,
 * labelled kapi-case=<case>, and its webhook configuration selects that namespace only
 * (namespaceSelector), so the cases do not see each other's webhooks. Every request goes to kapi
 * and to Go; both must answer the same status, reason and message, and the webhook must have
 * seen the same reviews.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kubectl } from '../e2e/kubectl.js';
import type { GoServer } from '../e2e/go-sample-server.js';
import type { Aggregated } from './aggregated.js';
import { GROUP, SERVERS, startSideBySide, type SideBySide, caseNamespace as caseNamespaceOf, eventually, flunder, statusOf, type Answer, type CreateOptions, type Server } from './side-by-side.js';
import { DENY_MESSAGE, startWebhookServer, type WebhookServer } from './webhook-server.js';

jest.setTimeout(120_000);

let env: Aggregated;
let kubectl: Kubectl;
let go: GoServer;
let hooks: WebhookServer;
let servers: SideBySide;

const ask = (server: Server, path: string, opts?: { method?: string; body?: unknown }): Promise<Answer> => servers.ask(server, path, opts);
const create = (server: Server, namespace: string, name: string, opts: CreateOptions = {}): Promise<Answer> => servers.create(server, namespace, name, opts);
const caseNamespace = (name: string): void => caseNamespaceOf(kubectl, name);

interface HookOptions {
  kind?: 'Validating' | 'Mutating';
  path?: string;
  clientConfig?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  rules?: Record<string, unknown>[];
}

const RULES = [{ operations: ['CREATE', 'UPDATE'], apiGroups: [GROUP], apiVersions: ['*'], resources: ['flunders'], scope: 'Namespaced' }];

/** Applies a webhook configuration named `name` that selects the namespace `name` and nothing else. */
function applyHook(name: string, opts: HookOptions): void {
  const kind = opts.kind ?? 'Validating';
  const config = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: `${kind}WebhookConfiguration`,
    metadata: { name },
    webhooks: [
      {
        name: `${name}.hooks.kapi.dev`,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        rules: opts.rules ?? RULES,
        namespaceSelector: { matchLabels: { 'kapi-case': name } },
        clientConfig: opts.clientConfig ?? { url: hooks.url(opts.path ?? '/allow'), caBundle: hooks.caBundle },
        ...opts.extra,
      },
    ],
  };
  kubectl.ok(['apply', '-f', '-'], { input: JSON.stringify(config) });
}

let dir: string;
let auditLog: string;

/** The audit events (ResponseComplete) of kapi's creates of `name` in `namespace`. */
function auditedCreates(namespace: string, name: string): Array<{ annotations?: Record<string, string> }> {
  return readFileSync(auditLog, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { stage: string; verb: string; objectRef?: { namespace?: string; name?: string }; annotations?: Record<string, string> })
    .filter((e) => e.stage === 'ResponseComplete' && e.verb === 'create' && e.objectRef?.namespace === namespace && e.objectRef.name === name);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kapi-webhooks-'));
  auditLog = join(dir, 'audit.log');
  writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Request\n');
  const serverArgs = [`--audit-policy-file=${join(dir, 'policy.yaml')}`, `--audit-log-path=${auditLog}`];
  let started: Awaited<ReturnType<typeof startSideBySide>>;
  [started, hooks] = await Promise.all([startSideBySide(serverArgs), startWebhookServer(['hooks.webhook-svc.svc'])]);
  ({ env, kubectl, go, servers } = started);
}, 15 * 60_000);

afterAll(async () => {
  await go?.stop();
  await env?.stop();
  await hooks?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a validating webhook denies, with the Status it gives prefixed as Go does; kubectl shows it', async () => {
  caseNamespace('deny');
  applyHook('deny', { path: '/deny' });
  await eventually((server, n) => create(server, 'deny', `probe${n}`), (a) => a.status !== 201);
  const answers = await Promise.all(SERVERS.map((s) => create(s, 'deny', 'f1')));
  const expected = [403, undefined, `admission webhook "deny.hooks.kapi.dev" denied the request: ${DENY_MESSAGE}`];
  expect(answers.map(statusOf)).toEqual([expected, expected]);

  // The review each sent: the real user, the request's version, the operation's options.
  for (const server of SERVERS) {
    const [review] = hooks.receivedFor('deny', `f1-${server}`);
    expect(review?.request).toMatchObject({
      kind: { group: GROUP, version: 'v1beta1', kind: 'Flunder' },
      resource: { group: GROUP, version: 'v1beta1', resource: 'flunders' },
      requestKind: { group: GROUP, version: 'v1beta1', kind: 'Flunder' },
      namespace: 'deny',
      operation: 'CREATE',
      userInfo: { username: 'admin', groups: expect.arrayContaining(['system:masters']) },
      object: { apiVersion: `${GROUP}/v1beta1`, metadata: { name: `f1-${server}` } },
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    });
    expect(review?.query).toBe('?timeout=10s');
  }

  // Through kube-apiserver, as a user would.
  const denied = await kubectl.runAsync(['create', '-f', '-'], { input: JSON.stringify(flunder('f2', 'deny')) });
  expect(denied.code).toBe(1);
  expect(denied.stderr).toContain(`admission webhook "deny.hooks.kapi.dev" denied the request: ${DENY_MESSAGE}`);
});

it('a mutating webhook adds a label to the objects its objectSelector matches, and only to them', async () => {
  caseNamespace('label');
  applyHook('label', { kind: 'Mutating', path: '/label', extra: { objectSelector: { matchLabels: { mutate: 'yes' } } } });
  await eventually((server, n) => create(server, 'label', `probe${n}`, { labels: { mutate: 'yes' } }), (a) => a.status === 201 && labelsOf(a)['mutated-by'] === 'webhook');
  for (const server of SERVERS) {
    const yes = await create(server, 'label', 'yes', { labels: { mutate: 'yes' } });
    expect([yes.status, labelsOf(yes)]).toEqual([201, { mutate: 'yes', 'mutated-by': 'webhook' }]);
    expect(yes.warnings).toEqual(['labelled by the webhook']);
    const no = await create(server, 'label', 'no', { labels: { mutate: 'no' } });
    expect([no.status, labelsOf(no)]).toEqual([201, { mutate: 'no' }]);
    expect(hooks.receivedFor('label', `no-${server}`)).toEqual([]);
  }
  // kapi's audit event says which webhook mutated the object, with the webhook's own annotations.
  expect(auditedCreates('label', 'yes-kapi').map((e) => e.annotations)).toEqual([
    expect.objectContaining({
      'mutation.webhook.admission.k8s.io/round_0_index_0': JSON.stringify({ configuration: 'label', webhook: 'label.hooks.kapi.dev', mutated: true }),
      'label.hooks.kapi.dev/labelled': 'yes',
    }),
  ]);
  const created = await kubectl.runAsync(['create', '-f', '-'], { input: JSON.stringify(flunder('by-kubectl', 'label', { labels: { mutate: 'yes' } })) });
  expect(created).toMatchObject({ code: 0, stdout: 'flunder.wardle.example.com/by-kubectl created\n' });
  expect(kubectl.ok(['get', 'flunders', 'by-kubectl', '-n', 'label', '-o', 'jsonpath={.metadata.labels.mutated-by}'])).toBe('webhook');
});

const labelsOf = (a: Answer): Record<string, string> => ((a.body['metadata'] as { labels?: Record<string, string> } | undefined)?.labels ?? {});

it('failurePolicy Fail refuses a request when the webhook cannot be called, Ignore lets it through', async () => {
  caseNamespace('down');
  const closed = `https://127.0.0.1:1/down`;
  applyHook('down', { clientConfig: { url: closed, caBundle: hooks.caBundle }, extra: { failurePolicy: 'Fail' } });
  await eventually((server, n) => create(server, 'down', `probe${n}`), (a) => a.status === 500);
  const refused = await Promise.all(SERVERS.map((s) => create(s, 'down', 'f1')));
  const message = `Internal error occurred: failed calling webhook "down.hooks.kapi.dev": failed to call webhook: Post "${closed}?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused`;
  expect(refused.map(statusOf)).toEqual([
    [500, 'InternalError', message],
    [500, 'InternalError', message],
  ]);
  const byKubectl = await kubectl.runAsync(['create', '-f', '-'], { input: JSON.stringify(flunder('by-kubectl', 'down')) });
  expect([byKubectl.code, byKubectl.stderr.trim()]).toEqual([1, `Error from server (InternalError): error when creating "STDIN": ${message}`]);

  applyHook('down', { clientConfig: { url: closed, caBundle: hooks.caBundle }, extra: { failurePolicy: 'Ignore' } });
  await eventually((server, n) => create(server, 'down', `probe-ignore${n}`), (a) => a.status === 201);
  expect((await Promise.all(SERVERS.map((s) => create(s, 'down', 'f2')))).map((a) => a.status)).toEqual([201, 201]);
  // The audit event says the webhook failed open (keyed by its place among all validating webhooks: 'deny' sorts before 'down').
  expect(auditedCreates('down', 'f2-kapi').map((e) => e.annotations)).toEqual([
    expect.objectContaining({ 'failed-open.validating.webhook.admission.k8s.io/round_0_index_1': 'down.hooks.kapi.dev' }),
  ]);
});

it('a webhook that does not answer is cut at its timeoutSeconds', async () => {
  caseNamespace('hang');
  applyHook('hang', { path: '/hang', extra: { failurePolicy: 'Fail', timeoutSeconds: 1 } });
  await eventually((server, n) => create(server, 'hang', `probe${n}`), (a) => a.status === 500);
  const answers = await Promise.all(SERVERS.map((s) => create(s, 'hang', 'f1')));
  const message = `Internal error occurred: failed calling webhook "hang.hooks.kapi.dev": failed to call webhook: Post "${hooks.url('/hang')}?timeout=1s": context deadline exceeded`;
  expect(answers.map(statusOf)).toEqual([
    [500, 'InternalError', message],
    [500, 'InternalError', message],
  ]);
  const byKubectl = await kubectl.runAsync(['create', '-f', '-'], { input: JSON.stringify(flunder('by-kubectl', 'hang')) });
  expect([byKubectl.code, byKubectl.stderr.trim()]).toEqual([1, `Error from server (InternalError): error when creating "STDIN": ${message}`]);
});

it('a dry run calls a webhook that declares no side effects with dryRun set, and stores nothing', async () => {
  caseNamespace('dry');
  applyHook('dry', { path: '/allow', extra: { sideEffects: 'NoneOnDryRun' } });
  await eventually((server, n) => create(server, 'dry', `probe${n}`), (a, server, n) => a.status === 201 && hooks.receivedFor('dry', `probe${n}-${server}`).length === 1);
  for (const server of SERVERS) {
    const dry = await create(server, 'dry', 'f1', { dryRun: true });
    expect(dry.status).toBe(201);
    const [review] = hooks.receivedFor('dry', `f1-${server}`);
    expect(review?.request).toMatchObject({ dryRun: true, options: { kind: 'CreateOptions', dryRun: ['All'] } });
    const got = await ask(server, `/apis/${GROUP}/v1beta1/namespaces/dry/flunders/f1-${server}`);
    expect(got.status).toBe(404);
  }
});

it('matchPolicy Equivalent sends a v1beta1 request to a webhook for v1alpha1 in v1alpha1; Exact does not', async () => {
  caseNamespace('equivalent');
  const alphaOnly = [{ ...RULES[0], apiVersions: ['v1alpha1'] }];
  applyHook('equivalent', { path: '/allow', rules: alphaOnly, extra: { matchPolicy: 'Equivalent' } });
  const seen = async (server: Server, name: string): Promise<ReturnType<WebhookServer['receivedFor']>> => {
    const deadline = Date.now() + 30_000;
    for (let n = 0; ; n++) {
      const a = await create(server, 'equivalent', `${name}${n}`);
      expect(a.status).toBe(201);
      const reviews = hooks.receivedFor('equivalent', `${name}${n}-${server}`);
      if (reviews.length > 0 || Date.now() > deadline) return reviews;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  for (const server of SERVERS) {
    const [review] = await seen(server, 'eq');
    expect(review?.request).toMatchObject({
      kind: { group: GROUP, version: 'v1alpha1', kind: 'Flunder' },
      resource: { group: GROUP, version: 'v1alpha1', resource: 'flunders' },
      requestKind: { group: GROUP, version: 'v1beta1', kind: 'Flunder' },
      requestResource: { group: GROUP, version: 'v1beta1', resource: 'flunders' },
      object: { apiVersion: `${GROUP}/v1alpha1` },
    });
  }

  applyHook('equivalent', { path: '/allow', rules: alphaOnly, extra: { matchPolicy: 'Exact' } });
  // Until both informers see Exact, a v1beta1 create may still be sent; then none is.
  for (const server of SERVERS) {
    const deadline = Date.now() + 30_000;
    for (let n = 0; ; n++) {
      const a = await create(server, 'equivalent', `exact${n}`);
      expect(a.status).toBe(201);
      if (hooks.receivedFor('equivalent', `exact${n}-${server}`).length === 0) break;
      if (Date.now() > deadline) throw new Error(`${server}: matchPolicy Exact still calls the webhook`);
    }
    const alpha = await create(server, 'equivalent', 'alpha', { version: 'v1alpha1' });
    expect(alpha.status).toBe(201);
    expect(hooks.receivedFor('equivalent', `alpha-${server}`).map((r) => r.request.kind.version)).toEqual(['v1alpha1']);
  }
});

it('reaches a webhook named by a Service of the host (ExternalName), as the TLS name <service>.<namespace>.svc', async () => {
  caseNamespace('service');
  kubectl.ok(['create', 'namespace', 'webhook-svc']);
  kubectl.ok(['create', 'service', 'externalname', 'hooks', '-n', 'webhook-svc', '--external-name=localhost', `--tcp=${hooks.port}`]);
  applyHook('service', { clientConfig: { service: { namespace: 'webhook-svc', name: 'hooks', port: hooks.port, path: '/deny' }, caBundle: hooks.caBundle } });
  const deadline = Date.now() + 30_000;
  for (let n = 0; ; n++) {
    const a = await create('kapi', 'service', `probe${n}`);
    if (a.status !== 201) {
      expect(statusOf(a)).toEqual([403, undefined, `admission webhook "service.hooks.kapi.dev" denied the request: ${DENY_MESSAGE}`]);
      break;
    }
    if (Date.now() > deadline) throw new Error('the Service-backed webhook was never called');
    await new Promise((r) => setTimeout(r, 200));
  }
});

it('matchConditions (CEL) decide which requests a webhook sees, as on Go', async () => {
  caseNamespace('conditions');
  applyHook('conditions', { path: '/deny', extra: { matchConditions: [{ name: 'cel-named', expression: "object.metadata.name.startsWith('cel-')" }] } });
  await eventually((server, n) => create(server, 'conditions', `cel-probe${n}`), (a) => a.status !== 201);
  const plain = await Promise.all(SERVERS.map((s) => create(s, 'conditions', 'plain')));
  expect(plain.map((a) => a.status)).toEqual([201, 201]);
  const named = await Promise.all(SERVERS.map((s) => create(s, 'conditions', 'cel-1')));
  const expected = [403, undefined, `admission webhook "conditions.hooks.kapi.dev" denied the request: ${DENY_MESSAGE}`];
  expect(named.map(statusOf)).toEqual([expected, expected]);
  expect(SERVERS.map((s) => hooks.receivedFor('conditions', `plain-${s}`).length)).toEqual([0, 0]);
});
