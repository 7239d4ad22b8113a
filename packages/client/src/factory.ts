/**
 * Shared informers (Go's SharedInformerFactory): one informer per resource and namespace however
 * many controllers ask for it, started, synced and stopped together. Generated code gives each
 * group/version a factory with one typed accessor per kind.
 */
import type { ApiClient, ResourceInfo } from './client.js';
import { Informer, type InformerOptions, type ListWatch } from './informer.js';
import type { ObjectLike } from './types.js';

export class InformerFactory {
  private readonly informers = new Map<string, Informer<ObjectLike>>();
  private started = false;

  /** `options` apply to every informer of the factory (resync period, selectors, WatchList, ...). */
  constructor(
    readonly api: ApiClient,
    readonly options: InformerOptions = {},
  ) {}

  /** The shared informer of `resource` in `namespace` ('' = all), made by `source` on first use (and started if the factory was). */
  informerFor<T extends ObjectLike>(resource: ResourceInfo, namespace: string, source: () => ListWatch<T>): Informer<T> {
    const key = `${resource.group}/${resource.version}/${resource.plural}/${namespace}`;
    let informer = this.informers.get(key) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>(source(), this.options);
      this.informers.set(key, informer as unknown as Informer<ObjectLike>);
      if (this.started) informer.start();
    }
    return informer;
  }

  /** Starts every informer asked for so far, and those asked for later. */
  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves when every informer asked for has synced (rejects after `timeoutMs`). */
  async waitForCacheSync(timeoutMs = 60_000): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(timeoutMs)));
  }

  /** Stops every informer. */
  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}
