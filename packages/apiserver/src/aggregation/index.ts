export * from './objects.js';
export * from './register.js';
