export * from './types.js';
export * from './flunder.js';
export * from './fischer.js';
export * from './admission.js';
