/**
 * NamespaceLifecycle, as k8s.io/apiserver's plugin/pkg/admission/namespace/lifecycle runs it in an
 * aggregated server: objects may be created (or updated) only in a namespace the host cluster has,
 * and not created in one being terminated. The host's namespaces are kept by an informer; a
 * namespace the cache does not know is looked up live before the request is refused (the cache
 * may lag a namespace created just before). Deletes and cluster-scoped objects always pass.
 */
import { StatusError, newForbidden, newInternalError, newNotFound } from '@kapi/apimachinery';
import { KubeApiError, type KubeRestClient } from '../kube/index.js';
import type { HealthCheck } from '../http/health-check.js';
import { Informer } from '../kube/informer.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/rest.js';

export const NAMESPACE_LIFECYCLE = 'NamespaceLifecycle';

/** How long a create waits for the cache to see a namespace it does not know yet (Go's missingNamespaceWait). */
const MISSING_NAMESPACE_WAIT_MS = 50;

interface Namespace {
  metadata?: { name?: string; resourceVersion?: string };
  status?: { phase?: string };
}

export interface NamespaceLifecycle extends AdmissionPlugin {
  /** Fails until the first list of the host's namespaces (Go's plugin waits for its informer, as /readyz does). */
  readonly readyzCheck: HealthCheck;
  /** Lists and starts watching the host's namespaces. */
  start(): Promise<void>;
  stop(): void;
}

export function namespaceLifecycle(client: KubeRestClient, opts: { onError?(err: unknown): void } = {}): NamespaceLifecycle {
  const namespaces = new Informer<Namespace>(client, { path: '/api/v1/namespaces', ...(opts.onError ? { onError: opts.onError } : {}) });

  const lookup = async (name: string, operation: AdmissionAttributes['operation']): Promise<Namespace | undefined> => {
    let found = namespaces.get(name);
    if (!found && operation === 'CREATE') {
      await new Promise((r) => setTimeout(r, MISSING_NAMESPACE_WAIT_MS));
      found = namespaces.get(name);
    }
    if (found) return found;
    try {
      return await client.get<Namespace>(`/api/v1/namespaces/${encodeURIComponent(name)}`);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw newInternalError(err);
    }
  };

  return {
    name: NAMESPACE_LIFECYCLE,
    readyzCheck: {
      name: 'informer-sync',
      check: () => {
        if (!namespaces.hasSynced) throw new Error('the host cluster\'s namespaces are not listed yet');
      },
    },
    start: () => namespaces.start(),
    stop: () => namespaces.stop(),
    async admit(attrs) {
      if (!attrs.namespace || attrs.operation === 'DELETE') return;
      const resource = { group: attrs.group, resource: attrs.resource };
      if (!namespaces.hasSynced) throw newForbidden(resource, attrs.name, 'not yet ready to handle request');
      const namespace = await lookup(attrs.namespace, attrs.operation);
      if (!namespace) throw newNotFound({ group: '', resource: 'namespaces' }, attrs.namespace);
      if (attrs.operation === 'CREATE' && namespace.status?.phase === 'Terminating') {
        const err: StatusError = newForbidden(resource, attrs.name, `unable to create new content in namespace ${attrs.namespace} because it is being terminated`);
        const details = (err.status.details ??= {});
        (details.causes ??= []).push({ reason: 'NamespaceTerminating', message: `namespace ${attrs.namespace} is being terminated`, field: 'metadata.namespace' });
        throw err;
      }
    },
  };
}
