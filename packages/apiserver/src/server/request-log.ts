/**
 * One structured log line per request, like Go's httplog ("HTTP" verb=… URI=… latency=… resp=…),
 * written when the response finishes or the client goes away; a 5xx line carries its cause.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { requestUser } from '../security/authn.js';
import { requestInfoOf } from '../http/request-info.js';
import { errorCauseOf } from '../http/responses.js';
import { metricVerb } from './metrics.js';

export interface RequestLogLine {
  verb: string;
  uri: string;
  user?: string;
  groups?: string[];
  userAgent?: string;
  srcIP?: string;
  code: number;
  latencyMs: number;
  /** True when the client closed the connection before the response was complete. */
  aborted?: boolean;
  /** What made a 5xx (the error a layer threw). */
  err?: unknown;
}

/** Logs the line of a request that started at `start` (process.hrtime.bigint()). */
export function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, start: bigint, aborted: boolean): void {
  const user = requestUser(req);
  // Members added in the order the line always had them (a few shapes, no spreads).
  const line = {
    verb: metricVerb(requestInfoOf(req), req.method ?? 'GET', req.headers['content-type']),
    uri: req.url ?? '',
  } as RequestLogLine;
  if (user) {
    line.user = user.username;
    line.groups = user.groups;
  }
  const userAgent = req.headers['user-agent'];
  if (userAgent) line.userAgent = userAgent;
  const socket = req.socket;
  if (socket.remoteAddress) line.srcIP = `${socket.remoteAddress}:${socket.remotePort}`;
  line.code = res.statusCode;
  line.latencyMs = Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100;
  if (aborted) line.aborted = aborted;
  if (res.statusCode >= 500) {
    const cause = errorCauseOf(res);
    if (cause !== undefined) line.err = cause;
    logger.error(line, 'HTTP');
  }
  else logger.info(line, 'HTTP');
}

