/**
 * Every request authorized by the host cluster with a SubjectAccessReview (Go's webhook authorizer
 * as the delegated authorizer builds it): allowed → Allow, denied → Deny, otherwise NoOpinion
 * (403 all the same), with the reviewer's reason. Allowed answers are kept for allowCacheTTL, the
 * others for denyCacheTTL (10 s each by default), keyed by the review's spec. A failed call is not
 * cached and throws (the request gets 500 InternalError, as in Go).
 */
import { withRetry, type KubeRestClient } from '../../kube/index.js';
import type { AuthorizationAttributes, AuthorizationResult, Authorizer } from '../authz.js';
import { ExpiringCache } from './cache.js';

export const SUBJECT_ACCESS_REVIEWS_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

/** The SubjectAccessReview spec Go's webhook authorizer sends for these attributes. */
export interface SubjectAccessReviewSpec {
  user: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
  resourceAttributes?: { namespace: string; verb: string; group: string; version: string; resource: string; subresource: string; name: string };
  nonResourceAttributes?: { path: string; verb: string };
}

export function subjectAccessReviewSpec(attributes: AuthorizationAttributes): SubjectAccessReviewSpec {
  const { user } = attributes;
  return {
    user: user.username,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: user.groups,
    ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}),
    ...(attributes.isResourceRequest
      ? {
          resourceAttributes: {
            namespace: attributes.namespace,
            verb: attributes.verb,
            group: attributes.apiGroup,
            version: attributes.apiVersion,
            resource: attributes.resource,
            subresource: attributes.subresource,
            name: attributes.name,
          },
        }
      : { nonResourceAttributes: { path: attributes.path, verb: attributes.verb } }),
  };
}

interface SubjectAccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

export interface SubjectAccessReviewAuthorizerOptions {
  /** The host cluster (--authorization-kubeconfig). */
  client: KubeRestClient;
  /** --authorization-webhook-cache-authorized-ttl; default 10 s. */
  allowCacheTTLMs?: number;
  /** --authorization-webhook-cache-unauthorized-ttl; default 10 s. */
  denyCacheTTLMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export class SubjectAccessReviewAuthorizer implements Authorizer {
  private readonly cache: ExpiringCache<AuthorizationResult>;
  private readonly allowTTL: number;
  private readonly denyTTL: number;

  constructor(private readonly opts: SubjectAccessReviewAuthorizerOptions) {
    this.allowTTL = opts.allowCacheTTLMs ?? 10_000;
    this.denyTTL = opts.denyCacheTTLMs ?? 10_000;
    this.cache = new ExpiringCache(opts.now ? { now: opts.now } : {});
  }

  authorize(attributes: AuthorizationAttributes): Promise<AuthorizationResult> {
    const spec = subjectAccessReviewSpec(attributes);
    return this.cache.getOrLoad(JSON.stringify(spec), () => this.ask(spec), (r) => (r.decision === 'Allow' ? this.allowTTL : this.denyTTL));
  }

  private async ask(spec: SubjectAccessReviewSpec): Promise<AuthorizationResult> {
    const review = await withRetry(() =>
      this.opts.client.post<{ status?: SubjectAccessReviewStatus }>(SUBJECT_ACCESS_REVIEWS_PATH, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec,
      }),
    );
    const status = review.status ?? {};
    const reason = status.reason ? { reason: status.reason } : {};
    if (status.allowed && status.denied) throw new Error('webhook subject access review returned both allow and deny response');
    if (status.denied) return { decision: 'Deny', ...reason };
    if (status.allowed) return { decision: 'Allow', ...reason };
    return { decision: 'NoOpinion', ...reason };
  }
}
