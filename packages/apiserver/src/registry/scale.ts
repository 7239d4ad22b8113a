/**
 * The scale subresource: an autoscaling/v1 Scale view of a kind whose ScaleSubresource names the
 * replica fields (as CRD scale subresources do), and the way a Scale write lands on the object
 * (apiextensions-apiserver's customresource ScaleREST and scaleUpdatedObjectInfo): the Scale's
 * own field manager records the write on a Scale whose managedFields are the parent's owning the
 * replicas (ScaleHandler.toSubresource), and what it records goes back onto the parent's entries
 * (toParent).
 */
import {
  apiVersionOf,
  newBadRequest,
  newInternalError,
  type FieldError,
  type KubeObject,
  type ManagedFieldsEntry,
  type ObjectMeta,
  deepCopy,
  isPlainObject,
} from '@kapi/apimachinery';
import { FieldManager, SCALE_API_VERSION, ScaleHandler, makePath, type ResourcePathMappings } from '../apply/index.js';
import type { JSONSchemaProps, KindDefinition, ScaleSubresource } from '../scheme/kind.js';

export interface Scale extends KubeObject {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: ObjectMeta;
  /** replicas omitted when 0 (omitempty), as Go writes a Scale. */
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

/** ".spec.replicas" → ["spec", "replicas"]. */
export function jsonPathSegments(path: string): string[] {
  return path.replace(/^\./, '').split('.').filter((s) => s !== '');
}

export function readPath(obj: unknown, path: string): unknown {
  let node: unknown = obj;
  for (const segment of jsonPathSegments(path)) {
    if (!isPlainObject(node)) return undefined;
    node = node[segment];
  }
  return node;
}

/** Sets a value at a simple JSONPath, creating the objects on the way. */
export function writePath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const segments = jsonPathSegments(path);
  let node: Record<string, unknown> = obj;
  segments.slice(0, -1).forEach((segment) => {
    if (!isPlainObject(node[segment])) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  });
  node[segments[segments.length - 1] as string] = value;
}

function scaleOf(kind: KindDefinition): ScaleSubresource {
  const scale = kind.subresources?.scale;
  if (!scale) throw new Error(`kind ${kind.kind}.${kind.group} has no scale subresource`);
  return scale;
}

const replicasAt = (obj: KubeObject, path: string): number | undefined => {
  const value = readPath(obj, path);
  return typeof value === 'number' ? value : undefined;
};

/** autoscaling/v1 ScaleSpec and ScaleStatus as Go's typed struct writes them: zero replicas and an empty selector left out (status replicas always there). */
function scaleOfReplicas(metadata: ObjectMeta, spec: number, status: number, selector: string | undefined): Scale {
  return {
    apiVersion: SCALE_API_VERSION,
    kind: 'Scale',
    metadata,
    spec: spec !== 0 ? { replicas: spec } : {},
    status: { replicas: status, ...(selector ? { selector } : {}) },
  };
}

/** The Scale of a hub object (scaleFromCustomResource): replicas the object does not have are 0. */
export function getScale(kind: KindDefinition, obj: KubeObject): Scale {
  return scaleOfObject(kind, obj).scale;
}

/** The Scale a GET of /scale answers (ScaleREST.Get): an object without spec replicas is a 500. */
export function readScale(kind: KindDefinition, obj: KubeObject): Scale {
  const { scale, found } = scaleOfObject(kind, obj);
  if (!found) throw newInternalError(new Error(`the spec replicas field ${JSON.stringify(scaleOf(kind).specReplicasPath)} does not exist`));
  return scale;
}

const MAX_INT32 = 2147483647;

/**
 * The replicas a kind with a scale subresource must keep valid on every write (the custom
 * resource validator's ValidateScaleSpec and ValidateScaleStatus; a status write checks only
 * the status's): non-negative int32s, each error at the path as the kind names it.
 */
export function validateScaleReplicas(kind: KindDefinition, obj: KubeObject, statusOnly: boolean): FieldError[] {
  const paths = kind.subresources?.scale;
  if (!paths) return [];
  const errs: FieldError[] = [];
  const check = (path: string): void => {
    const replicas = replicasAt(obj, path);
    if (replicas === undefined) return;
    if (replicas < 0) errs.push({ type: 'FieldValueInvalid', field: path, message: `Invalid value: ${replicas}: should be a non-negative integer` });
    else if (replicas > MAX_INT32) errs.push({ type: 'FieldValueInvalid', field: path, message: `Invalid value: ${replicas}: should be less than or equal to ${MAX_INT32}` });
  };
  if (!statusOnly) check(paths.specReplicasPath);
  check(paths.statusReplicasPath);
  return errs;
}

/** The Scale of `obj`, and whether it has spec replicas. */
function scaleOfObject(kind: KindDefinition, obj: KubeObject): { scale: Scale; found: boolean } {
  const paths = scaleOf(kind);
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  const metadata: ObjectMeta = {
    ...(name ? { name } : {}),
    ...(namespace ? { namespace } : {}),
    ...(uid ? { uid } : {}),
    ...(resourceVersion ? { resourceVersion } : {}),
    ...(creationTimestamp ? { creationTimestamp } : {}),
  };
  const selector = paths.labelSelectorPath ? readPath(obj, paths.labelSelectorPath) : undefined;
  const spec = replicasAt(obj, paths.specReplicasPath);
  const scale = scaleOfReplicas(metadata, spec ?? 0, replicasAt(obj, paths.statusReplicasPath) ?? 0, typeof selector === 'string' ? selector : undefined);
  return { scale, found: spec !== undefined };
}

/**
 * The Scale of a PUT body or of a patched Scale, as Go decodes it into an autoscaling/v1 Scale:
 * replicas integers (400 otherwise), its metadata as given.
 */
export function decodeScale(body: unknown): Scale {
  if (!isPlainObject(body) || !isPlainObject(body.spec)) throw newBadRequest('the body of the request must be an autoscaling/v1 Scale');
  const integer = (value: unknown, field: string): number => {
    const n = value ?? 0;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw newBadRequest(`${field}: expected an integer, got ${JSON.stringify(n)}`);
    return n;
  };
  const status = isPlainObject(body.status) ? body.status : {};
  const metadata = isPlainObject(body.metadata) ? (body.metadata as ObjectMeta) : {};
  const selector = typeof status.selector === 'string' ? status.selector : undefined;
  return scaleOfReplicas(metadata, integer(body.spec.replicas, 'spec.replicas'), integer(status.replicas, 'status.replicas'), selector);
}

/**
 * The object after a Scale update: spec replicas set, the Scale's resourceVersion (when it has
 * one) carried over so the Store's optimistic-concurrency check applies. Never mutates `obj`.
 * The replicas are validated with the object's (validateScaleReplicas).
 */
export function updateScale(kind: KindDefinition, obj: KubeObject, scale: unknown): KubeObject {
  const paths = scaleOf(kind);
  const { spec, metadata } = decodeScale(scale);
  const updated = deepCopy(obj);
  writePath(updated, paths.specReplicasPath, spec.replicas ?? 0);
  if (metadata.resourceVersion) updated.metadata.resourceVersion = metadata.resourceVersion;
  return updated;
}

/** The smallest int32: the old Scale's replicas when the object has none (invalidSpecReplicas). */
const INVALID_SPEC_REPLICAS = -2147483648;

/** autoscaling/v1 Scale's schema, as the OpenAPI of kube-apiserver types it for the Scale's field manager. */
const SCALE_SCHEMA: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } },
    status: { type: 'object', required: ['replicas'], properties: { replicas: { type: 'integer', format: 'int32' }, selector: { type: 'string' } } },
  },
};

const SCALE_KIND: KindDefinition = {
  group: 'autoscaling',
  kind: 'Scale',
  plural: 'scales',
  namespaced: true,
  versions: [{ name: 'v1', schema: SCALE_SCHEMA }],
  hubVersion: 'v1',
};

/**
 * The field manager of Scale writes (the scale request scope's): on autoscaling/v1 Scale objects,
 * entries recorded with subresource "scale", no reset fields, no defaults.
 */
export function scaleFieldManager(now: () => Date): FieldManager {
  return new FieldManager(SCALE_KIND, 'v1', { subresource: 'scale', now, defaulter: () => undefined });
}

/** The replicas path of each of the kind's versions (the CRD handler's replicasPathInCustomResource). */
function replicasPathMappings(kind: KindDefinition): ResourcePathMappings {
  const path = makePath(...jsonPathSegments(scaleOf(kind).specReplicasPath));
  return new Map(kind.versions.map((v) => [apiVersionOf(kind.group, v.name), path]));
}

const setManagedFields = (obj: KubeObject, entries: ManagedFieldsEntry[] | undefined): void => {
  if (entries === undefined) delete obj.metadata.managedFields;
  else obj.metadata.managedFields = entries;
};

/**
 * A write of the scale subresource (scaleUpdatedObjectInfo.UpdatedObject): the current object's
 * Scale, with the managedFields the Scale sees, goes to `write` (the request's new Scale, or its
 * apply, through the Scale's field manager); its replicas, resourceVersion and managedFields land
 * on a copy of `current`, served at `version` (a version name of the kind).
 */
export async function updatedScaleObject(
  kind: KindDefinition,
  version: string,
  current: KubeObject,
  write: (oldScale: Scale) => KubeObject | Promise<KubeObject>,
): Promise<KubeObject> {
  const handler = new ScaleHandler(current.metadata.managedFields, apiVersionOf(kind.group, version), replicasPathMappings(kind));
  const { scale: oldScale, found } = scaleOfObject(kind, current);
  // Signals that the object had no replicas: a write that does not set them is refused.
  if (!found) oldScale.spec.replicas = INVALID_SPEC_REPLICAS;
  const entries = handler.toSubresource();
  if (entries !== undefined) oldScale.metadata.managedFields = entries;

  const scale = await write(oldScale);
  const spec = isPlainObject(scale.spec) ? scale.spec : {};
  if (spec.replicas === INVALID_SPEC_REPLICAS) {
    throw newBadRequest(`the spec replicas field ${JSON.stringify(scaleOf(kind).specReplicasPath)} cannot be empty`);
  }
  const updated = updateScale(kind, current, scale);
  setManagedFields(updated, handler.toParent(scale.metadata.managedFields));
  return updated;
}
