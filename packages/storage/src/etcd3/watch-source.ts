/**
 * The etcd side of a watch: a snapshot is one range at one revision; changes come from an etcd
 * watch from the next revision with previous values. The etcd3 client resumes a broken watch
 * from the last response's header revision, which can lie past events it never delivered; we
 * point it at the revision after the last change we delivered instead, so a restart loses nothing.
 */
import { toStatusError, type KubeObject } from '@kapi/apimachinery';
import type { Etcd3, IEvent, IKeyValue, IWatchResponse, Watcher as EtcdWatcher } from 'etcd3';
import { decodeValue } from '../codec.js';
import { EXPIRED_WATCH_MESSAGE, expired } from '../errors.js';
import type { KeyChange } from '../events.js';
import type { ChangeSink, WatchSource } from '../watch-driver.js';
import { headerRevision, keyOf, modRevision } from './client.js';
import { readError } from './errors.js';
import { range, rangePrefix } from './kv.js';

function decodeKv(kv: IKeyValue): KubeObject {
  return decodeValue(keyOf(kv), kv.value, modRevision(kv));
}

/** A previous value that can not be decoded counts as absent: the change still shows its new state. */
function decodePrevious(kv: IKeyValue | undefined): KubeObject | undefined {
  if (!kv) return undefined;
  try {
    return decodeKv(kv);
  } catch {
    return undefined;
  }
}

/**
 * A change as the watch reports it. A delete or an update must come with its previous value: etcd
 * leaves it out when compaction took it, and without it a delete can not be told at all (the
 * cache would keep the object) nor an update from a create. That is history lost: 410, as Go's
 * watcher ends with an error then, and the caller lists again.
 */
export function keyChangeOf(event: IEvent): KeyChange {
  const key = keyOf(event.kv);
  const revision = modRevision(event.kv);
  const isCreate = event.type !== 'Delete' && event.kv.create_revision === event.kv.mod_revision;
  if (!isCreate && !event.prev_kv) {
    throw expired(key, `${EXPIRED_WATCH_MESSAGE} The previous value of the ${event.type === 'Delete' ? 'delete' : 'update'} at revision ${revision} was compacted.`);
  }
  const previous = decodePrevious(event.prev_kv ?? undefined);
  if (event.type === 'Delete') return { key, revision, current: undefined, previous };
  return { key, revision, current: decodeKv(event.kv), previous };
}

export class EtcdWatchSource implements WatchSource {
  constructor(private readonly client: Etcd3) {}

  async snapshot(key: string, recursive: boolean): Promise<{ items: KubeObject[]; revision: number }> {
    let res;
    try {
      res = recursive ? await rangePrefix(this.client.kv, key) : await range(this.client.kv, key, undefined);
    } catch (err) {
      throw readError(key, err, EXPIRED_WATCH_MESSAGE);
    }
    return { items: res.kvs.map(decodeKv), revision: res.revision };
  }

  async follow(key: string, recursive: boolean, fromRevision: number, sink: ChangeSink): Promise<() => void> {
    const builder = this.client.watch();
    if (recursive) builder.prefix(key);
    else builder.key(key);
    builder.withPreviousKV();
    // From revision 0 means "from now": etcd then starts after its current revision.
    if (fromRevision > 0) builder.startRevision(String(fromRevision + 1));
    const watcher = builder.watcher();

    let delivered = fromRevision;
    let stopped = false;
    let canceledByEtcd = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      watcher.removeAllListeners();
      watcher.on('error', () => undefined);
      // etcd already dropped a watch it canceled; a second cancel of that id would come back as a
      // response the client can not place (it throws), or cancel another watch reusing the id.
      if (canceledByEtcd) return;
      // Cancelling after the client closed may fail; the watch is gone either way.
      Promise.resolve()
        .then(() => watcher.cancel())
        .catch(() => undefined);
    };
    const fail = (err: unknown): void => {
      if (stopped) return;
      sink.error(toStatusError(err));
      stop();
    };

    watcher.on('data', (res: IWatchResponse) => {
      if (stopped) return;
      try {
        if (res.events.length === 0) {
          // A progress notification: etcd has sent everything up to its header revision.
          delivered = Math.max(delivered, headerRevision(res.header));
          sink.progress(delivered);
          return;
        }
        const changes = res.events.map(keyChangeOf);
        delivered = Math.max(delivered, ...changes.map((c) => c.revision));
        sink.changes(changes);
      } catch (err) {
        fail(err);
      }
    });
    watcher.on('disconnected', () => {
      // Resume after what we delivered, not after the header revision the client remembers.
      if (delivered > 0) watcher.request.start_revision = String(delivered + 1);
    });
    // etcd cancels a watch it can not serve (a compacted start revision; etcd 3.4 gives no reason,
    // only a compact_revision the client drops): the client must list again.
    watcher.on('error', () => {
      canceledByEtcd = true;
      fail(expired(key, EXPIRED_WATCH_MESSAGE));
    });

    await new Promise<void>((resolve) => {
      const settle = (): void => {
        watcher.off('connected', onConnected);
        watcher.off('error', settle);
        resolve();
      };
      const onConnected = (res: IWatchResponse): void => {
        if (delivered === 0) delivered = headerRevision(res.header);
        settle();
      };
      watcher.on('connected', onConnected);
      watcher.once('error', settle);
    });
    return stop;
  }
}
