/**
 * Connect subresources: GET <resource>/<name>/<subresource> upgraded to a WebSocket that speaks
 * Kubernetes' channel subprotocols, as pods/exec, attach and portforward are (Go's
 * k8s.io/streaming wsstream.Conn; what client-go's remotecommand WebSocket executor dials).
 *
 * Each binary message is one channel's data, its first byte the channel (0 stdin, 1 stdout,
 * 2 stderr, 3 error, 4 resize); in the base64 variants a message is text, the channel a digit
 * character and the data base64. v5.channel.k8s.io adds the close message [255, channel], a
 * half-close of one channel; v4 and later carry a JSON metav1.Status on the error channel when
 * the session ends (before v4, the failure's message as text).
 *
 * The server hands an upgrade request over with markUpgrade (generic-apiserver.ts: node emits
 * 'upgrade', not 'request', for it) after the same filter chain as any request; the router calls
 * serveConnect for a connect subresource. The 101 is sent when the storage first uses the stream
 * (or when its connect() returns): until then what it throws is answered as an ordinary Status
 * (a 404 for a missing object, as pods/exec of a missing pod is), after it on the error channel.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { newBadRequest, newMethodNotSupported, StatusError, toStatusError, type StatusDetails } from '@kapi/apimachinery';
import type { RequestInfo } from '../http/request-info.js';
import { requestQueryOf } from '../http/request-info.js';
import { requestLogger, type RequestLogger } from '../http/request-logger.js';
import { warningHeaderValue, writeStatus } from '../http/responses.js';
import type { ConnectStream, RestStorage } from '../registry/interfaces.js';
import type { ServedVersion } from '../scheme/scheme-like.js';
import type { RequestContext } from '../registry/rest.js';
import type { ConnectSubresource, KindDefinition } from '../scheme/kind.js';
import { requestUser } from '../security/authn.js';
import { requestSignal } from '../http/request-signal.js';

// ---- the subprotocols -------------------------------------------------------------------------

export interface ChannelProtocol {
  name: string;
  /** Text messages: the channel as the character '0' + n, the data base64 (StdEncoding). */
  base64: boolean;
  /** v5: a message [255, n] closes channel n (Go's streamCloseSignal, only for v5.channel.k8s.io). */
  streamClose: boolean;
  /** v4 and later: the error channel carries a JSON metav1.Status; before, a failure's message as text. */
  statusJSON: boolean;
}

/**
 * What the kubelet's WebSocket streaming server accepts (and kube-apiserver's translator, which
 * takes v5 only), in the server's order; the client's order decides (Go's handshake).
 */
export const CHANNEL_PROTOCOLS: readonly ChannelProtocol[] = [
  { name: 'v5.channel.k8s.io', base64: false, streamClose: true, statusJSON: true },
  { name: 'v4.channel.k8s.io', base64: false, streamClose: false, statusJSON: true },
  { name: 'v4.base64.channel.k8s.io', base64: true, streamClose: false, statusJSON: true },
  { name: 'channel.k8s.io', base64: false, streamClose: false, statusJSON: false },
  { name: 'base64.channel.k8s.io', base64: true, streamClose: false, statusJSON: false },
];

/** The stream-close signal of v5 (k8s.io/apimachinery remotecommand.StreamClose). */
export const STREAM_CLOSE = 255;
/** The error channel (remotecommand.StreamErr). */
export const ERROR_CHANNEL = 3;

/**
 * The protocols a Sec-WebSocket-Protocol header (or several) asks for, in the client's order, read
 * as x/net/websocket reads it: split on commas, trimmed. Not as strictly as RFC 6455's tokens:
 * client-go offers "SPDY/3.1+portforward.k8s.io" (a '/' is no token character) next to the others.
 */
export function requestedProtocols(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const names: string[] = [];
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const name = part.trim();
    if (name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * Go's wsstream handshake: the first protocol the client asks for (in its order) that the
 * server speaks; a client that asks for none gets none (Go's "" protocol is not offered here).
 */
export function negotiateProtocol(requested: readonly string[], supported: readonly ChannelProtocol[] = CHANNEL_PROTOCOLS): ChannelProtocol | undefined {
  for (const name of requested) {
    const found = supported.find((p) => p.name === name);
    if (found) return found;
  }
  return undefined;
}

// ---- framing ----------------------------------------------------------------------------------

/** One message as it goes out: binary [channel, ...data], or text '<digit><base64>'. */
export function encodeFrame(protocol: ChannelProtocol, channel: number, data: Buffer): Buffer | string {
  if (protocol.base64) return String.fromCharCode(48 + channel) + data.toString('base64');
  const frame = Buffer.allocUnsafe(data.length + 1);
  frame[0] = channel;
  data.copy(frame, 1);
  return frame;
}

export type DecodedFrame =
  | { type: 'data'; channel: number; data: Buffer }
  | { type: 'close'; channel: number }
  /** An empty message, or one whose base64 does not decode: dropped, as Go drops it. */
  | { type: 'ignore'; reason?: string }
  /** A malformed close message: Go ends the connection. */
  | { type: 'error'; reason: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Reads one message from the client, as Go's wsstream Conn.handle does. */
export function decodeFrame(protocol: ChannelProtocol, message: Buffer): DecodedFrame {
  if (message.length === 0) return { type: 'ignore' };
  if (protocol.streamClose && message[0] === STREAM_CLOSE) {
    if (message.length !== 2) return { type: 'error', reason: `a close message is 2 bytes, got ${message.length}` };
    return { type: 'close', channel: message[1]! };
  }
  if (!protocol.base64) return { type: 'data', channel: message[0]!, data: message.subarray(1) };
  // The channel is a character; Go subtracts '0' in a byte, so what is below '0' wraps to >= 208.
  const channel = (message[0]! - 48) & 0xff;
  // Go's StdEncoding: padded, strict; it skips CR and LF.
  const text = message.subarray(1).toString('latin1').replace(/[\r\n]/g, '');
  if (!BASE64.test(text)) return { type: 'ignore', reason: 'the message is not base64' };
  return { type: 'data', channel, data: Buffer.from(text, 'base64') };
}

/** A metav1.Status as Go marshals it onto the error channel (no kind/apiVersion). */
export function errorChannelStatus(status: ConnectCloseStatus): Record<string, unknown> {
  const out: Record<string, unknown> = { metadata: {}, status: status.status };
  if (status.message) out.message = status.message;
  if (status.reason) out.reason = status.reason;
  if (status.details) {
    out.details = status.details;
  }
  if (status.code) out.code = status.code;
  return out;
}

/** What ConnectStream.close takes. */
export type ConnectCloseStatus = Parameters<ConnectStream['close']>[0] & {};

/** The Failure a thrown value is, for the error channel. */
function failureOf(err: unknown): ConnectCloseStatus {
  const s = toStatusError(err).status;
  return { status: 'Failure', ...(s.message ? { message: s.message } : {}), ...(s.reason ? { reason: s.reason } : {}), ...(s.details ? { details: s.details as StatusDetails } : {}), code: s.code };
}

// ---- the upgrade, as the server hands it over ---------------------------------------------------

interface Upgrade {
  socket: Duplex;
  head: Buffer;
  /** Set by serveConnect before ws answers: what the 101 carries. */
  protocol?: string;
  headers?: string[];
}

const UPGRADE = Symbol('kapi.upgrade');
type WithUpgrade = IncomingMessage & { [UPGRADE]?: Upgrade };

/**
 * The server's 'upgrade' listener marks the request (its raw socket and the bytes read past the
 * headers) before running the filter chain on a response of its own over that socket.
 */
export function markUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  (req as WithUpgrade)[UPGRADE] = { socket, head };
}

/** The request came as an upgrade (Connection: Upgrade) and its socket is the server's to take over. */
export function isUpgradeRequest(req: IncomingMessage): boolean {
  return (req as WithUpgrade)[UPGRADE] !== undefined;
}

/** Limits of one session; the defaults are Go's where Go has one. */
export interface ConnectLimits {
  /** A message from the client over this closes the connection (1009); x/net/websocket's 32 MiB. */
  maxMessageBytes: number;
  /** write() returns false past this much unsent data; onDrain tells when it is below again. */
  highWaterMarkBytes: number;
  /** A client that lets more than this pile up (does not read) is disconnected. */
  maxBufferedBytes: number;
  /** Client data held while the storage has no onData listener yet; past it the socket is paused. */
  maxPendingBytes: number;
  /** A ping every so often; no pong (nor message) by the next one ends the connection. 0: none. */
  pingIntervalMs: number;
  /** No message either way for this long ends the connection (Go's 4 h idle timeout). 0: none. */
  idleTimeoutMs: number;
}

export const DEFAULT_CONNECT_LIMITS: ConnectLimits = {
  maxMessageBytes: 32 << 20,
  highWaterMarkBytes: 1 << 20,
  maxBufferedBytes: 16 << 20,
  maxPendingBytes: 1 << 20,
  pingIntervalMs: 30_000,
  idleTimeoutMs: 4 * 60 * 60 * 1000,
};

let sharedServer: WebSocketServer | undefined;
/** The response of each request being upgraded: wsClientError answers on it. */
const RESPONSE = Symbol('kapi.upgradeResponse');
type WithResponse = IncomingMessage & { [RESPONSE]?: ServerResponse };

/** One noServer WebSocketServer for every session: the protocol and extra headers come from the request. */
function webSocketServer(): WebSocketServer {
  if (sharedServer) return sharedServer;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: DEFAULT_CONNECT_LIMITS.maxMessageBytes,
    handleProtocols: (_protocols, req) => (req as WithUpgrade)[UPGRADE]?.protocol ?? false,
  });
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    const extra = (req as WithUpgrade)[UPGRADE]?.headers;
    if (extra) headers.push(...extra);
  });
  // Validated before, so only a header ws reads differently ends here: a Status all the same.
  wss.on('wsClientError', (err: Error, socket: Duplex, req: IncomingMessage) => {
    const res = (req as WithResponse)[RESPONSE];
    if (res && !res.headersSent) {
      writeStatus(res, newBadRequest(err.message));
    } else {
      socket.destroy();
    }
  });
  sharedServer = wss;
  return wss;
}

// ---- the stream ----------------------------------------------------------------------------------

export interface ConnectStreamOptions {
  limits?: ConnectLimits;
  /** Header lines the 101 carries besides the WebSocket ones (asked for when it is sent). */
  headers?: () => string[];
}

type Pending = { channel: number; data: Buffer } | { channel: number; close: true };

/**
 * ConnectStream over one WebSocket. Opened (101) on first use: onData, onClose, onDrain, write or
 * close, or open(). Ends once: by close(), by the client, by a failed keepalive, by shutdown.
 */
export class WebSocketConnectStream implements ConnectStream {
  readonly protocol: string;
  readonly query: URLSearchParams;
  private state: 'pending' | 'open' | 'closing' | 'closed' = 'pending';
  private ws: WebSocket | undefined;
  private readonly dataListeners: Array<(channel: number, data: Buffer) => void> = [];
  private readonly closeListeners: Array<(channel: number) => void> = [];
  private readonly drainListeners: Array<() => void> = [];
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private pausedForPending = false;
  private wantsDrain = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private alive = true;
  private lastActivity = Date.now();
  private readonly controller = new AbortController();
  private readonly log: RequestLogger;
  private readonly limits: ConnectLimits;
  private readonly extraHeaders: (() => string[]) | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly upgrade: Upgrade,
    private readonly spec: ChannelProtocol,
    options: ConnectStreamOptions = {},
  ) {
    this.protocol = spec.name;
    this.limits = options.limits ?? DEFAULT_CONNECT_LIMITS;
    this.extraHeaders = options.headers;
    this.query = requestQueryOf(req);
    this.log = requestLogger(req);
  }

  /** Aborted when the stream has ended (the storage's ctx.signal). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The 101 was sent (or the connection is over after it was). */
  get upgraded(): boolean {
    return this.ws !== undefined;
  }

  get ended(): boolean {
    return this.state === 'closed';
  }

  onData(listener: (channel: number, data: Buffer) => void): void {
    this.dataListeners.push(listener);
    this.open();
    if (this.pending.length > 0) queueMicrotask(() => this.flushPending());
  }

  onClose(listener: (channel: number) => void): void {
    this.closeListeners.push(listener);
    this.open();
    if (this.state === 'closed' && this.pending.length === 0) queueMicrotask(() => listener(-1));
  }

  /** Called when write() returned false and the unsent data is below the high-water mark again. */
  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
    this.open();
  }

  write(channel: number, data: Buffer | string): boolean {
    this.open();
    const ws = this.ws;
    if (this.state !== 'open' || !ws) return false;
    if (!Number.isInteger(channel) || channel < 0 || channel >= STREAM_CLOSE) throw new RangeError(`channel ${channel} is not 0-254`);
    const frame = encodeFrame(this.spec, channel, typeof data === 'string' ? Buffer.from(data) : data);
    ws.send(frame, { binary: !this.spec.base64 });
    this.lastActivity = Date.now();
    const buffered = ws.bufferedAmount;
    if (buffered > this.limits.maxBufferedBytes) {
      this.log.warn({ buffered, uri: this.req.url }, 'connect: the client does not read its stream; disconnecting');
      this.terminate();
      return false;
    }
    if (buffered >= this.limits.highWaterMarkBytes) {
      this.wantsDrain = true;
      return false;
    }
    return true;
  }

  close(status?: ConnectCloseStatus): void {
    this.open();
    if (this.state !== 'open' || !this.ws) return;
    if (status) {
      if (this.spec.statusJSON) this.write(ERROR_CHANNEL, JSON.stringify(errorChannelStatus(status)));
      else if (status.status === 'Failure') this.write(ERROR_CHANNEL, status.message ?? 'Failure');
    }
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.ws.close(1000);
  }

  /** Ends the stream after a failure of the storage: its Status on the error channel, then close. */
  fail(err: unknown): void {
    this.log.debug({ err, uri: this.req.url }, 'connect: the storage failed');
    this.close(failureOf(err));
  }

  /** Sends the 101 (once); a client that went away meanwhile ends the stream. */
  open(): void {
    if (this.state !== 'pending') return;
    this.state = 'open';
    const { socket, head } = this.upgrade;
    (this.req as WithResponse)[RESPONSE] = this.res;
    const auditID = this.res.getHeader('Audit-Id');
    this.upgrade.protocol = this.spec.name;
    // ws parses the header as RFC 6455 tokens and refuses what Go's clients may send besides: it
    // only needs to see the protocol chosen.
    this.req.headers['sec-websocket-protocol'] = this.spec.name;
    this.upgrade.headers = [...(typeof auditID === 'string' ? [`Audit-Id: ${auditID}`] : []), ...(this.extraHeaders?.() ?? [])];
    let ws: WebSocket | undefined;
    webSocketServer().handleUpgrade(this.req, socket, head, (accepted) => (ws = accepted));
    if (!ws) {
      // ws answered (a Status through wsClientError) or found the socket gone.
      this.finish();
      return;
    }
    this.adopt(ws);
  }

  private adopt(ws: WebSocket): void {
    this.ws = ws;
    const res = this.res;
    const socket = this.upgrade.socket;
    res.statusCode = 101;
    // The response is the request's record (request log, metrics, audit, shutdown): it must not
    // write over the WebSocket. Ending it (the server does at shutdown) ends the connection first;
    // the connection ending ends it, before the server sees it close.
    const end = res.end;
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      if (!socket.destroyed) socket.destroy();
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
    socket.prependListener('close', () => {
      if (!res.writableEnded) res.end();
    });

    ws.on('message', (data: RawData) => this.received(toBuffer(data)));
    ws.on('pong', () => (this.alive = true));
    ws.on('error', (err) => this.log.debug({ err: err.message, uri: this.req.url }, 'connect: WebSocket error'));
    ws.on('close', () => this.finish());
    socket.on('drain', () => this.drained());

    const shutdown = requestSignal(this.req);
    if (shutdown) {
      const onAbort = (): void => {
        if (this.state === 'open' || this.state === 'closing') {
          this.state = 'closing';
          ws.close(1001, 'the server is shutting down');
        }
      };
      if (shutdown.aborted) onAbort();
      else shutdown.addEventListener('abort', onAbort, { once: true });
    }

    const { pingIntervalMs, idleTimeoutMs } = this.limits;
    if (pingIntervalMs > 0 || idleTimeoutMs > 0) {
      const tick = Math.min(...[pingIntervalMs, idleTimeoutMs].filter((ms) => ms > 0));
      this.pingTimer = setInterval(() => this.keepalive(), tick);
      this.pingTimer.unref();
    }
  }

  private keepalive(): void {
    const ws = this.ws;
    if (!ws || this.state === 'closed') return;
    const { pingIntervalMs, idleTimeoutMs } = this.limits;
    if (idleTimeoutMs > 0 && Date.now() - this.lastActivity >= idleTimeoutMs) {
      this.log.debug({ uri: this.req.url }, 'connect: idle timeout');
      this.terminate();
      return;
    }
    if (pingIntervalMs <= 0) return;
    if (!this.alive) {
      this.log.debug({ uri: this.req.url }, 'connect: no pong from the client; disconnecting');
      this.terminate();
      return;
    }
    this.alive = false;
    ws.ping();
  }

  private terminate(): void {
    this.state = 'closing';
    this.ws?.terminate();
  }

  private received(message: Buffer): void {
    this.alive = true;
    this.lastActivity = Date.now();
    const frame = decodeFrame(this.spec, message);
    switch (frame.type) {
      case 'ignore':
        if (frame.reason) this.log.debug({ reason: frame.reason, uri: this.req.url }, 'connect: message dropped');
        return;
      case 'error':
        this.log.debug({ reason: frame.reason, uri: this.req.url }, 'connect: protocol error');
        this.state = 'closing';
        this.ws?.close(1002, frame.reason);
        return;
      case 'close':
        this.deliver({ channel: frame.channel, close: true });
        return;
      case 'data':
        this.deliver({ channel: frame.channel, data: frame.data });
    }
  }

  private deliver(event: Pending): void {
    // Data waits for a data listener; a close waits only behind data that waits.
    if (this.pending.length > 0 || ('data' in event && this.dataListeners.length === 0)) {
      this.pending.push(event);
      if ('data' in event) this.pendingBytes += event.data.length;
      if (this.pendingBytes > this.limits.maxPendingBytes && !this.pausedForPending && this.ws) {
        this.pausedForPending = true;
        this.ws.pause();
      }
      return;
    }
    this.emit(event);
  }

  private emit(event: Pending): void {
    try {
      if ('data' in event) for (const l of this.dataListeners) l(event.channel, event.data);
      else for (const l of this.closeListeners) l(event.channel);
    } catch (err) {
      this.fail(err);
    }
  }

  private flushPending(): void {
    if (this.dataListeners.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const event of events) this.emit(event);
    if (this.pausedForPending) {
      this.pausedForPending = false;
      this.ws?.resume();
    }
    if (this.state === 'closed') this.emitEnd();
  }

  private drained(): void {
    if (!this.wantsDrain || !this.ws || this.ws.bufferedAmount >= this.limits.highWaterMarkBytes) return;
    this.wantsDrain = false;
    for (const l of this.drainListeners) l();
  }

  /** The connection is over (or never opened): -1 to the close listeners, the signal aborted. */
  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this.pingTimer);
    this.controller.abort(new Error('the stream has ended'));
    if (this.pending.length === 0 || this.dataListeners.length === 0) {
      this.pending = [];
      this.emitEnd();
    }
  }

  private emitEnd(): void {
    for (const l of this.closeListeners) {
      try {
        l(-1);
      } catch (err) {
        this.log.error({ err, uri: this.req.url }, 'connect: a close listener threw');
      }
    }
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

// ---- the endpoint --------------------------------------------------------------------------------

export interface ConnectTarget {
  info: RequestInfo;
  served: ServedVersion;
  storage: RestStorage;
  /** What the stream may hold; the defaults otherwise. */
  limits?: Partial<ConnectLimits>;
}

/** The kind's connect subresource the request's path names, if it names one. */
export function connectSubresourceOf(kind: KindDefinition, info: RequestInfo): ConnectSubresource | undefined {
  const connect = kind.subresources?.connect;
  if (!connect || info.subresource === '' || info.verbViaPath || !Object.hasOwn(connect, info.subresource)) return undefined;
  return connect[info.subresource];
}

const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * GET <resource>/<name>/<subresource> of a connect subresource: checks the upgrade and the
 * subprotocol (refusals are Statuses), then calls storage.connect with the stream. Also answers an
 * upgrade request to any other resource path (400), so that none is left hanging.
 */
export async function serveConnect(req: IncomingMessage, res: ServerResponse, target: ConnectTarget): Promise<void> {
  const { info, served, storage } = target;
  const connect = connectSubresourceOf(served.kind, info);
  const upgrade = (req as WithUpgrade)[UPGRADE];
  if (!connect) {
    throw newBadRequest(`an upgrade request is served only by a connect subresource; ${info.subresource ? `"${info.resource}/${info.subresource}"` : `"${info.resource}"`} is not one`);
  }
  const method = (req.method ?? 'GET').toUpperCase();
  if (!connect.methods.includes(method as 'GET' | 'POST') || typeof storage.connect !== 'function') {
    throw newMethodNotSupported({ group: info.apiGroup, resource: `${info.resource}/${info.subresource}` }, info.verb || method);
  }
  // Go's UpgradeAwareHandler with upgradeRequired, as exec and attach are served.
  if (!upgrade) throw newBadRequest('Upgrade request required');
  const upgradeTo = String(req.headers.upgrade ?? '');
  if (upgradeTo.toLowerCase() !== 'websocket') {
    throw newBadRequest(`unsupported upgrade "${upgradeTo}": only WebSocket upgrades (the channel.k8s.io subprotocols) are served, not SPDY`);
  }
  if (method !== 'GET') throw new StatusError(405, 'MethodNotAllowed', `a WebSocket upgrade is a GET request, not ${method}`);
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') {
    res.setHeader('Sec-WebSocket-Version', '13, 8');
    throw newBadRequest('missing or invalid Sec-WebSocket-Version header');
  }
  if (!WEBSOCKET_KEY.test(String(req.headers['sec-websocket-key'] ?? ''))) throw newBadRequest('missing or invalid Sec-WebSocket-Key header');
  const requested = requestedProtocols(req.headers['sec-websocket-protocol']);
  const protocol = negotiateProtocol(requested);
  if (!protocol) {
    throw newBadRequest(`requested protocol(s) are not supported: [${requested.join(' ')}]; supports [${CHANNEL_PROTOCOLS.map((p) => p.name).join(' ')}]`);
  }

  const ctx: RequestContext = { warnings: served.version.deprecationWarning ? [served.version.deprecationWarning] : [] };
  // The warnings the storage adds before the upgrade go out with the 101.
  const headers = (): string[] => [...new Set(ctx.warnings)].map((w) => `Warning: ${warningHeaderValue(w)}`);
  const stream = new WebSocketConnectStream(req, res, upgrade, protocol, { limits: { ...DEFAULT_CONNECT_LIMITS, ...target.limits }, headers });
  ctx.signal = stream.signal;
  if (served.kind.namespaced && info.namespace !== '') ctx.namespace = info.namespace;
  ctx.version = info.apiVersion;
  const user = requestUser(req);
  if (user) ctx.user = user;
  try {
    await storage.connect(ctx, info.name, info.subresource, stream);
  } catch (err) {
    // Before the 101 the request is still an HTTP exchange: the router answers the Status.
    if (!stream.upgraded && !stream.ended) throw err;
    stream.fail(err);
    return;
  }
  stream.open();
}
