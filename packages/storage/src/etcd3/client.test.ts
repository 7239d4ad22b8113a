import { WatchManager } from 'etcd3/lib/watch';
import { createEtcdClient } from './client.js';

describe('createEtcdClient', () => {
  it("drops a watch response for a watcher the manager no longer holds, where etcd3 itself throws (and, from its stream handler, ends the process)", () => {
    const client = createEtcdClient({ endpoints: 'http://127.0.0.1:1' });
    try {
      const manager = Object.create(WatchManager.prototype) as { watchers: unknown[]; handleResponse(res: { watch_id: string }): void };
      manager.watchers = [];
      expect(() => manager.handleResponse({ watch_id: '7' })).not.toThrow();
    } finally {
      client.close();
    }
  });
});
