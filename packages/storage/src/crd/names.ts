/**
 * How a storage key becomes a custom resource of the host cluster, and back.
 *
 * Layout (chosen over "namespaced CRs in the same host namespace"): every stored object is a
 * CLUSTER-SCOPED custom resource, one CRD per stored resource, in a storage group of its own.
 * Storage keys are arbitrary strings (`/registry/<group>/<resource>/[<ns>/]<name>` and, for the
 * conformance suite and any raw user, deeper or odd ones), and a namespaced layout would need the
 * host namespace to exist, tie the object's life to that namespace's (deleting it on the host
 * would silently delete our data), and cannot hold keys that are not ns/name pairs. A
 * cluster-scoped CR keeps everything under the one CRD, with:
 *   - metadata.name  = an order-preserving, injective encoding of the key below the resource
 *                      (`ns1/my-app` → `ns1.my--app`), so that the host lists in key order and a
 *                      get is one GET by name;
 *   - the annotation storage.kapi.dev/key = the full key (what lists and watches read back);
 *   - the label      storage.kapi.dev/namespace = the first key segment (the namespace) when the
 *                      key has one, so a namespace's list/watch is filtered by the host;
 *   - the object's own labels copied, so label selectors are applied by the host.
 */
import { createHash } from 'node:crypto';

export const KEY_ANNOTATION = 'storage.kapi.dev/key';
export const KEY_PREFIX_ANNOTATION = 'storage.kapi.dev/key-prefix';
export const NAMESPACE_LABEL = 'storage.kapi.dev/namespace';
/** Label keys under this prefix are the storage's own; stored objects may not use them. */
export const RESERVED_LABEL_PREFIX = 'storage.kapi.dev/';
export const STORAGE_VERSION = 'v1';
export const DEFAULT_STORAGE_GROUP = 'storage.kapi.dev';
export const STORAGE_CATEGORY = 'kapi-storage';

/** Where a key lives: the API group and resource it belongs to, and the rest of the key. */
export interface KeyParts {
  /** "" for keys without a group segment (/registry/<resource>/...). */
  group: string;
  resource: string;
  /** The key prefix of the resource, ending in '/'. */
  resourcePrefix: string;
  /** The key below the resource prefix ("ns/name", "name", or "" for the resource itself). */
  rest: string;
}

/**
 * Splits a key (or a recursive prefix) under `root`. The segment after the root is the API group
 * when it holds a dot (every group but the core one does, as kube-apiserver lays keys out),
 * otherwise it is already the resource. Undefined for keys above a resource.
 */
export function parseKey(key: string, root: string): KeyParts | undefined {
  const base = root.endsWith('/') ? root : `${root}/`;
  if (!key.startsWith(base)) return undefined;
  const segs = key.slice(base.length).split('/');
  const grouped = (segs[0] ?? '').includes('.');
  const group = grouped ? (segs[0] as string) : '';
  const resource = grouped ? segs[1] : segs[0];
  const restStart = grouped ? 2 : 1;
  if (!resource || segs.length <= restStart) return undefined;
  const resourcePrefix = `${base}${grouped ? `${group}/` : ''}${resource}/`;
  return { group, resource, resourcePrefix, rest: key.slice(resourcePrefix.length) };
}

const ALNUM = /^[a-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const MAX_NAME = 253;
/** Names that could not be encoded readably start with this; no readable encoding can (see below). */
const HASHED_PREFIX = 'x-g';

/**
 * The custom resource name for the key `rest` below a resource prefix. Byte by byte:
 * [a-z0-9] stay, '-' → "--", '/' → ".", any other byte b → "-" + two hex digits ('.' → "-2e").
 * The tokens are prefix-free (so the encoding is injective) and ordered as the bytes they stand
 * for for every key made of [a-z0-9-./] ("--" < "-2e" < "." < digits < letters), so the host's
 * name order is the key order. A result that is not a valid DNS subdomain (e.g. a key segment
 * starting with '-' or a key too long) becomes HASHED_PREFIX + sha256: still injective in
 * practice and the key is kept in the annotation, but such keys list in hash order.
 */
export function encodeName(rest: string): string {
  let out = '';
  for (const byte of Buffer.from(rest, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (ALNUM.test(ch)) out += ch;
    else if (ch === '-') out += '--';
    else if (ch === '/') out += '.';
    else out += `-${byte.toString(16).padStart(2, '0')}`;
  }
  if (out.length <= MAX_NAME && DNS1123_SUBDOMAIN.test(out)) return out;
  return HASHED_PREFIX + createHash('sha256').update(rest).digest('hex');
}

/** The key below the resource for a readable name; undefined for a hashed one (read the annotation). */
export function decodeName(name: string): string | undefined {
  if (name.startsWith(HASHED_PREFIX)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string;
    if (ch === '.') bytes.push(0x2f);
    else if (ch !== '-') bytes.push(ch.charCodeAt(0));
    else if (name[i + 1] === '-') {
      bytes.push(0x2d);
      i++;
    } else {
      const hex = name.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The namespace label value for a key below the resource: its first segment when it has two or more. */
export function namespaceOf(rest: string): string | undefined {
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const ns = rest.slice(0, slash);
  return isLabelValue(ns) ? ns : undefined;
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value);
}

/** The names of the CRD that stores one resource. */
export interface CrdNames {
  /** <plural>.<storageGroup> */
  crdName: string;
  storageGroup: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
}

/**
 * The CRD names for a resource: plural = the resource segment (a DNS-1035 label, as resources
 * are), kind = `kind` when known, else the plural with its first letter upper-cased (unique within
 * the storage group because plurals are). A resource segment that is not a DNS-1035 label gets a
 * hashed plural.
 */
export function crdNames(resource: string, storageGroup: string, kind?: string): CrdNames {
  const plural = DNS1035_LABEL.test(resource) && resource.length <= 63
    ? resource
    : `r${createHash('sha256').update(resource).digest('hex').slice(0, 40)}`;
  const k = kind && DNS1035_LABEL.test(kind.toLowerCase()) ? kind : plural.charAt(0).toUpperCase() + plural.slice(1);
  return {
    crdName: `${plural}.${storageGroup}`,
    storageGroup,
    plural,
    singular: k.toLowerCase(),
    kind: k,
    listKind: `${k}List`,
  };
}

/** The default storage group: storage.<api group>, or storage.kapi.dev for the core group. */
export function defaultStorageGroup(apiGroup: string): string {
  return apiGroup ? `storage.${apiGroup}` : DEFAULT_STORAGE_GROUP;
}

/** The host's list continue token (the same format as ours): resume after `name` at `revision`. */
export function hostContinue(revision: number, startName: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: startName })).toString('base64url');
}
