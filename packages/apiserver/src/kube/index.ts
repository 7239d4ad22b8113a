export * from './client-node.js';
