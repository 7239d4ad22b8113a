/**
 * The consumer end of a watch: an async iterable of events that a backend pushes into.
 * Stopping it (or breaking out of a for-await) releases the backend's resources.
 */
import type { KubeObject, Status, WatchEvent } from '@kapi/apimachinery';

export class Watcher<T extends KubeObject = KubeObject> implements AsyncIterable<WatchEvent<T>> {
  /** Events not yet read from `head` on; read slots are cleared so their objects can be collected. */
  private readonly queue: Array<WatchEvent<T> | undefined> = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private ended = false;
  private stopped = false;
  private readonly cleanups: Array<() => void> = [];

  /** @param capacity events queued for a slow consumer before the watch is ended with 410. */
  constructor(readonly capacity = 100_000) {}

  /** Registers cleanup to run once when the watch stops, for whatever reason. */
  onStop(cleanup: () => void): void {
    if (this.stopped) cleanup();
    else this.cleanups.push(cleanup);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Queues an event; false when the watcher no longer takes events. */
  send(event: WatchEvent<T>): boolean {
    if (this.ended) return false;
    if (this.queue.length - this.head >= this.capacity) {
      this.fail({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'watcher fell too far behind and was stopped; restart the watch',
        reason: 'Expired',
        code: 410,
      });
      return false;
    }
    this.queue.push(event);
    this.notify();
    return true;
  }

  /** Ends the stream with an ERROR event (e.g. 410 Expired), after the events already queued. */
  fail(status: Status): void {
    if (this.ended) return;
    this.queue.push({ type: 'ERROR', object: status });
    this.end();
  }

  /** Ends the stream after the events already queued. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.releaseBackend();
    this.notify();
  }

  /** The consumer is done: drop what is queued and release the backend. */
  stop(): void {
    this.queue.length = 0;
    this.head = 0;
    this.end();
  }

  /** The next event, or undefined once the stream has ended. */
  async next(): Promise<WatchEvent<T> | undefined> {
    for (;;) {
      if (this.head < this.queue.length) {
        const event = this.queue[this.head] as WatchEvent<T>;
        this.queue[this.head++] = undefined;
        if (this.head === this.queue.length) {
          this.queue.length = 0;
          this.head = 0;
        } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        return event;
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    try {
      for (;;) {
        const event = await this.next();
        if (!event) return;
        yield event;
      }
    } finally {
      this.stop();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private releaseBackend(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}
