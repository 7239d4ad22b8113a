/**
 * The field manager on a kind of two versions, as kube-apiserver's behaves (cases after
 * k8s.io/apimachinery/pkg/util/managedfields/internal's fieldmanager, capmanagers, skipnonapplied,
 * lastappliedmanager, managedfields and conflict tests, on a wardle-like kind instead of Pods).
 */
import { StatusError, type KubeObject, type ManagedFieldsEntry } from '@kapi/apimachinery';
import type { KindDefinition, JSONSchemaProps } from '../scheme/index.js';
import { FieldManager } from './field-manager.js';
import { buildManagerIdentifier, decodeManagedFields, encodeManagedFields, isResetManagedFields, printManager } from './managed-fields.js';
import { managerOrUserAgent, prefixFromUserAgent } from './user-agent.js';

const spec = (refField: string): JSONSchemaProps => ({
  type: 'object',
  properties: {
    [refField]: { type: 'string' },
    replicas: { type: 'integer' },
    ports: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
      items: {
        type: 'object',
        properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' }, name: { type: 'string' } },
      },
    },
    tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    args: { type: 'array', items: { type: 'string' } },
    config: { type: 'object', additionalProperties: { type: 'string' } },
    selector: { type: 'object', 'x-kubernetes-map-type': 'atomic', additionalProperties: { type: 'string' } },
  },
});

const schema = (refField: string): JSONSchemaProps => ({
  type: 'object',
  properties: { spec: spec(refField), status: { type: 'object', properties: { phase: { type: 'string' } } } },
});

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const flunders: KindDefinition = {
  group: 'wardle.example.com',
  kind: 'Flunder',
  plural: 'flunders',
  namespaced: true,
  hubVersion: 'v1beta1',
  subresources: { status: true },
  versions: [
    { name: 'v1beta1', schema: schema('reference') },
    {
      name: 'v1alpha1',
      schema: schema('ref'),
      toHub(obj: KubeObject): KubeObject {
        const { ref, ...rest } = ((obj as Obj).spec ?? {}) as Record<string, unknown>;
        const out: Obj = { ...obj, apiVersion: 'wardle.example.com/v1beta1' };
        if ((obj as Obj).spec) out.spec = ref === undefined ? rest : { ...rest, reference: ref };
        return out;
      },
      fromHub(hub: KubeObject): KubeObject {
        const { reference, ...rest } = ((hub as Obj).spec ?? {}) as Record<string, unknown>;
        const out: Obj = { ...hub, apiVersion: 'wardle.example.com/v1alpha1' };
        if ((hub as Obj).spec) out.spec = reference === undefined ? rest : { ...rest, ref: reference };
        return out;
      },
    },
  ],
};

const V1BETA1 = 'wardle.example.com/v1beta1';
const V1ALPHA1 = 'wardle.example.com/v1alpha1';
const clock = (): (() => Date) => {
  let t = Date.parse('2026-01-02T03:04:05Z');
  return () => new Date((t += 1000));
};

const fm = (version = 'v1beta1', subresource = ''): FieldManager => new FieldManager(flunders, version, { subresource, now: clock() });

const flunder = (specFields: Record<string, unknown>, extra: Partial<Obj> = {}, apiVersion = V1BETA1): Obj => ({
  apiVersion,
  kind: 'Flunder',
  metadata: { name: 'a', namespace: 'ns' },
  spec: specFields,
  ...extra,
});

const stored = (obj: KubeObject): KubeObject => ({ ...obj, metadata: { ...obj.metadata, uid: 'u-1', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' } });

const entry = (obj: KubeObject, manager: string): ManagedFieldsEntry | undefined => obj.metadata.managedFields?.find((e) => e.manager === manager);

const conflictOf = (fn: () => unknown): StatusError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
};

describe('FieldManager.update (create, update, non-apply patches)', () => {
  it('records a create as an Update entry of the manager, without the metadata the server owns', () => {
    const created = fm().update(undefined, flunder({ reference: 'x', ports: [{ port: 80, protocol: 'TCP' }] }, { metadata: { name: 'a', labels: { app: 'x' } } }), 'kubectl');
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: V1BETA1,
        time: '2026-01-02T03:04:06Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            '.': {},
            'f:ports': { '.': {}, 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:protocol': {} } },
            'f:reference': {},
          },
        },
      },
    ]);
  });

  it('gives a manager the fields it changed and takes them from the others', () => {
    const m = fm();
    const live = stored(m.update(undefined, flunder({ reference: 'x', replicas: 1 }), 'creator'));
    const updated = m.update(live, { ...live, spec: { reference: 'y', replicas: 1 } }, 'editor');
    expect(entry(updated, 'creator')?.fieldsV1).toEqual({ 'f:spec': { '.': {}, 'f:replicas': {} } });
    expect(entry(updated, 'editor')?.fieldsV1).toEqual({ 'f:spec': { 'f:reference': {} } });
  });

  it('does not track objects that were created without (skipNonApplied: a live object with a uid and no entries)', () => {
    const live = stored(flunder({ reference: 'x' }));
    const updated = fm().update(live, { ...live, spec: { reference: 'y' } }, 'editor');
    expect(updated.metadata.managedFields).toBeUndefined();
  });

  it('resets managedFields when the new object has [{}] or [] (an existing object then has none)', () => {
    const m = fm();
    const live = stored(m.update(undefined, flunder({ reference: 'x' }), 'creator'));
    for (const reset of [[{}], []] as ManagedFieldsEntry[][]) {
      const updated = m.update(live, { ...live, metadata: { ...live.metadata, managedFields: reset }, spec: { reference: 'y' } }, 'editor');
      expect(updated.metadata.managedFields).toBeUndefined();
    }
    expect(isResetManagedFields(undefined)).toBe(false);
  });

  it('keeps the managedFields a request sends when they decode, else the live ones', () => {
    const m = fm();
    const live = stored(m.update(undefined, flunder({ reference: 'x' }), 'creator'));
    const sent: ManagedFieldsEntry[] = [{ manager: 'other', operation: 'Update', apiVersion: V1BETA1, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:reference': {} } } }];
    const kept = m.update(live, { ...live, metadata: { ...live.metadata, managedFields: sent } }, 'editor');
    expect(kept.metadata.managedFields?.map((e) => e.manager)).toEqual(['other']);
    const bad = m.update(live, { ...live, metadata: { ...live.metadata, managedFields: [{ manager: 'x', operation: 'Nope' as 'Apply' }] } }, 'editor');
    expect(bad.metadata.managedFields?.map((e) => e.manager)).toEqual(['creator']);
  });

  it('merges the oldest Update entries into ancient-changes beyond 10 (capmanagers)', () => {
    const m = fm();
    let live = stored(m.update(undefined, flunder({ config: { k0: 'v' } }), 'manager-0'));
    for (let i = 1; i < 12; i++) {
      live = stored(m.update(live, { ...live, spec: { config: { ...((live as Obj).spec!.config as object), [`k${i}`]: 'v' } } }, `manager-${i}`));
    }
    const managers = live.metadata.managedFields!.map((e) => e.manager);
    expect(managers).toHaveLength(10);
    expect(managers).toContain('ancient-changes');
    expect(managers).not.toContain('manager-0');
    expect(managers).not.toContain('manager-1');
    expect(managers).not.toContain('manager-2');
    expect(entry(live, 'ancient-changes')?.fieldsV1).toEqual({ 'f:spec': { '.': {}, 'f:config': { '.': {}, 'f:k0': {}, 'f:k1': {}, 'f:k2': {} } } });
  });

  it('records a status update with its subresource and without the spec (reset fields)', () => {
    const live = stored(fm().update(undefined, flunder({ reference: 'x' }), 'creator'));
    const updated = fm('v1beta1', 'status').update(live, { ...live, spec: { reference: 'y' }, status: { phase: 'Ready' } }, 'controller');
    expect(entry(updated, 'controller')).toMatchObject({ subresource: 'status', fieldsV1: { 'f:status': { '.': {}, 'f:phase': {} } } });
    expect(entry(updated, 'creator')).toBeDefined();
  });

  it('keeps the live entries when an update fails (updateNoErrors)', () => {
    const m = fm();
    const live = stored(m.update(undefined, flunder({ reference: 'x' }), 'creator'));
    const broken = { ...live, spec: { reference: 7 } };
    expect(() => m.update(live, broken, 'editor')).toThrow(/expected string/);
    expect(m.updateNoErrors(live, broken, 'editor').metadata.managedFields).toEqual(live.metadata.managedFields);
  });
});

describe('FieldManager.apply (server-side apply)', () => {
  it('creates: the applier owns what it applied, Apply entries carry no apiVersion in their identity', () => {
    const obj = fm().apply(undefined, flunder({ reference: 'x', tags: ['a'] }), 'kubectl', false);
    expect(obj.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: V1BETA1,
        time: '2026-01-02T03:04:06Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:reference': {}, 'f:tags': { 'v:"a"': {} } } },
      },
    ]);
    expect((obj as Obj).spec).toEqual({ reference: 'x', tags: ['a'] });
  });

  it('conflicts with another manager on a field it would change: 409 worded as Go, with FieldManagerConflict causes', () => {
    const m = fm();
    const live = stored(m.apply(undefined, flunder({ reference: 'x', replicas: 1 }), 'alice', false));
    const err = conflictOf(() => m.apply(live, flunder({ reference: 'y' }), 'bob', false));
    expect(err.status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "alice": .spec.reference',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.reference' }] },
    });
  });

  it('words conflicts with updaters and several managers as Go does', () => {
    const m = fm();
    const created = stored(m.update(undefined, flunder({ reference: 'x', replicas: 1 }), 'kubectl-edit'));
    const live = stored(m.apply(created, flunder({ replicas: 1, args: ['a'] }), 'alice', false));
    const err = conflictOf(() => m.apply(live, flunder({ reference: 'y', replicas: 2 }), 'bob', false));
    expect(err.status.message).toBe(
      'Apply failed with 3 conflicts: conflicts with "alice":\n- .spec.replicas\nconflicts with "kubectl-edit" using wardle.example.com/v1beta1:\n- .spec.reference\n- .spec.replicas',
    );
    expect(err.status.details?.causes).toHaveLength(3);
  });

  it('applying the same value as another manager shares the field; force takes it over', () => {
    const m = fm();
    const live = stored(m.apply(undefined, flunder({ reference: 'x', replicas: 1 }), 'alice', false));
    const shared = stored(m.apply(live, flunder({ reference: 'x' }), 'bob', false));
    expect(entry(shared, 'bob')?.fieldsV1).toEqual({ 'f:spec': { 'f:reference': {} } });
    expect(entry(shared, 'alice')?.fieldsV1).toEqual({ 'f:spec': { 'f:reference': {}, 'f:replicas': {} } });
    const forced = m.apply(shared, flunder({ reference: 'z', replicas: 3 }), 'bob', true);
    expect((forced as Obj).spec).toEqual({ reference: 'z', replicas: 3 });
    expect(entry(forced, 'alice')).toBeUndefined();
  });

  it('removes what a manager no longer applies unless another owns it', () => {
    const m = fm();
    let live = stored(m.apply(undefined, flunder({ reference: 'x', replicas: 1, tags: ['a', 'b'] }), 'alice', false));
    live = stored(m.apply(live, flunder({ tags: ['b'] }), 'bob', false));
    const after = m.apply(live, flunder({ reference: 'x' }), 'alice', false);
    expect((after as Obj).spec).toEqual({ reference: 'x', tags: ['b'] });
  });

  it('merges list maps by key (with the key default), sets by value, replaces atomic lists and maps', () => {
    const m = fm();
    let live = stored(
      m.apply(undefined, flunder({ ports: [{ port: 80, name: 'http' }], tags: ['a'], args: ['x', 'y'], selector: { a: '1', b: '2' } }), 'alice', false),
    );
    live = stored(m.apply(live, flunder({ ports: [{ port: 443, protocol: 'TCP', name: 'https' }], tags: ['b'], args: ['z'], selector: { c: '3' } }), 'bob', true));
    expect((live as Obj).spec).toEqual({
      // The result of an apply is defaulted (the key's default is then set).
      ports: [
        { port: 80, protocol: 'TCP', name: 'http' },
        { port: 443, protocol: 'TCP', name: 'https' },
      ],
      tags: ['a', 'b'],
      args: ['z'],
      selector: { c: '3' },
    });
    expect(entry(live, 'alice')?.fieldsV1).toEqual({
      'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {} } }, 'f:tags': { 'v:"a"': {} } },
    });
  });

  it('an apply that changes nothing keeps the entries and their times', () => {
    const m = fm();
    const live = stored(m.apply(undefined, flunder({ reference: 'x' }), 'alice', false));
    const again = m.apply(live, flunder({ reference: 'x' }), 'alice', false);
    expect(again.metadata.managedFields).toEqual(live.metadata.managedFields);
    expect(again.metadata.uid).toBe('u-1');
  });

  it('records the fields an object had before its first apply as before-first-apply', () => {
    const live = stored(flunder({ reference: 'x', replicas: 1 }));
    expect(conflictOf(() => fm().apply(live, flunder({ replicas: 2 }), 'alice', false)).status.message).toBe(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using wardle.example.com/v1beta1: .spec.replicas',
    );
    const applied = fm().apply(live, flunder({ replicas: 2 }), 'alice', true);
    expect(entry(applied, 'before-first-apply')).toMatchObject({ operation: 'Update', fieldsV1: { 'f:spec': { '.': {}, 'f:reference': {} } } });
    expect(entry(applied, 'alice')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });

  it('refuses a patch of another version or kind, or with managedFields (400)', () => {
    const m = fm();
    expect(conflictOf(() => m.apply(undefined, flunder({}, {}, V1ALPHA1), 'a', false)).status).toMatchObject({ code: 400, message: 'invalid object type: wardle.example.com/v1alpha1, Kind=Flunder' });
    expect(conflictOf(() => m.apply(undefined, { ...flunder({}), kind: 'Fischer' }, 'a', false)).status.message).toBe(
      'invalid object type: wardle.example.com/v1beta1, Kind=Fischer',
    );
    expect(conflictOf(() => m.apply(undefined, flunder({}, { metadata: { name: 'a', managedFields: [] } }), 'a', false)).status).toMatchObject({
      code: 400,
      message: 'metadata.managedFields must be nil',
    });
  });

  it('applies in another version: the merge happens there, the result is hub, the entry records the version', () => {
    const beta = fm();
    const alpha = fm('v1alpha1');
    let live = stored(beta.apply(undefined, flunder({ reference: 'x', replicas: 1 }), 'beta-applier', false));
    const err = conflictOf(() => alpha.apply(live, flunder({ ref: 'y' }, {}, V1ALPHA1), 'alpha-applier', false));
    expect(err.status.message).toBe('Apply failed with 1 conflict: conflict with "beta-applier": .spec.reference');
    live = stored(alpha.apply(live, flunder({ ref: 'y' }, {}, V1ALPHA1), 'alpha-applier', true));
    expect(live.apiVersion).toBe(V1BETA1);
    expect((live as Obj).spec).toEqual({ reference: 'y', replicas: 1 });
    expect(entry(live, 'alpha-applier')).toMatchObject({ apiVersion: V1ALPHA1, fieldsV1: { 'f:spec': { 'f:ref': {} } } });
    expect(entry(live, 'beta-applier')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });

  it('a status apply owns only status, the main resource apply never owns status', () => {
    const main = fm();
    const status = fm('v1beta1', 'status');
    let live = stored(main.apply(undefined, flunder({ reference: 'x' }, { status: { phase: 'Pending' } }), 'alice', false));
    expect(entry(live, 'alice')?.fieldsV1).toEqual({ 'f:spec': { 'f:reference': {} } });
    live = stored(status.apply(live, flunder({}, { status: { phase: 'Ready' } }), 'controller', false));
    expect(entry(live, 'controller')).toMatchObject({ operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': { 'f:phase': {} } } });
  });

  it("kubectl's first server-side apply after client-side applies does not conflict on what it last applied", () => {
    const m = fm();
    const lastApplied = JSON.stringify(flunder({ reference: 'x' }));
    const created = stored(
      m.update(undefined, flunder({ reference: 'x' }, { metadata: { name: 'a', namespace: 'ns', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } } }), 'kubectl-client-side-apply'),
    );
    const applied = m.apply(created, flunder({ reference: 'y' }), 'kubectl', false);
    expect((applied as Obj).spec).toEqual({ reference: 'y' });
    const annotation = applied.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
    expect(annotation).toBe('{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"a","namespace":"ns"},"spec":{"reference":"y"}}\n');
    expect(() => m.apply(created, flunder({ reference: 'y' }), 'other', false)).toThrow(StatusError);
  });

  it('sorts entries as Go: Apply before Update, then by time and manager', () => {
    const m = fm();
    let live = stored(m.update(undefined, flunder({ replicas: 1 }), 'zed'));
    live = stored(m.apply(live, flunder({ reference: 'x' }), 'bob', false));
    live = stored(m.update(live, { ...live, spec: { ...(live as Obj).spec, args: ['a'] } }, 'amy'));
    expect(live.metadata.managedFields?.map((e) => `${e.operation}:${e.manager}`)).toEqual(['Apply:bob', 'Update:zed', 'Update:amy']);
  });
});

describe('managed fields entries', () => {
  it('identifies managers as Go json.Marshal does', () => {
    expect(buildManagerIdentifier({ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: 'x', fieldsType: 'FieldsV1' })).toBe(
      '{"manager":"kubectl","operation":"Update","apiVersion":"v1"}',
    );
    expect(buildManagerIdentifier({ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', subresource: 'status' })).toBe(
      '{"manager":"kubectl","operation":"Apply","subresource":"status"}',
    );
    expect(printManager('{"manager":"kubectl","operation":"Apply","subresource":"status"}')).toBe('"kubectl" with subresource "status"');
    expect(printManager('{"manager":"m","operation":"Update","apiVersion":"v1"}')).toBe('"m" using v1');
  });

  it('refuses entries Go refuses', () => {
    expect(() => decodeManagedFields([{ manager: 'a', operation: 'Apply', fieldsType: 'FieldsV1' }])).toThrow('apiVersion must not be empty');
    expect(() => decodeManagedFields([{ manager: 'a', operation: 'Apply', apiVersion: 'v1' }])).toThrow('missing fieldsType in managed fields entry 0');
    expect(() => decodeManagedFields([{ manager: 'a', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV2' }])).toThrow('invalid fieldsType "FieldsV2" in managed fields entry 0');
    expect(() => decodeManagedFields([{ manager: 'a', apiVersion: 'v1', fieldsType: 'FieldsV1' }])).toThrow('operation must be `Apply` or `Update`');
    expect(() => decodeManagedFields([{ manager: 'a', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:a': 1 } }])).toThrow(/error decoding set/);
  });

  it('round-trips entries', () => {
    const entries: ManagedFieldsEntry[] = [
      { manager: 'a', operation: 'Apply', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:x': {} } } },
      { manager: 'b', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:y': {} } }, subresource: 'status' },
    ];
    expect(encodeManagedFields(decodeManagedFields(entries))).toEqual(entries);
  });
});

describe('manager names from the User-Agent (prefixFromUserAgent)', () => {
  it.each([
    ['kubectl/v1.30.0 (linux/amd64) kubernetes/abc123', 'kubectl'],
    ['kubectl-client-side-apply/v1.30.0 (linux/amd64) kubernetes/abc123', 'kubectl-client-side-apply'],
    ['Go-http-client/2.0', 'Go-http-client'],
    ['', ''],
    ['a\u0000b\tc/1', 'abc'],
    ['x'.repeat(200), 'x'.repeat(128)],
  ])('%j → %j', (ua, manager) => {
    expect(prefixFromUserAgent(ua)).toBe(manager);
  });

  it('prefers the fieldManager parameter', () => {
    expect(managerOrUserAgent('mine', 'kubectl/v1')).toBe('mine');
    expect(managerOrUserAgent(undefined, 'kubectl/v1')).toBe('kubectl');
  });
});
