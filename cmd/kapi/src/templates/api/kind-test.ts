/** src/apis/<group>/<kind>.test.ts: defaulting, validation and storage of a new kind, through the real Scheme and Store. */
import type { KindModel } from '../../project/model.js';
import { kindNames } from './names.js';
import { DEFAULT_MESSAGE } from './version.js';

export function kindTest(kind: KindModel): string {
  const n = kindNames(kind);
  const hub = kind.hubVersion;
  const ns = kind.namespaced ? `, namespace: 'default'` : '';
  const ctx = kind.namespaced ? `{ namespace: 'default', warnings: [] }` : `{ warnings: [] }`;
  const statusTest = kind.statusSubresource
    ? `
  it('ignores status on create (the status subresource owns it)', async () => {
    const created = await store.create(ctx, decode({ ...body('with-status'), status: { observedGeneration: 7 } }), {});
    expect(created.status).toBeUndefined();
  });
`
    : '';
  return `import type { KubeObject } from '@kapi/apimachinery';
import { Scheme } from '@kapi/apiserver/scheme';
import { Store, type RequestContext } from '@kapi/apiserver/registry';
import { SqliteStorage } from '@kapi/storage';
import { GROUP } from './group.js';
import { ${n.kindVar}, type ${n.hubType} } from './${n.file}.js';

const ctx: RequestContext = ${ctx};

function body(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: \`\${GROUP}/${hub}\`, kind: '${kind.kind}', metadata: { name${ns ? `${ns}` : ''} }, spec };
}

describe('${kind.kind}', () => {
  // The Scheme and Store the server's builder makes for the kind, here on an in-memory SQLite.
  const scheme = new Scheme().addKind(${n.kindVar});
  let storage: SqliteStorage;
  let store: Store<${n.hubType}>;

  /** Decodes a request body as the API server does: prune, default, schema-validate, convert to the hub. */
  const decode = (obj: Record<string, unknown>): KubeObject => {
    const served = scheme.lookup(GROUP, '${hub}', ${n.kindVar}.plural);
    if (!served) throw new Error(\`\${${n.kindVar}.plural} is not served in ${hub}\`);
    return scheme.decode(served, obj, { fieldValidation: 'Strict' }).object;
  };

  beforeEach(() => {
    storage = SqliteStorage.open({ path: ':memory:' });
    store = new Store({ kind: ${n.kindVar}, storage });
  });
  afterEach(async () => {
    await storage.close();
  });

  it('is served as ${kind.plural}', () => {
    expect([${n.kindVar}.plural, ${n.kindVar}.singular]).toEqual(['${kind.plural}', '${kind.kind.toLowerCase()}']);
  });

  it('defaults spec.message', () => {
    const obj = decode(body('defaulted')) as ${n.hubType};
    expect(obj.spec?.message).toBe('${DEFAULT_MESSAGE}');
  });

  it('refuses a message longer than the schema allows', () => {
    expect(() => decode(body('too-long', { message: 'x'.repeat(257) }))).toThrow(/spec.message/);
  });

  it('refuses a blank message (strategy validation)', async () => {
    await expect(store.create(ctx, decode(body('blank', { message: '  ' })), {})).rejects.toThrow(/spec.message: Required value/);
  });

  it('stores an object and reads it back', async () => {
    const created = await store.create(ctx, decode(body('first', { message: 'hi' })), {});
    expect(created.metadata.uid).toBeTruthy();
    const got = (await store.get(ctx, 'first', {})) as ${n.hubType};
    expect(got.spec?.message).toBe('hi');
    expect(got.metadata.uid).toBe(created.metadata.uid);
  });
${statusTest}});
`;
}
