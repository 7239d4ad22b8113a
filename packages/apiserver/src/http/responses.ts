/**
 * Writing answers, for every layer (filters, endpoints, discovery, OpenAPI, health): bodies with
 * their Content-Type and Content-Length (or in chunks, when long), warnings as RFC 7234 `Warning: 299 - "..."` headers, and
 * errors as a metav1.Status (Go's responsewriters.ErrorNegotiated). A 5xx keeps its cause on the
 * response, so the request log line that closes the request names it.
 */
import type { ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import { StatusError, toStatusError } from '@kapi/apimachinery';

export type WireFormat = 'json' | 'yaml';

/**
 * Writes a body with res.end. The text goes as it is: node sends the header block and a string
 * body as one string, one write (a Buffer would be a copy first, then a second chunk).
 */
export function sendBody(res: ServerResponse, code: number, contentType: string, body: string | Uint8Array): void {
  res.statusCode = code;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
  if (res.req?.method === 'HEAD') res.end();
  else res.end(body);
}

/** A body longer than this many characters is written in chunks of about this size. */
const CHUNK_CHARS = 1 << 20;

/**
 * Writes a body given as `parts` (joined in order, they are the body). Up to CHUNK_CHARS it goes
 * as sendBody sends it, one string with its Content-Length; a longer one goes in chunks of about
 * CHUNK_CHARS (chunked transfer encoding, as Go streams a large list), each written once the
 * client has taken the one before. So no body is ever one string (V8 caps a string at 2^29 − 24
 * characters, about 0.5 GiB: the list of a million objects is longer) and a slow reader holds a
 * chunk in memory, not the body. Resolves when the body is written or the client has gone. A part
 * that throws once chunks are out destroys the response, so the client sees a broken transfer,
 * not a complete 200 with JSON cut short; before that the error is the caller's to answer.
 */
export async function sendParts(res: ServerResponse, code: number, contentType: string, parts: Iterable<string>): Promise<void> {
  let pending: string[] = [];
  let pendingChars = 0;
  let streaming = false;
  try {
    for (const part of parts) {
      if (res.destroyed) return;
      pending.push(part);
      pendingChars += part.length;
      if (pendingChars < CHUNK_CHARS) continue;
      if (!streaming) {
        res.statusCode = code;
        res.setHeader('Content-Type', contentType);
        streaming = true;
      }
      const chunk = pending.join('');
      pending = [];
      pendingChars = 0;
      if (!res.write(chunk)) await drained(res);
    }
  } catch (err) {
    if (streaming) res.destroy();
    throw err;
  }
  if (res.destroyed) return;
  if (streaming) res.end(pending.join(''));
  else sendBody(res, code, contentType, pending.join(''));
}

/** Resolves when `res` can take more, or is gone (a stream's backpressure: list chunks, watch events). */
export function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function writeObject(res: ServerResponse, code: number, body: unknown, format: WireFormat = 'json', contentType?: string): void {
  if (format === 'yaml') sendBody(res, code, contentType ?? 'application/yaml', toYaml(body));
  else sendBody(res, code, contentType ?? 'application/json', JSON.stringify(body));
}

const CAUSE = Symbol('kapi.errorCause');
type WithCause = ServerResponse & { [CAUSE]?: unknown };

/** What made this response a 5xx (a thrown error), for the request log; undefined otherwise. */
export function errorCauseOf(res: ServerResponse): unknown {
  return (res as WithCause)[CAUSE];
}

/**
 * Any thrown value as the response: its Status (unknowns become 500 InternalError), with
 * Retry-After when the Status asks for one. Once headers are out (a stream) it is too late for a
 * Status: the response is ended instead of corrupted.
 */
export function writeStatus(res: ServerResponse, err: unknown): void {
  const statusErr = toStatusError(err);
  if (statusErr.code >= 500) (res as WithCause)[CAUSE] = err;
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const retryAfter = statusErr.status.details?.retryAfterSeconds;
  if (retryAfter !== undefined && retryAfter > 0) res.setHeader('Retry-After', String(retryAfter));
  writeObject(res, statusErr.code, statusErr.status);
}

/** The one 404, as kube-apiserver answers a path nothing serves. */
export function notFoundError(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** A method a GET-only path (discovery, OpenAPI, health) does not serve: the Status, with Allow set on `res`. */
export function methodNotAllowedError(res: ServerResponse): StatusError {
  res.setHeader('Allow', 'GET, HEAD');
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** `299 - "text"` with quotes and backslashes escaped; characters a header cannot carry become '?'. */
export function warningHeaderValue(text: string): string {
  const quoted = text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
  return `299 - "${quoted}"`;
}

/** Sets one Warning header per distinct message. */
export function setWarnings(res: ServerResponse, warnings: readonly string[]): void {
  const unique = [...new Set(warnings)];
  if (unique.length > 0 && !res.headersSent) res.setHeader('Warning', unique.map(warningHeaderValue));
}
