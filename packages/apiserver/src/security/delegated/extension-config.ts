/**
 * The `kube-system/extension-apiserver-authentication` ConfigMap kube-apiserver publishes for
 * aggregated servers (Go: DynamicRequestHeaderController and the client-ca ConfigMap controller):
 * read once before serving, then followed with a watch, and re-read every resync interval so a
 * lost watch or an unreachable host cluster shows.
 */
import type { Logger } from 'pino';
import { KubeApiError, type KubeRestClient } from '../../kube/index.js';
import type { HealthCheck } from '../../http/health-check.js';

export const EXTENSION_AUTHENTICATION_NAMESPACE = 'kube-system';
export const EXTENSION_AUTHENTICATION_NAME = 'extension-apiserver-authentication';

/** The front-proxy (request-header) settings: whose client certificates may assert a user in headers, and which headers. */
export interface RequestHeaderConfig {
  /** PEM bundle the proxy's client certificate must verify against (requestheader-client-ca-file). */
  clientCA: string;
  /** CNs the proxy's certificate may have; empty: any. */
  allowedNames: string[];
  usernameHeaders: string[];
  uidHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

/** What the ConfigMap says; a part it lacks is undefined. */
export interface ExtensionAuthentication {
  /** PEM bundle for client-certificate (x509) authentication (client-ca-file). */
  clientCA?: string;
  requestHeader?: RequestHeaderConfig;
}

function stringList(data: Record<string, string>, key: string): string[] {
  const raw = data[key];
  if (!raw || !raw.trim()) return [];
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed) || !parsed.every((v): v is string => typeof v === 'string')) {
    throw new Error(`${key}: expected a JSON array of strings, got ${raw}`);
  }
  return parsed.map((v) => v.trim()).filter((v) => v !== '');
}

/** Parses the ConfigMap's data (the keys kube-apiserver writes; the lists are JSON arrays). */
export function parseExtensionAuthentication(data: Record<string, string> | undefined): ExtensionAuthentication {
  const d = data ?? {};
  const result: ExtensionAuthentication = {};
  if (d['client-ca-file']?.trim()) result.clientCA = d['client-ca-file'];
  if (d['requestheader-client-ca-file']?.trim()) {
    result.requestHeader = {
      clientCA: d['requestheader-client-ca-file'],
      allowedNames: stringList(d, 'requestheader-allowed-names'),
      usernameHeaders: stringList(d, 'requestheader-username-headers'),
      uidHeaders: stringList(d, 'requestheader-uid-headers'),
      groupHeaders: stringList(d, 'requestheader-group-headers'),
      extraHeaderPrefixes: stringList(d, 'requestheader-extra-headers-prefix'),
    };
  }
  return result;
}

interface ConfigMap {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

export interface ExtensionAuthenticationConfigOptions {
  /** The host cluster (--authentication-kubeconfig). */
  client: KubeRestClient;
  /** Re-read the ConfigMap this often besides watching it; default 15 s. */
  resyncIntervalMs?: number;
  /**
   * /readyz fails once every read of the ConfigMap has failed for this long (a read that fails is
   * tried again every second, so a single lost request does not count); default 2 s.
   */
  unreachableAfterMs?: number;
  /** Follow changes with a watch (default true); otherwise only the resync reads. */
  watch?: boolean;
  logger?: Pick<Logger, 'warn' | 'info' | 'debug'>;
  /** The clock, for tests; default Date.now. */
  now?: () => number;
}

const CONFIGMAP_PATH = `/api/v1/namespaces/${EXTENSION_AUTHENTICATION_NAMESPACE}/configmaps`;
const WATCH_RETRY_MS = 1_000;

export class ExtensionAuthenticationConfig {
  /** Resolves once the ConfigMap was read (or found missing) the first time. */
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private isReady = false;
  private data: ExtensionAuthentication = {};
  /** When the reads that have failed since the last success began; undefined while reads succeed. */
  private failingSince: number | undefined;
  private quickRetryTimer: NodeJS.Timeout | undefined;
  private lastError: Error | undefined;
  private resourceVersion: string | undefined;
  private readonly listeners = new Set<(current: ExtensionAuthentication) => void>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopWatch: (() => void) | undefined;
  private stopped = false;
  private started = false;
  private readonly resyncIntervalMs: number;
  private readonly unreachableAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: ExtensionAuthenticationConfigOptions) {
    this.resyncIntervalMs = opts.resyncIntervalMs ?? 15_000;
    this.unreachableAfterMs = opts.unreachableAfterMs ?? 2_000;
    this.now = opts.now ?? Date.now;
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
  }

  /** What the ConfigMap said last (empty until ready). */
  get current(): ExtensionAuthentication {
    return this.data;
  }

  get isSynced(): boolean {
    return this.isReady;
  }

  /** Called with the new content after every change. */
  onChange(listener: (current: ExtensionAuthentication) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts reading and following the ConfigMap; `ready` resolves after the first read. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    const first = async (): Promise<void> => {
      try {
        await this.sync();
        if (this.opts.watch !== false) void this.watch();
      } catch {
        // Retried until stopped; the readyz check reports the error meanwhile.
        if (!this.stopped) this.retryTimer = setTimeout(() => void first(), WATCH_RETRY_MS);
      }
    };
    void first();
    this.resyncTimer = setInterval(() => void this.sync().catch(() => undefined), this.resyncIntervalMs);
    this.resyncTimer.unref();
    return this;
  }

  /** Reads the ConfigMap once (a missing one counts as empty). */
  async sync(): Promise<void> {
    const started = this.now();
    let configMap: ConfigMap | undefined;
    try {
      configMap = await this.opts.client.get<ConfigMap>(`${CONFIGMAP_PATH}/${EXTENSION_AUTHENTICATION_NAME}`);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) {
        this.opts.logger?.warn({}, `configmap ${EXTENSION_AUTHENTICATION_NAMESPACE}/${EXTENSION_AUTHENTICATION_NAME} not found: no client-certificate or front-proxy authentication`);
        configMap = { data: {} };
      } else {
        this.lastError = err instanceof Error ? err : new Error(String(err));
        this.failingSince ??= started;
        this.opts.logger?.warn({ err: this.lastError.message }, `reading ${EXTENSION_AUTHENTICATION_NAMESPACE}/${EXTENSION_AUTHENTICATION_NAME} failed`);
        this.retrySoon();
        throw this.lastError;
      }
    }
    this.apply(configMap);
  }

  /** A /readyz check: fails until the first read, and once the reads have failed for unreachableAfterMs. */
  readyzCheck(name = 'extension-apiserver-authentication'): HealthCheck {
    return {
      name,
      check: () => {
        const why = this.lastError ? `: ${this.lastError.message}` : '';
        if (!this.isReady) throw new Error(`configmap ${EXTENSION_AUTHENTICATION_NAMESPACE}/${EXTENSION_AUTHENTICATION_NAME} not read yet${why}`);
        if (this.failingSince === undefined) return;
        const failingMs = this.now() - this.failingSince;
        if (failingMs >= this.unreachableAfterMs) {
          throw new Error(`the host cluster has not answered for ${Math.round(failingMs / 1000)}s${why}`);
        }
      },
    };
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.quickRetryTimer);
    this.stopWatch?.();
    this.stopWatch = undefined;
  }

  /** After a failed read: read again in a second (once), until a read succeeds. */
  private retrySoon(): void {
    // Before the first success start() retries (and then starts the watch).
    if (this.stopped || this.quickRetryTimer || !this.isReady) return;
    this.quickRetryTimer = setTimeout(() => {
      this.quickRetryTimer = undefined;
      this.sync().catch(() => undefined);
    }, WATCH_RETRY_MS);
    this.quickRetryTimer.unref();
  }

  private apply(configMap: ConfigMap): void {
    this.failingSince = undefined;
    this.lastError = undefined;
    if (configMap.metadata?.resourceVersion) this.resourceVersion = configMap.metadata.resourceVersion;
    let parsed: ExtensionAuthentication;
    try {
      parsed = parseExtensionAuthentication(configMap.data);
    } catch (err) {
      this.lastError = err instanceof Error ? err : new Error(String(err));
      this.opts.logger?.warn({ err: this.lastError.message }, `bad ${EXTENSION_AUTHENTICATION_NAME} configmap; keeping the previous content`);
      return;
    }
    const changed = JSON.stringify(parsed) !== JSON.stringify(this.data);
    this.data = parsed;
    if (!this.isReady) {
      this.isReady = true;
      this.resolveReady();
    }
    if (changed) {
      this.opts.logger?.info({ requestHeader: Boolean(parsed.requestHeader), clientCA: Boolean(parsed.clientCA) }, `${EXTENSION_AUTHENTICATION_NAME} loaded`);
      for (const listener of this.listeners) listener(parsed);
    }
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const restart = (err: unknown): void => {
      this.stopWatch = undefined;
      if (this.stopped) return;
      if (err) this.opts.logger?.debug({ err: err instanceof Error ? err.message : String(err) }, `watch of ${EXTENSION_AUTHENTICATION_NAME} ended`);
      // Read again (the resourceVersion may be too old by now), then watch from there.
      this.retryTimer = setTimeout(() => {
        this.sync().then(
          () => void this.watch(),
          () => restart(undefined),
        );
      }, WATCH_RETRY_MS);
    };
    let stop: () => void;
    try {
      stop = await this.opts.client.watch(
        CONFIGMAP_PATH,
        {
          fieldSelector: `metadata.name=${EXTENSION_AUTHENTICATION_NAME}`,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: 300,
        },
        {
          event: (type, object: ConfigMap) => {
            if (type === 'ADDED' || type === 'MODIFIED') this.apply(object);
            else if (type === 'BOOKMARK') {
              if (object.metadata?.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
            } else if (type === 'DELETED') this.apply({ data: {} });
          },
          end: restart,
        },
      );
    } catch (err) {
      restart(err);
      return;
    }
    if (this.stopped) stop();
    else this.stopWatch = stop;
  }
}
