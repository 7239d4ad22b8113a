/**
 * The authorization filter: the request's authorizer attributes (its RequestInfo and user) go to
 * the authorizer; 403 Forbidden unless it allows.
 */
import { writeStatus } from '../http/responses.js';
import type { Filter } from '../http/routes.js';
import { authorizationAttributes, forbiddenError, type AuthorizationResult, type Authorizer } from '../security/authz.js';

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
