/**
 * The answer caches of the delegated authenticator and authorizer (Go's cached token
 * authenticator and the webhook authorizer's LRU): entries expire after their own TTL, the oldest
 * go first when the cache is full, and concurrent misses for one key share one lookup.
 */
export interface ExpiringCacheOptions {
  /** Most entries kept; default 4096. */
  maxEntries?: number;
  /** The clock, for tests; default Date.now. */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class ExpiringCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inFlight = new Map<string, Promise<V>>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: ExpiringCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 4096;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached value, unless it has expired. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps `value` for `ttlMs` (nothing is kept for a TTL ≤ 0). */
  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.evict();
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  /**
   * The cached value, or the one `load` resolves to, kept for `ttl(value)` ms. Concurrent calls
   * for one key wait for the same load; a load that rejects is not cached.
   */
  async getOrLoad(key: string, load: () => Promise<V>, ttl: (value: V) => number): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const loading = load().then(
      (value) => {
        this.inFlight.delete(key);
        this.set(key, value, ttl(value));
        return value;
      },
      (err: unknown) => {
        this.inFlight.delete(key);
        throw err;
      },
    );
    this.inFlight.set(key, loading);
    return loading;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Drops the expired entries, then the oldest until there is room for one more. */
  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
