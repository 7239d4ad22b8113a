/**
 * The generated wardle.example.com client (test/clients, `kapi generate client` of
 * cmd/sample-apiserver) against real servers, the same cases on each:
 *   - the sample server directly (delegated to a real kube-apiserver; the cluster's admin client
 *     certificate, the server's own serving CA);
 *   - the same server through kube-apiserver (its APIServices);
 *   - a CRD of the same group and schema on kube-apiserver (the APIServices deleted first): the
 *     client is a client of the API, not of kapi.
 * One cluster and one sample server for the file (about 10 s to start with kube-apiserver cached).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlreadyExistsError, ApiClient, apiErrorOfStatus, ConflictError, ForbiddenError, InvalidError, isStatus, NotFoundError, ResourceExpiredError, type ObjectLike, type WatchEvent } from '@kapi/client';
import { Kubectl } from '../e2e/kubectl.js';
import { eventually } from '../harness/index.js';
import { installCRD } from '../aggregation/crd.js';
import { startAggregated, type Aggregated } from '../aggregation/aggregated.js';
import { WardleV1alpha1Client } from '../clients/wardle/v1alpha1/index.js';
import { WardleV1beta1Client, type Flunder } from '../clients/wardle/v1beta1/index.js';

jest.setTimeout(60_000);
const FIRST_RUN_TIMEOUT_MS = 15 * 60 * 1000;
const NS = 'client-test';

let env: Aggregated;
let kubectl: Kubectl;
let dir: string;

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

/** A kubeconfig for `server` with the cluster admin's client certificate. */
function kubeconfigFor(name: string, server: string, caPem: string): string {
  const path = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{ name: ${name}, cluster: { server: '${server}', certificate-authority-data: ${b64(caPem)} } }]
users: [{ name: admin, user: { client-certificate-data: ${b64(env.cluster.admin.certPem)}, client-key-data: ${b64(env.cluster.admin.keyPem)} } }, { name: nobody, user: {} }]
contexts: [{ name: ${name}, context: { cluster: ${name}, user: admin } }, { name: other, context: { cluster: ${name}, user: nobody } }]
current-context: other
`,
  );
  return path;
}

beforeAll(async () => {
  env = await startAggregated({ storageBackend: 'sqlite' });
  kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
  dir = mkdtempSync(join(tmpdir(), 'kapi-client-'));
}, FIRST_RUN_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Reads events from a watch until `done` holds of those read, or fails after `ms`. */
async function eventsUntil<T extends ObjectLike>(watch: AsyncIterable<WatchEvent<T>>, done: (events: WatchEvent<T>[]) => boolean, ms = 10_000): Promise<WatchEvent<T>[]> {
  const events: WatchEvent<T>[] = [];
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`watch: not done after ${ms} ms: ${JSON.stringify(events.map((e) => e.type))}`)), ms).unref());
  const read = (async () => {
    for await (const event of watch) {
      events.push(event);
      if (done(events)) return events;
    }
    throw new Error(`watch ended: ${JSON.stringify(events.map((e) => e.type))}`);
  })();
  return Promise.race([read, timer]);
}

function flunder(name: string, reference: string, labels: Record<string, string> = {}): Flunder {
  return { metadata: { name, labels }, spec: { referenceType: 'Flunder', flunderReference: reference } };
}

/** The cases every target runs; `client()` gives the v1beta1 client of the target. */
function clientCases(client: () => WardleV1beta1Client, opts: { kapi: boolean }): void {
  const flunders = (): ReturnType<WardleV1beta1Client['flunders']> => client().flunders(NS);

  it('creates, gets, updates, merge- and JSON-patches and deletes a Flunder', async () => {
    const created = await flunders().create(flunder('crud', 'a'));
    expect(created).toMatchObject({ apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name: 'crud', namespace: NS }, spec: { flunderReference: 'a' } });
    expect(created.metadata.uid).toBeTruthy();

    const got = await flunders().get('crud');
    expect(got.metadata.resourceVersion).toBe(created.metadata.resourceVersion);

    const updated = await flunders().update({ ...got, spec: { referenceType: 'Flunder', flunderReference: 'b' } });
    expect(updated.spec?.flunderReference).toBe('b');

    const merged = await flunders().mergePatch('crud', { metadata: { labels: { patched: 'merge' } }, spec: { flunderReference: 'c' } });
    expect(merged.metadata.labels).toEqual({ patched: 'merge' });
    expect(merged.spec?.flunderReference).toBe('c');

    const patched = await flunders().jsonPatch('crud', [{ op: 'replace', path: '/spec/flunderReference', value: 'd' }]);
    expect(patched.spec?.flunderReference).toBe('d');

    const gone = await flunders().delete('crud');
    if (!isStatus(gone)) expect(gone.metadata.name).toBe('crud');
    await expect(flunders().get('crud')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('writes status through the status subresource only', async () => {
    const created = await flunders().create(flunder('with-status', 'a'));
    const status = await flunders().updateStatus({ ...created, spec: { referenceType: 'Flunder', flunderReference: 'ignored' } });
    expect(status.spec?.flunderReference).toBe('a');
    expect((await flunders().getStatus('with-status')).metadata.name).toBe('with-status');
    await flunders().delete('with-status');
  });

  it('answers typed errors: 404 NotFound, 409 AlreadyExists and Conflict, 422 Invalid with causes', async () => {
    const missing = await flunders().get('no-such').catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).status).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound', details: { name: 'no-such', group: 'wardle.example.com', kind: 'flunders' } });

    const first = await flunders().create(flunder('taken', 'a'));
    await expect(flunders().create(flunder('taken', 'a'))).rejects.toBeInstanceOf(AlreadyExistsError);

    await flunders().mergePatch('taken', { spec: { flunderReference: 'newer' } });
    const stale = await flunders().update({ ...first, spec: { referenceType: 'Flunder', flunderReference: 'stale' } }).catch((err: unknown) => err);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as ConflictError).code).toBe(409);

    const invalid = await flunders()
      .create({ metadata: { name: 'invalid' }, spec: { referenceType: 'Nope' as unknown as 'Flunder' } })
      .catch((err: unknown) => err);
    expect(invalid).toBeInstanceOf(InvalidError);
    expect((invalid as InvalidError).causes).toEqual([expect.objectContaining({ field: 'spec.referenceType', reason: 'FieldValueNotSupported' })]);
    if (opts.kapi) {
      // The kind's own validation (validateFlunder), beyond the schema: kapi only.
      const both = await flunders().create({ metadata: { name: 'both' }, spec: { flunderReference: 'x', fischerReference: 'y' } }).catch((err: unknown) => err);
      expect(both).toBeInstanceOf(InvalidError);
      expect((both as InvalidError).causes[0]).toMatchObject({ field: 'spec.fischerReference' });
    }
    await flunders().delete('taken');
  });

  it('applies server-side: creates, owns fields per manager, answers a conflict as ConflictError, takes it with force', async () => {
    const config = { apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name: 'applied', namespace: NS }, spec: { referenceType: 'Flunder' as const, flunderReference: 'mine' } };
    const created = await flunders().apply(config, { fieldManager: 'alice' });
    expect(created.spec?.flunderReference).toBe('mine');
    expect(created.metadata.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['alice', 'Apply']]);

    const conflict = await flunders().apply({ ...config, spec: { flunderReference: 'theirs' } }, { fieldManager: 'bob' }).catch((err: unknown) => err);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).conflicts.map((c) => c.field)).toEqual(['.spec.flunderReference']);

    const forced = await flunders().apply({ ...config, spec: { flunderReference: 'theirs' } }, { fieldManager: 'bob', force: true });
    expect(forced.spec?.flunderReference).toBe('theirs');
    await flunders().delete('applied');
  });

  it('lists by label selector and pages with limit and continue', async () => {
    for (let i = 0; i < 5; i++) await flunders().create(flunder(`page-${i}`, 'a', { suite: 'paging', parity: i % 2 === 0 ? 'even' : 'odd' }));
    const first = await flunders().list({ labelSelector: 'suite=paging', limit: 2 });
    expect(first.items.map((f) => f.metadata.name)).toEqual(['page-0', 'page-1']);
    expect(first.metadata.continue).toBeTruthy();
    const second = await flunders().list({ labelSelector: 'suite=paging', limit: 2, continue: first.metadata.continue });
    expect(second.items.map((f) => f.metadata.name)).toEqual(['page-2', 'page-3']);

    const all: string[] = [];
    for await (const f of flunders().listAll({ labelSelector: { matchLabels: { suite: 'paging' } }, pageSize: 2 })) all.push(f.metadata.name ?? '');
    expect(all).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);

    const even = await flunders().list({ labelSelector: { matchLabels: { suite: 'paging' }, matchExpressions: [{ key: 'parity', operator: 'In', values: ['even'] }] } });
    expect(even.items.map((f) => f.metadata.name)).toEqual(['page-0', 'page-2', 'page-4']);
    const byName = await client().flunders('').list({ fieldSelector: 'metadata.name=page-3' });
    expect(byName.items.map((f) => `${f.metadata.namespace}/${f.metadata.name}`)).toEqual([`${NS}/page-3`]);

    await flunders().deleteCollection({ labelSelector: 'suite=paging' });
    expect((await flunders().list({ labelSelector: 'suite=paging' })).items).toEqual([]);
  });

  it('watches from a list\'s resourceVersion: ADDED, MODIFIED, DELETED in order', async () => {
    const list = await flunders().list({ labelSelector: 'suite=watch' });
    const watch = await flunders().watch({ resourceVersion: list.metadata.resourceVersion, labelSelector: 'suite=watch' });
    try {
      await flunders().create(flunder('watched', 'a', { suite: 'watch' }));
      await flunders().mergePatch('watched', { spec: { flunderReference: 'b' } });
      await flunders().delete('watched');
      const events = await eventsUntil(watch, (evs) => evs.some((e) => e.type === 'DELETED'));
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      const modified = events[1];
      expect(modified?.type === 'MODIFIED' && modified.object.spec?.flunderReference).toBe('b');
    } finally {
      watch.stop();
    }
  });
}

describe('the sample server directly', () => {
  let api: ApiClient;
  let v1beta1: WardleV1beta1Client;
  beforeAll(async () => {
    const kubeconfig = kubeconfigFor('direct', env.server.url, env.servingCA.cert);
    // A context other than the file's current one.
    api = await ApiClient.fromKubeConfig({ kubeconfig, context: 'direct' });
    v1beta1 = new WardleV1beta1Client(api);
  });
  afterAll(() => api?.close());

  clientCases(() => v1beta1, { kapi: true });

  it('serves v1alpha1 and cluster-scoped Fischers through the same connection', async () => {
    const v1alpha1 = new WardleV1alpha1Client(api);
    const f = await v1alpha1.flunders(NS).create({ metadata: { name: 'old' }, spec: { reference: 'x' } });
    expect(f.spec).toEqual({ reference: 'x', referenceType: 'Flunder' });
    expect((await v1beta1.flunders(NS).get('old')).spec).toEqual({ referenceType: 'Flunder', flunderReference: 'x' });
    await v1alpha1.flunders(NS).delete('old');

    const fischer = await v1alpha1.fischers().create({ metadata: { name: 'strict' }, disallowedFlunders: ['banned'] });
    expect(fischer.metadata.namespace).toBeUndefined();
    // BanFlunder reads the Fischers from the watch cache (as Go's plugin from its lister): the ban applies once it has this one.
    await eventually('the ban applies', async () => {
      try {
        await v1alpha1.flunders(NS).create({ metadata: { name: 'banned' } });
      } catch (err) {
        if (err instanceof ForbiddenError) return true;
        throw err;
      }
      await v1alpha1.flunders(NS).delete('banned');
      return false;
    }, 10_000);
    await v1alpha1.fischers().delete('strict');
  });
});

describe('the sample server through kube-apiserver', () => {
  let client: WardleV1beta1Client;
  beforeAll(async () => {
    client = await WardleV1beta1Client.fromKubeConfig({ kubeconfig: env.cluster.kubeconfig });
  });
  afterAll(() => client?.close());

  clientCases(() => client, { kapi: true });
});

describe('a CRD of the same group on kube-apiserver', () => {
  let client: WardleV1beta1Client;
  beforeAll(async () => {
    // The group is kapi's until its APIServices go; then the CRD's (auto-registered) ones serve it.
    kubectl.ok(['delete', 'apiservice', 'v1beta1.wardle.example.com', 'v1alpha1.wardle.example.com']);
    client = await WardleV1beta1Client.fromKubeConfig({ kubeconfig: env.cluster.kubeconfig });
    await installCRD(kubectl, FLUNDER_CRD, async () => {
      const list = await client.flunders(NS).list().catch(() => undefined);
      return list?.kind === 'FlunderList' && list.apiVersion === 'wardle.example.com/v1beta1' && kubectl.run(['get', 'apiservice', 'v1beta1.wardle.example.com', '-o', 'jsonpath={.spec.service}']).stdout === '';
    });
  }, 60_000);
  afterAll(() => client?.close());

  clientCases(() => client, { kapi: false });

  it('answers a watch from a resourceVersion older than the watch cache with a typed 410', async () => {
    const outcome = await client
      .flunders(NS)
      .watch({ resourceVersion: '1' })
      .then(
        async (watch) => {
          const event = await watch.next();
          watch.stop();
          return event?.type === 'ERROR' ? apiErrorOfStatus(event.object) : event;
        },
        (err: unknown) => err,
      );
    expect(outcome).toBeInstanceOf(ResourceExpiredError);
    expect((outcome as ResourceExpiredError).code).toBe(410);
  });
});

const string = (description: string): object => ({ type: 'string', description });

/** The sample server's v1beta1 Flunder as a CRD (cmd/sample-apiserver/src/wardle/flunder.ts). */
const FLUNDER_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'flunders.wardle.example.com' },
  spec: {
    group: 'wardle.example.com',
    scope: 'Namespaced',
    names: { plural: 'flunders', singular: 'flunder', kind: 'Flunder', listKind: 'FlunderList', shortNames: ['fl'] },
    versions: [
      {
        name: 'v1beta1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  flunderReference: string('A name of another flunder.'),
                  fischerReference: string('A name of a fischer.'),
                  referenceType: { type: 'string', enum: ['Flunder', 'Fischer'] },
                },
              },
              status: { type: 'object' },
            },
          },
        },
      },
    ],
  },
};
