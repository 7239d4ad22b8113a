/**
 * Writing a metav1.Status as the response, and turning anything thrown into one: the server's
 * panic recovery. A handler that throws (or rejects) gets a 500 Status; the process never dies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { StatusError, newInternalError, toStatusError, type StatusReason } from '@kapi/apimachinery';

export function writeStatus(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) {
    // Too late for a Status: end what was started (a stream) rather than corrupt it.
    if (!res.writableEnded) res.end();
    return;
  }
  const retryAfter = err.status.details?.retryAfterSeconds;
  if (retryAfter !== undefined && retryAfter > 0) res.setHeader('Retry-After', String(retryAfter));
  sendJsonText(res, err.code, JSON.stringify(err.status));
}

/**
 * A JSON body with the headers express's res.type('application/json').send(text) gave it (the
 * filters answer before, and outside, express): Content-Type with charset, Content-Length, no
 * body for HEAD.
 */
export function sendJsonText(res: ServerResponse, code: number, json: string): void {
  res.statusCode = code;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(json)));
  if (res.req?.method === 'HEAD') res.end();
  else res.end(json);
}

const HTTP_ERROR_REASONS: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
};

/** http-errors from express middleware (body-parser's 400/413/415…) carry a 4xx `status`. */
function clientHttpError(err: unknown): StatusError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const candidate = err as { status?: unknown; statusCode?: unknown; message?: unknown; expose?: unknown };
  const code = typeof candidate.status === 'number' ? candidate.status : candidate.statusCode;
  if (typeof code !== 'number' || code < 400 || code > 499) return undefined;
  const message = typeof candidate.message === 'string' ? candidate.message : `HTTP ${code}`;
  return new StatusError(code, HTTP_ERROR_REASONS[code] ?? '', message);
}

export function asStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  return clientHttpError(err) ?? toStatusError(err);
}

/** Express error middleware: the last one in the chain. */
export function panicRecovery(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => recoverFromPanic(logger, err, req, res);
}

/** What panicRecovery does, for a request served outside express: the Status of `err`, 5xx logged. */
export function recoverFromPanic(logger: Logger, err: unknown, req: IncomingMessage, res: ServerResponse): void {
  let status: StatusError;
  try {
    status = asStatusError(err);
  } catch (conversionError) {
    status = newInternalError(conversionError);
  }
  if (status.code >= 500) logger.error({ err, uri: (req as { originalUrl?: string }).originalUrl ?? req.url, method: req.method }, 'handler failed');
  writeStatus(res, status);
}

/** The answer for a path no route serves, as kube-apiserver gives it. */
export function notFoundHandler() {
  return (_req: Request, res: Response): void => {
    writeStatus(res, new StatusError(404, 'NotFound', 'the server could not find the requested resource', {}));
  };
}
