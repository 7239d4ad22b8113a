/** What the conformance suite needs from a backend under test, beyond the Storage interface. */
import type { Storage } from '../interface.js';

export interface ConformanceBackend {
  /** The storage under test. After restart() use the storage that call returned. */
  storage: Storage;
  /** The largest value (serialized object) the backend accepts, in bytes. */
  maxValueBytes: number;
  /** Compacts history up to the current revision; resolves to the revision compacted at. */
  compact(): Promise<number>;
  /** Stops the backend and starts it again on the same data; resolves to the storage to use now. */
  restart(): Promise<Storage>;
  /** Writes raw bytes at a key, past the codec (to plant a corrupt value). */
  putRaw(key: string, value: string): Promise<void>;
  /** Releases everything setup() made. */
  teardown(): Promise<void>;
}

export interface ConformanceTarget {
  /** Shown in the describe() title, e.g. "sqlite" or "cacher(etcd3)". */
  name: string;
  /** Starts a fresh backend; called once per suite. */
  setup(): Promise<ConformanceBackend>;
}
