/**
 * Request bodies: read with a hard size limit (never buffered past it), then parsed as JSON or
 * YAML by Content-Type, as the Go serializers accept them.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { newBadRequest, newRequestEntityTooLarge, newUnsupportedMediaType } from '@kapi/apimachinery';

/** The request a body is read from; `res` is set by the router, so an oversized body can close the connection. */
type Request = IncomingMessage & { res?: ServerResponse };

/** 3 MiB, kube-apiserver's default --max-request-body-bytes. */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

export const OBJECT_CONTENT_TYPES = ['application/json', 'application/yaml'] as const;

/** The media type without parameters, lower-cased ("" when absent). */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function tooLarge(limit: number): Error {
  return newRequestEntityTooLarge(`limit is ${limit}`);
}

/**
 * Reads the whole body, failing with 413 as soon as it passes `limit` (by Content-Length or while
 * streaming). Nothing reads a resource request's body before the endpoints do.
 */
export async function readBody(req: Request, limit = DEFAULT_MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  if (req.readableEnded) return Buffer.alloc(0);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discardRest(req);
    throw tooLarge(limit);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        discardRest(req);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(newBadRequest(`unable to read the request body: ${err.message}`));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** How long the rest of an oversized body is still read after the answer (Go's rstAvoidanceDelay). */
const LINGER_MS = 500;

/**
 * Drops the rest of an oversized body without keeping it. The connection is closed only a while
 * after the 413 went out, not at once: closing a socket with unread data makes the kernel send a
 * reset, which can reach a client still sending before it has read the answer (it sees EPIPE, not
 * the Status). Go's server lingers so too. A body that ends meanwhile leaves the connection usable.
 */
function discardRest(req: Request): void {
  req.on('data', () => undefined);
  req.resume();
  const res = req.res;
  if (!res) return;
  res.once('finish', () => {
    if (req.readableEnded) return;
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    timer.unref();
    req.once('end', () => clearTimeout(timer));
  });
}

/** Parses an object body (create/update/DeleteOptions) by its Content-Type; empty type means JSON. */
export function parseObjectBody(body: Buffer, contentTypeHeader: string | undefined): unknown {
  const mediaType = mediaTypeOf(contentTypeHeader) || 'application/json';
  if (mediaType === 'application/json') return parseJson(body);
  if (mediaType === 'application/yaml') return parseYamlDocument(body);
  throw newUnsupportedMediaType(OBJECT_CONTENT_TYPES.join(', '));
}

/**
 * How deep a body may nest. Go's encoding/json scanner (and sigs.k8s.io/json's copy of it) fails a
 * document nested past 10,000 levels with "exceeded max depth", before anything walks the value.
 * kapi stops at 1,000, with Go's message: node's recursive walks of a value (JSON.stringify, the
 * scheme's deep copy, structuredClone) overflow the stack at 2,000–4,000 levels on its default
 * stack, which would turn a deep but accepted body into a 500; no Kubernetes object comes near.
 */
export const MAX_NESTING_DEPTH = 1_000;

/** The opening bracket that nests past MAX_NESTING_DEPTH (outside strings), or undefined. */
function jsonTooDeep(text: string): string | undefined {
  // Opening and closing that many levels takes this many characters; shorter valid JSON is shallower.
  if (text.length <= 2 * MAX_NESTING_DEPTH) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > MAX_NESTING_DEPTH) return text[i];
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return undefined;
}

export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (isBlank(text)) throw newBadRequest('Object \'Kind\' is missing in \'\'');
  const tooDeep = jsonTooDeep(text);
  if (tooDeep !== undefined) throw newBadRequest(`error decoding JSON: invalid character '${tooDeep}' exceeded max depth`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw newBadRequest(`error decoding JSON: ${(err as Error).message}`);
  }
}

/** text.trim() === '' without copying the text. */
function isBlank(text: string): boolean {
  return !/\S/.test(text);
}

export function parseYamlDocument(body: Buffer): unknown {
  // Go's YAML reader refuses bytes that are not UTF-8 (toString would replace them with U+FFFD).
  if (!isUtf8(body)) throw newBadRequest('error decoding YAML: invalid UTF-8 octet sequence');
  const text = body.toString('utf8');
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length > 0) throw newBadRequest(`error decoding YAML: ${doc.errors[0]!.message}`);
  }
  if (list.length > 1) throw newBadRequest('error decoding YAML: expected a single document');
  let value: unknown;
  try {
    value = parseYaml(text);
    if (value === null || value === undefined) throw new Error('empty document');
  } catch (err) {
    throw newBadRequest(`error decoding YAML: ${(err as Error).message}`);
  }
  if (valueTooDeep(value)) throw newBadRequest(`error decoding YAML: exceeded max depth of ${MAX_NESTING_DEPTH}`);
  return value;
}

/** Whether a parsed value nests past MAX_NESTING_DEPTH (walked without recursion; YAML aliases may share nodes). */
function valueTooDeep(root: unknown): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  const seen = new Map<object, number>();
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_NESTING_DEPTH) return true;
    // A node shared through aliases is walked again only when reached deeper than before.
    if ((seen.get(value) ?? -1) >= depth) continue;
    seen.set(value, depth);
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
