/**
 * A server's error answers as typed exceptions, one class per metav1.Status reason (Go's
 * k8s.io/apimachinery/pkg/api/errors): `catch (err) { if (err instanceof NotFoundError) ... }`.
 * Each is a StatusError of @kapi/apimachinery, so `isNotFound(err)` and friends hold as well, and
 * `err.status` is the Status the server sent (or one made from the HTTP code when it sent none).
 */
import { StatusError, type Status, type StatusDetails, type StatusReason } from '@kapi/apimachinery';

/** Any answer that was not 2xx. */
export class ApiError extends StatusError {
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(code, reason, message, details);
    this.name = new.target.name;
  }
}

/** 400 BadRequest. */
export class BadRequestError extends ApiError {}
/** 401 Unauthorized: no or bad credentials. */
export class UnauthorizedError extends ApiError {}
/** 403 Forbidden: not allowed (RBAC, admission). */
export class ForbiddenError extends ApiError {}
/** 404 NotFound: no such object (or resource). */
export class NotFoundError extends ApiError {}
/** 405 MethodNotAllowed: the resource does not serve the verb. */
export class MethodNotAllowedError extends ApiError {}
/** 409 AlreadyExists: a create of a name that is taken. */
export class AlreadyExistsError extends ApiError {}
/** 409 Conflict: a stale resourceVersion or uid (optimistic concurrency), or an apply's field conflict. */
export class ConflictError extends ApiError {
  /** The causes of an apply conflict (FieldManagerConflict, one per field), [] otherwise. */
  get conflicts(): NonNullable<StatusDetails['causes']> {
    return (this.status.details?.causes ?? []).filter((c) => c.reason === 'FieldManagerConflict');
  }
}
/** 410 Gone / Expired: a resourceVersion (or continue token) too old; list again. */
export class ResourceExpiredError extends ApiError {}
/** 415 UnsupportedMediaType (e.g. a patch type the resource does not take). */
export class UnsupportedMediaTypeError extends ApiError {}
/** 422 Invalid: the object failed validation; `causes` says where. */
export class InvalidError extends ApiError {
  /** One per field error: `field` (e.g. "spec.replicas"), `reason` (FieldValueInvalid, ...), `message`. */
  get causes(): NonNullable<StatusDetails['causes']> {
    return this.status.details?.causes ?? [];
  }
}
/** 429 TooManyRequests; `retryAfterSeconds` when the server said. */
export class TooManyRequestsError extends ApiError {}
/** 500 InternalError. */
export class InternalServerError extends ApiError {}
/** 503 ServiceUnavailable (e.g. an aggregated server that is down, behind kube-apiserver). */
export class ServiceUnavailableError extends ApiError {}
/** 504 Timeout / ServerTimeout. */
export class ServerTimeoutError extends ApiError {}

type ErrorClass = new (code: number, reason: StatusReason, message: string, details?: StatusDetails) => ApiError;

const BY_REASON: Partial<Record<StatusReason, ErrorClass>> = {
  BadRequest: BadRequestError,
  Unauthorized: UnauthorizedError,
  Forbidden: ForbiddenError,
  NotFound: NotFoundError,
  MethodNotAllowed: MethodNotAllowedError,
  AlreadyExists: AlreadyExistsError,
  Conflict: ConflictError,
  Gone: ResourceExpiredError,
  Expired: ResourceExpiredError,
  UnsupportedMediaType: UnsupportedMediaTypeError,
  Invalid: InvalidError,
  TooManyRequests: TooManyRequestsError,
  InternalError: InternalServerError,
  ServiceUnavailable: ServiceUnavailableError,
  Timeout: ServerTimeoutError,
  ServerTimeout: ServerTimeoutError,
};

/** Without a reason, Go's errors.FromObject/ReasonForError fall back on the code. */
const BY_CODE: Record<number, ErrorClass> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  405: MethodNotAllowedError,
  409: ConflictError,
  410: ResourceExpiredError,
  415: UnsupportedMediaTypeError,
  422: InvalidError,
  429: TooManyRequestsError,
  500: InternalServerError,
  503: ServiceUnavailableError,
  504: ServerTimeoutError,
};

function isStatusBody(value: unknown): value is Partial<Status> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

/** The typed error for an answer with HTTP `code` and the body the server sent (a Status, or anything else). */
export function apiErrorOf(code: number, body: unknown, what: string): ApiError {
  if (isStatusBody(body)) {
    const reason = body.reason ?? '';
    const Class = BY_REASON[reason] ?? BY_CODE[body.code ?? code] ?? ApiError;
    return new Class(body.code ?? code, reason, body.message ?? `${what}: ${code}`, body.details);
  }
  const Class = BY_CODE[code] ?? ApiError;
  return new Class(code, '', typeof body === 'string' && body !== '' ? `${what}: ${body.slice(0, 300)}` : what);
}

/** The typed error of a watch's ERROR event (its object is a Status). */
export function apiErrorOfStatus(status: Partial<Status>): ApiError {
  return apiErrorOf(status.code ?? 500, { ...status, kind: 'Status' }, 'watch');
}
