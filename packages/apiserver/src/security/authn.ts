/**
 * Authentication: who sent a request. An Authenticator answers a UserInfo or "not me"; the chain
 * tries each in turn (Go's union authenticator), so the aggregation work can put request-header
 * (front-proxy) and TokenReview authenticators in front of or after the x509 one.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { newUnauthorized } from '@kapi/apimachinery';
import type { UserInfo } from '../registry/rest.js';
import { parseCertificateBundle, subjectValues, verifySocketPeer } from './x509-verify.js';

export type { UserInfo };

export const GROUP_AUTHENTICATED = 'system:authenticated';
export const GROUP_UNAUTHENTICATED = 'system:unauthenticated';
export const GROUP_MASTERS = 'system:masters';
export const USER_ANONYMOUS = 'system:anonymous';

/** Paths Go's delegated authorizer always allows; here they are also open without credentials. */
export const ALWAYS_OPEN_PATHS: readonly string[] = ['/healthz', '/livez', '/readyz'];

export interface Authenticator {
  /**
   * The user the request proves to be, or undefined when this authenticator finds no credentials
   * it accepts. Throwing means credentials were presented but are bad; the request gets 401.
   */
  authenticate(req: IncomingMessage): Promise<UserInfo | undefined> | UserInfo | undefined;
}

/** The TLS client certificate, verified against `clientCA`: CN → username, O → groups. */
export class X509Authenticator implements Authenticator {
  private readonly roots: X509Certificate[];

  constructor(clientCA: string | string[]) {
    this.roots = parseCertificateBundle(clientCA);
    if (this.roots.length === 0) throw new Error('X509Authenticator: the client CA bundle holds no certificate');
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as Partial<TLSSocket>;
    if (typeof socket.getPeerCertificate !== 'function') return undefined;
    const { peer, leaf } = verifySocketPeer(socket as TLSSocket, this.roots);
    if (!leaf) return undefined;
    const [username] = subjectValues(peer, 'CN');
    if (!username) return undefined;
    return { username, groups: subjectValues(peer, 'O') };
  }
}

/** Tries each authenticator in order; the first user wins. Adds system:authenticated, as Go does. */
export class UnionAuthenticator implements Authenticator {
  private readonly authenticators: readonly Authenticator[];

  constructor(authenticators: readonly Authenticator[]) {
    this.authenticators = authenticators;
  }

  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    for (const authenticator of this.authenticators) {
      const user = await authenticator.authenticate(req);
      if (user) return withAuthenticatedGroup(user);
    }
    return undefined;
  }
}

export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.username === USER_ANONYMOUS || user.groups.includes(GROUP_AUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, GROUP_AUTHENTICATED] };
}

export const ANONYMOUS_USER: UserInfo = Object.freeze({ username: USER_ANONYMOUS, groups: [GROUP_UNAUTHENTICATED] });

const requestUsers = new WeakMap<IncomingMessage, UserInfo>();

/** The user the authentication filter found for this request (anonymous on the open paths). */
export function requestUser(req: IncomingMessage): UserInfo | undefined {
  return requestUsers.get(req);
}

export function setRequestUser(req: IncomingMessage, user: UserInfo): void {
  requestUsers.set(req, user);
}

export interface AuthenticationFilterOptions {
  authenticator: Authenticator;
  /** Paths served to anonymous callers instead of 401; default ALWAYS_OPEN_PATHS. */
  alwaysOpenPaths?: readonly string[];
}

/**
 * Express middleware: authenticates, records the user (requestUser(req) and res.locals.user), or
 * answers 401 Unauthorized.
 * An authenticator that throws is treated as a failed login, never as a 500.
 */
export function authenticationFilter(options: AuthenticationFilterOptions) {
  const openPaths = new Set(options.alwaysOpenPaths ?? ALWAYS_OPEN_PATHS);
  const chain = new UnionAuthenticator([options.authenticator]);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    let user: UserInfo | undefined;
    try {
      user = await chain.authenticate(req);
    } catch {
      user = undefined;
    }
    if (!user && openPaths.has(req.path)) user = ANONYMOUS_USER;
    if (!user) {
      const status = newUnauthorized().status;
      res.status(status.code).json(status);
      return;
    }
    setRequestUser(req, user);
    // Also where the endpoints router looks by default (ApiRouterDeps.userOf).
    res.locals['user'] = user;
    next();
  };
}
