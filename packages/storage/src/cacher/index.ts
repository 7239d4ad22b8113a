export { Cacher, type CacherOptions } from './cacher.js';
export { CacheStore } from './store.js';
export { EventHistory } from './history.js';
export { WatcherFanout, type CacheWatcherInit } from './fanout.js';
export { Reflector, type ReflectorSink, type ReflectorOptions } from './reflector.js';
export { RevisionWaiters } from './revision-waiters.js';
