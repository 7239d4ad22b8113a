/**
 * Compaction on a timer, as kube-apiserver's compactor does it: each run compacts at the revision
 * the previous run saw, so at least one interval of history is always kept for watchers to resume.
 */
export class PeriodicCompactor {
  private timer: NodeJS.Timeout | undefined;
  private previousRevision = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly currentRevision: () => number,
    private readonly compact: (revision: number) => void,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One run: compact at what the last run saw, then remember where the store is now. */
  tick(): void {
    try {
      if (this.previousRevision > 0) this.compact(this.previousRevision);
      this.previousRevision = this.currentRevision();
    } catch (err) {
      this.onError(err);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
