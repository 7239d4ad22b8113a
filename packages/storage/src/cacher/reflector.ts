/**
 * Keeps the cache fed from the backend: one list, then one watch from the list's revision; when
 * the watch ends it re-watches from the last revision seen, and when that revision is gone (410)
 * it lists again. Failures back off and retry until stopped; nothing here throws.
 */
import { isResourceExpired, type KubeObject, type WatchEvent } from '@kapi/apimachinery';
import type { Storage } from '../interface.js';
import { SelectionPredicate } from '../predicate.js';
import { revisionOf } from '../revision.js';
import type { Watcher } from '../watcher.js';

export interface ReflectorSink {
  /** The revision everything up to which has been applied (where a re-watch resumes). */
  readonly revision: number;
  /** The full state under the prefix at `revision`. */
  replace(items: readonly KubeObject[], revision: number): void;
  /** One ADDED/MODIFIED/DELETED event from the upstream watch. */
  apply(event: WatchEvent): void;
  /** Every change up to `revision` has been applied (an upstream BOOKMARK). */
  progress(revision: number): void;
}

export interface ReflectorOptions {
  minBackoffMs: number;
  maxBackoffMs: number;
}

export class Reflector {
  private stopped = false;
  private upstream: Watcher | undefined;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private resolveSynced!: () => void;
  /** Resolves after the first complete list (or on stop). */
  readonly synced = new Promise<void>((resolve) => (this.resolveSynced = resolve));
  /** The last failure, for diagnostics; cleared by a successful list or event. */
  lastError: unknown;

  constructor(
    private readonly backend: Storage,
    private readonly prefix: string,
    private readonly sink: ReflectorSink,
    private readonly opts: ReflectorOptions,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.upstream?.stop();
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.wake();
    }
    this.resolveSynced();
  }

  private async run(): Promise<void> {
    let needList = true;
    let backoff = this.opts.minBackoffMs;
    while (!this.stopped) {
      try {
        if (needList) {
          const list = await this.backend.list(this.prefix, { predicate: SelectionPredicate.everything(), recursive: true });
          if (this.stopped) break;
          this.sink.replace(list.items, list.resourceVersion);
          needList = false;
          this.lastError = undefined;
          this.resolveSynced();
        }
        const outcome = await this.follow();
        if (outcome === 'expired') needList = true;
        if (outcome === 'progressed') backoff = this.opts.minBackoffMs;
      } catch (err) {
        this.lastError = err;
        if (isResourceExpired(err)) needList = true;
      }
      if (this.stopped) break;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
    }
  }

  /** Watches from the sink's revision until the stream ends; says whether anything arrived. */
  private async follow(): Promise<'expired' | 'progressed' | 'idle'> {
    const watcher = await this.backend.watch(this.prefix, {
      resourceVersion: String(this.sink.revision),
      predicate: SelectionPredicate.everything(),
      recursive: true,
      allowWatchBookmarks: true,
      sendInitialEvents: false,
    });
    if (this.stopped) {
      watcher.stop();
      return 'idle';
    }
    this.upstream = watcher;
    let progressed = false;
    try {
      for (;;) {
        const event = await watcher.next();
        if (!event) return progressed ? 'progressed' : 'idle';
        if (event.type === 'ERROR') {
          if (event.object.code === 410) return 'expired';
          this.lastError = event.object;
          return progressed ? 'progressed' : 'idle';
        }
        if (event.type === 'BOOKMARK') this.sink.progress(revisionOf(event.object));
        else this.sink.apply(event);
        progressed = true;
        this.lastError = undefined;
      }
    } finally {
      this.upstream = undefined;
      watcher.stop();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.sleeping = { timer, wake: resolve };
    });
  }
}
