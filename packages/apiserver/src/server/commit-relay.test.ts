import { EventEmitter } from 'node:events';
import type { SharedCommits } from '@kapi/storage';
import { COMMIT_MESSAGE, relayCommits, shareCommits, type WorkerChannel } from './commit-relay.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A store whose commits the test makes, and which records what it is told of the others'. */
class FakeStore implements SharedCommits {
  readonly observed: number[] = [];
  private readonly listeners = new Set<(revision: number) => void>();

  onCommit(listener: (revision: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  observeRevision(revision: number): void {
    this.observed.push(revision);
  }

  commit(revision: number): void {
    for (const listener of this.listeners) listener(revision);
  }
}

/** `process` of a worker: messages it sends, and the primary's messages emitted to it. */
class FakeProcess extends EventEmitter {
  readonly sent: unknown[] = [];

  send(message: unknown): boolean {
    this.sent.push(message);
    return true;
  }
}

class FakeWorker implements WorkerChannel {
  readonly received: unknown[] = [];
  connected = true;

  constructor(readonly id: number) {}

  send(message: unknown): boolean {
    this.received.push(message);
    return true;
  }

  isConnected(): boolean {
    return this.connected;
  }
}

class FakeCluster extends EventEmitter {
  readonly workers: Record<number, FakeWorker> = {};

  add(...workers: FakeWorker[]): void {
    for (const worker of workers) this.workers[worker.id] = worker;
  }
}

const commit = (revision: number) => ({ type: COMMIT_MESSAGE, revision });

describe('shareCommits (in a worker)', () => {
  it("sends the newest revision of a turn's commits to the primary once", async () => {
    const store = new FakeStore();
    const channel = new FakeProcess();
    shareCommits(store, channel);
    store.commit(5);
    store.commit(7);
    store.commit(6);
    expect(channel.sent).toEqual([]);
    await turn();
    expect(channel.sent).toEqual([commit(7)]);
    store.commit(7);
    await turn();
    expect(channel.sent).toEqual([commit(7)]);
    store.commit(9);
    await turn();
    expect(channel.sent).toEqual([commit(7), commit(9)]);
  });

  it("passes the other workers' revisions to the store, and nothing else", () => {
    const store = new FakeStore();
    const channel = new FakeProcess();
    shareCommits(store, channel);
    channel.emit('message', commit(12));
    channel.emit('message', { type: 'something-else', revision: 13 });
    channel.emit('message', { type: COMMIT_MESSAGE, revision: 'x' });
    channel.emit('message', 'text');
    expect(store.observed).toEqual([12]);
  });

  it('stops sending and applying once stopped', async () => {
    const store = new FakeStore();
    const channel = new FakeProcess();
    const stop = shareCommits(store, channel);
    store.commit(3);
    stop();
    await turn();
    store.commit(4);
    channel.emit('message', commit(8));
    await turn();
    expect(channel.sent).toEqual([]);
    expect(store.observed).toEqual([]);
    expect(channel.listenerCount('message')).toBe(0);
  });
});

describe('relayCommits (in the primary)', () => {
  it('tells every other worker, coalesced per turn, never the sender', async () => {
    const cluster = new FakeCluster();
    const [a, b, c] = [new FakeWorker(1), new FakeWorker(2), new FakeWorker(3)];
    cluster.add(a, b, c);
    relayCommits(cluster);
    cluster.emit('message', a, commit(10));
    cluster.emit('message', b, commit(11));
    cluster.emit('message', a, commit(12));
    cluster.emit('message', a, { type: 'other' });
    await turn();
    expect(a.received).toEqual([commit(11)]);
    expect(b.received).toEqual([commit(12)]);
    expect(c.received).toEqual([commit(12)]);
  });

  it('skips workers that are gone, and reaches one started since', async () => {
    const cluster = new FakeCluster();
    const [a, b] = [new FakeWorker(1), new FakeWorker(2)];
    cluster.add(a, b);
    relayCommits(cluster);
    b.connected = false;
    cluster.emit('message', a, commit(4));
    await turn();
    expect(b.received).toEqual([]);
    const restarted = new FakeWorker(3);
    cluster.add(restarted);
    cluster.emit('message', a, commit(5));
    await turn();
    expect(restarted.received).toEqual([commit(5)]);
  });

  it('carries commits from one worker process to the store of another', async () => {
    const cluster = new FakeCluster();
    const stores = [new FakeStore(), new FakeStore()];
    const processes = [new FakeProcess(), new FakeProcess()];
    // Each worker's process.send reaches the primary as a cluster 'message' from that worker;
    // the primary's worker.send reaches the worker as a process 'message'.
    const workers = processes.map((proc, i) => {
      const worker = new FakeWorker(i + 1);
      worker.send = (message: unknown) => proc.emit('message', message);
      proc.send = (message: unknown) => cluster.emit('message', worker, message);
      return worker;
    });
    cluster.add(...workers);
    relayCommits(cluster);
    stores.forEach((store, i) => shareCommits(store, processes[i]!));
    stores[0]!.commit(21);
    await turn();
    await turn();
    expect(stores[1]!.observed).toEqual([21]);
    expect(stores[0]!.observed).toEqual([]);
  });
});
