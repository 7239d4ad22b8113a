/** The shapes a typed client reads and writes: objects, lists, watch events, patches, options. */
import type { LabelSelector, LabelSelectorSpec, ListMeta, ObjectMeta, Status } from '@kapi/apimachinery';

/** What every object of a kind has (a generated kind type is one of these). */
export interface ObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** A list of a kind (FlunderList), as the server answers a list. */
export interface ObjectList<T extends ObjectLike> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** One event of a watch: the object as it is now (as it was last, for DELETED), or the Status of an ERROR. */
export type WatchEvent<T extends ObjectLike> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  /** Only metadata.resourceVersion (and annotations, e.g. k8s.io/initial-events-end) is set. */
  | { type: 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

/** RFC 7396 merge patch of T: fields to set, `null` to remove one; arrays are replaced whole. */
export type MergePatch<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: MergePatch<T[K]> | null }
    : T;

/** An RFC 6902 JSON patch operation (`path` is a JSON pointer, e.g. "/spec/replicas"). */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** Every field optional, all the way down (arrays hold partial items). */
export type DeepPartial<T> = T extends readonly (infer E)[]
  ? DeepPartial<E>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * A server-side apply configuration of T: the fields this manager owns, with apiVersion, kind and
 * metadata.name (and metadata.namespace for a namespaced kind, else the client's) set.
 */
export type ApplyConfiguration<T extends ObjectLike> = DeepPartial<Omit<T, 'apiVersion' | 'kind' | 'metadata'>> & {
  apiVersion: string;
  kind: string;
  metadata: DeepPartial<ObjectMeta> & { name: string };
};

/** autoscaling/v1 Scale, what /scale reads and writes. */
export interface Scale {
  apiVersion?: 'autoscaling/v1';
  kind?: 'Scale';
  metadata: ObjectMeta;
  spec?: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

/** A label selector: Go's string form ("app=web,tier in (a,b)"), a metav1.LabelSelector, or a parsed one. */
export type LabelSelectorOption = string | LabelSelectorSpec | LabelSelector;

export interface ListOptions {
  labelSelector?: LabelSelectorOption;
  /** e.g. "metadata.name=x,spec.referenceType!=Fischer" (the kind's selectable fields). */
  fieldSelector?: string;
  /** A page of at most this many items; the list's metadata.continue asks for the next. */
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  timeoutSeconds?: number;
}

export interface WatchOptions extends Omit<ListOptions, 'limit' | 'continue'> {
  allowWatchBookmarks?: boolean;
  /** WatchList: the current objects as ADDED events first, then a BOOKMARK annotated k8s.io/initial-events-end. */
  sendInitialEvents?: boolean;
}

export interface GetOptions {
  resourceVersion?: string;
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
}

export interface ApplyOptions {
  /** Required by the server: who owns the applied fields. */
  fieldManager: string;
  /** Take the fields other managers own instead of answering 409 with the conflicts. */
  force?: boolean;
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}
