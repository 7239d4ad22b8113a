/** How objects become stored bytes and back: JSON, with resourceVersion kept out of the value. */
import type { KubeObject } from '@kapi/apimachinery';
import { corruptValue, valueTooLarge } from './errors.js';

/** The largest serialized object a backend accepts by default: 2 MiB, so a 1.5 MiB object fits. */
export const DEFAULT_MAX_VALUE_BYTES = 2 * 1024 * 1024;

/** Serializes an object for storage, without metadata.resourceVersion (the backend's revision is). */
export function encodeValue(key: string, obj: KubeObject, maxBytes: number): Buffer {
  if (typeof obj !== 'object' || obj === null || typeof obj.metadata !== 'object' || obj.metadata === null) {
    throw corruptValue(key, 'object has no metadata');
  }
  let json: string;
  if (obj.metadata.resourceVersion === undefined) {
    // Nothing to leave out (a create): no copies of the object and its metadata.
    json = JSON.stringify(obj);
  } else {
    const { resourceVersion: _ignored, ...metadata } = obj.metadata;
    json = JSON.stringify({ ...obj, metadata });
  }
  const bytes = Buffer.from(json);
  if (bytes.length > maxBytes) throw valueTooLarge(key, bytes.length, maxBytes);
  return bytes;
}

/** Parses stored bytes and stamps the revision they were written at; corrupt bytes are a 500. */
export function decodeValue<T extends KubeObject = KubeObject>(key: string, bytes: Uint8Array | string, revision: number): T {
  let obj: unknown;
  try {
    obj = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw corruptValue(key, (err as Error).message);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw corruptValue(key, 'value is not a JSON object');
  const value = obj as T;
  if (typeof value.metadata !== 'object' || value.metadata === null) throw corruptValue(key, 'value has no metadata');
  value.metadata.resourceVersion = String(revision);
  return value;
}

/** Whether two objects are the same apart from resourceVersion (a no-op update writes nothing). */
export function sameValue(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return strip(a) === strip(b);
}
