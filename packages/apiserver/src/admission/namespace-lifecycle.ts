/**
 * NamespaceLifecycle, as k8s.io/apiserver's plugin/pkg/admission/namespace/lifecycle runs it in an
 * aggregated server: objects may be created (or updated) only in a namespace the host cluster has,
 * and not created in one being terminated. The host's namespaces are kept by an informer; a
 * namespace the cache does not know is looked up live before the request is refused (the cache
 * may lag a namespace created just before). Deletes and cluster-scoped objects always pass.
 */
import { StatusError, newForbidden, newNotFound } from '@kapi/apimachinery';
import type { AdmissionPlugin } from '../registry/rest.js';
import type { HostNamespaces } from './host-namespaces.js';

export const NAMESPACE_LIFECYCLE = 'NamespaceLifecycle';

/** How long a create waits for the cache to see a namespace it does not know yet (Go's missingNamespaceWait). */
const MISSING_NAMESPACE_WAIT_MS = 50;

export function namespaceLifecycle(namespaces: HostNamespaces): AdmissionPlugin {
  return {
    name: NAMESPACE_LIFECYCLE,
    async admit(attrs) {
      if (!attrs.namespace || attrs.operation === 'DELETE') return;
      const resource = { group: attrs.group, resource: attrs.resource };
      if (!namespaces.hasSynced) throw newForbidden(resource, attrs.name, 'not yet ready to handle request');
      if (attrs.operation === 'CREATE' && !namespaces.cached(attrs.namespace)) {
        await new Promise((r) => setTimeout(r, MISSING_NAMESPACE_WAIT_MS));
      }
      const namespace = await namespaces.get(attrs.namespace);
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
