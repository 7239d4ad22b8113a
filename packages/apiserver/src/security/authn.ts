/**
 * Authentication: who sent a request. An Authenticator answers a UserInfo or "not me"; the chain
 * tries each in turn (Go's union authenticator), so the aggregation work can put request-header
 * (front-proxy) and TokenReview authenticators in front of or after the x509 one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { newUnauthorized } from '@kapi/apimachinery';
import { requestInfoOf } from '../http/request-info.js';
import { writeStatus } from '../http/responses.js';
import type { Filter } from '../http/routes.js';
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
  /** The user of a verified leaf certificate (verifySocketPeer hands out the same leaf for a connection). */
  private readonly users = new WeakMap<X509Certificate, UserInfo | null>();

  constructor(clientCA: string | string[]) {
    this.roots = parseCertificateBundle(clientCA);
    if (this.roots.length === 0) throw new Error('X509Authenticator: the client CA bundle holds no certificate');
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as Partial<TLSSocket>;
    if (typeof socket.getPeerCertificate !== 'function') return undefined;
    const { peer, leaf } = verifySocketPeer(socket as TLSSocket, this.roots);
    if (!leaf) return undefined;
    let user = this.users.get(leaf);
    if (user === undefined) {
      const [username] = subjectValues(peer, 'CN');
      // Shared by every request of the connection: frozen, so no request can change another's user.
      user = username ? Object.freeze({ username, groups: Object.freeze(subjectValues(peer, 'O')) as string[] }) : null;
      this.users.set(leaf, user);
    }
    return user ?? undefined;
  }
}

/** Tries each authenticator in order; the first user wins. Adds system:authenticated, as Go does. */
export class UnionAuthenticator implements Authenticator {
  private readonly authenticators: readonly Authenticator[];

  constructor(authenticators: readonly Authenticator[]) {
    this.authenticators = authenticators;
  }

  authenticate(req: IncomingMessage): Promise<UserInfo | undefined> | UserInfo | undefined {
    // Synchronous while the authenticators are (x509): no promise, no microtask per request.
    for (let i = 0; i < this.authenticators.length; i++) {
      const user = this.authenticators[i]!.authenticate(req);
      if (isPromise(user)) return user.then((u) => (u ? withAuthenticatedGroup(u) : this.authenticateFrom(req, i + 1)));
      if (user) return withAuthenticatedGroup(user);
    }
    return undefined;
  }

  private async authenticateFrom(req: IncomingMessage, start: number): Promise<UserInfo | undefined> {
    for (let i = start; i < this.authenticators.length; i++) {
      const user = await this.authenticators[i]!.authenticate(req);
      if (user) return withAuthenticatedGroup(user);
    }
    return undefined;
  }
}

/** withAuthenticatedGroup's answer for users an authenticator hands out again (a cached, frozen one). */
const withGroupOfFrozen = new WeakMap<UserInfo, UserInfo>();

export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.username === USER_ANONYMOUS || user.groups.includes(GROUP_AUTHENTICATED)) return user;
  if (!Object.isFrozen(user)) return { ...user, groups: [...user.groups, GROUP_AUTHENTICATED] };
  let withGroup = withGroupOfFrozen.get(user);
  if (!withGroup) {
    withGroup = Object.freeze({ ...user, groups: Object.freeze([...user.groups, GROUP_AUTHENTICATED]) as string[] });
    withGroupOfFrozen.set(user, withGroup);
  }
  return withGroup;
}

export const ANONYMOUS_USER: UserInfo = Object.freeze({ username: USER_ANONYMOUS, groups: [GROUP_UNAUTHENTICATED] });

/** On the request object itself: cheaper than a WeakMap entry per request. */
const REQUEST_USER = Symbol('kapi.requestUser');
type WithUser = IncomingMessage & { [REQUEST_USER]?: UserInfo };

/** The user the authentication filter found for this request (anonymous on the open paths). */
export function requestUser(req: IncomingMessage): UserInfo | undefined {
  return (req as WithUser)[REQUEST_USER];
}

export function setRequestUser(req: IncomingMessage, user: UserInfo): void {
  (req as WithUser)[REQUEST_USER] = user;
}

export interface AuthenticationFilterOptions {
  authenticator: Authenticator;
  /** Paths served to anonymous callers instead of 401; default ALWAYS_OPEN_PATHS. */
  alwaysOpenPaths?: readonly string[];
}

/**
 * The authentication filter: the request goes on with its user recorded (requestUser), or is
 * answered 401. Synchronous while the authenticators are.
 */
export function authenticationFilter(options: AuthenticationFilterOptions): Filter {
  const openPaths = new Set(options.alwaysOpenPaths ?? ALWAYS_OPEN_PATHS);
  const chain = new UnionAuthenticator([options.authenticator]);
  const decide = (req: IncomingMessage, res: ServerResponse, next: () => void, found: UserInfo | undefined): void => {
    let user = found;
    if (!user && openPaths.has(requestInfoOf(req).path)) user = ANONYMOUS_USER;
    if (!user) return writeStatus(res, newUnauthorized());
    setRequestUser(req, user);
    next();
  };
  return (req, res, next) => {
    let found: Promise<UserInfo | undefined> | UserInfo | undefined;
    try {
      found = chain.authenticate(req);
    } catch {
      found = undefined;
    }
    if (!isPromise(found)) return decide(req, res, next, found);
    found.then(
      (user) => decide(req, res, next, user),
      () => decide(req, res, next, undefined),
    );
  };
}

function isPromise<T>(value: Promise<T> | T): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
