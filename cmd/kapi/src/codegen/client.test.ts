import type { KindDefinition } from '@kapi/apiserver/scheme';
import { clientGroupVersions, generateClient, GENERATED_HEADER } from './client.js';
import { typeOf } from './schema-types.js';

const widget: KindDefinition = {
  group: 'toys.example.com',
  kind: 'Widget',
  plural: 'widgets',
  namespaced: true,
  hubVersion: 'v1',
  versions: [
    {
      name: 'v1',
      schema: {
        type: 'object',
        description: 'A widget.',
        properties: {
          spec: {
            type: 'object',
            required: ['size'],
            properties: {
              size: { type: 'integer', description: 'How big.' },
              color: { type: 'string', enum: ['red', 'blue'] },
              port: { 'x-kubernetes-int-or-string': true },
              tags: { type: 'array', items: { type: 'string' } },
              labels: { type: 'object', additionalProperties: { type: 'string' } },
              'odd-name': { type: 'boolean', nullable: true },
              raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
            },
          },
          status: { type: 'object', properties: { observedGeneration: { type: 'integer' } } },
        },
      },
    },
    { name: 'v0', served: false, schema: { type: 'object' } },
  ],
  subresources: {
    status: true,
    scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' },
    actions: { 'poke-it': { requestKind: 'WidgetPoke', schema: { type: 'object', properties: { times: { type: 'integer' } } }, responseKind: { kind: 'Widget' } } },
  },
};

const gadget: KindDefinition = {
  group: 'toys.example.com',
  kind: 'Gadget',
  plural: 'gadgets',
  namespaced: false,
  hubVersion: 'v1',
  versions: [{ name: 'v1', schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } } } } }],
};

describe('generateClient', () => {
  const files = generateClient([widget, gadget]);
  const byPath = new Map(files.map((f) => [f.path, f.content]));

  it('writes types, client and index per served group/version', () => {
    expect([...byPath.keys()]).toEqual(['toys/v1/types.ts', 'toys/v1/client.ts', 'toys/v1/informers.ts', 'toys/v1/index.ts']);
    for (const f of files) expect(f.content.startsWith(`// ${GENERATED_HEADER}\n`)).toBe(true);
  });

  it('types the kinds from their schemas', () => {
    const types = byPath.get('toys/v1/types.ts') ?? '';
    expect(types).toContain('export interface WidgetSpec {');
    expect(types).toContain('  /** How big. */\n  size: number;');
    expect(types).toContain(`  color?: 'red' | 'blue';`);
    expect(types).toContain('  port?: number | string;');
    expect(types).toContain('  tags?: string[];');
    expect(types).toContain('  labels?: {\n    [key: string]: string;\n  };');
    expect(types).toContain(`  'odd-name'?: boolean | null;`);
    expect(types).toContain('  raw?: {\n    [field: string]: unknown;\n  };');
    expect(types).toContain('    apiVersion?: string;\n    kind?: string;\n    metadata?: ObjectMeta;');
    expect(types).toContain(`export interface Widget {\n  apiVersion?: 'toys.example.com/v1';\n  kind?: 'Widget';\n  metadata: ObjectMeta;\n  spec?: WidgetSpec;\n  status?: WidgetStatus;\n}`);
    expect(types).toContain('export type WidgetList = ObjectList<Widget>;');
    expect(types).toContain('export type WidgetWatchEvent = WatchEvent<Widget>;');
    expect(types).toContain('export interface WidgetPoke {');
    expect(types).toContain('  items?: {\n    a?: string;\n  }[];');
  });

  it('gives each kind a client with its subresources, and the group/version one accessor per kind', () => {
    const client = byPath.get('toys/v1/client.ts') ?? '';
    expect(client).toContain("export const widgetResource: ResourceInfo = { group: GROUP, version: VERSION, plural: 'widgets', kind: 'Widget', namespaced: true };");
    expect(client).toContain('export class WidgetClient extends ResourceClient<Widget> {');
    for (const method of ['getStatus(name: string)', 'updateStatus(obj: Widget', 'mergePatchStatus(', 'jsonPatchStatus(', 'applyStatus(', 'getScale(', 'updateScale(', 'mergePatchScale(', 'applyScale(', 'pokeIt(name: string, body: WidgetPoke): Promise<Widget>']) {
      expect(client).toContain(method);
    }
    expect(client).toContain('export class GadgetClient extends ResourceClient<Gadget> {}');
    expect(client).toContain('  widgets(namespace: string): WidgetClient {');
    expect(client).toContain('  gadgets(): GadgetClient {');
    expect(client).toContain('export class ToysV1Client {');
  });

  it('hands out a kind that serves fewer verbs without the others, and no informer without list and watch', () => {
    const readOnly: KindDefinition = { ...gadget, kind: 'Reading', plural: 'readings', verbs: ['get', 'list'] };
    const out = new Map(generateClient([readOnly]).map((f) => [f.path, f.content]));
    expect(out.get('toys/v1/client.ts')).toContain(
      "  readings(): Omit<ReadingClient, 'create' | 'watch' | 'update' | 'mergePatch' | 'jsonPatch' | 'apply' | 'delete' | 'deleteCollection'> {",
    );
    expect(out.get('toys/v1/informers.ts')).not.toContain('readings(');
  });

  it('gives a connect subresource upgraded from GET a session method (WebSocket), and none to one of POST alone (SPDY)', () => {
    const shell: KindDefinition = { ...gadget, kind: 'Shell', plural: 'shells', subresources: { connect: { exec: { methods: ['GET', 'POST'] }, 'port-forward': { methods: ['POST'] } } } };
    const client = new Map(generateClient([shell]).map((f) => [f.path, f.content])).get('toys/v1/client.ts') ?? '';
    expect(client).toContain("  exec(name: string, opts: StreamOptions = {}): Promise<StreamSession> {\n    return this.connectSubresource(name, 'exec', opts);\n  }");
    expect(client).toContain('type StreamOptions, type StreamSession');
    expect(client).not.toContain('portForward');
  });

  it('leaves out versions that are not served', () => {
    expect(clientGroupVersions([widget]).map((gv) => gv.version)).toEqual(['v1']);
  });
});

describe('typeOf', () => {
  const ctx = { objectMeta: 'ObjectMeta' };
  it.each([
    [{ type: 'string' as const }, 'string'],
    [{ type: 'integer' as const, nullable: true }, 'number | null'],
    [{ type: 'array' as const, items: { type: 'string' as const, enum: ['a', 'b'] } }, "('a' | 'b')[]"],
    [{ 'x-kubernetes-preserve-unknown-fields': true }, 'unknown'],
    [{ type: 'object' as const }, '{ [field: string]: unknown }'],
    [{ type: 'object' as const, properties: {} }, 'Record<string, never>'],
  ])('%j is %s', (schema, type) => {
    expect(typeOf(schema, '', ctx)).toBe(type);
  });
});
