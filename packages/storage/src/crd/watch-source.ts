/**
 * The CRD backend's WatchSource for runWatch: the snapshot is a host list, the feed a host watch
 * from a revision with bookmarks. A dropped or timed-out host watch is renewed from the last
 * revision seen (so a host restart is invisible to the watcher); the host's 410 ends the watch
 * with ours.
 *
 * A host watch carries no previous value, which eventFor needs to tell an object leaving a
 * filtered watch (DELETED) from one entering it (ADDED). With no filter the previous value only
 * has to exist for MODIFIED; with one, the source keeps the objects that currently match, seeded
 * by a list at exactly the start revision.
 */
import { StatusError, toStatusError, type KubeObject } from '@kapi/apimachinery';
import { EXPIRED_WATCH_MESSAGE, expired } from '../errors.js';
import type { KeyChange } from '../events.js';
import { keyMatches } from '../keys.js';
import type { SelectionPredicate } from '../predicate.js';
import type { ChangeSink, WatchSource } from '../watch-driver.js';
import { KubeApiError, type KubeRestClient, type KubeStatus, type Query } from '../kube/index.js';
import { mapHostError, type HostOperation } from './errors.js';
import { encodeName } from './names.js';
import type { HostList, HostObject, StoredResource } from './resources.js';

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/** What a watch needs of the CrdStorage it serves (storage.ts implements it; this file does not import it). */
export interface CrdWatchBackend {
  readonly host: KubeRestClient;
  readonly watchTimeoutSeconds: number;
  hostList(res: StoredResource, query: Query, key: string, op: HostOperation): Promise<HostList>;
  keyOf(res: StoredResource, cr: HostObject): string;
  decode<T extends KubeObject>(res: StoredResource, cr: HostObject, key?: string): T;
  hostLabelSelector(predicate: SelectionPredicate | undefined, rest: string): { selector: string | undefined };
}

export class CrdWatchSource implements WatchSource {
  constructor(
    private readonly storage: CrdWatchBackend,
    private readonly res: StoredResource,
    private readonly predicate: SelectionPredicate,
  ) {}

  async snapshot(key: string, recursive: boolean): Promise<{ items: KubeObject[]; revision: number }> {
    const page = await this.storage.hostList(this.res, this.query(key, recursive), key, 'list');
    const items: KubeObject[] = [];
    for (const cr of page.items) {
      const k = this.storage.keyOf(this.res, cr);
      if (keyMatches(k, key, recursive)) items.push(this.storage.decode(this.res, cr, k));
    }
    return { items, revision: Number(page.metadata.resourceVersion) };
  }

  async follow(key: string, recursive: boolean, fromRevision: number, sink: ChangeSink): Promise<() => void> {
    const { storage, res, predicate } = this;
    const filtered = !predicate.isEverything();
    // The objects that match now (only kept for a filtered watch).
    const matching = new Map<string, KubeObject>();
    if (filtered) {
      const page = await storage.hostList(
        res,
        { ...this.query(key, recursive), resourceVersion: String(fromRevision), resourceVersionMatch: 'Exact' },
        key,
        'watch',
      );
      for (const cr of page.items) {
        const k = storage.keyOf(res, cr);
        if (!keyMatches(k, key, recursive)) continue;
        const obj = storage.decode(res, cr, k);
        if (predicate.matches(obj)) matching.set(k, obj);
      }
    }

    let last = fromRevision;
    let stopped = false;
    let stopCurrent: (() => void) | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let backoff = MIN_BACKOFF_MS;

    const fail = (err: StatusError): void => {
      if (stopped) return;
      stopped = true;
      stopCurrent?.();
      sink.error(err);
    };

    const onEvent = (type: string, object: Record<string, unknown>): void => {
      if (stopped) return;
      if (type === 'ERROR') {
        const status = object as KubeStatus;
        if (status.code === 410) fail(expired(key, EXPIRED_WATCH_MESSAGE));
        else fail(mapHostError(new KubeApiError(status.code ?? 500, status.message ?? 'watch error', status), { key, op: 'watch' }));
        return;
      }
      const cr = object as unknown as HostObject;
      const revision = Number(cr.metadata?.resourceVersion);
      if (!Number.isSafeInteger(revision)) return;
      backoff = MIN_BACKOFF_MS;
      if (type === 'BOOKMARK') {
        if (revision > last) last = revision;
        sink.progress(revision);
        return;
      }
      if (revision > last) last = revision;
      const k = storage.keyOf(res, cr);
      if (!keyMatches(k, key, recursive)) return;
      let obj: KubeObject;
      try {
        obj = storage.decode(res, cr, k);
      } catch (err) {
        fail(toStatusError(err));
        return;
      }
      let change: KeyChange;
      if (type === 'DELETED') {
        change = { key: k, revision, current: undefined, previous: obj };
        matching.delete(k);
      } else if (!filtered) {
        change = { key: k, revision, current: obj, previous: type === 'MODIFIED' ? obj : undefined };
      } else {
        change = { key: k, revision, current: obj, previous: matching.get(k) };
        if (predicate.matches(obj)) matching.set(k, obj);
        else matching.delete(k);
      }
      sink.changes([change]);
    };

    const connect = async (): Promise<void> => {
      const stop = await storage.host.watch(
        res.path,
        {
          ...this.query(key, recursive),
          resourceVersion: String(last),
          allowWatchBookmarks: true,
          timeoutSeconds: storage.watchTimeoutSeconds + Math.floor(Math.random() * 30),
        },
        { event: onEvent, end: () => reconnect() },
      );
      if (stopped) stop();
      else stopCurrent = stop;
    };

    const reconnect = (): void => {
      if (stopped) return;
      stopCurrent = undefined;
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        connect().catch((err: unknown) => {
          if (stopped) return;
          const status = mapHostError(err, { key, op: 'watch' });
          // Gone, forbidden or refused: final. The host down or restarting: try again.
          if (err instanceof KubeApiError && err.code < 500 && err.code !== 429) fail(status);
          else reconnect();
        });
      }, backoff);
      retryTimer.unref();
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    };

    try {
      await connect();
    } catch (err) {
      throw mapHostError(err, { key, op: 'watch' });
    }
    return () => {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      stopCurrent?.();
    };
  }

  /** The host-side part of the selection: the one name, or the namespace of a "<ns>/" prefix. */
  private query(key: string, recursive: boolean): Query {
    if (!recursive) return { fieldSelector: `metadata.name=${encodeName(key.slice(this.res.keyPrefix.length))}` };
    const rest = key.slice(this.res.keyPrefix.length);
    return { labelSelector: this.storage.hostLabelSelector(undefined, rest).selector };
  }
}
