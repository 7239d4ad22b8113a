export * from './cache.js';
export * from './extension-config.js';
export * from './request-header.js';
export * from './token-review.js';
export * from './subject-access-review.js';
