/**
 * Group commit: the writes asked for during one turn of the event loop are checked and appended in
 * one IMMEDIATE transaction, so they share one commit and one fsync (with synchronous=FULL the
 * fsync, not the insert, is what a write costs). Each write keeps its own optimistic check against
 * the rows before it in the same batch, so the outcome is what one transaction per write would give.
 */
import { slices, TurnQueue } from '../turn-queue.js';
import type { AppendRequest, RevisionLog } from './revision-log.js';

interface PendingAppend {
  request: AppendRequest;
  resolve(revision: number | undefined): void;
  reject(err: unknown): void;
}

/** The most writes one transaction carries; a longer queue is committed in several. */
const MAX_BATCH = 512;

export class GroupCommitter {
  private readonly queue = new TurnQueue<PendingAppend>((batch) => {
    for (const slice of slices(batch, MAX_BATCH)) this.commit(slice);
  });

  /** `committed` runs after every transaction that wrote at least one row, with the newest revision. */
  constructor(
    private readonly log: RevisionLog,
    private readonly committed: (revision: number) => void,
  ) {}

  /** Resolves to the new revision once committed, or undefined when the key moved on since it was read. */
  append(request: AppendRequest): Promise<number | undefined> {
    return new Promise((resolve, reject) => this.queue.add({ request, resolve, reject }));
  }

  /** Commits everything queued now (also before the database closes). */
  flush(): void {
    this.queue.flush();
  }

  private commit(batch: PendingAppend[]): void {
    let revisions: (number | undefined)[];
    try {
      revisions = this.log.appendAll(batch.map((p) => p.request));
    } catch (err) {
      // The transaction rolled back as a whole: none of these writes happened.
      for (const pending of batch) pending.reject(err);
      return;
    }
    let newest = 0;
    batch.forEach((pending, i) => {
      const revision = revisions[i];
      if (revision !== undefined && revision > newest) newest = revision;
      pending.resolve(revision);
    });
    if (newest > 0) this.committed(newest);
  }
}
