/**
 * Which revision a get or list reads at, with the resourceVersion rules of kube-apiserver's etcd3
 * store (storage.ValidateListOptions): "" and "0" read the latest; N is "not older than N" unless
 * an Exact match (or the legacy paged form: recursive, limit > 0, no match) pins the read at N;
 * a continue token pins it at the token's revision. Every backend and the watch cache read by it.
 */
import { decodeContinue, newBadRequest } from '@kapi/apimachinery';
import type { ListOptions } from './interface.js';
import { parseResourceVersion } from './revision.js';

export interface ReadPlan {
  /** Read exactly this revision (0: the latest). */
  exactRevision: number;
  /** The latest revision must be at least this. */
  minRevision: number;
  /** Inclusive first key of a continued page. */
  startKey: string | undefined;
}

/** What a list asks for, before looking at the store. `prefix` is already normalized. */
export function planList(prefix: string, opts: ListOptions, recursive: boolean): ReadPlan {
  const rv = opts.resourceVersion ?? '';
  const pred = opts.predicate;
  if (recursive && pred.continue) {
    const position = decodeContinue(pred.continue, prefix);
    if (rv !== '' && rv !== '0') throw newBadRequest('specifying resource version is not allowed when using continue');
    return { exactRevision: position.resourceVersion, minRevision: 0, startKey: position.startKey };
  }
  const asked = parseResourceVersion(rv);
  switch (opts.resourceVersionMatch) {
    case 'Exact':
      return { exactRevision: asked, minRevision: 0, startKey: undefined };
    case 'NotOlderThan':
      return { exactRevision: 0, minRevision: asked, startKey: undefined };
    case undefined: {
      const legacyExact = recursive && pred.limit > 0 && asked > 0;
      return legacyExact
        ? { exactRevision: asked, minRevision: 0, startKey: undefined }
        : { exactRevision: 0, minRevision: asked, startKey: undefined };
    }
    default:
      throw newBadRequest(`unknown ResourceVersionMatch value: ${String(opts.resourceVersionMatch)}`);
  }
}

/** What a get asks for: always the latest, not older than its resourceVersion. */
export function planGet(resourceVersion: string | undefined): ReadPlan {
  return { exactRevision: 0, minRevision: parseResourceVersion(resourceVersion), startKey: undefined };
}
