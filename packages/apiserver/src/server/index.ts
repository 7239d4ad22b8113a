export * from './api-routes.js';
export * from './generic-apiserver.js';
export * from './options.js';
export * from './healthz.js';
export * from './metrics.js';
export * from './max-in-flight.js';
export * from './request-log.js';
export * from './request-tracker.js';
export * from './authorization.js';
export * from './version.js';
export * from './standalone-server.js';
export * from './delegated-server.js';
// The host-cluster client (client-node loader, KubeConfig, REST client) the delegated server uses.
export * from '../kube/index.js';
export * from './run.js';
