/** Small helpers the conformance suite uses to make objects and read watches. */
import type { KubeObject, WatchEvent } from '@kapi/apimachinery';
import type { Watcher } from '../watcher.js';

export interface Widget extends KubeObject {
  spec: { count: number; payload?: string };
}

let uidCounter = 0;

export function widget(name: string, opts: { namespace?: string; labels?: Record<string, string>; count?: number } = {}): Widget {
  return {
    apiVersion: 'conformance.kapi.dev/v1',
    kind: 'Widget',
    metadata: {
      name,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      uid: `uid-${process.pid}-${++uidCounter}`,
      ...(opts.labels ? { labels: opts.labels } : {}),
    },
    spec: { count: opts.count ?? 0 },
  };
}

let prefixCounter = 0;

/** A fresh resource prefix per test, so tests sharing one backend never see each other's keys. */
export function freshPrefix(label: string): string {
  return `/registry/conformance.kapi.dev/${label}-${process.pid}-${++prefixCounter}/`;
}

export interface CollectOptions {
  /** Also return BOOKMARK events (skipped otherwise). */
  bookmarks?: boolean;
  timeoutMs?: number;
}

/** Reads `count` events from a watcher, failing with what arrived so far if they do not come in time. */
export async function collectEvents(watcher: Watcher, count: number, opts: CollectOptions = {}): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`expected ${count} watch events within ${timeoutMs} ms, got ${events.length}: ${describeEvents(events)}`)),
      timeoutMs,
    );
  });
  try {
    while (events.length < count) {
      const event = await Promise.race([watcher.next(), timeout]);
      if (!event) throw new Error(`watch ended after ${events.length} of ${count} events: ${describeEvents(events)}`);
      if (event.type === 'BOOKMARK' && !opts.bookmarks) continue;
      events.push(event);
    }
    return events;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads events until one satisfies `match`, returning it. */
export async function waitForEvent(
  watcher: Watcher,
  match: (event: WatchEvent) => boolean,
  timeoutMs = 10_000,
): Promise<WatchEvent> {
  const seen: WatchEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no matching watch event within ${timeoutMs} ms; saw: ${describeEvents(seen)}`);
    let timer: NodeJS.Timeout | undefined;
    const event = await Promise.race([
      watcher.next(),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left))),
    ]).finally(() => clearTimeout(timer));
    if (event === 'timeout') continue;
    if (!event) throw new Error(`watch ended before a matching event; saw: ${describeEvents(seen)}`);
    if (match(event)) return event;
    seen.push(event);
  }
}

export function describeEvents(events: readonly WatchEvent[]): string {
  return JSON.stringify(
    events.map((e) => `${e.type} ${'metadata' in e.object && e.object.metadata && 'name' in e.object.metadata ? e.object.metadata.name : ''}@${e.type === 'ERROR' ? e.object.code : e.object.metadata.resourceVersion}`),
  );
}

/** A short summary of a watch event for assertions: type, name, and spec.count. */
export function summary(event: WatchEvent): { type: string; name?: string; count?: number } {
  if (event.type === 'ERROR') return { type: 'ERROR' };
  const obj = event.object as Partial<Widget>;
  return { type: event.type, name: obj.metadata?.name, count: obj.spec?.count };
}

/** Runs `fn`, expecting it to reject with a Status error; returns that error's status. */
export async function expectStatus(fn: () => Promise<unknown>): Promise<{ code: number; reason: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    const status = (err as { status?: { code: number; reason?: string; message?: string } }).status;
    if (!status) throw new Error(`expected a Status error, got ${String(err)}`);
    return { code: status.code, reason: status.reason ?? '', message: status.message ?? '' };
  }
  throw new Error('expected a Status error, but the call succeeded');
}
