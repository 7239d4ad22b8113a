/**
 * The authorization filter: builds Go's authorizer attributes from the RequestInfo and the
 * authenticated user, and answers 403 Forbidden unless the authorizer allows.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forbiddenError, type AuthorizationAttributes, type AuthorizationResult, type Authorizer } from '../security/authz.js';
import { ANONYMOUS_USER, requestUser } from '../security/authn.js';
import { requestInfoOf } from './request-info.js';
import { writeStatus } from './responses.js';

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

/**
 * The filter on node's request and response: true when the request goes on, false when it was
 * answered 403. Synchronous while the authorizer is (the standalone AlwaysAllowAuthorizer).
 */
export function requestAuthorizer(authorizer: Authorizer): (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean> {
  return (req, res) => {
    const attributes = authorizationAttributes(req);
    const decide = (result: AuthorizationResult): boolean => {
      if (result.decision === 'Allow') return true;
      writeStatus(res, forbiddenError(attributes, result.reason));
      return false;
    };
    const result = authorizer.authorize(attributes);
    return 'then' in result && typeof result.then === 'function' ? Promise.resolve(result).then(decide) : decide(result as AuthorizationResult);
  };
}
