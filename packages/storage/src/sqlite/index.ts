export { SqliteStorage } from './storage.js';
export {
  DEFAULT_BOOKMARK_INTERVAL_MS,
  DEFAULT_COMPACTION_INTERVAL_MS,
  type ResolvedSqliteOptions,
  type SqliteStorageOptions,
} from './options.js';
