/**
 * The authorization filter: builds Go's authorizer attributes from the RequestInfo and the
 * authenticated user, and answers 403 Forbidden unless the authorizer allows.
 */
import type { NextFunction, Request, Response } from 'express';
import { forbiddenError, type AuthorizationAttributes, type Authorizer } from '../security/authz.js';
import { ANONYMOUS_USER, requestUser } from '../security/authn.js';
import { requestInfoOf } from './request-info.js';
import { writeStatus } from './responses.js';

export function authorizationAttributes(req: Request): AuthorizationAttributes {
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

export function authorizationFilter(authorizer: Authorizer) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const attributes = authorizationAttributes(req);
    const result = await authorizer.authorize(attributes);
    if (result.decision === 'Allow') return next();
    writeStatus(res, forbiddenError(attributes, result.reason));
  };
}
