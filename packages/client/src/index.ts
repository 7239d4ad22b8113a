/**
 * @kapi/client: the runtime of the typed clients `kapi generate client` writes for an API group
 * (Go's client-go rest + typed clientsets): a connection made from a KubeConfig, a typed
 * client per resource, Status errors as typed exceptions, sessions of connect subresources.
 */
export * from './client.js';
export * from './errors.js';
export * from './types.js';
export { Watch } from './watch.js';
export { openStream, STREAM_PROTOCOLS, StreamSession, type StreamOptions, type StreamStatus } from './stream.js';
export type { ListMeta, ObjectMeta, OwnerReference, Status, StatusCause, StatusDetails } from '@kapi/apimachinery';
export * from './store.js';
export * from './informer.js';
export * from './factory.js';
