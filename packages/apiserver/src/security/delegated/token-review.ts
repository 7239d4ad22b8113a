/**
 * Bearer tokens checked by the host cluster with a TokenReview (Go's webhook token authenticator
 * behind its cache, as the delegated authenticator builds it): authenticated and unauthenticated
 * answers are both kept for the cache TTL (10 s), keyed by an HMAC of the token; failed calls are
 * not cached.
 */
import type { IncomingMessage } from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import { newUnauthorized } from '@kapi/apimachinery';
import { withRetry, type KubeRestClient } from '../../kube/index.js';
import type { Authenticator, UserInfo } from '../authn.js';
import { ExpiringCache } from './cache.js';

export const TOKEN_REVIEWS_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

/** The token of an `Authorization: Bearer <token>` header (Go's bearertoken authenticator), or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization?.trim();
  if (!header) return undefined;
  const parts = header.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  const token = parts[1];
  return token ? token : undefined;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  audiences?: string[];
  error?: string;
}

/** An answer: the user, or why not. */
export type TokenReviewResult = { user: UserInfo } | { error: string };

export interface TokenReviewAuthenticatorOptions {
  /** The host cluster (--authentication-kubeconfig). */
  client: KubeRestClient;
  /** How long an authenticated answer is kept; default 10 s (--authentication-token-webhook-cache-ttl). */
  cacheTTLMs?: number;
  /** How long an unauthenticated answer is kept; default the same as cacheTTLMs (Go's delegated default). */
  failureCacheTTLMs?: number;
  /** spec.audiences of the reviews; default none (the host's API audiences). */
  audiences?: string[];
  /** The clock, for tests. */
  now?: () => number;
}

export class TokenReviewAuthenticator implements Authenticator {
  private readonly cache: ExpiringCache<TokenReviewResult>;
  private readonly hmacKey = randomBytes(32);
  private readonly successTTL: number;
  private readonly failureTTL: number;

  constructor(private readonly opts: TokenReviewAuthenticatorOptions) {
    this.successTTL = opts.cacheTTLMs ?? 10_000;
    this.failureTTL = opts.failureCacheTTLMs ?? this.successTTL;
    this.cache = new ExpiringCache(opts.now ? { now: opts.now } : {});
  }

  /**
   * No bearer token: undefined (the next authenticator may try). A token the host does not
   * accept: throws (401), never anonymous. On success the Authorization header is removed.
   */
  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const token = bearerToken(req);
    if (!token) return undefined;
    const result = await this.review(token);
    if ('error' in result) throw newUnauthorized(result.error);
    delete req.headers.authorization;
    return result.user;
  }

  /** The (cached) answer for a token. */
  review(token: string): Promise<TokenReviewResult> {
    const key = createHmac('sha256', this.hmacKey)
      .update(JSON.stringify([token, this.opts.audiences ?? []]))
      .digest('base64');
    return this.cache.getOrLoad(key, () => this.ask(token), (r) => ('user' in r ? this.successTTL : this.failureTTL));
  }

  private async ask(token: string): Promise<TokenReviewResult> {
    const review = await withRetry(() =>
      this.opts.client.post<{ status?: TokenReviewStatus }>(TOKEN_REVIEWS_PATH, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(this.opts.audiences?.length ? { audiences: this.opts.audiences } : {}) },
      }),
    );
    const status = review.status ?? {};
    if (!status.authenticated || !status.user?.username) return { error: status.error || 'invalid bearer token' };
    const { username, uid, groups, extra } = status.user;
    return { user: { username, ...(uid ? { uid } : {}), groups: groups ?? [], ...(extra && Object.keys(extra).length ? { extra } : {}) } };
  }
}
