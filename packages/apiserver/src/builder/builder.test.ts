import { Type } from '@sinclair/typebox';
import { SqliteStorage } from '@kapi/storage';
import { apiServer } from './builder.js';
import { StringEnum, defineKind, defineVersion, guessPlural } from './define.js';

describe('defineKind and defineVersion', () => {
  it('derive plural and singular as Go guesses them', () => {
    expect(['Flunder', 'Policy', 'Status', 'Class', 'WidgetMetrics'].map(guessPlural)).toEqual(['flunders', 'policies', 'statuses', 'classes', 'widgetmetricses']);
    const kind = defineKind({ group: 'g', kind: 'Policy', namespaced: false, hubVersion: 'v1', versions: [] });
    expect([kind.plural, kind.singular]).toEqual(['policies', 'policy']);
    expect(defineKind({ group: 'g', kind: 'Datum', plural: 'data', namespaced: true, hubVersion: 'v1', versions: [] }).plural).toBe('data');
  });

  it('take the schema as it is, with enums written as structural schemas do', () => {
    const schema = Type.Object({ spec: Type.Optional(Type.Object({ color: StringEnum(['red', 'blue']), count: Type.Integer({ minimum: 0 }) })) });
    const version = defineVersion({ name: 'v1', schema });
    expect(JSON.parse(JSON.stringify(version.schema))).toEqual({
      type: 'object',
      properties: { spec: { type: 'object', required: ['color', 'count'], properties: { color: { type: 'string', enum: ['red', 'blue'] }, count: { type: 'integer', minimum: 0 } } } },
    });
  });
});

describe('the builder', () => {
  const schema = Type.Object({ spec: Type.Optional(Type.Object({})) });
  const thing = defineKind({
    group: 'test.kapi.dev',
    kind: 'Thing',
    namespaced: true,
    hubVersion: 'v1',
    versions: [defineVersion({ name: 'v1', schema })],
    subresources: { actions: { poke: { responseKind: { kind: 'Thing' } } } },
  });

  it('refuses a kind served twice, and subresources without (or handlers without) a declaration', () => {
    const builder = apiServer({ name: 't' }).withKind(thing, { actions: { poke: async (_ctx, _name, body) => body! } });
    expect(() => builder.withKind(thing, { actions: { poke: async (_c, _n, b) => b! } })).toThrow('test.kapi.dev/things is served twice');
    expect(() => apiServer({ name: 't' }).withKind(thing)).toThrow('test.kapi.dev/things: no handler for the action subresource poke');
    expect(() =>
      apiServer({ name: 't' }).withKind(thing, { actions: { poke: async (_c, _n, b) => b!, prod: async (_c, _n, b) => b! } }),
    ).toThrow('a handler for prod, which kind.subresources.actions does not declare');
  });

  it('installs one Store per stored kind and a computed resource with only its verbs', async () => {
    const other = defineKind({ group: 'test.kapi.dev', kind: 'Gauge', namespaced: false, hubVersion: 'v1', versions: [defineVersion({ name: 'v1', schema })] });
    const definition = apiServer({ name: 't' })
      .withKind(thing, { actions: { poke: async (ctx, name, _body, api) => api.store(thing).get(ctx, name, {}) } })
      .withResource(other, (api) => ({ list: async (ctx) => [(await api.store(thing).list(ctx, {})).items.length].map((n) => ({ apiVersion: 'test.kapi.dev/v1', kind: 'Gauge', metadata: { name: `g${n}` } })) }))
      .definition();
    expect(definition.kinds.map((k) => k.kind)).toEqual(['Thing']);
    const backend = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
    const installed = await definition.install(backend, { admission: [], enableGarbageCollection: true });
    try {
      const lookup = installed.storages as unknown as Map<string, { create?: unknown; list?: (ctx: unknown, opts: unknown) => Promise<{ items: Array<{ metadata: { name: string } }> }>; get?: unknown; action?: unknown }>;
      expect(installed.scheme.lookup('test.kapi.dev', 'v1', 'gauges')?.kind.verbs).toEqual(['list']);
      expect(installed.scheme.lookup('test.kapi.dev', 'v1', 'things')?.kind.verbs).toBeUndefined();
      const gauges = lookup.get('test.kapi.dev/gauges')!;
      expect([gauges.get, gauges.create]).toEqual([undefined, undefined]);
      expect((await gauges.list!({ warnings: [] }, {})).items.map((i) => i.metadata.name)).toEqual(['g0']);
      expect(typeof lookup.get('test.kapi.dev/things')!.action).toBe('function');
    } finally {
      await installed.close();
      await backend.close();
    }
  });
});
