/**
 * Serving a watch (k8s.io/apiserver/pkg/endpoints/handlers/watch.go): newline-delimited JSON
 * `{"type":…,"object":…}` over a chunked response, one flush per event, until the timeout, the
 * end of the Watcher, or the client going away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject, WatchEvent } from '@kapi/apimachinery';
import { INITIAL_EVENTS_END_ANNOTATION, toStatusError } from '@kapi/apimachinery';
import type { Watcher } from '@kapi/storage';
import { requestLogger } from '../http/request-logger.js';
import { drained } from '../http/responses.js';

/** Turns a hub event object into what goes on the wire (request version, Table, metadata…). */
export type WatchObjectEncoder = (obj: KubeObject, type: 'ADDED' | 'MODIFIED' | 'DELETED') => unknown;

/** The same, already serialized as JSON: lets watchers of one version share one serialization. */
export type WatchObjectSerializer = (obj: KubeObject, type: 'ADDED' | 'MODIFIED' | 'DELETED') => string;

export interface ServeWatchOptions {
  /** Seconds until the stream ends cleanly. */
  timeoutSeconds: number;
  /** How event objects are written: `{ json }` when the encoder serializes them itself. */
  encode: WatchObjectEncoder | { json: WatchObjectSerializer };
  /** apiVersion and kind stamped on BOOKMARK objects. */
  apiVersion: string;
  kind: string;
  contentType: string;
}

/** Go's default: random in [minRequestTimeout, 2 × minRequestTimeout). */
export function defaultWatchTimeoutSeconds(minRequestTimeoutSeconds: number): number {
  return Math.floor(minRequestTimeoutSeconds * (1 + Math.random()));
}

/** A BOOKMARK carries only metadata.resourceVersion (and the initial-events-end annotation). */
export function bookmarkObject(obj: KubeObject, apiVersion: string, kind: string): KubeObject {
  const metadata: KubeObject['metadata'] = { resourceVersion: obj.metadata.resourceVersion ?? '' };
  const end = obj.metadata.annotations?.[INITIAL_EVENTS_END_ANNOTATION];
  if (end !== undefined) metadata.annotations = { [INITIAL_EVENTS_END_ANNOTATION]: end };
  return { apiVersion, kind, metadata };
}

function wireLine(event: WatchEvent, opts: ServeWatchOptions): string {
  switch (event.type) {
    case 'ERROR':
      return JSON.stringify({ type: 'ERROR', object: event.object });
    case 'BOOKMARK':
      return JSON.stringify({ type: 'BOOKMARK', object: bookmarkObject(event.object, opts.apiVersion, opts.kind) });
    default:
      if (typeof opts.encode === 'function') return JSON.stringify({ type: event.type, object: opts.encode(event.object, event.type) });
      // The same text JSON.stringify would give, around an object serialized once for all watchers.
      return `{"type":"${event.type}","object":${opts.encode.json(event.object, event.type)}}`;
  }
}

/** Streams `watcher` to `res`; resolves when the stream is over. Always stops the watcher. */
export async function serveWatch(req: IncomingMessage, res: ServerResponse, watcher: Watcher, opts: ServeWatchOptions): Promise<void> {
  let closed = false;
  const stop = (): void => {
    closed = true;
    watcher.stop();
  };
  const timer = setTimeout(stop, Math.max(0, opts.timeoutSeconds) * 1000);
  timer.unref?.();
  res.on('close', stop);
  req.socket?.setNoDelay(true);

  res.statusCode = 200;
  res.setHeader('Content-Type', opts.contentType);
  res.setHeader('Cache-Control', 'no-cache, private');
  res.flushHeaders();

  try {
    for (;;) {
      const event = await watcher.next();
      if (!event || closed) break;
      let line: string;
      try {
        line = wireLine(event, opts);
      } catch (err) {
        requestLogger(req).error({ err }, 'unable to encode watch object');
        line = JSON.stringify({ type: 'ERROR', object: toStatusError(err).status });
        writeLine(res, line);
        break;
      }
      if (!writeLine(res, line)) await drained(res);
      if (event.type === 'ERROR') break;
    }
  } finally {
    clearTimeout(timer);
    res.off('close', stop);
    watcher.stop();
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}

function writeLine(res: ServerResponse, line: string): boolean {
  if (res.writableEnded || res.destroyed) return true;
  return res.write(`${line}\n`);
}
