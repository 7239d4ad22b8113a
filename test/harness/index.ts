// The cluster harness lives in packages/devcluster (the CLI ships it); the suites import it from here.
export * from '@kapi/devcluster';
export { eventually } from './eventually.js';
