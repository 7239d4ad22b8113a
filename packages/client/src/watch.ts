/** A watch stream as an async iterable of typed events, ended by `stop()` or by the server. */
import type { ObjectLike, WatchEvent } from './types.js';

export class Watch<T extends ObjectLike> implements AsyncIterable<WatchEvent<T>> {
  private readonly queue: WatchEvent<T>[] = [];
  private waiting: ((result: IteratorResult<WatchEvent<T>>) => void) | undefined;
  private failWaiting: ((err: Error) => void) | undefined;
  private ended = false;
  private error: Error | undefined;
  private stopStream: (() => void) | undefined;

  /** @internal the client feeds it. */
  push(event: WatchEvent<T>): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      this.failWaiting = undefined;
      waiting({ value: event, done: false });
    } else {
      this.queue.push(event);
    }
  }

  /** @internal the stream ended: `err` when it broke (a network error), not when the server closed it. */
  end(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    const waiting = this.waiting;
    const fail = this.failWaiting;
    this.waiting = undefined;
    this.failWaiting = undefined;
    if (err && fail) fail(err);
    else waiting?.({ value: undefined, done: true });
  }

  /** @internal */
  started(stop: () => void): void {
    this.stopStream = stop;
    if (this.ended) stop();
  }

  /** Ends the watch (the iteration then ends once the events already received are read). */
  stop(): void {
    this.stopStream?.();
    this.end();
  }

  /** The next event; `undefined` when the watch ended. Rejects when the stream broke. */
  async next(): Promise<WatchEvent<T> | undefined> {
    const result = await this.nextResult();
    return result.done ? undefined : result.value;
  }

  private nextResult(): Promise<IteratorResult<WatchEvent<T>>> {
    const event = this.queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.ended) {
      if (this.error) {
        const err = this.error;
        this.error = undefined;
        return Promise.reject(err);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    return {
      next: () => this.nextResult(),
      return: () => {
        this.stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
