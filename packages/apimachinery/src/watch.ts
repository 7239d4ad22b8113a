/** Watch events as they travel from storage to the wire (k8s.io/apimachinery/pkg/watch). */
import type { KubeObject } from './meta.js';
import type { Status } from './status.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

/** The annotation on the BOOKMARK that ends the initial events of a sendInitialEvents watch. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';
