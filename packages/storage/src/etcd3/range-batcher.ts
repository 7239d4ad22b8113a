/**
 * Reads asked for during one turn of the event loop go to etcd as one read-only transaction of
 * range operations instead of one gRPC call each: etcd answers them all at one revision (still
 * linearizable: a read-only txn is a consistent read), and the per-call cost of the gRPC client,
 * which dominates a small read in Node, is paid once per batch.
 */
import type { IRangeRequest, IRangeResponse, KVClient } from 'etcd3';
import { slices, TurnQueue } from '../turn-queue.js';

interface PendingRange {
  request: IRangeRequest;
  resolve(response: IRangeResponse): void;
  reject(err: unknown): void;
}

/** etcd refuses a txn of more operations than --max-txn-ops (default 128). */
export const MAX_RANGES_PER_TXN = 128;

export class RangeBatcher {
  private readonly queue = new TurnQueue<PendingRange>((queued) => {
    for (const batch of slices(queued, MAX_RANGES_PER_TXN)) void this.send(batch);
  });

  constructor(private readonly kv: KVClient) {}

  range(request: IRangeRequest): Promise<IRangeResponse> {
    return new Promise((resolve, reject) => this.queue.add({ request, resolve, reject }));
  }

  private async send(batch: PendingRange[]): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0]!;
      await this.kv.range(only.request).then(only.resolve, only.reject);
      return;
    }
    try {
      const res = await this.kv.txn({ compare: [], success: batch.map((p) => ({ request_range: p.request })), failure: [] });
      batch.forEach((pending, i) => {
        const range = res.responses[i]?.response_range;
        // Each range answers with the txn's header: the revision all of them were read at.
        if (range) pending.resolve({ ...range, header: res.header });
        else pending.reject(new Error(`etcd answered a read-only txn of ${batch.length} ranges without response ${i}`));
      });
    } catch (err) {
      for (const pending of batch) pending.reject(err);
    }
  }
}
