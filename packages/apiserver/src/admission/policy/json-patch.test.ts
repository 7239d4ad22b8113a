/** JSON Patch with gopkg.in/evanphx/json-patch.v4's semantics and error texts (what MutatingAdmissionPolicy applies). */
import { TestFailed, applyJsonPatch, type JsonPatchOperation } from './json-patch.js';

const doc = { metadata: { labels: { a: '1' } }, spec: { list: [1, 2, 3], nothing: null } };
const apply = (...ops: JsonPatchOperation[]): unknown => applyJsonPatch(doc, ops);
const failure = (...ops: JsonPatchOperation[]): string => {
  try {
    applyJsonPatch(doc, ops);
  } catch (err) {
    return `${err instanceof TestFailed ? 'TestFailed: ' : ''}${(err as Error).message}`;
  }
  throw new Error('the patch applied');
};

describe('applyJsonPatch', () => {
  it('leaves its input alone and applies the operations in order', () => {
    expect(apply({ op: 'add', path: '/metadata/labels/b', value: '2' }, { op: 'copy', from: '/metadata/labels/b', path: '/metadata/labels/c' }, { op: 'move', from: '/metadata/labels/a', path: '/spec/a' })).toEqual({
      metadata: { labels: { b: '2', c: '2' } },
      spec: { list: [1, 2, 3], nothing: null, a: '1' },
    });
    expect(doc.metadata.labels).toEqual({ a: '1' });
  });

  it('reads a missing object key as null: replace adds it, test against null passes', () => {
    expect(apply({ op: 'replace', path: '/metadata/labels/b', value: '2' })).toMatchObject({ metadata: { labels: { a: '1', b: '2' } } });
    expect(apply({ op: 'test', path: '/metadata/labels/b', value: null }, { op: 'add', path: '/metadata/labels/t', value: 'ok' })).toMatchObject({ metadata: { labels: { t: 'ok' } } });
  });

  it('counts negative array indexes from the end; "-" appends to an add', () => {
    expect(apply({ op: 'remove', path: '/spec/list/-1' })).toMatchObject({ spec: { list: [1, 2] } });
    expect(apply({ op: 'add', path: '/spec/list/-1', value: 9 })).toMatchObject({ spec: { list: [1, 2, 3, 9] } });
    expect(apply({ op: 'add', path: '/spec/list/-', value: 9 })).toMatchObject({ spec: { list: [1, 2, 3, 9] } });
    expect(apply({ op: 'replace', path: '/spec/list/0', value: 0 })).toMatchObject({ spec: { list: [0, 2, 3] } });
    expect(apply({ op: 'add', path: '/spec/list/0', value: 0 })).toMatchObject({ spec: { list: [0, 1, 2, 3] } });
  });

  it('replaces the whole document at ""; decodes ~1 and ~0 in keys', () => {
    expect(apply({ op: 'replace', path: '', value: { x: 1 } })).toEqual({ x: 1 });
    expect(apply({ op: 'add', path: '/metadata/labels/k8s.io~1x~0y', value: 'true' })).toMatchObject({ metadata: { labels: { 'k8s.io/x~y': 'true' } } });
  });

  it('fails with the library\'s texts', () => {
    expect(failure({ op: 'add', path: '/spec/x/y', value: 1 })).toBe('add operation does not apply: doc is missing path: "/spec/x/y": missing value');
    expect(failure({ op: 'add', path: '/spec/nothing/y', value: 1 })).toBe('add operation does not apply: doc is missing path: "/spec/nothing/y": missing value');
    expect(failure({ op: 'remove', path: '/metadata/labels/none' })).toBe("error in remove for path: '/metadata/labels/none': Unable to remove nonexistent key: none: missing value");
    expect(failure({ op: 'remove', path: '/spec/list/5' })).toBe("error in remove for path: '/spec/list/5': Unable to access invalid index: 5: invalid index referenced");
    expect(failure({ op: 'add', path: '/spec/list/x', value: 1 })).toBe(`error in add for path: '/spec/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax`);
    expect(failure({ op: 'replace', path: '/spec/list/-', value: 1 })).toBe('replace operation does not apply: doc is missing key: /spec/list/-: missing value');
    expect(failure({ op: 'replace', path: '/x/y', value: 1 })).toBe('replace operation does not apply: doc is missing path: /x/y: missing value');
    expect(failure({ op: 'move', from: '/x/y', path: '/a' })).toBe('move operation does not apply: doc is missing from path: /x/y: missing value');
    expect(failure({ op: 'copy', from: '/spec/list', path: '/x/y' })).toBe('copy operation does not apply: doc is missing destination path: /x/y: missing value');
    expect(failure({ op: 'test', path: '/x/y', value: 1 })).toBe('test operation does not apply: is missing path: /x/y: missing value');
    expect(failure({ op: 'frobnicate', path: '/x' })).toBe('Unexpected kind: frobnicate');
  });

  it('a failed test is TestFailed (the mutation then leaves the object as it was)', () => {
    expect(failure({ op: 'test', path: '/metadata/labels/a', value: '2' })).toBe('TestFailed: testing value /metadata/labels/a failed: test failed');
    expect(failure({ op: 'test', path: '', value: {} })).toBe('TestFailed: testing value  failed: test failed');
    expect(apply({ op: 'test', path: '/spec/list', value: [1, 2, 3] })).toEqual(doc);
  });
});
