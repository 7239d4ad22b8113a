/**
 * A cache of one kind of the host cluster's objects, kept by list-then-watch (client-go's
 * reflector, in small): it lists, watches from the list's resourceVersion, and on any end of the
 * watch watches again from the last version it saw, or lists again when that version is gone (410).
 * Objects are kept by name (cluster-scoped kinds) or namespace/name.
 */
import type { KubeRestClient } from '@kapi/storage/kube';

interface ObjectWithMeta {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface InformerOptions {
  /** The collection's path, e.g. /api/v1/namespaces. */
  path: string;
  /** Wait before watching (or listing) again after a failure; default 1 s. */
  retryDelayMs?: number;
  onError?(err: unknown): void;
}

const keyOf = (obj: ObjectWithMeta): string => {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
};

export class Informer<T extends ObjectWithMeta> {
  private readonly items = new Map<string, T>();
  private resourceVersion = '';
  private stopWatch: (() => void) | undefined;
  private stopped = false;
  private synced = false;
  private changes = 0;
  private retry: NodeJS.Timeout | undefined;
  private readonly retryDelayMs: number;

  constructor(
    private readonly client: KubeRestClient,
    private readonly options: InformerOptions,
  ) {
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
  }

  /**
   * Lists and starts watching; resolves after the first list (rejects if it fails, and may be called
   * again then). Once listed, the informer keeps itself current: a further call does nothing.
   */
  async start(): Promise<void> {
    if (this.synced) return;
    await this.list();
    this.watch();
  }

  /** True once the first list was applied. */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** The cached object named `key` (name, or namespace/name). */
  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Every cached object. */
  objects(): T[] {
    return [...this.items.values()];
  }

  /** Counts the changes applied: whoever derives something from list() recomputes it when this moves. */
  get revision(): number {
    return this.changes;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.stopWatch?.();
  }

  private async list(): Promise<void> {
    const list = await this.client.get<{ metadata?: { resourceVersion?: string }; items?: T[] }>(this.options.path);
    this.items.clear();
    for (const item of list.items ?? []) this.items.set(keyOf(item), item);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.synced = true;
    this.changes++;
  }

  private watch(): void {
    if (this.stopped) return;
    this.client
      .watch(this.options.path, { resourceVersion: this.resourceVersion, allowWatchBookmarks: true }, {
        event: (type, object) => this.apply(type, object as T),
        end: (err) => {
          this.stopWatch = undefined;
          if (err) this.options.onError?.(err);
          this.again(false);
        },
      })
      .then(
        (stop) => {
          if (this.stopped) stop();
          else this.stopWatch = stop;
        },
        (err: unknown) => {
          this.options.onError?.(err);
          this.again((err as { code?: unknown }).code === 410);
        },
      );
  }

  private apply(type: string, object: T): void {
    const rv = object.metadata?.resourceVersion;
    if (type === 'ERROR') {
      // The version we watch from is gone: list again.
      this.stopWatch?.();
      this.stopWatch = undefined;
      this.again(true);
      return;
    }
    if (rv) this.resourceVersion = rv;
    if (type === 'ADDED' || type === 'MODIFIED') this.items.set(keyOf(object), object);
    else if (type === 'DELETED') this.items.delete(keyOf(object));
    else return;
    this.changes++;
  }

  private again(relist: boolean): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      const next = relist ? this.list().then(() => this.watch()) : Promise.resolve(this.watch());
      next.catch((err: unknown) => {
        this.options.onError?.(err);
        this.again(true);
      });
    }, this.retryDelayMs);
    this.retry.unref();
  }
}
