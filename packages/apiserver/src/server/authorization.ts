/**
 * The authorization filter: builds Go's authorizer attributes from the RequestInfo and the
 * authenticated user, and answers 403 Forbidden unless the authorizer allows.
 */
import type { IncomingMessage } from 'node:http';
import { requestInfoOf } from '../http/request-info.js';
import { writeStatus } from '../http/responses.js';
import type { Filter } from '../http/routes.js';
import { ANONYMOUS_USER, requestUser } from '../security/authn.js';
import { forbiddenError, type AuthorizationAttributes, type AuthorizationResult, type Authorizer } from '../security/authz.js';

export function authorizationAttributes(req: IncomingMessage): AuthorizationAttributes {
  const info = requestInfoOf(req);
  return {
    user: requestUser(req) ?? ANONYMOUS_USER,
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    namespace: info.namespace,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
  };
}

/** The filter: the request goes on when the authorizer allows it. Synchronous while the authorizer is (standalone's AlwaysAllow). */
export function authorizationFilter(authorizer: Authorizer): Filter {
  return (req, res, next) => {
    const attributes = authorizationAttributes(req);
    const decide = (result: AuthorizationResult): void => {
      if (result.decision === 'Allow') next();
      else writeStatus(res, forbiddenError(attributes, result.reason));
    };
    const result = authorizer.authorize(attributes);
    if ('then' in result && typeof result.then === 'function') Promise.resolve(result).then(decide, next);
    else decide(result as AuthorizationResult);
  };
}
