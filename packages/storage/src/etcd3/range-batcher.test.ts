import type { IRangeRequest, IRangeResponse, ITxnRequest, ITxnResponse, KVClient } from 'etcd3';
import { startEtcd, type EtcdServer } from '../etcd-server/index.js';
import { createEtcdClient, headerRevision } from './client.js';
import { MAX_RANGES_PER_TXN, RangeBatcher } from './range-batcher.js';

let server: EtcdServer;
let client: ReturnType<typeof createEtcdClient>;

beforeAll(async () => {
  server = await startEtcd();
  client = createEtcdClient({ endpoints: server.endpoint });
  for (let i = 0; i < 300; i++) await client.put(`/batch/k${i}`).value(`v${i}`);
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.stop();
});

/** The real KV client, counting the gRPC calls made through it. */
function countingKv(): { kv: KVClient; calls: { range: number; txn: number } } {
  const calls = { range: 0, txn: 0 };
  const kv = {
    range: (req: IRangeRequest): Promise<IRangeResponse> => {
      calls.range++;
      return client.kv.range(req);
    },
    txn: (req: ITxnRequest): Promise<ITxnResponse> => {
      calls.txn++;
      return client.kv.txn(req);
    },
  } as unknown as KVClient;
  return { kv, calls };
}

const key = (k: string): IRangeRequest => ({ key: Buffer.from(k) });
const valueOf = (res: IRangeResponse): string | undefined => res.kvs[0]?.value.toString();

describe('RangeBatcher', () => {
  it('answers the reads of one turn from one read-only txn, each with its own key', async () => {
    const { kv, calls } = countingKv();
    const reads = new RangeBatcher(kv);
    const answers = await Promise.all([reads.range(key('/batch/k1')), reads.range(key('/batch/k2')), reads.range(key('/batch/missing'))]);
    expect(answers.map(valueOf)).toEqual(['v1', 'v2', undefined]);
    expect(calls).toEqual({ range: 0, txn: 1 });
    // All at the revision the txn read, which is the store's revision (a read-only txn writes nothing).
    const now = headerRevision((await client.kv.range(key('/batch/k1'))).header);
    expect(answers.map((a) => headerRevision(a.header))).toEqual([now, now, now]);
  });

  it('sends a lone read as a plain range', async () => {
    const { kv, calls } = countingKv();
    const res = await new RangeBatcher(kv).range({ key: Buffer.from('/batch/'), range_end: Buffer.from('/batch0'), count_only: true });
    expect(res.count).toBe('300');
    expect(calls).toEqual({ range: 1, txn: 0 });
  });

  it(`splits more than ${MAX_RANGES_PER_TXN} reads into txns etcd accepts`, async () => {
    const { kv, calls } = countingKv();
    const reads = new RangeBatcher(kv);
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => reads.range(key(`/batch/k${i}`))));
    expect(answers.map(valueOf)).toEqual(Array.from({ length: 300 }, (_, i) => `v${i}`));
    expect(calls.txn).toBe(Math.ceil(300 / MAX_RANGES_PER_TXN));
  });

  it('fails every read of a batch etcd refuses, and serves the next batch', async () => {
    const reads = new RangeBatcher(client.kv);
    // An empty key is an invalid range request: etcd refuses the whole txn.
    const outcomes = await Promise.allSettled([reads.range(key('/batch/k1')), reads.range({ key: Buffer.alloc(0) })]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(valueOf(await reads.range(key('/batch/k3')))).toBe('v3');
  });
});
