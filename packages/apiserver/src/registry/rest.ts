/**
 * The contract between the HTTP endpoints and the generic registry Store: what a request asks
 * for, in API terms, and what it gets back. Objects crossing it are in the hub version; the
 * endpoints convert to and from the version of the request.
 */
import type { KubeList, KubeObject, Status, Table } from '@kapi/apimachinery';
import type { Watcher } from '@kapi/storage';
import type { FieldValidation } from '../scheme/scheme-like.js';

export type { KubeList, KubeObject, Status, Table };

/** Who is asking (authentication.k8s.io UserInfo). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}


/** Per-request facts every registry call gets. */
export interface RequestContext {
  /** The namespace of the URL; undefined for cluster-scoped kinds and all-namespace lists. */
  namespace?: string;
  /** The API version of the URL (admission sees the request in it); the kind's hub version when absent. */
  version?: string;
  /** The User-Agent header: a write without a fieldManager is recorded under its prefix (managedFields). */
  userAgent?: string;
  user?: UserInfo;
  /** Warning headers to send (fieldValidation=Warn, deprecated versions, …). */
  warnings: string[];
  /** Aborted when the client goes away or the request times out. */
  signal?: AbortSignal;
  /** The audit event's annotations, when the request is audited. */
  auditAnnotations?: Record<string, string>;
}

/** metav1.ListOptions as parsed from the query. */
export interface ApiListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

export interface ApiGetOptions {
  resourceVersion?: string;
}

export interface WriteOptions {
  /** dryRun=All: run everything, write nothing. */
  dryRun?: boolean;
  fieldManager?: string;
}

export interface ApiDeleteOptions extends WriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

/** Computes the updated object from the current one (for PUT the body; for PATCH the patched current). */
export type UpdatedObjectFunc = (current: KubeObject | undefined) => KubeObject | Promise<KubeObject>;

export interface UpdateResult {
  object: KubeObject;
  /** True when the update created the object (PUT on a missing name, where allowed): 201. */
  created: boolean;
}

export interface DeleteResult {
  /** The object as it was deleted, or still present with a deletionTimestamp (finalizers). */
  object: KubeObject;
  /** False when finalizers keep the object: the response is the object, not a Status. */
  deleted: boolean;
}

/**
 * What an admission plugin needs to see the object in a version other than the hub (Go's
 * admission.ObjectInterfaces): webhooks and policies see the request's version, or the
 * equivalent version their rules name.
 */
export interface AdmissionObjects {
  /** The kind's served versions, in preference order. */
  readonly versions: readonly string[];
  /** Hub → `version`, apiVersion and kind set; read-only (copy before changing it). */
  encode(hub: KubeObject, version: string): KubeObject;
  /**
   * An object in one of the kind's served versions (as a webhook or policy changed it) → hub:
   * unknown fields pruned, defaults applied, the version's schema validated (422 Invalid).
   */
  decode(obj: KubeObject): KubeObject;
}

/**
 * Admission, as the Go stack runs it: mutating hooks may change the object (in place), validating
 * hooks may refuse it (throw a StatusError, usually Forbidden or Invalid).
 */
export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  group: string;
  /** The version of the request (the hub's when the request named none). */
  version: string;
  kind: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name: string;
  /** The hub object being written (undefined for DELETE). */
  object?: KubeObject;
  oldObject?: KubeObject;
  user?: UserInfo;
  dryRun: boolean;
  fieldManager?: string;
  /** The object in other versions. */
  objects: AdmissionObjects;
  /** Warnings for the response (Warning headers). */
  warnings: string[];
  /** The audit event's annotations, when the request is audited (add with addAuditAnnotation). */
  auditAnnotations?: Record<string, string>;
  /** Set by the AdmissionChain around its mutating passes (Go's ReinvocationContext). */
  reinvocation?: ReinvocationContext;
}

/**
 * Go's admission.ReinvocationContext: when a mutating plugin changes the object after another
 * that asked to see the final object ran, the chain runs its mutating plugins once more; each
 * plugin keeps what it needs across the two passes under its name.
 */
export interface ReinvocationContext {
  /** True in the second pass. */
  readonly isReinvoke: boolean;
  /** A plugin changed the object: run the mutating plugins again (once). */
  requestReinvocation(): void;
  /** The plugin's state, made by `init` on first use. */
  value<T>(plugin: string, init: () => T): T;
}

export interface AdmissionPlugin {
  name: string;
  admit?(attrs: AdmissionAttributes): void | Promise<void>;
  validate?(attrs: AdmissionAttributes): void | Promise<void>;
}
