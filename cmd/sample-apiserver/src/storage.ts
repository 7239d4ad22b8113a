/** Opens the storage backend the flags name: the embedded SQLite file (default) or etcd. */
import { join } from 'node:path';
import type { ServerOptions } from '@kapi/apiserver';
import { Etcd3Storage, SqliteStorage, type Storage } from '@kapi/storage';

export function openStorage(opts: Pick<ServerOptions, 'storageBackend' | 'dataDir' | 'etcdServers'>): Storage {
  switch (opts.storageBackend) {
    case 'sqlite':
      return SqliteStorage.open({ path: join(opts.dataDir, 'kapi.db') });
    case 'etcd3':
      if (opts.etcdServers.length === 0) throw new Error('--storage-backend=etcd3 needs --etcd-servers');
      return new Etcd3Storage({ endpoints: opts.etcdServers });
  }
}
