/** The host's objects as the crd backend reads them, and where a stored resource's custom resources live. */
import type { CrdNames } from './names.js';

/** A custom resource as the host returns it. */
export interface HostObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    resourceVersion: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  object?: unknown;
}

export interface HostList {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: HostObject[];
}

/** A stored resource whose CRD is served: where its custom resources live. */
export interface StoredResource {
  names: CrdNames;
  /** The keys' prefix for this resource, ending in '/'. */
  keyPrefix: string;
  /** /apis/<storage group>/v1/<plural> */
  path: string;
}
