/**
 * The ObjectMeta checks every kind gets on create and update
 * (k8s.io/apimachinery/pkg/api/validation/objectmeta.go), as field errors.
 */
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  newBadRequest,
  type FieldError,
  type ObjectMeta,
  deepEqual,
} from '@kapi/apimachinery';
import { formatValue } from '../scheme/schema-validator.js';

/** Total bytes of annotation keys and values an object may carry (TotalAnnotationSizeLimitB). */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${formatValue(value)}: ${detail}`,
});

/** A name must be a DNS-1123 subdomain that can also be a URL path segment. */
export function validateObjectName(name: string): string[] {
  return [...isValidPathSegmentName(name), ...isDNS1123Subdomain(name)];
}

/** The generateName prefix is checked as a name with a (stand-in) suffix appended. */
function validateGenerateName(prefix: string): string[] {
  return [...isValidPathSegmentName(prefix), ...isDNS1123Subdomain(`${prefix}x`)];
}

export function validateObjectMeta(meta: ObjectMeta, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.generateName) {
    for (const msg of validateGenerateName(meta.generateName)) errs.push(invalid('metadata.generateName', meta.generateName, msg));
  }
  if (!meta.name) {
    errs.push({ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  } else {
    for (const msg of validateObjectName(meta.name)) errs.push(invalid('metadata.name', meta.name, msg));
  }
  if (namespaced) {
    if (!meta.namespace) errs.push({ type: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' });
    else for (const msg of isDNS1123Label(meta.namespace)) errs.push(invalid('metadata.namespace', meta.namespace, msg));
  } else if (meta.namespace) {
    errs.push({ type: 'FieldValueForbidden', field: 'metadata.namespace', message: 'Forbidden: not allowed on this type' });
  }
  if (meta.generation !== undefined && meta.generation < 0) {
    errs.push(invalid('metadata.generation', meta.generation, 'must be greater than or equal to 0'));
  }
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    for (const msg of isQualifiedName(key)) errs.push(invalid('metadata.labels', key, msg));
    for (const msg of isValidLabelValue(value)) errs.push(invalid('metadata.labels', value, msg));
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(invalid('metadata.annotations', key, msg));
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (annotationBytes > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push({ type: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
  }
  (meta.finalizers ?? []).forEach((finalizer, i) => {
    for (const msg of isQualifiedName(finalizer)) errs.push(invalid(`metadata.finalizers[${i}]`, finalizer, msg));
  });
  return errs;
}

/** Go's %#v of a []string, as the finalizer error message prints it. */
function goStringSlice(values: string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

const IMMUTABLE_FIELDS = ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;

export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta, namespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(meta, namespaced);
  for (const field of IMMUTABLE_FIELDS) {
    if (!deepEqual(meta[field], old[field])) errs.push(invalid(`metadata.${field}`, meta[field] ?? '', 'field is immutable'));
  }
  if (old.deletionTimestamp) {
    const known = new Set(old.finalizers ?? []);
    const added = [...new Set((meta.finalizers ?? []).filter((f) => !known.has(f)))].sort();
    if (added.length > 0) {
      errs.push({
        type: 'FieldValueForbidden',
        field: 'metadata.finalizers',
        message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}`,
      });
    }
  }
  return errs;
}

/**
 * The namespace an object is written in: the request's (rest.EnsureObjectNamespaceMatchesRequestNamespace).
 * An object naming another namespace is a 400; cluster-scoped objects lose any namespace they carry.
 */
export function ensureNamespaceMatchesRequest(meta: ObjectMeta, namespaced: boolean, requestNamespace: string | undefined): void {
  if (!namespaced) {
    delete meta.namespace;
    return;
  }
  if (!requestNamespace) throw newBadRequest('Namespace parameter required.');
  if (meta.namespace && meta.namespace !== requestNamespace) {
    throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  meta.namespace = requestNamespace;
}
