export * from './backend.js';
export * from './conformance.js';
export * from './fixtures.js';
export * from './cacher-target.js';
export * from './sqlite-target.js';
export * from './etcd3-target.js';
export * from './crd-target.js';
