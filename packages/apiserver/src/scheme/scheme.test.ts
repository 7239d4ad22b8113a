import { isBadRequest, isInvalid, StatusError, type KubeObject } from '@kapi/apimachinery';
import { Scheme } from './scheme.js';
import { widgetKind } from './test-kinds.js';

function scheme(): Scheme {
  return new Scheme().addKind(widgetKind());
}

function served(s: Scheme, version: string) {
  const sv = s.lookup('test.example.com', version, 'widgets');
  if (!sv) throw new Error(`no ${version}`);
  return sv;
}

/** Freezes every nested object: a write to it throws (test files run in strict mode). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function caught(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

const alpha = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'test.example.com/v1alpha1',
  kind: 'Widget',
  metadata: { name: 'w1', namespace: 'default' },
  spec,
  ...extra,
});

describe('Scheme.addKind', () => {
  it('refuses a kind without exactly one hub version', () => {
    expect(() => new Scheme().addKind(widgetKind({ hubVersion: 'v9' }))).toThrow(/hubVersion/);
  });
  it('refuses a served non-hub version without conversion', () => {
    const def = widgetKind();
    const versions = def.versions.map((v) => (v.name === 'v1alpha1' ? { name: v.name, schema: v.schema } : v));
    expect(() => new Scheme().addKind({ ...def, versions })).toThrow(/toHub and fromHub/);
  });
  it('refuses the same resource twice', () => {
    expect(() => scheme().addKind(widgetKind())).toThrow(/already registered/);
  });
  it('looks up served versions by plural', () => {
    const s = scheme();
    expect(s.lookup('test.example.com', 'v1alpha1', 'widgets')?.version.name).toBe('v1alpha1');
    expect(s.lookup('test.example.com', 'v1', 'widgets')).toBeUndefined();
    expect(s.kinds).toHaveLength(1);
  });
});

describe('Scheme.decode / encode', () => {
  it('converts a spoke version to the hub, defaulting on the way, and back', () => {
    const s = scheme();
    const { object, warnings } = s.decode(served(s, 'v1alpha1'), alpha({ referenceType: 'Flunder', ref: 'x' }), {
      fieldValidation: 'Strict',
    });
    expect(warnings).toEqual([]);
    expect(object.apiVersion).toBe('test.example.com/v1beta1');
    expect(object.kind).toBe('Widget');
    expect(object.spec).toEqual({ referenceType: 'Flunder', reference: 'x', size: 'small' });

    const frozen = structuredClone(object);
    const back = s.encode(served(s, 'v1alpha1').kind, object, 'v1alpha1');
    expect(back).toEqual({ ...alpha({ referenceType: 'Flunder', ref: 'x', size: 'small' }) });
    expect(object).toEqual(frozen);
    const asHub = s.encode(served(s, 'v1alpha1').kind, object, 'v1beta1');
    expect(asHub.apiVersion).toBe('test.example.com/v1beta1');
    expect(asHub).not.toBe(object);
  });

  it('encodes without copying and without changing the hub object (it may be the watch cache\'s)', () => {
    const s = scheme();
    const kind = served(s, 'v1alpha1').kind;
    const hub = deepFreeze({
      apiVersion: 'test.example.com/v1beta1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'default', labels: { a: 'b' }, resourceVersion: '7' },
      spec: { referenceType: 'Flunder', reference: 'r', replicas: 2 },
      status: { replicas: 1 },
    } as KubeObject);
    const alphaObj = s.encode(kind, hub, 'v1alpha1');
    expect(alphaObj).toEqual({ ...hub, apiVersion: 'test.example.com/v1alpha1', spec: { referenceType: 'Flunder', ref: 'r', replicas: 2 } });
    expect(Object.keys(alphaObj).slice(0, 2)).toEqual(['apiVersion', 'kind']);
    const hubObj = s.encode(kind, hub, 'v1beta1');
    expect(hubObj).toEqual(hub);
    expect(hubObj).not.toBe(hub);
    // Shared, not copied: the result is read-only for its callers.
    expect(hubObj.metadata).toBe(hub.metadata);
    expect(alphaObj.metadata).toBe(hub.metadata);
  });

  it('decodes an owned body in place, and copies one it does not own', () => {
    const s = scheme();
    const body = alpha({ referenceType: 'Flunder', ref: 'x', unknown: 1 });
    const snapshot = structuredClone(body);
    s.decode(served(s, 'v1alpha1'), body, { fieldValidation: 'Ignore' });
    expect(body).toEqual(snapshot);
    const owned = alpha({ referenceType: 'Flunder', ref: 'x', unknown: 1 });
    const { object } = s.decode(served(s, 'v1alpha1'), owned, { fieldValidation: 'Ignore', owned: true });
    expect(object.spec).toEqual({ referenceType: 'Flunder', reference: 'x', size: 'small' });
    expect(owned.spec).toEqual({ referenceType: 'Flunder', ref: 'x', size: 'small' });
  });

  it('applies schema defaults of the version', () => {
    const s = scheme();
    const body = { apiVersion: 'test.example.com/v1beta1', kind: 'Widget', metadata: { name: 'w' }, spec: { referenceType: 'Fischer' } };
    expect(s.decode(served(s, 'v1beta1'), body, { fieldValidation: 'Strict' }).object.spec).toEqual({
      referenceType: 'Fischer',
      replicas: 1,
    });
  });

  it('convert() goes spoke → hub → spoke', () => {
    const s = scheme();
    const kind = served(s, 'v1alpha1').kind;
    const hub: KubeObject = { apiVersion: 'test.example.com/v1beta1', kind: 'Widget', metadata: { name: 'a' }, spec: { reference: 'r' } };
    const spoke = s.convert(kind, hub, 'v1alpha1');
    expect(spoke.spec).toEqual({ ref: 'r' });
    expect(s.convert(kind, spoke, 'v1beta1')).toEqual(hub);
  });

  it('refuses a body that is not an object', () => {
    const s = scheme();
    for (const body of [null, [], 'x', 3]) {
      expect(isBadRequest(caught(() => s.decode(served(s, 'v1alpha1'), body, { fieldValidation: 'Strict' })))).toBe(true);
    }
  });

  it('refuses a mismatched apiVersion or kind with 400', () => {
    const s = scheme();
    const err = caught(() =>
      s.decode(served(s, 'v1alpha1'), alpha({ referenceType: 'Flunder' }, { apiVersion: 'test.example.com/v1beta1' }), {
        fieldValidation: 'Strict',
      }),
    );
    expect(err.code).toBe(400);
    expect(err.message).toBe(
      'the API version in the data (test.example.com/v1beta1) does not match the expected API version (test.example.com/v1alpha1)',
    );
    const kindErr = caught(() => s.decode(served(s, 'v1alpha1'), alpha({ referenceType: 'Flunder' }, { kind: 'Gadget' }), { fieldValidation: 'Warn' }));
    expect(kindErr.code).toBe(400);
    expect(kindErr.message).toMatch(/kind in the data \(Gadget\)/);
  });

  describe('unknown fields', () => {
    const body = () =>
      alpha({ referenceType: 'Flunder', foo: 1, bar: { x: 1 } }, { top: true, metadata: { name: 'w1', bogus: 'y', labels: { a: 'b' } } });

    it('Strict: 400 listing every unknown field', () => {
      const s = scheme();
      const err = caught(() => s.decode(served(s, 'v1alpha1'), body(), { fieldValidation: 'Strict' }));
      expect(err.code).toBe(400);
      expect(err.reason).toBe('BadRequest');
      expect(err.message).toBe(
        'strict decoding error: unknown field "metadata.bogus", unknown field "spec.foo", unknown field "spec.bar", unknown field "top"',
      );
    });

    it('Warn: warnings, fields pruned', () => {
      const s = scheme();
      const { object, warnings } = s.decode(served(s, 'v1alpha1'), body(), { fieldValidation: 'Warn' });
      expect(warnings).toEqual(['unknown field "metadata.bogus"', 'unknown field "spec.foo"', 'unknown field "spec.bar"', 'unknown field "top"']);
      expect(object.spec).toEqual({ referenceType: 'Flunder', size: 'small' });
      expect(object.top).toBeUndefined();
      expect(object.metadata).toEqual({ name: 'w1', labels: { a: 'b' } });
    });

    it('Ignore: silently pruned', () => {
      const s = scheme();
      const { object, warnings } = s.decode(served(s, 'v1alpha1'), body(), { fieldValidation: 'Ignore' });
      expect(warnings).toEqual([]);
      expect(object.spec).toEqual({ referenceType: 'Flunder', size: 'small' });
    });

    it('keeps fields under x-kubernetes-preserve-unknown-fields', () => {
      const s = scheme();
      const hubBody = {
        apiVersion: 'test.example.com/v1beta1',
        kind: 'Widget',
        metadata: { name: 'w', creationTimestamp: null },
        spec: { referenceType: 'Flunder', extra: { anything: { goes: [1] } }, port: 'http' },
      };
      const { object } = s.decode(served(s, 'v1beta1'), hubBody, { fieldValidation: 'Strict' });
      expect(object.spec).toMatchObject({ extra: { anything: { goes: [1] } }, port: 'http' });
      expect(object.metadata).toEqual({ name: 'w' });
    });
  });

  describe('schema validation', () => {
    it('answers 422 Invalid with a cause per problem', () => {
      const s = scheme();
      const err = caught(() => s.decode(served(s, 'v1alpha1'), alpha({ referenceType: 'Gadget', ref: 3, replicas: -1 }), { fieldValidation: 'Strict' }));
      expect(isInvalid(err)).toBe(true);
      expect(err.code).toBe(422);
      expect(err.status.details?.kind).toBe('Widget');
      expect(err.status.details?.group).toBe('test.example.com');
      expect(err.status.details?.name).toBe('w1');
      expect(err.status.details?.causes).toEqual(
        expect.arrayContaining([
          { reason: 'FieldValueNotSupported', field: 'spec.referenceType', message: 'Unsupported value: "Gadget": supported values: "Flunder", "Fischer"' },
          {
            reason: 'FieldValueTypeInvalid',
            field: 'spec.ref',
            message: 'Invalid value: "integer": spec.ref in body must be of type string: "integer"',
          },
          { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: spec.replicas in body should be greater than or equal to 0' },
        ]),
      );
      expect(err.message).toMatch(/^Widget\.test\.example\.com "w1" is invalid: \[/);
    });

    it('reports a missing required field', () => {
      const s = scheme();
      const err = caught(() => s.decode(served(s, 'v1alpha1'), alpha({}), { fieldValidation: 'Strict' }));
      expect(err.status.details?.causes).toEqual([{ reason: 'FieldValueRequired', field: 'spec.referenceType', message: 'Required value' }]);
      expect(err.message).toBe('Widget.test.example.com "w1" is invalid: spec.referenceType: Required value');
    });

    it('checks int-or-string and metadata types', () => {
      const s = scheme();
      const hubBody = {
        apiVersion: 'test.example.com/v1beta1',
        kind: 'Widget',
        metadata: { name: 'w', labels: { a: 1 } },
        spec: { referenceType: 'Flunder', port: true },
      };
      const err = caught(() => s.decode(served(s, 'v1beta1'), hubBody, { fieldValidation: 'Strict' }));
      expect(err.status.details?.causes?.map((c) => c.field).sort()).toEqual(['metadata.labels.a', 'spec.port']);
    });
  });
});
