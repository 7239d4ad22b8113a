/**
 * The audit filter (Go's WithAuditInit + WithAudit): after authentication, the policy gives the
 * request its level; events for the stages it keeps go to the backend. ResponseComplete of an
 * ordinary request is written (synchronously) when the response ends and before it is sent, so
 * no write is acknowledged before its event is on file; when that write fails the client gets a
 * 500 instead of the success. Watches get ResponseStarted when their headers go out and
 * ResponseComplete when they close.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newInternalError } from '@kapi/apimachinery';
import { isLongRunning, requestInfoOf } from '../http/request-info.js';
import { requestLogger } from '../http/request-logger.js';
import { writeStatus } from '../http/responses.js';
import type { Filter } from '../http/routes.js';
import { authorizationAttributes } from '../security/authz.js';
import { AUDIT_ID_HEADER, auditIDFor, buildAuditEvent, preciseNow, sourceIPs, type AuditEventInput } from './event.js';
import type { LogBackend } from './log-backend.js';
import { levelAtLeast, shouldAuditStage, type AuditStage, type PolicyRuleEvaluator, type RequestAuditConfig } from './policy.js';

export interface AuditOptions {
  evaluator: PolicyRuleEvaluator;
  backend: Pick<LogBackend, 'write'>;
}

const REQUEST_OBJECT = Symbol('kapi.auditRequestObject');
/** Set by the filter when the request's level keeps its body; the endpoints fill it in. */
type WithRequestObject = IncomingMessage & { [REQUEST_OBJECT]?: { object?: unknown; patch?: boolean } };

/**
 * The endpoints hand the parsed body over (Go's audit.LogRequestObject / LogRequestPatch). A copy
 * is kept, and only when the request's audit level keeps bodies: decoding changes the body in place.
 */
export function recordRequestObject(req: IncomingMessage, object: unknown, patch = false): void {
  const slot = (req as WithRequestObject)[REQUEST_OBJECT];
  if (!slot) return;
  slot.object = structuredClone(object);
  slot.patch = patch;
}

const ANNOTATIONS = Symbol('kapi.auditAnnotations');
type WithAnnotations = IncomingMessage & { [ANNOTATIONS]?: Record<string, string> };

/**
 * The audit annotations of a request being audited (Go's audit.AddAuditAnnotation: admission adds
 * them, e.g. which webhook mutated the object); undefined when the request is not audited.
 */
export function auditAnnotationsOf(req: IncomingMessage): Record<string, string> | undefined {
  return (req as WithAnnotations)[ANNOTATIONS];
}

/** The JSON body a response ends with, when it is one (RequestResponse keeps it). */
function responseBody(res: ServerResponse, chunk: unknown): unknown {
  const type = String(res.getHeader('Content-Type') ?? '');
  if (!type.startsWith('application/json')) return undefined;
  const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : undefined;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function auditFilter(options: AuditOptions): Filter {
  return (req, res, next) => {
    // After authentication: the user is the one it found (anonymous on the open paths).
    const attributes = authorizationAttributes(req);
    const config: RequestAuditConfig = options.evaluator.evaluate(attributes);
    const auditID = auditIDFor(req.headers['audit-id']);
    res.setHeader(AUDIT_ID_HEADER, auditID);
    if (config.level === 'None') return next();

    const base: Omit<AuditEventInput, 'stage'> = {
      level: config.level,
      auditID,
      attributes,
      requestURI: req.url ?? '',
      sourceIPs: sourceIPs({ forwardedFor: req.headers['x-forwarded-for'], realIP: req.headers['x-real-ip'], remoteAddress: req.socket.remoteAddress }),
      ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
      requestReceivedTimestamp: preciseNow(),
      omitManagedFields: config.omitManagedFields,
    };
    const write = (stage: AuditStage, response?: { code: number; body?: unknown }): void => {
      if (!shouldAuditStage(config, stage)) return;
      const recorded = (req as WithRequestObject)[REQUEST_OBJECT];
      const input: AuditEventInput = { ...base, stage, stageTimestamp: preciseNow() };
      if (recorded?.object !== undefined) {
        if (recorded.patch) input.requestPatch = recorded.object;
        else input.requestObject = recorded.object;
      }
      const annotations = (req as WithAnnotations)[ANNOTATIONS];
      if (annotations && Object.keys(annotations).length > 0) input.annotations = annotations;
      if (response) {
        input.response = response;
        if (response.body !== undefined && config.level === 'RequestResponse') input.responseObject = response.body;
      }
      options.backend.write(buildAuditEvent(input));
    };

    if (levelAtLeast(config.level, 'Request')) (req as WithRequestObject)[REQUEST_OBJECT] = {};
    (req as WithAnnotations)[ANNOTATIONS] = {};
    write('RequestReceived');
    if (isLongRunning(requestInfoOf(req))) {
      const writeHead = res.writeHead;
      let started = false;
      res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
        if (!started) {
          started = true;
          safely(req, () => write('ResponseStarted', { code: typeof args[0] === 'number' ? args[0] : res.statusCode }));
        }
        return writeHead.apply(this, args);
      } as ServerResponse['writeHead'];
      res.once('close', () => safely(req, () => write('ResponseComplete', { code: res.statusCode })));
    } else {
      const end = res.end;
      res.end = function (this: ServerResponse, ...args: unknown[]) {
        if (!res.headersSent) {
          const chunk = typeof args[0] === 'function' ? undefined : args[0];
          const body = config.level === 'RequestResponse' ? responseBody(res, chunk) : undefined;
          try {
            write('ResponseComplete', { code: res.statusCode, ...(body !== undefined ? { body } : {}) });
          } catch (err) {
            // The event is not on file: the request must not be acknowledged.
            requestLogger(req).error({ err }, 'audit: writing the ResponseComplete event failed');
            res.end = end;
            writeStatus(res, newInternalError(new Error('the audit event of this request could not be written')));
            return res;
          }
        }
        return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
      } as ServerResponse['end'];
    }
    next();
  };
}

/** A failed event write of a stream is logged: the stream itself cannot be taken back. */
function safely(req: IncomingMessage, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    requestLogger(req).error({ err }, 'audit: writing an event failed');
  }
}
