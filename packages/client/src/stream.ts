/**
 * A session of a connect subresource (pods/exec-like: GET <resource>/<name>/<subresource> upgraded
 * to a WebSocket), as client-go's WebSocket executor speaks it: v5.channel.k8s.io, else
 * v4.channel.k8s.io. Each binary message is one channel's data behind its channel byte (0 stdin,
 * 1 stdout, 2 stderr, 3 error, 4 resize); the error channel carries the Status the session ended
 * with; v5's message [255, n] closes channel n (how stdin's end reaches the server).
 */
import { PassThrough, type Readable } from 'node:stream';
import WebSocket from 'ws';
import type { Status } from '@kapi/apimachinery';
import type { KubeRestClient, Query } from '@kapi/storage/kube';
import { apiErrorOf } from './errors.js';

/** The subprotocols offered, in the order preferred (client-go's). */
export const STREAM_PROTOCOLS: readonly string[] = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/**
 * The Status a session ended with, as the error channel carries it: Go's metav1.Status without
 * kind, apiVersion and (for a success) code.
 */
export type StreamStatus = Pick<Status, 'status'> & Partial<Omit<Status, 'status'>>;

export interface StreamOptions {
  /** The subresource's parameters (pods/exec's: command, stdin, stdout, stderr, tty, container). */
  query?: Query;
  /** How long the upgrade may take; default 30 s. */
  handshakeTimeoutMs?: number;
}

/** An open session: stdin written in, stdout and stderr read out, and how it ended. */
export class StreamSession {
  readonly stdout: Readable = new PassThrough();
  readonly stderr: Readable = new PassThrough();
  /**
   * The Status the session ended with: what the server sent on the error channel (a Failure
   * for a non-zero exit, reason NonZeroExitCode), else Success when it closed normally. Rejects
   * when the connection was lost without one.
   */
  readonly status: Promise<StreamStatus>;
  private ended: StreamStatus | undefined;

  constructor(private readonly ws: WebSocket) {
    this.status = new Promise((resolve, reject) => {
      // binaryType 'nodebuffer' (ws's default): every message is one Buffer.
      ws.on('message', (data: Buffer) => this.receive(data));
      ws.once('close', (code, reason) => {
        (this.stdout as PassThrough).end();
        (this.stderr as PassThrough).end();
        if (this.ended) resolve(this.ended);
        else if (code === 1000) resolve({ metadata: {}, status: 'Success' });
        else reject(new Error(`the stream closed without a status: ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`));
      });
      ws.on('error', () => undefined); // 'close' follows and says what happened
    });
  }

  /** The subprotocol the server chose. */
  get protocol(): string {
    return this.ws.protocol;
  }

  /** Sends `data` on stdin. */
  write(data: string | Uint8Array): void {
    this.send(STDIN, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /**
   * Ends stdin (a command reading it, e.g. cat, then ends). v4 has no way to end one channel:
   * there it closes the session.
   */
  end(): void {
    if (this.protocol === 'v5.channel.k8s.io') this.ws.send(Buffer.from([CLOSE, STDIN]));
    else this.close();
  }

  /** A terminal's new size (a session with tty=true), as kubectl sends it. */
  resize(width: number, height: number): void {
    this.send(RESIZE, Buffer.from(JSON.stringify({ Width: width, Height: height }), 'utf8'));
  }

  /** Closes the session. */
  close(): void {
    this.ws.close(1000);
  }

  private send(channel: number, data: Uint8Array): void {
    this.ws.send(Buffer.concat([Buffer.from([channel]), data]));
  }

  private receive(message: Buffer): void {
    const channel = message[0];
    const data = message.subarray(1);
    if (channel === STDOUT) (this.stdout as PassThrough).write(data);
    else if (channel === STDERR) (this.stderr as PassThrough).write(data);
    else if (channel === ERROR && data.length > 0) this.ended = statusOf(data);
  }
}

/** The error channel's message: a JSON Status (v4 and later), or a server's plain text as a Failure. */
function statusOf(data: Buffer): StreamStatus {
  const text = data.toString('utf8');
  try {
    const parsed = JSON.parse(text) as StreamStatus;
    if (typeof parsed === 'object' && parsed !== null && typeof parsed.status === 'string') return parsed;
  } catch {
    // not JSON: below
  }
  return { metadata: {}, status: 'Failure', message: text };
}

/**
 * Opens a session of `path` (e.g. /apis/g/v1/namespaces/ns/things/x/exec). A refusal before the
 * upgrade (404 for a missing object, 403, 400 for no common subprotocol) rejects with its typed error.
 */
export async function openStream(rest: KubeRestClient, path: string, opts: StreamOptions = {}): Promise<StreamSession> {
  const { url, options } = await rest.upgradeRequest(path, opts.query ?? {});
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [...STREAM_PROTOCOLS], { ...options, handshakeTimeout: opts.handshakeTimeoutMs ?? 30_000 } as WebSocket.ClientOptions);
    ws.once('open', () => resolve(new StreamSession(ws)));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // a body that is no Status: apiErrorOf quotes it
        }
        reject(apiErrorOf(res.statusCode ?? 0, body, `GET ${path}`));
        // Only now: ending the handshake emits an 'error' of its own, which would reject first.
        ws.terminate();
      });
      res.on('error', reject);
    });
    ws.once('error', (err) => reject(new Error(`GET ${path}: ${err.message}`)));
  });
}
