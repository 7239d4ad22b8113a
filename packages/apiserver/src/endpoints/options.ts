/**
 * Query parameters → the registry's option types, validated as
 * k8s.io/apimachinery/pkg/apis/meta/{v1,internalversion}/validation do it (422 Invalid on the
 * options kind, group meta.k8s.io; 400 when a value does not even parse).
 */
import { newBadRequest, newInvalid, type FieldError } from '@kapi/apimachinery';
import type {
  ApiDeleteOptions,
  ApiGetOptions,
  ApiListOptions,
  WriteOptions,
} from '../registry/rest.js';
import type { FieldValidation } from '../scheme/scheme-like.js';
import { queryBool } from '../http/request-info.js';

export const FIELD_MANAGER_MAX_LENGTH = 128;
const META_GROUP = 'meta.k8s.io';

function optionalInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^[+-]?\d+$/.test(value)) throw newBadRequest(`invalid value for ${name}: strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
}

function optionalString(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
}

function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
}

function notSupported(field: string, value: unknown, supported: string[]): FieldError {
  return {
    type: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  };
}

function throwIfInvalid(kind: string, errs: FieldError[]): void {
  if (errs.length > 0) throw newInvalid(META_GROUP, kind, '', errs);
}

/** ListOptions for list and watch (ValidateListOptions / validateWatchOptions). */
export function parseListOptions(query: URLSearchParams, watch: boolean): ApiListOptions {
  const opts: ApiListOptions = {};
  const labelSelector = optionalString(query, 'labelSelector');
  const fieldSelector = optionalString(query, 'fieldSelector');
  const limit = optionalInt(query, 'limit');
  const cont = optionalString(query, 'continue');
  const resourceVersion = optionalString(query, 'resourceVersion');
  const match = optionalString(query, 'resourceVersionMatch');
  const allowWatchBookmarks = queryBool(query, 'allowWatchBookmarks');
  const sendInitialEvents = queryBool(query, 'sendInitialEvents');
  const timeoutSeconds = optionalInt(query, 'timeoutSeconds');

  const errs: FieldError[] = [];
  if (watch) {
    if (sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
    if (match !== undefined) {
      if (sendInitialEvents === undefined) {
        errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      }
      if (match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (cont !== undefined) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match !== undefined) {
      if (resourceVersion === undefined) {
        errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      }
      if (cont !== undefined) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && resourceVersion === '0') {
        errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
      }
    }
    if (sendInitialEvents !== undefined) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  throwIfInvalid('ListOptions', errs);

  if (labelSelector !== undefined) opts.labelSelector = labelSelector;
  if (fieldSelector !== undefined) opts.fieldSelector = fieldSelector;
  if (limit !== undefined) opts.limit = limit;
  if (cont !== undefined) opts.continue = cont;
  if (resourceVersion !== undefined) opts.resourceVersion = resourceVersion;
  if (match === 'Exact' || match === 'NotOlderThan') opts.resourceVersionMatch = match;
  if (allowWatchBookmarks !== undefined) opts.allowWatchBookmarks = allowWatchBookmarks;
  if (sendInitialEvents !== undefined) opts.sendInitialEvents = sendInitialEvents;
  if (timeoutSeconds !== undefined) opts.timeoutSeconds = timeoutSeconds;
  return opts;
}

export function parseGetOptions(query: URLSearchParams): ApiGetOptions {
  const resourceVersion = optionalString(query, 'resourceVersion');
  return resourceVersion !== undefined ? { resourceVersion } : {};
}

export interface ParsedWriteOptions extends WriteOptions {
  fieldValidation: FieldValidation;
  /** Only meaningful for apply patches. */
  force?: boolean;
}

type WriteOptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

function dryRunErrors(values: string[]): FieldError[] {
  return values.every((v) => v === 'All') ? [] : [notSupported('dryRun', values, ['All'])];
}

function fieldManagerErrors(fieldManager: string | undefined): FieldError[] {
  if (fieldManager === undefined) return [];
  const errs: FieldError[] = [];
  if (fieldManager.length > FIELD_MANAGER_MAX_LENGTH) {
    errs.push({ type: 'FieldValueTooLong', field: 'fieldManager', message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  }
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u001f\u007f-\u009f]/.exec(fieldManager);
  if (bad) {
    errs.push({
      type: 'FieldValueInvalid',
      field: 'fieldManager',
      message: `Invalid value: ${JSON.stringify(fieldManager)}: invalid character at position ${bad.index}`,
    });
  }
  return errs;
}

/** CreateOptions / UpdateOptions / PatchOptions from the query. */
export function parseWriteOptions(query: URLSearchParams, kind: Exclude<WriteOptionsKind, 'DeleteOptions'>, isApply = false): ParsedWriteOptions {
  const dryRun = query.getAll('dryRun').filter((v) => v !== '');
  const fieldManager = optionalString(query, 'fieldManager');
  const fieldValidation = optionalString(query, 'fieldValidation') ?? 'Warn';
  const force = queryBool(query, 'force');

  const errs: FieldError[] = [];
  if (kind === 'PatchOptions') {
    if (isApply && fieldManager === undefined) {
      errs.push({ type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' });
    }
    if (!isApply && force !== undefined) errs.push(forbidden('force', 'may not be specified for non-apply patch'));
  }
  errs.push(...fieldManagerErrors(fieldManager), ...dryRunErrors(dryRun));
  if (!['Ignore', 'Warn', 'Strict'].includes(fieldValidation)) {
    errs.push(notSupported('fieldValidation', fieldValidation, ['', 'Ignore', 'Strict', 'Warn']));
  }
  throwIfInvalid(kind, errs);

  const opts: ParsedWriteOptions = { fieldValidation: fieldValidation as FieldValidation };
  if (dryRun.length > 0) opts.dryRun = true;
  if (fieldManager !== undefined) opts.fieldManager = fieldManager;
  if (force !== undefined) opts.force = force;
  return opts;
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'] as const;

/** The fields of a metav1.DeleteOptions we honour, from a body or from the query. */
interface RawDeleteOptions {
  dryRun?: unknown;
  gracePeriodSeconds?: unknown;
  propagationPolicy?: unknown;
  orphanDependents?: unknown;
  preconditions?: unknown;
}

function deleteOptionsFromQuery(query: URLSearchParams): RawDeleteOptions {
  const raw: RawDeleteOptions = {};
  const dryRun = query.getAll('dryRun').filter((v) => v !== '');
  if (dryRun.length > 0) raw.dryRun = dryRun;
  const grace = optionalInt(query, 'gracePeriodSeconds');
  if (grace !== undefined) raw.gracePeriodSeconds = grace;
  const policy = optionalString(query, 'propagationPolicy');
  if (policy !== undefined) raw.propagationPolicy = policy;
  const orphan = queryBool(query, 'orphanDependents');
  if (orphan !== undefined) raw.orphanDependents = orphan;
  return raw;
}

function deleteOptionsFromBody(body: unknown): RawDeleteOptions {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw newBadRequest('decoded object cannot be converted to DeleteOptions');
  }
  const obj = body as Record<string, unknown>;
  if (obj.kind !== undefined && obj.kind !== 'DeleteOptions') {
    throw newBadRequest(`decoded object cannot be converted to DeleteOptions: got kind ${String(obj.kind)}`);
  }
  return obj as RawDeleteOptions;
}

function typeError(field: string, expected: string): Error {
  return newBadRequest(`json: cannot unmarshal into Go struct field DeleteOptions.${field} of type ${expected}`);
}

export interface ParsedDeleteOptions {
  options: ApiDeleteOptions;
  /** The deprecated orphanDependents=false was given: Go then answers 202 when deletion is pending. */
  orphanDependentsFalse: boolean;
}

/**
 * DeleteOptions from the DELETE body when there is one (the query is then ignored, as in Go),
 * from the query otherwise.
 */
export function parseDeleteOptions(query: URLSearchParams, body: unknown | undefined): ParsedDeleteOptions {
  const raw = body === undefined ? deleteOptionsFromQuery(query) : deleteOptionsFromBody(body);
  const opts: ApiDeleteOptions = {};
  const errs: FieldError[] = [];

  if (raw.dryRun !== undefined) {
    if (!Array.isArray(raw.dryRun) || !raw.dryRun.every((v) => typeof v === 'string')) throw typeError('dryRun', '[]string');
    const values = raw.dryRun as string[];
    errs.push(...dryRunErrors(values));
    if (values.length > 0) opts.dryRun = true;
  }
  if (raw.gracePeriodSeconds !== undefined && raw.gracePeriodSeconds !== null) {
    if (typeof raw.gracePeriodSeconds !== 'number' || !Number.isInteger(raw.gracePeriodSeconds)) {
      throw typeError('gracePeriodSeconds', 'int64');
    }
    opts.gracePeriodSeconds = raw.gracePeriodSeconds;
  }
  if (raw.propagationPolicy !== undefined && raw.propagationPolicy !== null) {
    if (typeof raw.propagationPolicy !== 'string') throw typeError('propagationPolicy', 'DeletionPropagation');
    const policy = raw.propagationPolicy;
    if (raw.orphanDependents !== undefined && raw.orphanDependents !== null) {
      errs.push({
        type: 'FieldValueInvalid',
        field: 'propagationPolicy',
        message: `Invalid value: ${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set`,
      });
    }
    if ((PROPAGATION_POLICIES as readonly string[]).includes(policy)) {
      opts.propagationPolicy = policy as ApiDeleteOptions['propagationPolicy'];
    } else {
      errs.push(notSupported('propagationPolicy', policy, [...PROPAGATION_POLICIES, 'nil']));
    }
  } else if (typeof raw.orphanDependents === 'boolean') {
    // The deprecated flag maps onto the policy it stands for.
    opts.propagationPolicy = raw.orphanDependents ? 'Orphan' : 'Background';
  }
  if (raw.preconditions !== undefined && raw.preconditions !== null) {
    if (typeof raw.preconditions !== 'object') throw typeError('preconditions', 'Preconditions');
    const { uid, resourceVersion } = raw.preconditions as { uid?: unknown; resourceVersion?: unknown };
    const preconditions: NonNullable<ApiDeleteOptions['preconditions']> = {};
    if (typeof uid === 'string') preconditions.uid = uid;
    if (typeof resourceVersion === 'string') preconditions.resourceVersion = resourceVersion;
    opts.preconditions = preconditions;
  }
  throwIfInvalid('DeleteOptions', errs);
  return { options: opts, orphanDependentsFalse: raw.orphanDependents === false };
}
