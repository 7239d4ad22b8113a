/**
 * @kapi/apiserver: what a server author needs, at the builder's level: kinds and versions, the
 * builder, its handlers and hooks, the filters' helpers and runAPIServer beneath it.
 *
 * The layers under it have subpaths of their own (each its index's public names), lowest first:
 * @kapi/apiserver/http, /kube, /scheme, /registry, /security, /audit, /discovery, /endpoints,
 * /openapi, /server, /metrics (external.metrics.k8s.io: the provider a builder's withExternalMetrics
 * serves), /builder, and /aggregation (APIService registration objects).
 */

// The builder and the definitions it takes.
export {
  APIServerBuilder,
  apiServer,
  type APIServerOptions,
  type ActionHandler,
  type BuiltAPI,
  type ConnectHandler,
  type KindOptions,
  type SubresourceHandlers,
} from './builder/builder.js';
export { StringEnum, defineKind, defineVersion, guessPlural, type ObjectOf, type TypedVersion } from './builder/define.js';
export type {
  ActionSubresource,
  ConnectSubresource,
  JSONSchemaProps,
  KindDefinition,
  KindStrategy,
  PrinterColumn,
  ResourceVerb,
  ScaleSubresource,
  SelectableField,
  VersionDefinition,
} from './scheme/kind.js';

// What handlers, admission plugins and computed resources are given and return.
export type { AdmissionAttributes, AdmissionPlugin, ApiGetOptions, ApiListOptions, RequestContext, UserInfo } from './registry/rest.js';
export type { ConnectStream } from './registry/interfaces.js';
export type { ComputedResourceImpl } from './registry/computed.js';
export type { Store } from './registry/store.js';

// The server the builder runs (configure(server => ...)), and runAPIServer beneath the builder.
export { runAPIServer, ServerWorkers, type APIServerDefinition, type InstalledAPI } from './server/run.js';
export type { GenericAPIServer, PostStartHook, ShutdownHook } from './server/generic-apiserver.js';
export type { HealthCheck } from './http/health-check.js';

// Filters (server.addFilter) and non-resource handlers: the request's info and user, and the one error writer.
export { requestInfoOf, type RequestInfo } from './http/request-info.js';
export { requestUser } from './security/authn.js';
export { writeStatus } from './http/responses.js';
export type { Filter, RequestHandler } from './http/routes.js';
