/**
 * metadata.managedFields ⇄ the managers' field sets (k8s.io/apimachinery/pkg/util/managedfields/
 * internal managedfields.go, fields.go, conflict.go): a manager is identified by its entry without
 * time and fields (and, for Apply, without apiVersion) written as Go's json.Marshal writes it;
 * entries are written back sorted as Go sorts them (Apply before Update, then by time, manager,
 * apiVersion and subresource).
 */
import { rfc3339, StatusError, type ManagedFieldsEntry, type StatusCause } from '@kapi/apimachinery';
import type { Conflicts } from './conflict.js';
import { pathString, versionedSet, type ManagedFields, type Path } from './fieldpath.js';
import { setFromFieldsV1, setToFieldsV1 } from './fieldsv1.js';
import { compareStrings, goQuote, isMap, jsonString } from './value.js';

/** The decoded managedFields: each manager's set, and the time of its last change. */
export interface Managed {
  fields: ManagedFields;
  times: Map<string, string | undefined>;
}

export const emptyManaged = (): Managed => ({ fields: new Map(), times: new Map() });

/** Go's json.Marshal of a ManagedFieldsEntry (field order and omitempty as metav1's struct). */
function marshalEntry(e: ManagedFieldsEntry): string {
  const parts: string[] = [];
  if (e.manager) parts.push(`"manager":${jsonString(e.manager)}`);
  if (e.operation) parts.push(`"operation":${jsonString(e.operation)}`);
  if (e.apiVersion) parts.push(`"apiVersion":${jsonString(e.apiVersion)}`);
  if (e.time) parts.push(`"time":${jsonString(e.time)}`);
  if (e.fieldsType) parts.push(`"fieldsType":${jsonString(e.fieldsType)}`);
  if (e.subresource) parts.push(`"subresource":${jsonString(e.subresource)}`);
  return `{${parts.join(',')}}`;
}

/** BuildManagerIdentifier: e.g. {"manager":"kubectl","operation":"Update","apiVersion":"v1"}. */
export function buildManagerIdentifier(entry: ManagedFieldsEntry): string {
  return marshalEntry({
    manager: entry.manager,
    operation: entry.operation,
    apiVersion: entry.operation === 'Apply' ? undefined : entry.apiVersion,
    subresource: entry.subresource,
  });
}

function parseIdentifier(manager: string): ManagedFieldsEntry | undefined {
  try {
    const e = JSON.parse(manager) as unknown;
    return isMap(e) ? (e as ManagedFieldsEntry) : undefined;
  } catch {
    return undefined;
  }
}

/** DecodeManagedFields: throws on an entry Go refuses (bad operation, no apiVersion, fieldsType, malformed fieldsV1). */
export function decodeManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): Managed {
  const managed = emptyManaged();
  (entries ?? []).forEach((entry, i) => {
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (!entry.apiVersion) throw new Error('apiVersion must not be empty');
    if (entry.fieldsType !== 'FieldsV1') {
      if (!entry.fieldsType) throw new Error(`missing fieldsType in managed fields entry ${i}`);
      throw new Error(`invalid fieldsType ${JSON.stringify(entry.fieldsType)} in managed fields entry ${i}`);
    }
    const manager = buildManagerIdentifier(entry);
    let set;
    try {
      set = setFromFieldsV1(entry.fieldsV1 ?? {});
    } catch (err) {
      throw new Error(`error decoding versioned set from ${marshalEntry(entry)}: error decoding set: ${(err as Error).message}`);
    }
    managed.fields.set(manager, versionedSet(set, entry.apiVersion, entry.operation === 'Apply'));
    managed.times.set(manager, entry.time ?? undefined);
  });
  return managed;
}

const unixSeconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);

/** encodeManagedFields: the entries, sorted; undefined when there are none (the field is left out). */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.fields.size === 0) return undefined;
  const entries: ManagedFieldsEntry[] = [];
  for (const [manager, vs] of managed.fields) {
    const id = parseIdentifier(manager);
    if (!id) throw new Error(`error encoding versioned set for ${manager}: error unmarshalling manager identifier`);
    const operation = vs.applied ? 'Apply' : id.operation;
    const time = managed.times.get(manager);
    // The key order of Go's ManagedFieldsEntry.
    const entry: ManagedFieldsEntry = {};
    if (id.manager) entry.manager = id.manager;
    if (operation) entry.operation = operation;
    entry.apiVersion = vs.apiVersion;
    if (time) entry.time = time;
    entry.fieldsType = 'FieldsV1';
    entry.fieldsV1 = setToFieldsV1(vs.set);
    if (id.subresource) entry.subresource = id.subresource;
    entries.push(entry);
  }
  return entries.sort((p, q) => {
    if (p.operation !== q.operation) return compareStrings(p.operation ?? '', q.operation ?? '');
    const ps = unixSeconds(p.time);
    const qs = unixSeconds(q.time);
    if (ps !== qs) return ps < qs ? -1 : 1;
    if (p.manager !== q.manager) return compareStrings(p.manager ?? '', q.manager ?? '');
    if (p.apiVersion !== q.apiVersion) return compareStrings(p.apiVersion ?? '', q.apiVersion ?? '');
    return compareStrings(p.subresource ?? '', q.subresource ?? '');
  });
}

/** isResetManagedFields: `managedFields: []` or `[{}]` in a request clears them. */
export function isResetManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): boolean {
  if (entries === undefined || entries === null) return false;
  if (entries.length === 0) return true;
  if (entries.length === 1) return Object.values(entries[0]).every((v) => v === undefined || v === null || v === '');
  return false;
}

/** ValidateManagedFields: undefined when the entries decode, else Go's error text. */
export function validateManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): string | undefined {
  try {
    decodeManagedFields(entries);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** printManager: `"kubectl"`, `"kubectl" with subresource "status"`, `"x" using v1`. */
export function printManager(manager: string): string {
  const e = parseIdentifier(manager);
  if (!e) return goQuote(manager);
  let s = goQuote(e.manager ?? '');
  if (e.subresource) s = `${s} with subresource ${goQuote(e.subresource)}`;
  if (e.operation === 'Update') {
    if (!e.time) return `${s} using ${e.apiVersion ?? ''}`;
    return `${s} using ${e.apiVersion ?? ''} at ${rfc3339(new Date(e.time))}`;
  }
  return s;
}

/** NewConflictError: 409 Conflict with a FieldManagerConflict cause per conflict, worded as Go's. */
export function newApplyConflictError(conflicts: Conflicts): StatusError {
  const list = conflicts.conflicts;
  const causes: StatusCause[] = list.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (list.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(list[0].manager)}: ${pathString(list[0].path)}`;
  } else {
    const byManager = new Map<string, Path[]>();
    for (const c of list) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
    const messages: string[] = [];
    for (const manager of [...byManager.keys()].sort(compareStrings)) {
      messages.push(`conflicts with ${printManager(manager)}:`);
      for (const p of byManager.get(manager) ?? []) messages.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${list.length} conflicts: ${messages.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}
