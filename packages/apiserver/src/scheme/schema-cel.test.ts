/**
 * x-kubernetes-validations (schema-cel.ts) on their own: compile at addKind, transition rules and
 * correlation, ratcheting, the cost budget. The texts match what kube-apiserver 1.37 answers for a
 * CRD with the same schema (test/aggregation/schema-validations.test.ts checks them side by side).
 */
import { describe, expect, it } from '@jest/globals';
import { StatusError, type KubeObject } from '@kapi/apimachinery';
import { SqliteStorage, objectKey, resourcePrefix } from '@kapi/storage';
// The Store is the layer above, which calls validateKindRules on create and update.
import { Store } from '../registry/store.js';
import type { JSONSchemaProps, KindDefinition } from './kind.js';
import { compileSchemaRules, normalizeFieldPath, validateKindRules } from './schema-cel.js';
import { Scheme } from './scheme.js';

const spec = (properties: Record<string, JSONSchemaProps>, rules: JSONSchemaProps['x-kubernetes-validations']): JSONSchemaProps => ({
  type: 'object',
  properties: { spec: { type: 'object', properties, 'x-kubernetes-validations': rules } },
});

function kindWith(schema: JSONSchemaProps): KindDefinition {
  return { group: 'test.kapi.dev', kind: 'Thing', plural: 'things', namespaced: true, versions: [{ name: 'v1', schema }], hubVersion: 'v1' };
}

describe('compiling', () => {
  it('a rule that does not compile is an error when the kind is added', () => {
    const kind = kindWith(spec({ a: { type: 'integer' } }, [{ rule: 'self.b > 1' }]));
    expect(() => new Scheme().addKind(kind)).toThrow(
      "kind Thing.test.kapi.dev v1: properties[spec].x-kubernetes-validations[0].rule: Invalid value: \"self.b > 1\": compilation failed: ERROR: <input>:1:5: undefined field 'b'",
    );
  });

  it('a rule that is not a bool, a messageExpression that is not a string', () => {
    expect(() => new Scheme().addKind(kindWith(spec({ a: { type: 'integer' } }, [{ rule: 'self.a + 1' }])))).toThrow(
      'properties[spec].x-kubernetes-validations[0].rule: Invalid value: "self.a + 1": cel expression must evaluate to a bool',
    );
    expect(() => new Scheme().addKind(kindWith(spec({ a: { type: 'integer' } }, [{ rule: 'self.a > 1', messageExpression: 'self.a' }])))).toThrow(
      'messageExpression must evaluate to a string',
    );
  });

  it('optionalOldSelf without oldSelf is refused, as Go does', () => {
    const kind = kindWith(spec({ a: { type: 'integer' } }, [{ rule: 'self.a > 1', optionalOldSelf: true }]));
    expect(() => new Scheme().addKind(kind)).toThrow('may not be set if oldSelf is not used in rule');
  });

  it('fieldPath must name a field of the schema', () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { m: { type: 'object', additionalProperties: { type: 'string' } }, a: { type: 'string' } } };
    expect(normalizeFieldPath('.a', schema)).toBe('a');
    expect(normalizeFieldPath(".m['x.y']", schema)).toBe('m[x.y]');
    expect(normalizeFieldPath('.m.k', schema)).toBe('m[k]');
    expect(() => normalizeFieldPath('.b', schema)).toThrow('does not refer to a valid field');
  });

  it('a schema without rules has no validator', () => {
    expect(compileSchemaRules({ type: 'object', properties: { a: { type: 'string' } } })).toBeUndefined();
  });
});

describe('evaluating', () => {
  const schema = spec(
    {
      name: { type: 'string' },
      n: { type: 'integer' },
      items: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['k'],
        items: { type: 'object', properties: { k: { type: 'string' }, v: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.v >= oldSelf.v', message: 'v may only grow' }] },
      },
      atomic: { type: 'array', items: { type: 'object', properties: { v: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.v >= oldSelf.v' }] } },
    },
    [
      { rule: 'self.name == oldSelf.name', message: 'name is immutable' },
      { rule: 'self.n < 10', message: 'n is below 10' },
    ],
  );
  const validate = compileSchemaRules(schema)!;
  const obj = (s: Record<string, unknown>) => ({ apiVersion: 'test.kapi.dev/v1', kind: 'Thing', metadata: { name: 'x' }, spec: s });

  it('transition rules run on update only', () => {
    expect(validate(obj({ name: 'a', n: 1 })).errors).toEqual([]);
    expect(validate(obj({ name: 'b', n: 1 }), obj({ name: 'a', n: 1 })).errors).toEqual([
      { type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: name is immutable' },
    ]);
  });

  it('list-type=map items correlate by key, atomic list items not at all', () => {
    const old = obj({ name: 'a', n: 1, items: [{ k: 'x', v: 5 }], atomic: [{ v: 5 }] });
    const now = obj({ name: 'a', n: 1, items: [{ k: 'y', v: 1 }, { k: 'x', v: 4 }], atomic: [{ v: 1 }] });
    expect(validate(now, old).errors).toEqual([{ type: 'FieldValueInvalid', field: 'spec.items[1]', message: 'Invalid value: v may only grow' }]);
  });

  it('ratcheting: a failing rule on an unchanged value is a warning on update', () => {
    const old = obj({ name: 'a', n: 12 });
    expect(validate(obj({ name: 'a', n: 12 }), old)).toEqual({ errors: [], warnings: ['spec: Invalid value: n is below 10'] });
    expect(validate(obj({ name: 'a', n: 13 }), old).errors).toEqual([{ type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: n is below 10' }]);
  });

  it('runs in the request version, through the kind, and not when prior errors block it', () => {
    const kind = kindWith(schema);
    new Scheme().addKind(kind);
    const hub = obj({ name: 'a', n: 11 });
    expect(validateKindRules(kind, 'v1', hub, []).errors).toHaveLength(1);
    expect(validateKindRules(kind, 'v1', hub, [{ type: 'FieldValueRequired', field: 'spec.x', message: 'Required value' }]).errors).toEqual([
      {
        type: 'FieldValueInvalid',
        field: '<nil>',
        message: 'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      },
    ]);
  });

  it('stops at the cost limit of one rule with Go\'s message', () => {
    const costly = compileSchemaRules(spec({ xs: { type: 'array', items: { type: 'integer' } } }, [{ rule: 'self.xs.all(a, self.xs.all(b, self.xs.all(c, true)))' }]))!;
    const xs = Array.from({ length: 150 }, (_, i) => i);
    expect(costly(obj({ xs })).errors).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec',
        message:
          "Invalid value: \"object\": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: self.xs.all(a, self.xs.all(b, self.xs.all(c, true)))",
      },
    ]);
  });
});

describe('through the Store (create and update, as the endpoints call it)', () => {
  const kind = kindWith(spec({ name: { type: 'string' }, n: { type: 'integer' } }, [
    { rule: 'self.name == oldSelf.name', message: 'name is immutable', fieldPath: '.name' },
    { rule: 'self.n < 10', message: 'n is below 10' },
  ]));
  const thing = (name: string, s: Record<string, unknown>, resourceVersion?: string) => ({
    apiVersion: 'test.kapi.dev/v1',
    kind: 'Thing',
    metadata: { name, namespace: 'default', ...(resourceVersion ? { resourceVersion } : {}) },
    spec: s,
  });

  async function failure(p: Promise<unknown>): Promise<StatusError> {
    try {
      await p;
    } catch (err) {
      if (err instanceof StatusError) return err;
      throw err;
    }
    throw new Error('expected a StatusError');
  }

  it('refuses a create and an update that break the rules, warns on a ratcheted one', async () => {
    const storage = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
    try {
      const store = new Store({ kind, storage });
      const ctx = () => ({ namespace: 'default', version: 'v1', warnings: [] as string[] });
      expect((await failure(store.create(ctx(), thing('a', { name: 'x', n: 11 }), {}))).message).toBe(
        'Thing.test.kapi.dev "a" is invalid: spec: Invalid value: n is below 10',
      );
      const created = await store.create(ctx(), thing('a', { name: 'x', n: 1 }), {});
      const err = await failure(store.update(ctx(), 'a', () => thing('a', { name: 'y', n: 1 }, created.metadata.resourceVersion), {}));
      expect([err.code, err.message]).toEqual([422, 'Thing.test.kapi.dev "a" is invalid: spec.name: Invalid value: name is immutable']);

      // An object stored before its rule held (written straight to storage): unchanged, it only warns.
      const stored = { ...thing('b', { name: 'x', n: 12 }), metadata: { name: 'b', namespace: 'default', uid: 'u', generation: 1 } };
      const old: KubeObject = await storage.create(objectKey(resourcePrefix('test.kapi.dev', 'things'), 'b', 'default'), stored);
      const c = ctx();
      await store.update(c, 'b', () => ({ ...thing('b', { name: 'x', n: 12 }, old.metadata.resourceVersion), metadata: { ...old.metadata, labels: { l: 'v' } } }), {});
      expect(c.warnings).toEqual(['spec: Invalid value: n is below 10']);
    } finally {
      storage.close();
    }
  });
});
