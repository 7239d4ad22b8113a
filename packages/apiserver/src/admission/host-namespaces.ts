/**
 * The host cluster's namespaces as admission sees them: kept by an informer, a namespace the
 * cache does not know looked up live (the cache may lag one created just before). NamespaceLifecycle
 * and the namespaceSelectors of webhooks and policies share it.
 */
import { newInternalError } from '@kapi/apimachinery';
import type { HealthCheck } from '../http/health-check.js';
import { KubeApiError, type KubeRestClient } from '../kube/index.js';
import { Informer } from '../kube/informer.js';

export interface Namespace {
  metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string> };
  status?: { phase?: string };
}

export class HostNamespaces {
  private readonly informer: Informer<Namespace>;

  constructor(
    private readonly client: KubeRestClient,
    opts: { onError?(err: unknown): void } = {},
  ) {
    this.informer = new Informer<Namespace>(client, { path: '/api/v1/namespaces', ...(opts.onError ? { onError: opts.onError } : {}) });
  }

  /** Fails until the first list of the host's namespaces (Go's plugins wait for their informer, as /readyz does). */
  readonly readyzCheck: HealthCheck = {
    name: 'informer-sync',
    check: () => {
      if (!this.informer.hasSynced) throw new Error("the host cluster's namespaces are not listed yet");
    },
  };

  get hasSynced(): boolean {
    return this.informer.hasSynced;
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** The cached namespace, if the cache has it. */
  cached(name: string): Namespace | undefined {
    return this.informer.get(name);
  }

  /** The namespace from the cache, else from the host; undefined when the host has none (a failed lookup is a 500). */
  async get(name: string): Promise<Namespace | undefined> {
    const found = this.informer.get(name);
    if (found) return found;
    try {
      return await this.client.get<Namespace>(`/api/v1/namespaces/${encodeURIComponent(name)}`);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw newInternalError(err);
    }
  }
}
