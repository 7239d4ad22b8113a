/**
 * A group version whose resources are not a scheme's kinds: discovery asks its lister at each
 * request (Go's discovery.APIResourceLister, as sigs.k8s.io/custom-metrics-apiserver lists each
 * metric its provider knows as a resource). Its requests are served by its own handler
 * (endpoints' DynamicGroupVersion).
 */
import type { APIResource, APIResourceDiscovery } from './documents.js';

export interface ListedGroupVersion {
  group: string;
  version: string;
  /** What /apis/<group>/<version> lists, asked at each request. */
  resources(): readonly APIResource[];
  /**
   * Whether the aggregated form of /apis (apidiscovery.k8s.io/v2) lists this group too. Go's
   * custom-metrics-apiserver adds its groups to the legacy DiscoveryGroupManager only, so its
   * aggregated /apis leaves them out; default true.
   */
  aggregatedDiscovery?: boolean;
}

/** A legacy APIResource as aggregated discovery shows it (Go's endpoints.ConvertGroupVersionIntoToDiscovery, for resources without subresources). */
export function resourceDiscoveryOf(resource: APIResource): APIResourceDiscovery {
  return {
    resource: resource.name,
    responseKind: { group: resource.group ?? '', version: resource.version ?? '', kind: resource.kind },
    scope: resource.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: resource.singularName,
    verbs: [...resource.verbs],
    ...(resource.shortNames?.length ? { shortNames: resource.shortNames } : {}),
    ...(resource.categories?.length ? { categories: resource.categories } : {}),
  };
}
