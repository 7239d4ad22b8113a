/**
 * FieldsV1, the wire form of a field set in managedFields (fieldpath serialize.go, serialize-pe.go):
 * `{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}`, with `f:` field names, `k:` list-map keys as
 * JSON objects, `v:` set values as JSON, `i:` indexes, and `.` marking a path that is owned itself
 * and also has owned children. Written byte for byte as Go writes it (keys in the set's order,
 * json-iterator's escaping), read back from the JSON text or from the parsed object.
 */
import { FieldSet, compareElements, sortKeyFields, type KeyField, type PathElement } from './fieldpath.js';
import { isMap, jsonString, toGoJSON } from './value.js';

/** serializePathElement: the FieldsV1 key of one element. */
export function serializePathElement(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `f:${pe.name}`;
    case 'key':
      return `k:{${pe.fields.map((f) => `${jsonString(f.name)}:${toGoJSON(f.value)}`).join(',')}}`;
    case 'value':
      return `v:${toGoJSON(pe.value)}`;
    case 'index':
      return `i:${pe.index}`;
  }
}

export class UnknownPathElementTypeError extends Error {
  constructor() {
    super('unknown path element type');
  }
}

/** DeserializePathElement: throws on a malformed key; UnknownPathElementTypeError for an unknown prefix. */
export function deserializePathElement(s: string): PathElement {
  if (s.length < 2) throw new Error('key must be 2 characters long:');
  if (s[1] !== ':') throw new Error(`missing colon: ${s}`);
  const rest = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { kind: 'field', name: rest };
    case 'v':
      return { kind: 'value', value: JSON.parse(rest) as unknown };
    case 'k': {
      const obj = JSON.parse(rest) as unknown;
      if (!isMap(obj)) throw new Error(`ReadObjectCB: expect { or n, but found ${rest[0] ?? ''}`);
      const fields: KeyField[] = Object.entries(obj).map(([name, value]) => ({ name, value }));
      return { kind: 'key', fields: sortKeyFields(fields) };
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(rest)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(rest)}: invalid syntax`);
      return { kind: 'index', index: Number(rest) };
    }
    default:
      throw new UnknownPathElementTypeError();
  }
}

/** Set.ToJSON: the exact bytes Go writes. */
export function setToJSON(s: FieldSet): string {
  const out: string[] = [];
  emit(s, false, out);
  return `{${out.join('')}}`;
}

function emit(s: FieldSet, includeSelf: boolean, out: string[]): void {
  let first = true;
  const pre = (): void => {
    if (first) first = false;
    else out.push(',');
  };
  const m = s.members.members;
  const ch = s.children.members;
  if (includeSelf && !(m.length === 0 && ch.length === 0)) {
    pre();
    out.push('".":{}');
  }
  let mi = 0;
  let ci = 0;
  const child = (i: number, self: boolean): void => {
    pre();
    out.push(jsonString(serializePathElement(ch[i].pe)), ':{');
    emit(ch[i].set, self, out);
    out.push('}');
  };
  while (mi < m.length && ci < ch.length) {
    const c = compareElements(m[mi], ch[ci].pe);
    if (c < 0) {
      pre();
      out.push(jsonString(serializePathElement(m[mi])), ':{}');
      mi++;
    } else if (c > 0) {
      child(ci, false);
      ci++;
    } else {
      child(ci, true);
      mi++;
      ci++;
    }
  }
  for (; mi < m.length; mi++) {
    pre();
    out.push(jsonString(serializePathElement(m[mi])), ':{}');
  }
  for (; ci < ch.length; ci++) child(ci, false);
}

/** The FieldsV1 of a set as a parsed JSON object (what metadata.managedFields[].fieldsV1 holds). */
export function setToFieldsV1(s: FieldSet): Record<string, unknown> {
  return toObject(s, false);
}

/** emit, building the parsed object instead of its text (the same keys in the same order). */
function toObject(s: FieldSet, includeSelf: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const m = s.members.members;
  const ch = s.children.members;
  if (includeSelf && !(m.length === 0 && ch.length === 0)) out['.'] = {};
  let mi = 0;
  let ci = 0;
  while (mi < m.length && ci < ch.length) {
    const c = compareElements(m[mi], ch[ci].pe);
    if (c < 0) out[serializePathElement(m[mi++])] = {};
    else {
      out[serializePathElement(ch[ci].pe)] = toObject(ch[ci].set, c === 0);
      if (c === 0) mi++;
      ci++;
    }
  }
  for (; mi < m.length; mi++) out[serializePathElement(m[mi])] = {};
  for (; ci < ch.length; ci++) out[serializePathElement(ch[ci].pe)] = toObject(ch[ci].set, false);
  return out;
}

/** Set.FromJSON of FieldsV1 text. */
export function setFromJSON(json: string): FieldSet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new Error(`managedFields parsing: ${(err as Error).message}`);
  }
  return setFromFieldsV1(parsed);
}

/** The set a parsed FieldsV1 object describes (readIterV1); throws when it is malformed. */
export function setFromFieldsV1(fields: unknown): FieldSet {
  if (fields === null) return new FieldSet();
  if (!isMap(fields)) throw new Error('ReadMapCB: expect { or n');
  return readV1(fields).children ?? new FieldSet();
}

function readV1(obj: Record<string, unknown>): { children: FieldSet | undefined; isMember: boolean } {
  let children: FieldSet | undefined;
  let isMember = false;
  for (const [key, val] of Object.entries(obj)) {
    if (key === '.') {
      isMember = true;
      continue;
    }
    let pe: PathElement;
    try {
      pe = deserializePathElement(key);
    } catch (err) {
      if (err instanceof UnknownPathElementTypeError) continue;
      throw new Error(`parsing key as path element: ${(err as Error).message}`);
    }
    let grand: FieldSet | undefined;
    let childIsMember: boolean;
    if (val === null) {
      grand = undefined;
      childIsMember = true;
    } else if (isMap(val)) {
      ({ children: grand, isMember: childIsMember } = readV1(val));
    } else {
      throw new Error('ReadMapCB: expect { or n');
    }
    if (childIsMember) {
      children ??= new FieldSet();
      const m = children.members.members;
      if (m.length === 0 || compareElements(m[m.length - 1], pe) < 0) m.push(pe);
      else children.members.insert(pe);
    }
    if (grand) {
      children ??= new FieldSet();
      const c = children.children.members;
      if (c.length === 0 || compareElements(c[c.length - 1].pe, pe) < 0) c.push({ pe, set: grand });
      else {
        const target = children.children.descend(pe);
        target.members = grand.members;
        target.children = grand.children;
      }
    }
  }
  if (!children) isMember = true;
  return { children, isMember };
}
