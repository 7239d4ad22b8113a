/**
 * The scale subresource: an autoscaling/v1 Scale view of a kind whose ScaleSubresource names the
 * replica fields (as CRD scale subresources do), and the way a Scale update lands on the object.
 */
import { newBadRequest, newInvalid, type KubeObject, type ObjectMeta } from '@kapi/apimachinery';
import { deepCopy, isPlainObject } from '../scheme/deep.js';
import type { KindDefinition, ScaleSubresource } from '../scheme/kind.js';

export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: ObjectMeta;
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

const replicasAt = (obj: KubeObject, path: string): number => {
  const value = readPath(obj, path);
  return typeof value === 'number' ? value : 0;
};

/** The Scale of a hub object. */
export function getScale(kind: KindDefinition, obj: KubeObject): Scale {
  const paths = scaleOf(kind);
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  const selector = paths.labelSelectorPath ? readPath(obj, paths.labelSelectorPath) : undefined;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: replicasAt(obj, paths.specReplicasPath) },
    status: { replicas: replicasAt(obj, paths.statusReplicasPath), ...(typeof selector === 'string' ? { selector } : {}) },
  };
}

/**
 * The object after a Scale update: spec replicas set, the Scale's resourceVersion carried over so
 * the Store's optimistic-concurrency check applies. Never mutates `obj`.
 */
export function updateScale(kind: KindDefinition, obj: KubeObject, scale: unknown): KubeObject {
  const paths = scaleOf(kind);
  if (!isPlainObject(scale) || !isPlainObject(scale.spec)) throw newBadRequest('the body of the request must be an autoscaling/v1 Scale');
  const replicas = scale.spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    throw newBadRequest(`spec.replicas: expected an integer, got ${JSON.stringify(replicas)}`);
  }
  if (replicas < 0) {
    throw newInvalid('autoscaling', 'Scale', obj.metadata.name ?? '', [
      { type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` },
    ]);
  }
  const updated = deepCopy(obj);
  writePath(updated, paths.specReplicasPath, replicas);
  const metadata = isPlainObject(scale.metadata) ? scale.metadata : {};
  updated.metadata.resourceVersion = typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : '';
  return updated;
}
