/**
 * The JSON of a stored object as one API version shows it, computed once per object and version
 * however many watchers receive it (Go's cachingObject does the same for the watch cache): a write
 * seen by 1000 watchers of one version is converted and serialized once, not 1000 times.
 * Keyed by the object itself, so an entry lives exactly as long as the watch cache holds the
 * object; objects handed out by storage are never mutated, which is what makes this sound.
 */
import type { KubeObject } from '@kapi/apimachinery';

const byObject = new WeakMap<KubeObject, Map<string, string>>();

/** `encode(obj)` serialized, reused for the same object and `variant` (e.g. "<group>/<version>"). */
export function cachedObjectJSON(obj: KubeObject, variant: string, encode: (obj: KubeObject) => unknown): string {
  let variants = byObject.get(obj);
  if (!variants) byObject.set(obj, (variants = new Map()));
  let json = variants.get(variant);
  if (json === undefined) {
    json = JSON.stringify(encode(obj));
    variants.set(variant, json);
  }
  return json;
}
