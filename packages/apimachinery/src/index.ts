export * from './meta.js';
export * from './status.js';
export * from './watch.js';
export * from './labels.js';
export * from './fields.js';
export * from './validation.js';
export * from './continue.js';
export * from './duration.js';
