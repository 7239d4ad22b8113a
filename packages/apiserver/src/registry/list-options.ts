/**
 * ApiListOptions → storage list/watch options: the combination rules of metav1.ListOptions
 * (apimachinery internalversion validation), selector parsing, and the fields a kind can be selected by.
 */
import {
  newBadRequest,
  newInvalid,
  parseFieldSelector,
  parseLabelSelector,
  type FieldError,
  type KubeObject,
} from '@kapi/apimachinery';
import { SelectionPredicate, type AttrFunc } from '@kapi/storage';
import type { KindDefinition } from '../scheme/kind.js';
import { formatValue } from '../scheme/schema-validator.js';
import type { ApiListOptions } from './rest.js';

const forbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
const notSupported = (field: string, value: string, supported: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${formatValue(value)}: supported values: ${supported.map((s) => formatValue(s)).join(', ')}`,
});

function listOptionErrors(opts: ApiListOptions): FieldError[] {
  const errs: FieldError[] = [];
  const match = opts.resourceVersionMatch;
  if (match) {
    if (!opts.resourceVersion) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (opts.continue) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && opts.resourceVersion === '0') {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (opts.sendInitialEvents !== undefined) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errs;
}

function watchOptionErrors(opts: ApiListOptions): FieldError[] {
  const errs: FieldError[] = [];
  const match = opts.resourceVersionMatch;
  if (opts.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
    errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
  }
  if (match) {
    if (opts.sendInitialEvents === undefined) {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    }
    if (match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
    if (opts.continue) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  return errs;
}

/** Throws 422 Invalid (kind ListOptions, group meta.k8s.io) or 400 for option combinations kube-apiserver refuses. */
export function validateListOptions(opts: ApiListOptions, watch: boolean): void {
  const errs = watch ? watchOptionErrors(opts) : listOptionErrors(opts);
  if (errs.length > 0) throw newInvalid('meta.k8s.io', 'ListOptions', '', errs);
  if (!watch && opts.continue && opts.resourceVersion && opts.resourceVersion !== '0') {
    throw newBadRequest('specifying resource version is not allowed when using continue');
  }
  if (opts.limit !== undefined && (!Number.isFinite(opts.limit) || opts.limit < 0)) {
    throw newBadRequest(`invalid limit: ${String(opts.limit)}`);
  }
}

/** Every field a field selector may name for this kind. */
export function selectableFieldNames(kind: KindDefinition): Set<string> {
  const names = new Set(['metadata.name']);
  if (kind.namespaced) names.add('metadata.namespace');
  for (const f of kind.selectableFields ?? []) names.add(f.field);
  return names;
}

/** Labels and selectable field values of an object of `kind`. */
export function attrFuncFor(kind: KindDefinition): AttrFunc {
  const extra = kind.selectableFields ?? [];
  return (obj: KubeObject) => {
    const fields: Record<string, string> = { 'metadata.name': obj.metadata.name ?? '' };
    if (kind.namespaced) fields['metadata.namespace'] = obj.metadata.namespace ?? '';
    for (const f of extra) fields[f.field] = f.value(obj);
    return { labels: obj.metadata.labels, fields };
  };
}

/** The storage predicate for a list (with paging) or a watch (without). Bad selectors are 400s. */
export function predicateFor(kind: KindDefinition, opts: ApiListOptions, watch: boolean): SelectionPredicate {
  const label = parseLabelSelector(opts.labelSelector ?? '');
  const field = parseFieldSelector(opts.fieldSelector ?? '');
  const unsupported = field.unknownFields(selectableFieldNames(kind));
  if (unsupported.length > 0) throw newBadRequest(`field label not supported: ${unsupported[0] as string}`);
  return new SelectionPredicate({
    label,
    field,
    getAttrs: attrFuncFor(kind),
    ...(watch ? {} : { limit: opts.limit, continue: opts.continue }),
  });
}
