/**
 * Delegated authentication and authorization for a kapi server, as Go's generic server wires
 * them from DelegatingAuthenticationOptions and DelegatingAuthorizationOptions: the host cluster's
 * extension-apiserver-authentication ConfigMap (front-proxy and client CAs), TokenReview for
 * bearer tokens, SubjectAccessReview for every request. The result plugs into createServer.
 */
import { readFileSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { KubeRestClient, loadKubeConfig } from '../kube/index.js';
import { UnionAuthenticator, type Authenticator } from '../security/authn.js';
import { PrivilegedAuthorizer, UnionAuthorizer, type Authorizer } from '../security/authz.js';
import { ExtensionAuthenticationConfig, type RequestHeaderConfig } from '../security/delegated/extension-config.js';
import { DynamicX509Authenticator, RequestHeaderAuthenticator } from '../security/delegated/request-header.js';
import { SubjectAccessReviewAuthorizer } from '../security/delegated/subject-access-review.js';
import { TokenReviewAuthenticator } from '../security/delegated/token-review.js';
import type { HealthCheck } from '../http/health-check.js';
import type { DelegationOptions } from './options.js';

export interface DelegatedSecurityOptions {
  delegation: DelegationOptions;
  /** --client-ca-file: used instead of the ConfigMap's client-ca-file. */
  clientCAFile?: string;
  /** Default: pino to stdout at logLevel (default info). */
  logger?: Pick<Logger, 'warn' | 'info' | 'debug'>;
  logLevel?: string;
  /** How long to wait for the first read of the ConfigMap before giving up; default 30 s. */
  lookupTimeoutMs?: number;
  /** The ConfigMap's re-read interval and the readyz threshold (see ExtensionAuthenticationConfig). */
  resyncIntervalMs?: number;
  unreachableAfterMs?: number;
}

export interface DelegatedSecurity {
  /** request-header (front proxy) → x509 client CA → bearer token (TokenReview); none: 401 outside the always-open paths. */
  authenticator: Authenticator;
  /** system:masters and the always-allow paths, then SubjectAccessReview. */
  authorizer: Authorizer;
  /** For createServer's readyzChecks: the ConfigMap was read and the host cluster answers. */
  readyzChecks: HealthCheck[];
  /** The followed ConfigMap; undefined when the lookup is skipped or every part comes from flags. */
  extensionAuthentication?: ExtensionAuthenticationConfig;
  /** Stops following the ConfigMap and closes the host connections (a shutdown hook). */
  stop(): void;
}

/**
 * Builds the delegated authenticator and authorizer from the flags. Resolves once the ConfigMap was
 * read; rejects (as Go fails to start) when the host cluster cannot be reached in lookupTimeoutMs.
 */
export async function delegatedSecurity(opts: DelegatedSecurityOptions): Promise<DelegatedSecurity> {
  const { delegation } = opts;
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? 'info', name: 'delegated-auth' }, pino.destination({ dest: 1, sync: true }));
  // The reviews retry by themselves (withRetry, as Go's webhook clients): no resending below that.
  const authnClient = new KubeRestClient(await loadKubeConfig(delegation.authenticationKubeconfig), { unsentRetries: 0 });
  const authzKubeConfig = await loadKubeConfig(delegation.authorizationKubeconfig);
  const authzClient = new KubeRestClient(authzKubeConfig, { unsentRetries: 0 });
  // Its own short-timeout pool, so a probe never waits behind (or holds up) review calls.
  const probeClient = new KubeRestClient(authzKubeConfig, { timeoutMs: HOST_PROBE_TIMEOUT_MS, unsentRetries: 0 });
  const stopClients = (): void => {
    authnClient.close();
    authzClient.close();
    probeClient.close();
  };

  const staticRequestHeader: RequestHeaderConfig | undefined = delegation.requestHeader && {
    clientCA: readFileSync(delegation.requestHeader.clientCAFile, 'utf8'),
    allowedNames: delegation.requestHeader.allowedNames,
    usernameHeaders: delegation.requestHeader.usernameHeaders,
    uidHeaders: delegation.requestHeader.uidHeaders,
    groupHeaders: delegation.requestHeader.groupHeaders,
    extraHeaderPrefixes: delegation.requestHeader.extraHeaderPrefixes,
  };
  const staticClientCA = opts.clientCAFile ? readFileSync(opts.clientCAFile, 'utf8') : undefined;

  let config: ExtensionAuthenticationConfig | undefined;
  if (!delegation.authenticationSkipLookup && (!staticRequestHeader || !staticClientCA)) {
    config = new ExtensionAuthenticationConfig({
      client: authnClient,
      logger,
      ...(opts.resyncIntervalMs !== undefined ? { resyncIntervalMs: opts.resyncIntervalMs } : {}),
      ...(opts.unreachableAfterMs !== undefined ? { unreachableAfterMs: opts.unreachableAfterMs } : {}),
    }).start();
    const lookupTimeoutMs = opts.lookupTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), lookupTimeoutMs)));
    const outcome = await Promise.race([config.ready.then(() => 'ready' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const reason = (() => {
        try {
          config.readyzCheck().check();
          return 'no answer';
        } catch (err) {
          return err instanceof Error ? err.message : String(err);
        }
      })();
      config.stop();
      stopClients();
      throw new Error(`unable to load configmap based request-header-client-ca-file within ${lookupTimeoutMs} ms: ${reason}`);
    }
  }
  const followed = config;

  const authenticator = new UnionAuthenticator([
    new RequestHeaderAuthenticator({ config: () => staticRequestHeader ?? followed?.current.requestHeader }),
    new DynamicX509Authenticator(() => staticClientCA ?? followed?.current.clientCA),
    new TokenReviewAuthenticator({ client: authnClient, cacheTTLMs: delegation.tokenCacheTTLMs }),
  ]);
  const authorizer = new UnionAuthorizer([
    new PrivilegedAuthorizer(delegation.alwaysAllowPaths),
    new SubjectAccessReviewAuthorizer({
      client: authzClient,
      allowCacheTTLMs: delegation.authorizedCacheTTLMs,
      denyCacheTTLMs: delegation.unauthorizedCacheTTLMs,
    }),
  ]);
  return {
    authenticator,
    authorizer,
    readyzChecks: [...(followed ? [followed.readyzCheck()] : []), hostReachableCheck(probeClient)],
    ...(followed ? { extensionAuthentication: followed } : {}),
    stop() {
      followed?.stop();
      stopClients();
    },
  };
}

const HOST_PROBE_TIMEOUT_MS = 1000;
const HOST_PROBE_CACHE_MS = 500;

/**
 * Ready only while the host cluster answers its own /readyz: every request's SubjectAccessReview
 * goes there, so while kube-apiserver is down or restarting this server can serve nothing but the
 * health paths. The answer is kept briefly so that frequent probes cost one call.
 */
export function hostReachableCheck(client: KubeRestClient): HealthCheck {
  let last: { at: number; error: Error | undefined } | undefined;
  let pending: Promise<Error | undefined> | undefined;
  const probe = async (): Promise<Error | undefined> => {
    try {
      await client.getText('/readyz');
      return undefined;
    } catch (err) {
      return new Error(`the host cluster is not ready: ${(err as Error).message}`);
    }
  };
  return {
    name: 'delegated-host-cluster',
    async check() {
      if (!last || Date.now() - last.at > HOST_PROBE_CACHE_MS) {
        pending ??= probe().finally(() => (pending = undefined));
        const error = await pending;
        last = { at: Date.now(), error };
      }
      if (last.error) throw last.error;
    },
  };
}
