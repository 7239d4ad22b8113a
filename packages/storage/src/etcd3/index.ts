export { Etcd3Storage, type Etcd3StorageOptions } from './store.js';
export { createEtcdClient, type EtcdClientOptions } from './client.js';
export {
  COMPACT_REV_KEY,
  Compactor,
  compactAt,
  compactRound,
  type CompactorOptions,
  type CompactRoundResult,
  type CompactRoundState,
} from './compactor.js';
export { EtcdWatchSource } from './watch-source.js';
