/**
 * One structured log line per request, like Go's httplog ("HTTP" verb=… URI=… latency=… resp=…),
 * written when the response finishes or the client goes away (long watches log at their end).
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { requestUser } from '../security/authn.js';
import { requestInfoOf } from './request-info.js';
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
}

export function requestLogger(logger: Logger) {
  return (req: Request, res: Response, next: () => void): void => {
    const start = process.hrtime.bigint();
    let logged = false;
    const log = (aborted: boolean): void => {
      if (logged) return;
      logged = true;
      const user = requestUser(req);
      const line: RequestLogLine = {
        verb: metricVerb(requestInfoOf(req), req.method, req.headers['content-type']),
        uri: req.originalUrl,
        ...(user ? { user: user.username, groups: user.groups } : {}),
        ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
        ...(req.socket.remoteAddress ? { srcIP: `${req.socket.remoteAddress}:${req.socket.remotePort}` } : {}),
        code: res.statusCode,
        latencyMs: Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100,
        ...(aborted ? { aborted } : {}),
      };
      const level = res.statusCode >= 500 ? 'error' : 'info';
      logger[level](line, 'HTTP');
    };
    res.once('finish', () => log(false));
    res.once('close', () => log(!res.writableFinished));
    next();
  };
}
