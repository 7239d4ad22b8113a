/**
 * History compaction as kube-apiserver does it (k8s.io/apiserver/pkg/storage/etcd3/compact.go):
 * every interval each server bids on the version of `compact_rev_key`; the one whose txn wins
 * records the current revision and compacts the revision recorded the round before. So several
 * servers sharing one etcd compact once per interval, always keeping at least one interval of history.
 */
import type { KVClient } from 'etcd3';
import { headerRevision, toRevision } from './client.js';
import { isCompacted } from './errors.js';

export const COMPACT_REV_KEY = 'compact_rev_key';

/** What a compactor carries from one round to the next. */
export interface CompactRoundState {
  /** The version of compact_rev_key this server expects (0 = the key does not exist yet). */
  expectVersion: number;
  /** The revision recorded last round; compacted in the next round this server wins. */
  revision: number;
}

export interface CompactRoundResult extends CompactRoundState {
  /** The revision known to be compacted after this round (by us or another server); 0 when none. */
  compacted: number;
}

const COMPACT_KEY_BYTES = Buffer.from(COMPACT_REV_KEY);

/** One round of the coordinated compaction (Compact() in compact.go). */
export async function compactRound(kv: KVClient, state: CompactRoundState): Promise<CompactRoundResult> {
  const res = await kv.txn({
    compare: [{ key: COMPACT_KEY_BYTES, target: 'Version', result: 'Equal', version: state.expectVersion }],
    success: [{ request_put: { key: COMPACT_KEY_BYTES, value: Buffer.from(String(state.revision)) } }],
    failure: [{ request_range: { key: COMPACT_KEY_BYTES } }],
  });
  const currentRevision = headerRevision(res.header);
  if (!res.succeeded) {
    // Another server won this round: follow its version, and note what it recorded.
    const kvs = res.responses[0]?.response_range?.kvs ?? [];
    const recorded = kvs[0];
    const compacted = recorded ? Number(recorded.value.toString()) : 0;
    return {
      expectVersion: recorded ? toRevision(recorded.version) : 0,
      revision: currentRevision,
      compacted: Number.isSafeInteger(compacted) ? compacted : 0,
    };
  }
  const next = { expectVersion: state.expectVersion + 1, revision: currentRevision };
  if (state.revision === 0) return { ...next, compacted: 0 };
  await compactAt(kv, state.revision);
  return { ...next, compacted: state.revision };
}

/** Compacts history up to `revision`; one already compacted is not an error. */
export async function compactAt(kv: KVClient, revision: number): Promise<void> {
  try {
    // physical: answer once the history is really gone, so a test sees 410 right after.
    await kv.compact({ revision, physical: true });
  } catch (err) {
    if (!isCompacted(err)) throw err;
  }
}

export interface CompactorOptions {
  intervalMs: number;
  /** Told of a failed round; the next round is tried anyway. */
  onError?: (err: unknown) => void;
}

/** Runs compactRound every interval until stopped. */
export class Compactor {
  private state: CompactRoundState = { expectVersion: 0, revision: 0 };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private latestCompacted = 0;

  constructor(
    private readonly kv: KVClient,
    private readonly opts: CompactorOptions,
  ) {}

  /** The highest revision this compactor knows to be compacted. */
  get compactedRevision(): number {
    return this.latestCompacted;
  }

  start(): void {
    if (this.timer || this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.round().finally(() => (this.running = undefined));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round now (what the timer runs). */
  async round(): Promise<void> {
    try {
      const result = await compactRound(this.kv, this.state);
      this.state = { expectVersion: result.expectVersion, revision: result.revision };
      this.latestCompacted = Math.max(this.latestCompacted, result.compacted);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
