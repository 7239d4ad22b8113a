/**
 * The server's logger, reachable from any layer that has the request (Go's klog with the
 * request's context): the server sets it before its filters run; what is logged below it carries
 * the request's method and URI.
 */
import type { IncomingMessage } from 'node:http';

/** The part of a pino Logger the layers use. */
export interface RequestLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const NO_LOGGER: RequestLogger = { error: () => undefined, warn: () => undefined, debug: () => undefined };
const LOGGER = Symbol('kapi.requestLogger');
type WithLogger = IncomingMessage & { [LOGGER]?: RequestLogger };

export function setRequestLogger(req: IncomingMessage, logger: RequestLogger): void {
  (req as WithLogger)[LOGGER] = logger;
}

/** The logger the server set for this request (silent outside a server, e.g. in a unit test of a handler). */
export function requestLogger(req: IncomingMessage): RequestLogger {
  return (req as WithLogger)[LOGGER] ?? NO_LOGGER;
}
