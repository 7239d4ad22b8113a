/**
 * src/controllers/<kind>.ts: an example controller on the generated client (src/client): a shared
 * informer feeds a de-duplicating work queue, reconcile reads the lister and writes
 * status.observedGeneration through the client; and its test, against the project's own server
 * started in the test.
 */
import { clientNames } from '../../codegen/client.js';
import type { KindModel } from '../../project/model.js';
import { lowerFirst } from '../../project/names.js';
import { kindNames } from './names.js';

export function controllerPaths(kind: KindModel): { module: string; test: string } {
  const file = kindNames(kind).file;
  return { module: `src/controllers/${file}.ts`, test: `src/controllers/${file}.test.ts` };
}

function accessor(kind: KindModel): string {
  return lowerFirst(kind.plural);
}

export function controllerModule(kind: KindModel): string {
  const names = clientNames(kind.group, kind.hubVersion);
  const K = kind.kind;
  const clientFor = kind.namespaced ? `this.client.${accessor(kind)}(namespace)` : `this.client.${accessor(kind)}()`;
  const lookup = kind.namespaced ? `this.informer.lister.namespace(namespace).get(name)` : `this.informer.lister.get(name)`;
  const write = kind.statusSubresource ? 'mergePatchStatus' : 'mergePatch';
  return `/**
 * An example controller for ${K}: it sets status.observedGeneration to metadata.generation, the way
 * a controller says "I have acted on this spec". It reads through a shared informer (its lister) and
 * writes through the generated client (src/client, \`kapi generate client\`). Put the kind's own work in
 * reconcile(): it is called with the key of each ${K} that was added or changed (and of every one
 * once per resync period), one at a time, and again after a conflict.
 */
import { ConflictError, NotFoundError, type ApiClient, type InformerOptions } from '@kapi/client';
import { ${names.client}, ${names.informerFactory}, type ${K}Informer } from '../client/${names.dir}/index.js';

export class ${K}Controller {
  private readonly client: ${names.client};
  private readonly informers: ${names.informerFactory};
  private readonly informer: ${K}Informer;
  private readonly queue = new Set<string>();
  private draining = false;
  private stopped = false;

  constructor(
    api: ApiClient,
    options: InformerOptions = { resyncPeriodMs: 10 * 60_000 },
    private readonly log: (message: string) => void = (message) => console.error(message),
  ) {
    this.client = new ${names.client}(api);
    this.informers = new ${names.informerFactory}(api, options);
    this.informer = this.informers.${accessor(kind)}();
  }

  /** Starts watching; resolves once the informer has synced. */
  async start(): Promise<void> {
    this.informer.addEventHandler({
      add: (obj) => this.enqueue(obj.metadata.namespace ?? '', obj.metadata.name ?? ''),
      update: (_old, obj) => this.enqueue(obj.metadata.namespace ?? '', obj.metadata.name ?? ''),
    });
    this.informers.start();
    await this.informers.waitForCacheSync();
  }

  stop(): void {
    this.stopped = true;
    this.informers.stop();
  }

  /** Brings one ${K} to its desired state: here, records the generation it has seen. */
  async reconcile(namespace: string, name: string): Promise<void> {
    const obj = ${lookup};
    if (!obj) return; // deleted meanwhile
    const generation = obj.metadata.generation;
    if (generation === undefined || obj.status?.observedGeneration === generation) return;
    await ${clientFor}.${write}(name, { status: { observedGeneration: generation } });
  }

  private enqueue(namespace: string, name: string): void {
    this.queue.add(\`\${namespace}/\${name}\`);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (const key of this.queue) {
        this.queue.delete(key);
        if (this.stopped) return;
        const [namespace = '', name = ''] = key.split('/');
        try {
          await this.reconcile(namespace, name);
        } catch (err) {
          // A conflict: the object changed meanwhile, and the informer brings the change (and the key) again;
          // not found: it was deleted meanwhile.
          if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) this.log(\`reconcile \${key}: \${err instanceof Error ? err.message : String(err)}\`);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
`;
}

export function controllerTest(kind: KindModel): string {
  const names = clientNames(kind.group, kind.hubVersion);
  const n = kindNames(kind);
  const K = kind.kind;
  const on = kind.namespaced ? `client.${accessor(kind)}('default')` : `client.${accessor(kind)}()`;
  return `/**
 * The generated client and the example controller against this project's own server, started here
 * on a free port with its own certificates and an embedded SQLite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiServer, type GenericAPIServer } from '@kapi/apiserver';
import { AlreadyExistsError, ApiClient, InvalidError, NotFoundError } from '@kapi/client';
import { ${n.kindVar} } from '../apis/${kind.groupDir}/${n.file}.js';
import { ${names.client}, type ${K} } from '../client/${names.dir}/index.js';
import { ${K}Controller } from './${n.file}.js';

jest.setTimeout(30_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(\`not within \${ms} ms\`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let dir: string;
let server: GenericAPIServer;
let api: ApiClient;
let client: ${names.client};
let controller: ${K}Controller;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), '${n.file}-controller-'));
  const argv = [\`--secure-port=\${await freePort()}\`, '--bind-address=127.0.0.1', \`--cert-dir=\${dir}\`, \`--data-dir=\${join(dir, 'data')}\`, '--log-level=warn'];
  // One process, one server (no --workers): run() answers the GenericAPIServer.
  server = (await apiServer({ name: 'test' }).withKind(${n.kindVar}).run(argv)) as GenericAPIServer;
  api = await ApiClient.fromKubeConfig({ kubeconfig: join(dir, 'admin.kubeconfig') });
  client = new ${names.client}(api);
  controller = new ${K}Controller(api);
  await controller.start();
});

afterAll(async () => {
  controller?.stop();
  api?.close();
  await server?.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const ${lowerFirst(K)} = (name: string, message?: string): ${K} => ({ metadata: { name }, spec: message === undefined ? {} : { message } });

it('creates, gets, lists and deletes through the generated client', async () => {
  const created = await ${on}.create(${lowerFirst(K)}('first'));
  expect(created.spec?.message).toBe('Hello from kapi');
  expect((await ${on}.get('first')).metadata.uid).toBe(created.metadata.uid);
  expect((await ${on}.list()).items.map((o) => o.metadata.name)).toContain('first');
  await ${on}.delete('first');
  await expect(${on}.get('first')).rejects.toBeInstanceOf(NotFoundError);
});

it('answers errors as typed exceptions', async () => {
  await ${on}.create(${lowerFirst(K)}('taken'));
  await expect(${on}.create(${lowerFirst(K)}('taken'))).rejects.toBeInstanceOf(AlreadyExistsError);
  const blank = await ${on}.create(${lowerFirst(K)}('blank', '  ')).catch((err: unknown) => err);
  expect(blank).toBeInstanceOf(InvalidError);
  expect((blank as InvalidError).causes.map((c) => c.field)).toEqual(['spec.message']);
});

it('the controller sets status.observedGeneration, again after a change of spec', async () => {
  await ${on}.create(${lowerFirst(K)}('observed', 'one'));
  await eventually(async () => (await ${on}.get('observed')).status?.observedGeneration === 1);
  const changed = await ${on}.mergePatch('observed', { spec: { message: 'two' } });
  expect(changed.metadata.generation).toBe(2);
  await eventually(async () => (await ${on}.get('observed')).status?.observedGeneration === 2);
});
`;
}
