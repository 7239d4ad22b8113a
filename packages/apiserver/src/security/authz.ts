/**
 * Authorization: may this user do this? The attributes are Go's authorizer.Attributes, so a
 * SubjectAccessReview authorizer can be written against them later; standalone servers allow all.
 */
import { StatusError } from '@kapi/apimachinery';
import type { IncomingMessage } from 'node:http';
import { requestInfoOf } from '../http/request-info.js';
import type { UserInfo } from '../registry/rest.js';
import { ANONYMOUS_USER, GROUP_MASTERS, requestUser } from './authn.js';

export interface AuthorizationAttributes {
  user: UserInfo;
  /** Lowercase API verb (get, list, watch, create, update, patch, delete, deletecollection) or HTTP method for non-resource paths. */
  verb: string;
  isResourceRequest: boolean;
  /** The URL path (non-resource requests are authorized by it). */
  path: string;
  namespace: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
}

/** A request's attributes: its RequestInfo and the user authentication found (anonymous when none). */
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

export type Decision = 'Allow' | 'Deny' | 'NoOpinion';

export interface AuthorizationResult {
  decision: Decision;
  /** Why: shown to the caller after "forbidden: …". */
  reason?: string;
}

export interface Authorizer {
  authorize(attributes: AuthorizationAttributes): Promise<AuthorizationResult> | AuthorizationResult;
}

/** The standalone default: every authenticated request is allowed. */
export class AlwaysAllowAuthorizer implements Authorizer {
  authorize(): AuthorizationResult {
    return { decision: 'Allow' };
  }
}

/** Allows system:masters and a fixed list of paths (Go's privileged-group and path authorizers). */
export class PrivilegedAuthorizer implements Authorizer {
  private readonly paths: ReadonlySet<string>;

  constructor(alwaysAllowPaths: readonly string[] = ['/healthz', '/livez', '/readyz']) {
    this.paths = new Set(alwaysAllowPaths);
  }

  authorize(attributes: AuthorizationAttributes): AuthorizationResult {
    if (attributes.user.groups.includes(GROUP_MASTERS)) return { decision: 'Allow' };
    if (!attributes.isResourceRequest && this.paths.has(attributes.path)) return { decision: 'Allow' };
    return { decision: 'NoOpinion' };
  }
}

/** Asks each in order; the first Allow or Deny decides; all NoOpinion → NoOpinion (treated as denied). */
export class UnionAuthorizer implements Authorizer {
  constructor(private readonly authorizers: readonly Authorizer[]) {}

  async authorize(attributes: AuthorizationAttributes): Promise<AuthorizationResult> {
    const reasons: string[] = [];
    for (const authorizer of this.authorizers) {
      const result = await authorizer.authorize(attributes);
      if (result.decision !== 'NoOpinion') return result;
      if (result.reason) reasons.push(result.reason);
    }
    return { decision: 'NoOpinion', ...(reasons.length ? { reason: reasons.join(', ') } : {}) };
  }
}

/** The 403 Status Go's responsewriters.Forbidden writes for these attributes. */
export function forbiddenError(attributes: AuthorizationAttributes, reason = ''): StatusError {
  const who = `User "${attributes.user.username}"`;
  let message: string;
  if (!attributes.isResourceRequest) {
    message = `forbidden: ${who} cannot ${attributes.verb} path "${attributes.path}"`;
  } else {
    const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
    const qualified = attributes.apiGroup ? `${attributes.resource}.${attributes.apiGroup}` : attributes.resource;
    const what = attributes.name ? `${qualified} "${attributes.name}"` : qualified;
    const scope = attributes.namespace ? ` in the namespace "${attributes.namespace}"` : ' at the cluster scope';
    message = `${what} is forbidden: ${who} cannot ${attributes.verb} resource "${resource}" in API group "${attributes.apiGroup}"${scope}`;
  }
  if (reason) message += `: ${reason}`;
  const details = attributes.isResourceRequest
    ? { ...(attributes.name ? { name: attributes.name } : {}), group: attributes.apiGroup, kind: attributes.resource }
    : undefined;
  return new StatusError(403, 'Forbidden', message, details);
}
