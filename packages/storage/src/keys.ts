/** Keys as kube-apiserver lays them out: /registry/<group>/<resource>/[<namespace>/]<name>. */

export const DEFAULT_KEY_ROOT = '/registry';

/** The prefix under which every object of a resource lives, ending in '/'. */
export function resourcePrefix(group: string, resource: string, root: string = DEFAULT_KEY_ROOT): string {
  return group ? `${root}/${group}/${resource}/` : `${root}/${resource}/`;
}

/** The prefix of one namespace's objects of a resource, ending in '/'. */
export function namespacePrefix(resourceKeyPrefix: string, namespace: string): string {
  return `${resourceKeyPrefix}${namespace}/`;
}

export function objectKey(resourceKeyPrefix: string, name: string, namespace?: string): string {
  return namespace ? `${resourceKeyPrefix}${namespace}/${name}` : `${resourceKeyPrefix}${name}`;
}

/** The smallest key greater than every key that starts with `prefix` (etcd's range end). */
export function prefixRangeEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** A recursive list/watch covers the prefix; a non-recursive one names exactly one key. */
export function keyMatches(key: string, target: string, recursive: boolean): boolean {
  return recursive ? key.startsWith(target) : key === target;
}

/** A recursive operation's prefix always ends in '/', so /foo does not also cover /foobar. */
export function normalizePrefix(key: string, recursive: boolean): string {
  return recursive && !key.endsWith('/') ? `${key}/` : key;
}
