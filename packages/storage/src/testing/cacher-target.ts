/**
 * Runs the conformance suite through the watch cache: every read and watch of a resource goes
 * through a Cacher in front of the backend under test.
 *
 * The suite keeps all its resources under /registry/<group>/<resource>/. A Cacher places objects
 * by their name and namespace under one resource prefix (upstream events carry objects, not
 * keys), so, as kube-apiserver does, there is one Cacher per resource prefix, made on first use;
 * anything that is not under a resource prefix goes straight to the backend.
 */
import type { KubeObject } from '@kapi/apimachinery';
import { Cacher, type CacherOptions } from '../cacher/cacher.js';
import type {
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  Storage,
  UpdateFunction,
  UpdateOptions,
  WatchOptions,
} from '../interface.js';
import type { Watcher } from '../watcher.js';
import type { ConformanceBackend, ConformanceTarget } from './backend.js';

const ROOT = '/registry/';

/** A Storage that sends each key to the Cacher of its resource prefix (/registry/<a>/<b>/). */
export class PerResourceCachers implements Storage {
  readonly name: string;
  private readonly cachers = new Map<string, Promise<Cacher>>();
  /** How long the first request of a resource waits for its cache to fill; after that it reads through. */
  private readonly readyWaitMs = 2_000;
  private closed = false;

  constructor(
    readonly backend: Storage,
    private readonly options: Omit<CacherOptions, 'resourcePrefix'> = {},
  ) {
    this.name = `cacher(${backend.name})`;
  }

  /** Every cacher made so far. */
  async all(): Promise<Cacher[]> {
    return Promise.all(this.cachers.values());
  }

  async compact(revision: number): Promise<void> {
    for (const cacher of await this.all()) cacher.compact(revision);
  }

  async get<T extends KubeObject = KubeObject>(key: string, opts?: GetOptions): Promise<T | undefined> {
    return (await this.route(key, false)).get<T>(key, opts);
  }

  async list<T extends KubeObject = KubeObject>(keyPrefix: string, opts: ListOptions): Promise<ListResult<T>> {
    return (await this.route(keyPrefix, opts.recursive ?? false)).list<T>(keyPrefix, opts);
  }

  async create<T extends KubeObject = KubeObject>(key: string, obj: T): Promise<T> {
    return (await this.route(key, false)).create(key, obj);
  }

  async guaranteedUpdate<T extends KubeObject = KubeObject>(key: string, tryUpdate: UpdateFunction<T>, opts?: UpdateOptions): Promise<T> {
    return (await this.route(key, false)).guaranteedUpdate(key, tryUpdate, opts);
  }

  async delete<T extends KubeObject = KubeObject>(key: string, opts?: DeleteOptions<T>): Promise<T> {
    return (await this.route(key, false)).delete(key, opts);
  }

  async watch<T extends KubeObject = KubeObject>(key: string, opts: WatchOptions): Promise<Watcher<T>> {
    return (await this.route(key, opts.recursive ?? false)).watch<T>(key, opts);
  }

  async count(keyPrefix: string): Promise<number> {
    return (await this.route(keyPrefix, true)).count(keyPrefix);
  }

  currentRevision(): Promise<number> {
    return this.backend.currentRevision();
  }

  healthCheck(): Promise<void> {
    return this.backend.healthCheck();
  }

  /** Closes the cachers, not the backend. */
  async close(): Promise<void> {
    this.closed = true;
    const cachers = await Promise.all(this.cachers.values());
    this.cachers.clear();
    await Promise.all(cachers.map((c) => c.close()));
  }

  private async route(key: string, recursive: boolean): Promise<Storage> {
    const prefix = resourcePrefixOf(key, recursive);
    if (prefix === undefined || this.closed) return this.backend;
    let cacher = this.cachers.get(prefix);
    if (!cacher) {
      // A cache that can not fill (e.g. a corrupt value planted under it) must not hang requests:
      // until it is ready it passes them to the backend.
      const made = new Cacher(this.backend, { ...this.options, resourcePrefix: prefix });
      cacher = Promise.race([made.ready(), delay(this.readyWaitMs)]).then(() => made);
      this.cachers.set(prefix, cacher);
    }
    return cacher;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** /registry/<a>/<b>/ for a key (or a recursive prefix) below it; undefined for anything shallower. */
function resourcePrefixOf(key: string, recursive: boolean): string | undefined {
  if (!key.startsWith(ROOT)) return undefined;
  const parts = key.slice(ROOT.length).split('/');
  // A single key needs a name after the resource; a recursive prefix may stop at the resource.
  const needed = recursive ? 2 : 3;
  if (parts.length < needed || !parts[0] || !parts[1]) return undefined;
  return `${ROOT}${parts[0]}/${parts[1]}/`;
}

/** The conformance target `inner` with the watch cache in front of its storage. */
export function cacherTarget(inner: ConformanceTarget, options: Omit<CacherOptions, 'resourcePrefix'> = {}): ConformanceTarget {
  return {
    name: `cacher(${inner.name})`,
    async setup(): Promise<ConformanceBackend> {
      const backend = await inner.setup();
      // Bookmarks every second, as the backends' targets do: the suite waits at most 15 s for one.
      options = { bookmarkIntervalMs: 1000, ...options };
      let cached = new PerResourceCachers(backend.storage, options);
      const target: ConformanceBackend = {
        storage: cached,
        maxValueBytes: backend.maxValueBytes,
        async compact() {
          const revision = await backend.compact();
          await cached.compact(revision);
          return revision;
        },
        async restart() {
          const restarted = await backend.restart();
          if (restarted !== cached.backend) {
            // A new storage object: the old cachers watch a storage that is gone.
            await cached.close();
            cached = new PerResourceCachers(restarted, options);
          }
          // Same storage object: the cachers recover their upstream watches by themselves.
          target.storage = cached;
          return cached;
        },
        putRaw: (key, value) => backend.putRaw(key, value),
        async teardown() {
          await cached.close();
          await backend.teardown();
        },
      };
      return target;
    },
  };
}
