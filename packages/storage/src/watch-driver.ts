/**
 * The watch semantics shared by the raw backends: initial state as ADDED events (for RV "" / "0"
 * or sendInitialEvents), then every change after the start revision filtered by the predicate,
 * with periodic BOOKMARKs. A backend supplies only a snapshot and a change feed.
 */
import { newTooLargeResourceVersion, toStatusError, type KubeObject, type StatusError } from '@kapi/apimachinery';
import type { WatchOptions } from './interface.js';
import { bookmarkEvent, eventFor, type KeyChange } from './events.js';
import { parseResourceVersion } from './revision.js';
import { Watcher } from './watcher.js';

export interface ChangeSink {
  /** Changes in revision order. */
  changes(changes: readonly KeyChange[]): void;
  /** Every change up to `revision` has been delivered (lets bookmarks advance without changes). */
  progress(revision: number): void;
  /** The feed can not go on (e.g. 410 after compaction); the watch ends with an ERROR event. */
  error(err: StatusError): void;
}

export interface WatchSource {
  /** The current state under `key` at one consistent revision. */
  snapshot(key: string, recursive: boolean): Promise<{ items: KubeObject[]; revision: number }>;
  /** Starts delivering changes after `fromRevision`; resolves to a function that stops the feed. */
  follow(key: string, recursive: boolean, fromRevision: number, sink: ChangeSink): Promise<() => void>;
}

export interface WatchDriverOptions {
  /** How often a watcher that allows bookmarks gets one. */
  bookmarkIntervalMs: number;
}

export async function runWatch<T extends KubeObject>(
  source: WatchSource,
  key: string,
  opts: WatchOptions,
  driver: WatchDriverOptions,
): Promise<Watcher<T>> {
  const minRevision = parseResourceVersion(opts.resourceVersion);
  const recursive = opts.recursive ?? false;
  const predicate = opts.predicate;
  const sendInitial = opts.sendInitialEvents ?? minRevision === 0;
  const watcher = new Watcher<KubeObject>();

  let startRevision = minRevision;
  if (sendInitial) {
    const snap = await source.snapshot(key, recursive);
    if (minRevision > snap.revision) throw newTooLargeResourceVersion(minRevision, snap.revision);
    for (const item of snap.items) if (predicate.matches(item)) watcher.send({ type: 'ADDED', object: item });
    startRevision = snap.revision;
    if (opts.sendInitialEvents && opts.allowWatchBookmarks) watcher.send(bookmarkEvent(snap.revision, true));
  }

  let delivered = startRevision;
  let bookmarked = startRevision;
  const sink: ChangeSink = {
    changes(changes) {
      for (const change of changes) {
        if (change.revision <= delivered) continue;
        delivered = change.revision;
        const event = eventFor(change, predicate);
        if (event) watcher.send(event);
      }
    },
    progress(revision) {
      if (revision > delivered) delivered = revision;
    },
    error(err) {
      watcher.fail(err.status);
    },
  };

  try {
    const stopFeed = await source.follow(key, recursive, startRevision, sink);
    watcher.onStop(stopFeed);
  } catch (err) {
    watcher.stop();
    throw toStatusError(err);
  }

  if (opts.allowWatchBookmarks) {
    const timer = setInterval(() => {
      if (delivered > bookmarked || delivered === startRevision) {
        bookmarked = delivered;
        watcher.send(bookmarkEvent(delivered));
      }
    }, driver.bookmarkIntervalMs);
    timer.unref();
    watcher.onStop(() => clearInterval(timer));
  }
  return watcher as unknown as Watcher<T>;
}
