export * from './scheme/index.js';
export * from './registry/index.js';
export * from './endpoints/index.js';
export * from './discovery/index.js';
export * from './openapi/index.js';
export * from './server/index.js';
export * from './security/index.js';
export * from './aggregation/index.js';
