/**
 * RFC 6902 JSON Patch as MutatingAdmissionPolicy applies it: gopkg.in/evanphx/json-patch.v4
 * (Patch.Apply), with its semantics where they differ from the RFC's letter (a missing object key
 * reads as null, so `replace` of one adds it; negative array indexes count from the end; a JSON
 * null on the way is a missing path) and its error texts. A failed `test` is TestFailed: the
 * mutation then leaves the object as it was.
 */
import { deepCopy, deepEqual, isPlainObject } from '@kapi/apimachinery';

export interface JsonPatchOperation {
  op: string;
  path: string;
  from?: string;
  /** Absent: the operation has no value (null where one is used). */
  value?: unknown;
}

export class TestFailed extends Error {}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

type Json = unknown;
type Container = { kind: 'doc'; value: Record<string, Json> } | { kind: 'array'; value: Json[] };

const decodeKey = (key: string): string => key.replace(/~1/g, '/').replace(/~0/g, '~');

/** strconv.Atoi, with its error text. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

const invalidIndex = (idx: number): Error => new Error(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);

/** A holder of the document's root, which `replace` of "" replaces. */
interface Root {
  doc: Json;
}

function containerOf(value: Json): Container | undefined {
  if (Array.isArray(value)) return { kind: 'array', value };
  if (isPlainObject(value)) return { kind: 'doc', value };
  return undefined;
}

function get(c: Container, key: string): Json | undefined {
  if (c.kind === 'doc') return Object.hasOwn(c.value, key) ? c.value[key] : undefined;
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -c.value.length) throw invalidIndex(idx);
    idx += c.value.length;
  }
  if (idx >= c.value.length) throw invalidIndex(idx);
  return c.value[idx];
}

function add(c: Container, key: string, val: Json): void {
  if (c.kind === 'doc') {
    c.value[key] = val;
    return;
  }
  if (key === '-') {
    c.value.push(val);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (err) {
    throw new Error(`value was not a proper array index: '${key}': ${(err as Error).message}`);
  }
  const size = c.value.length + 1;
  if (idx >= size) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -size) throw invalidIndex(idx);
    idx += size;
  }
  c.value.splice(idx, 0, val);
}

function set(c: Container, key: string, val: Json): void {
  if (c.kind === 'doc') {
    c.value[key] = val;
    return;
  }
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -c.value.length) throw invalidIndex(idx);
    idx += c.value.length;
  }
  c.value[idx] = val;
}

function remove(c: Container, key: string): void {
  if (c.kind === 'doc') {
    if (!Object.hasOwn(c.value, key)) throw new Error(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
    delete c.value[key];
    return;
  }
  let idx = atoi(key);
  if (idx >= c.value.length) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -c.value.length) throw invalidIndex(idx);
    idx += c.value.length;
  }
  c.value.splice(idx, 1);
}

/** findObject: the container of the path's last segment, and that segment; undefined when the path does not lead to one. */
function findObject(root: Root, path: string): { container: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let current = containerOf(root.doc);
  if (!current) return undefined;
  for (const part of split.slice(1, -1)) {
    let next: Json | undefined;
    try {
      next = get(current, decodeKey(part));
    } catch {
      return undefined;
    }
    if (next === undefined || next === null) return undefined;
    const found = containerOf(next);
    if (!found) return undefined;
    current = found;
  }
  return { container: current, key: decodeKey(split[split.length - 1]!) };
}

const valueOf = (op: JsonPatchOperation): Json => (Object.hasOwn(op, 'value') ? deepCopy(op.value) : null);

function applyOne(root: Root, op: JsonPatchOperation): void {
  const { path } = op;
  switch (op.op) {
    case 'add': {
      const found = findObject(root, path);
      if (!found) throw new Error(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      try {
        add(found.container, found.key, valueOf(op));
      } catch (err) {
        throw new Error(`error in add for path: '${path}': ${(err as Error).message}`);
      }
      return;
    }
    case 'remove': {
      const found = findObject(root, path);
      if (!found) throw new Error(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      try {
        remove(found.container, found.key);
      } catch (err) {
        throw new Error(`error in remove for path: '${path}': ${(err as Error).message}`);
      }
      return;
    }
    case 'replace': {
      if (path === '') {
        const val = valueOf(op);
        if (!Array.isArray(val) && !isPlainObject(val)) throw new Error('replace operation value must be object or array: %!w(<nil>)');
        root.doc = val;
        return;
      }
      const found = findObject(root, path);
      if (!found) throw new Error(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      try {
        get(found.container, found.key);
      } catch {
        throw new Error(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
      }
      try {
        set(found.container, found.key, valueOf(op));
      } catch (err) {
        throw new Error(`error in remove for path: '${path}': ${(err as Error).message}`);
      }
      return;
    }
    case 'move': {
      if (op.from === undefined) throw new Error(`move operation failed to decode from: operation, missing from field: ${MISSING}`);
      const source = findObject(root, op.from);
      if (!source) throw new Error(`move operation does not apply: doc is missing from path: ${op.from}: ${MISSING}`);
      let val: Json;
      try {
        val = get(source.container, source.key);
        remove(source.container, source.key);
      } catch (err) {
        throw new Error(`error in move for path: '${source.key}': ${(err as Error).message}`);
      }
      const target = findObject(root, path);
      if (!target) throw new Error(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      try {
        add(target.container, target.key, val ?? null);
      } catch (err) {
        throw new Error(`error in move for path: '${path}': ${(err as Error).message}`);
      }
      return;
    }
    case 'copy': {
      if (op.from === undefined) throw new Error(`copy operation failed to decode from: operation, missing from field: ${MISSING}`);
      const source = findObject(root, op.from);
      if (!source) throw new Error(`copy operation does not apply: doc is missing from path: ${op.from}: ${MISSING}`);
      let val: Json;
      try {
        val = get(source.container, source.key);
      } catch (err) {
        throw new Error(`error in copy for from: '${op.from}': ${(err as Error).message}`);
      }
      const target = findObject(root, path);
      if (!target) throw new Error(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      try {
        add(target.container, target.key, deepCopy(val ?? null));
      } catch (err) {
        throw new Error(`error while adding value during copy: ${(err as Error).message}`);
      }
      return;
    }
    case 'test': {
      if (path === '') {
        if (deepEqual(root.doc, valueOf(op))) return;
        throw new TestFailed(`testing value ${path} failed: test failed`);
      }
      const found = findObject(root, path);
      if (!found) throw new Error(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
      let val: Json;
      try {
        val = get(found.container, found.key);
      } catch (err) {
        throw new Error(`error in test for path: '${path}': ${(err as Error).message}`);
      }
      const expected = valueOf(op);
      if ((val === undefined || val === null) && expected === null) return;
      if (val !== undefined && deepEqual(val, expected)) return;
      throw new TestFailed(`testing value ${path} failed: test failed`);
    }
    default:
      throw new Error(`Unexpected kind: ${op.op}`);
  }
}

/** The patched copy of `doc`; throws Go's error (TestFailed for a failed test). */
export function applyJsonPatch(doc: Json, operations: readonly JsonPatchOperation[]): Json {
  const root: Root = { doc: deepCopy(doc) };
  for (const op of operations) applyOne(root, op);
  return root.doc;
}
