export { storageVersionHash } from './storage-version-hash.js';
export { resourceDiscoveryOf, type ListedGroupVersion } from './listed.js';
export { servedGroups, type ServedGroup, type ServedGroupVersion } from './served-groups.js';
export {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  SUBRESOURCE_VERBS,
  type APIGroup,
  type APIGroupDiscovery,
  type APIGroupDiscoveryList,
  type APIGroupList,
  type APIResource,
  type APIResourceDiscovery,
  type APIResourceList,
  type APISubresourceDiscovery,
  type APIVersionDiscovery,
  type DiscoveryGroupVersionKind,
  type GroupVersionForDiscovery,
} from './documents.js';
export {
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  createDiscoveryHandler,
  negotiateDiscovery,
  sha512Hex,
  type DiscoveryHandler,
} from './handler.js';
