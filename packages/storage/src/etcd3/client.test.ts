import { GRPCDeadlineExceededError, GRPCInvalidArgumentError, GRPCResourceExhastedError, GRPCUnavailableError } from 'etcd3';
import { WatchManager } from 'etcd3/lib/watch';
import { createEtcdClient, mayRetry, retryPolicyOf } from './client.js';

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

describe('retryPolicyOf', () => {
  const range = { request_range: { key: Buffer.from('a') } };
  const put = { request_put: { key: Buffer.from('a'), value: Buffer.from('v') } };
  it.each([
    ['KV', 'range', {}, 'repeatable'],
    ['KV', 'compact', { revision: 5 }, 'repeatable'],
    ['KV', 'txn', { compare: [], success: [range, range], failure: [] }, 'repeatable'],
    ['KV', 'txn', { compare: [{ key: Buffer.from('a'), target: 'Mod', result: 'Equal', mod_revision: 0 }], success: [put], failure: [range] }, 'nonRepeatable'],
    ['KV', 'txn', { success: [range, put] }, 'nonRepeatable'],
    ['KV', 'put', {}, 'nonRepeatable'],
    ['KV', 'deleteRange', {}, 'nonRepeatable'],
    ['Lease', 'leaseGrant', {}, 'nonRepeatable'],
  ])('%s.%s %j is %s', (service, method, payload, policy) => {
    expect(retryPolicyOf(service, method, payload)).toBe(policy);
  });
});

describe('mayRetry', () => {
  it('repeats a write gRPC never sent (no connection to the member), as a read', async () => {
    const client = createEtcdClient({ endpoints: 'http://127.0.0.1:1', maxAttempts: 1 });
    try {
      const err = await client.kv.range({ key: Buffer.from('a') }).then(() => undefined, (e: Error) => e);
      expect(err).toBeInstanceOf(GRPCUnavailableError);
      expect(mayRetry('nonRepeatable', err as Error)).toBe(true);
      expect(mayRetry('repeatable', err as Error)).toBe(true);
    } finally {
      client.close();
    }
  });

  it.each([
    ['the connection dropped after the call went out', new GRPCUnavailableError('14 UNAVAILABLE: Connection dropped')],
    ['raft did not commit in time', new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: request timed out')],
    ['the leader changed under the proposal', new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: leader changed')],
    ['the deadline passed', new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded')],
  ])('repeats a read but not a write when %s', (_why, err) => {
    expect(mayRetry('repeatable', err)).toBe(true);
    expect(mayRetry('nonRepeatable', err)).toBe(false);
  });

  it('repeats nothing that is final', () => {
    for (const policy of ['repeatable', 'nonRepeatable'] as const) {
      expect(mayRetry(policy, new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded'))).toBe(false);
      expect(mayRetry(policy, new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: etcdserver: request is too large'))).toBe(false);
      expect(mayRetry(policy, new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: key is not provided'))).toBe(false);
    }
  });
});
