export { isLongRunning, isMutating, newRequestInfo, queryBool, requestInfoOf, requestQueryOf, type RequestInfo } from './request-info.js';
export { requestLogger, type RequestLogger } from './request-logger.js';
export { errorCauseOf, methodNotAllowedError, notFoundError, sendBody, setWarnings, warningHeaderValue, writeObject, writeStatus, type WireFormat } from './responses.js';
export { routeFor, routesHandler, type Filter, type RequestHandler, type Route } from './routes.js';
export { parseAccept, type AcceptClause } from './accept.js';
export type { HealthCheck } from './health-check.js';
export { requestSignal } from './request-signal.js';
