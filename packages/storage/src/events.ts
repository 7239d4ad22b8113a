/** Turning raw key changes into the watch events a predicate-filtered watcher sees. */
import type { KubeObject, WatchEvent } from '@kapi/apimachinery';
import { INITIAL_EVENTS_END_ANNOTATION } from '@kapi/apimachinery';
import type { SelectionPredicate } from './predicate.js';

/** One change to one key, as every backend observes it. */
export interface KeyChange {
  key: string;
  revision: number;
  /** The value after the change; undefined for a delete. */
  current: KubeObject | undefined;
  /** The value before the change; undefined for a create. */
  previous: KubeObject | undefined;
}

/**
 * The event a watcher with `predicate` sees for `change`, or undefined: an object entering the
 * selection is ADDED, one leaving it is DELETED (its last state, at the change's revision).
 */
export function eventFor(change: KeyChange, predicate: SelectionPredicate): WatchEvent | undefined {
  const { current, previous } = change;
  const curMatch = current !== undefined && predicate.matches(current);
  const prevMatch = previous !== undefined && predicate.matches(previous);
  if (curMatch && prevMatch) return { type: 'MODIFIED', object: current };
  if (curMatch) return { type: 'ADDED', object: current };
  if (prevMatch) {
    // The deleted (or no longer selected) object is reported with the revision of the change.
    return { type: 'DELETED', object: withRevision(previous, change.revision) };
  }
  return undefined;
}

export function withRevision<T extends KubeObject>(obj: T, revision: number): T {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}

export function bookmarkEvent(revision: number, initialEventsEnd = false): WatchEvent {
  return {
    type: 'BOOKMARK',
    object: {
      metadata: {
        resourceVersion: String(revision),
        ...(initialEventsEnd ? { annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } : {}),
      },
    },
  };
}
