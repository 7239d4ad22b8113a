/**
 * The watch fan-out scenario of the HTTP benchmarks (server.ts, compare.ts): W watch streams on one
 * empty namespace from its list's resourceVersion, then up to K creates one after another, each
 * waiting until its ADDED event reached every watcher. Latency: from the create's response to the
 * event at the last watcher.
 */
import { performance } from 'node:perf_hooks';
import { flunderBody, flundersPath, listFlunders, objectName } from './flunder.js';
import type { Http } from './http-client.js';
import { summarizeLatencies, type LatencySummary } from './stats.js';

export interface WatchFanoutOptions {
  /** The namespace watched and written to; it must be empty. */
  namespace: string;
  watchers: number;
  /** Creates at most. */
  writes: number;
  /** Watch streams opened at once (TLS handshakes with a client certificate are the slow part). */
  openBatch: number;
  /** Wait after the last stream opened, before `onReady` and the first create. */
  settleMs: number;
  /** No create starts after this long (ms since the first). */
  capMs: number;
  /** How long one create's event may take to reach every watcher; then the scenario stops. */
  deliveryTimeoutMs: number;
  /** Called once every stream is open and settled, just before the first create (e.g. to reset a meter). */
  onReady?: () => void;
}

export interface WatchFanoutResult {
  /** Creates whose event reached every watcher. */
  delivered: number;
  /** Per delivered create: its response → the event at the last watcher (0 when the event came first). */
  latency: LatencySummary;
  /** The creates' own response times. */
  writeLatency: LatencySummary;
  /** Failed creates, undelivered events, wrong events and streams that ended early. */
  errors: number;
  /** From the first create to the last delivery (or the stop). */
  elapsedMs: number;
  /** Opening the W streams. */
  openMs: number;
  /** delivered × watchers per second of elapsedMs. */
  eventsPerSec: number;
  /** Failures (an event not delivered in time, wrong events, streams that ended early), each also in `notes`. */
  problems: string[];
  /** In order: a failed create or an undelivered event, the cap, the problems after the creates. */
  notes: string[];
}

interface WatchEvent {
  type?: string;
  object?: { metadata?: { name?: string; resourceVersion?: string } };
}

/**
 * Runs the scenario. Each watcher checks its events: JSON lines, ADDED, the names in the order
 * created (`objectName('w', i)`), resourceVersions increasing; anything else is a wrong event.
 */
export async function watchFanout(http: Http, o: WatchFanoutOptions): Promise<WatchFanoutResult> {
  const { namespace, watchers } = o;
  const collection = flundersPath(namespace);
  const notes: string[] = [];
  const problems: string[] = [];
  const problem = (text: string): void => {
    problems.push(text);
    notes.push(text);
  };
  const { resourceVersion } = await listFlunders(http, namespace);
  const path = `${collection}?watch=true&resourceVersion=${resourceVersion}&timeoutSeconds=900`;

  /** Per write: how many watchers have it, when the last did, and who to tell. */
  const pending = new Map<string, { seen: number; lastAt: number; done: () => void }>();
  let wrongEvents = 0;
  const wrongSamples: string[] = [];
  const wrong = (what: string): void => {
    wrongEvents++;
    if (wrongSamples.length < 3) wrongSamples.push(what);
  };
  let ended = 0;
  const endSamples: string[] = [];
  const stops: Array<() => void> = [];
  let stopping = false;

  const openOne = async (w: number): Promise<void> => {
    let buffer = '';
    let lastRv = 0;
    let expectIndex = 0;
    const stop = await http.stream(
      path,
      (text) => {
        buffer += text;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (!line.trim()) continue;
          const at = performance.now();
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch {
            wrong(`watcher ${w}: not JSON: ${line.slice(0, 120)}`);
            continue;
          }
          const name = event.object?.metadata?.name ?? '';
          const rv = Number(event.object?.metadata?.resourceVersion);
          if (event.type !== 'ADDED' || name !== objectName('w', expectIndex)) {
            wrong(`watcher ${w}: got ${event.type} ${name}, expected ADDED ${objectName('w', expectIndex)}`);
          }
          if (!(rv > lastRv)) wrong(`watcher ${w}: resourceVersion ${rv} after ${lastRv}`);
          lastRv = rv;
          expectIndex++;
          const entry = pending.get(name);
          if (entry) {
            entry.lastAt = Math.max(entry.lastAt, at);
            if (++entry.seen === watchers) entry.done();
          }
        }
      },
      (why) => {
        if (stopping) return;
        ended++;
        if (endSamples.length < 3) endSamples.push(`watcher ${w}: ${why}`);
      },
    );
    stops.push(stop);
  };
  const openStarted = performance.now();
  for (let from = 0; from < watchers; from += o.openBatch) {
    await Promise.all(Array.from({ length: Math.min(o.openBatch, watchers - from) }, (_, k) => openOne(from + k)));
  }
  const openMs = performance.now() - openStarted;
  await new Promise((r) => setTimeout(r, o.settleMs));
  o.onReady?.();

  const latencies: number[] = [];
  const writeLatencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  let capped = false;
  for (let i = 0; i < o.writes; i++) {
    if (performance.now() - started > o.capMs) {
      capped = true;
      break;
    }
    const name = objectName('w', i);
    let done!: () => void;
    const delivered = new Promise<void>((r) => (done = r));
    const entry = { seen: 0, lastAt: 0, done };
    pending.set(name, entry);
    const res = await http.send('POST', collection, flunderBody(namespace, name, i));
    const ackAt = performance.now();
    if (res.status !== 201) {
      errors++;
      notes.push(`create ${name}: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      break;
    }
    writeLatencies.push(res.ms);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      delivered.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), o.deliveryTimeoutMs))),
    ]);
    clearTimeout(timer);
    pending.delete(name);
    if (timedOut) {
      errors++;
      problem(`watch fan-out: ${name} reached ${entry.seen} of ${watchers} watchers in ${o.deliveryTimeoutMs / 1000} s`);
      break;
    }
    // An event can reach the watchers before the create's response reaches the client: count that as 0.
    latencies.push(Math.max(0, entry.lastAt - ackAt));
  }
  const elapsedMs = performance.now() - started;
  stopping = true;
  for (const stop of stops) stop();

  if (capped) notes.push(`stopped by the ${o.capMs / 1000} s cap after ${latencies.length} of ${o.writes} writes`);
  if (wrongEvents > 0) {
    errors += wrongEvents;
    problem(`watch fan-out: ${wrongEvents} wrong events (${wrongSamples.join('; ')})`);
  }
  if (ended > 0) {
    errors += ended;
    problem(`watch fan-out: ${ended} watch streams ended early (${endSamples.join('; ')})`);
  }
  return {
    delivered: latencies.length,
    latency: summarizeLatencies(latencies),
    writeLatency: summarizeLatencies(writeLatencies),
    errors,
    elapsedMs,
    openMs,
    eventsPerSec: (latencies.length * watchers * 1000) / elapsedMs,
    problems,
    notes,
  };
}
