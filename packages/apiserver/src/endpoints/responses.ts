/**
 * Writing answers: objects as JSON (or YAML), errors as metav1.Status, warnings as RFC 7234
 * `Warning: 299 - "..."` headers (k8s.io/apimachinery/pkg/util/net NewWarningHeader).
 */
import type { Response } from 'express';
import { stringify as toYaml } from 'yaml';
import { toStatusError, type Status } from '@kapi/apimachinery';

/** The minimal logger the endpoints need; a pino Logger fits it. */
export interface EndpointLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export type WireFormat = 'json' | 'yaml';

/** `299 - "text"` with quotes and backslashes escaped; characters a header cannot carry become '?'. */
export function warningHeaderValue(text: string): string {
  const quoted = text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
  return `299 - "${quoted}"`;
}

/** Sets one Warning header per distinct message. */
export function setWarnings(res: Response, warnings: readonly string[]): void {
  const unique = [...new Set(warnings)];
  if (unique.length > 0 && !res.headersSent) res.setHeader('Warning', unique.map(warningHeaderValue));
}

/**
 * Writes a body with res.end (express's res.send would add weak ETags and 304s Go never sends).
 * The text goes as it is: node sends the header block and a string body as one string, one write
 * (a Buffer would be a copy first, then a second chunk of the write).
 */
export function sendBody(res: Response, code: number, contentType: string, body: string): void {
  res.statusCode = code;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  if (res.req.method === 'HEAD') res.end();
  else res.end(body, 'utf8');
}

export function writeObject(res: Response, code: number, body: unknown, format: WireFormat = 'json', contentType?: string): void {
  if (format === 'yaml') sendBody(res, code, contentType ?? 'application/yaml', toYaml(body));
  else sendBody(res, code, contentType ?? 'application/json', JSON.stringify(body));
}

/** Any thrown value → its Status (unknowns become 500 InternalError, which are logged). */
export function writeError(res: Response, err: unknown, logger?: EndpointLogger): void {
  const statusErr = toStatusError(err);
  if (statusErr.code >= 500) logger?.error({ err, status: statusErr.status }, 'error serving request');
  if (res.headersSent) {
    res.end();
    return;
  }
  const status: Status = statusErr.status;
  const retryAfter = status.details?.retryAfterSeconds;
  if (retryAfter && (status.code === 429 || status.code >= 500)) res.setHeader('Retry-After', String(retryAfter));
  writeObject(res, status.code, status);
}
