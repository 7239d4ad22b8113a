/**
 * The generic API server: HTTPS only, Go's filter chain in Go's order, the health, version and
 * metrics endpoints, the API routes the caller plugs in, and a graceful shutdown.
 *
 * Filter order (outermost first), as k8s.io/apiserver's DefaultBuildHandlerChain runs them:
 * panic recovery (the error middleware, last in express terms) → request info → request log and
 * metrics → request tracking (shutdown) → cache-control → authentication → max in flight (after
 * authentication, so system:masters can be exempt) → authorization → routes.
 */
import cluster from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import pino, { type Logger } from 'pino';
import { apiRequestHandlerOf, type ApiRequestHandler } from '../endpoints/router.js';
import { X509Authenticator, requestAuthenticator, requestUser, type Authenticator, ALWAYS_OPEN_PATHS } from '../security/authn.js';
import { AlwaysAllowAuthorizer, type Authorizer } from '../security/authz.js';
import { requestAuthorizer } from './authorization.js';
import { flagCheck, healthEndpoint, pingCheck, type HealthCheck } from './healthz.js';
import { MaxInFlightLimiter, type InFlightSeat } from './max-in-flight.js';
import { ApiServerMetrics } from './metrics.js';
import { requestURLOf } from './request-info.js';
import { logRequest } from './request-log.js';
import { RequestTracker, type TrackedRequest } from './request-tracker.js';
import { notFoundHandler, panicRecovery, recoverFromPanic } from './responses.js';
import { versionHandler, versionInfo, type VersionInfo } from './version.js';

export const DEFAULT_MAX_REQUESTS_IN_FLIGHT = 400;
export const DEFAULT_MAX_MUTATING_REQUESTS_IN_FLIGHT = 200;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
/** How long watch handlers get to end their own streams before the server ends them. */
const WATCH_TERMINATION_GRACE_MS = 1_000;
/** Storage close callbacks always get at least this long, even after a drain that ran out of time. */
const MIN_SHUTDOWN_HOOK_MS = 2_000;

export type ShutdownHook = () => void | Promise<void>;

export interface TLSServingOptions {
  /** PEM serving certificate (with intermediates, if any). */
  cert: string;
  /** PEM private key of the serving certificate. */
  key: string;
  /** PEM bundle client certificates are verified against (x509 authentication). */
  clientCA?: string | string[];
}

export interface GenericAPIServerOptions {
  /** Default 127.0.0.1. */
  bindAddress?: string;
  /** Default 8443; 0 picks a free port. */
  port?: number;
  tls: TLSServingOptions;
  /** Default: x509 against tls.clientCA; without either, only the always-open paths answer. */
  authenticator?: Authenticator;
  /** Default: allow everything authenticated (standalone). */
  authorizer?: Authorizer;
  /** Paths answered without credentials; default /healthz, /livez, /readyz. */
  alwaysOpenPaths?: readonly string[];
  /** Read-only requests at once (0 = unlimited); default 400. */
  maxRequestsInFlight?: number;
  /** Mutating requests at once (0 = unlimited); default 200. */
  maxMutatingRequestsInFlight?: number;
  /** Upper bound on shutdown(); default 30 s. */
  shutdownTimeoutMs?: number;
  /** Default: pino to stdout at `logLevel`. Tests pass a logger writing to a stream. */
  logger?: Logger;
  logLevel?: string;
  version?: Partial<VersionInfo>;
  /** The API routes (/apis, /api, /openapi): mounted at the root behind every filter. */
  apiRouter?: RequestHandler;
  /** Alternatively (or also), a function installing routes on the app, behind every filter. */
  installRoutes?: (app: Express) => void;
  /** Checks for /healthz, /livez and /readyz. */
  healthChecks?: HealthCheck[];
  /** Checks for /readyz only (e.g. storage). */
  readyzChecks?: HealthCheck[];
  /** Run after requests are drained (e.g. storage.close()). */
  shutdownHooks?: ShutdownHook[];
  /** prom-client default process metrics; default true. */
  collectDefaultMetrics?: boolean;
}

/** What the filters keep about a request until its response closes, on the request object itself. */
interface FilterState {
  start: bigint;
  tracked: TrackedRequest;
  seat: InFlightSeat | null;
}

const FILTER_STATE = Symbol('kapi.filterState');
type Filtered = IncomingMessage & { [FILTER_STATE]?: FilterState };

/** A filter's verdict (true: go on; false: it answered), now or later. */
type Step = boolean | Promise<boolean>;

function isApisPath(path: string): boolean {
  return path === '/apis' || path.startsWith('/apis/');
}

function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export class GenericAPIServer {
  readonly app: Express;
  readonly logger: Logger;
  readonly metrics: ApiServerMetrics;
  readonly limiter: MaxInFlightLimiter;
  private readonly tracker = new RequestTracker();
  private readonly httpsServer: HttpsServer;
  private readonly healthChecks: HealthCheck[] = [pingCheck];
  private readonly readyzOnlyChecks: HealthCheck[];
  private readonly shutdownHooks: ShutdownHook[];
  private readonly bindAddress: string;
  private readonly port: number;
  private readonly shutdownTimeoutMs: number;
  private shuttingDown = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly authenticate: (req: IncomingMessage, res: ServerResponse) => Step;
  private readonly authorize: (req: IncomingMessage, res: ServerResponse) => Step;
  /** The /apis handler of a router made by createApiRouter, called without the express router walk. */
  private readonly apiHandler: ApiRequestHandler | undefined;
  /** Shared by every response (no closures per request): they read the response they fire on. */
  private readonly onResponseClose: (this: ServerResponse) => void;
  private readonly onResponseError: (this: ServerResponse, err: Error) => void;

  constructor(private readonly options: GenericAPIServerOptions) {
    this.bindAddress = options.bindAddress ?? '127.0.0.1';
    this.port = options.port ?? 8443;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    // Buffered asynchronous stdout (one line per request would otherwise be a write(2) each): pino
    // flushes it synchronously on process exit; start() and shutdown() flush their lines at once.
    // A --workers worker shares stdout with its siblings: there one write(2) per line keeps lines
    // whole (a pipe write up to 4 KiB is atomic; a buffered chunk may be larger and interleave).
    const destination = cluster.isWorker ? { dest: 1, sync: true } : { dest: 1, sync: false, minLength: 4096 };
    this.logger = options.logger ?? pino({ level: options.logLevel ?? 'info' }, pino.destination(destination));
    this.metrics = new ApiServerMetrics({ collectDefaultMetrics: options.collectDefaultMetrics ?? true });
    this.limiter = new MaxInFlightLimiter({
      maxRequestsInFlight: options.maxRequestsInFlight ?? DEFAULT_MAX_REQUESTS_IN_FLIGHT,
      maxMutatingRequestsInFlight: options.maxMutatingRequestsInFlight ?? DEFAULT_MAX_MUTATING_REQUESTS_IN_FLIGHT,
    });
    this.healthChecks.push(...(options.healthChecks ?? []));
    this.readyzOnlyChecks = [
      flagCheck('shutdown', () => this.shuttingDown, 'process is shutting down'),
      ...(options.readyzChecks ?? []),
    ];
    this.shutdownHooks = [...(options.shutdownHooks ?? [])];
    this.authenticate = requestAuthenticator({ authenticator: this.defaultAuthenticator(), alwaysOpenPaths: options.alwaysOpenPaths ?? ALWAYS_OPEN_PATHS });
    this.authorize = requestAuthorizer(options.authorizer ?? new AlwaysAllowAuthorizer());
    this.apiHandler = apiRequestHandlerOf(options.apiRouter);
    const server = this;
    this.onResponseClose = function (this: ServerResponse) {
      server.requestDone(this);
    };
    this.onResponseError = function (this: ServerResponse, err: Error) {
      // A write after the end (a watch ended by shutdown) must not become an unhandled 'error'.
      server.logger.debug({ err: err.message, uri: this.req?.url }, 'response error');
    };
    this.app = this.buildApp();
    this.httpsServer = createHttpsServer(this.tlsOptions(), (req, res) => this.handle(req, res));
    this.httpsServer.on('tlsClientError', (err) => this.logger.debug({ err: err.message }, 'TLS handshake failed'));
    // The peer's certificate is verified once per connection (security/x509-verify.ts verifySocketPeer),
    // so it must not change under a connection: no TLS 1.2 renegotiation (Go's server has none either).
    this.httpsServer.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation());
  }

  private tlsOptions(): HttpsServerOptions {
    const { cert, key, clientCA } = this.options.tls;
    return {
      cert,
      key,
      // Ask for a client certificate but let the handshake succeed without one (or with one we
      // do not trust): authenticators decide, and the health endpoints stay reachable.
      requestCert: true,
      rejectUnauthorized: false,
      ...(clientCA ? { ca: clientCA } : {}),
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
    };
  }

  private defaultAuthenticator(): Authenticator {
    if (this.options.authenticator) return this.options.authenticator;
    if (this.options.tls.clientCA) return new X509Authenticator(this.options.tls.clientCA);
    return { authenticate: () => undefined };
  }

  private buildApp(): Express {
    const app = express();
    app.disable('x-powered-by');
    // Responses carry the ETags their handlers compute (discovery, OpenAPI), not express's.
    app.set('etag', false);

    // The filters: already run when the server's own handler passes the request on (handle()).
    app.use((req: Request, res: Response, next: NextFunction) => {
      if ((req as Filtered)[FILTER_STATE]) return this.continueInApp(req, res, next);
      this.runFilters(req, res, () => this.continueInApp(req, res, next), next);
    });

    const allChecks = (): readonly HealthCheck[] => this.healthChecks;
    app.use(healthEndpoint({ name: 'healthz', checks: allChecks, onFailure: (f) => this.logHealthFailure('healthz', f) }));
    app.use(healthEndpoint({ name: 'livez', checks: allChecks, onFailure: (f) => this.logHealthFailure('livez', f) }));
    app.use(
      healthEndpoint({
        name: 'readyz',
        checks: () => [...this.healthChecks, ...this.readyzOnlyChecks],
        onFailure: (f) => this.logHealthFailure('readyz', f),
      }),
    );
    app.get('/version', versionHandler(versionInfo(this.options.version)));
    app.get('/metrics', this.metrics.handler());

    if (this.options.apiRouter) app.use(this.options.apiRouter);
    this.options.installRoutes?.(app);

    app.use(notFoundHandler());
    app.use(panicRecovery(this.logger));
    return app;
  }

  /**
   * Every request: the filters in Go's order, then /apis straight to the API handler (when the
   * apiRouter is createApiRouter's), anything else through the express app (health, version,
   * metrics, OpenAPI, installed routes, 404), which does not run the filters again.
   */
  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.runFilters(
      req,
      res,
      () => {
        if (this.apiHandler && isApisPath(requestURLOf(req).path)) {
          this.apiHandler(req, res).catch((err: unknown) => recoverFromPanic(this.logger, err, req, res));
        } else {
          this.app(req, res);
        }
      },
      (err) => recoverFromPanic(this.logger, err, req, res),
    );
  }

  /** Handlers on the express app find the user where express handlers look (res.locals.user). */
  private continueInApp(req: Request, res: Response, next: NextFunction): void {
    res.locals['user'] = requestUser(req);
    next();
  }

  /**
   * Request info → request log, metrics and request tracking (one 'close' listener for all) →
   * cache-control → authentication → max in flight → authorization; `next` when the request goes
   * on, `fail` with what a filter threw.
   */
  private runFilters(req: IncomingMessage, res: ServerResponse, next: () => void, fail: (err: unknown) => void): void {
    try {
      const state: FilterState = { start: process.hrtime.bigint(), tracked: this.tracker.track(req, res), seat: null };
      (req as Filtered)[FILTER_STATE] = state;
      res.on('error', this.onResponseError);
      res.once('close', this.onResponseClose);
      if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-cache, private');
      if (this.shuttingDown) res.setHeader('Connection', 'close');
      const afterAuthorization = (ok: boolean): void => {
        if (ok) next();
      };
      const afterAuthentication = (ok: boolean): void => {
        if (!ok) return;
        const seat = this.limiter.admit(req, res);
        if (seat === false) return;
        state.seat = seat;
        const allowed = this.authorize(req, res);
        if (typeof allowed === 'boolean') afterAuthorization(allowed);
        else allowed.then(afterAuthorization).catch(fail);
      };
      const authenticated = this.authenticate(req, res);
      if (typeof authenticated === 'boolean') afterAuthentication(authenticated);
      else authenticated.then(afterAuthentication).catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  /** The response closed (finished, or the client went away first): the seat, the tracker, metrics, the log line. */
  private requestDone(res: ServerResponse): void {
    const req = res.req as Filtered;
    const state = req[FILTER_STATE];
    if (!state) return;
    const aborted = !res.writableFinished;
    if (state.seat !== null) this.limiter.release(state.seat);
    this.tracker.done(state.tracked);
    this.metrics.observe(req, res, Number(process.hrtime.bigint() - state.start) / 1e9);
    logRequest(this.logger, req, res, state.start, aborted);
  }

  private logHealthFailure(endpoint: string, failed: Array<{ name: string; error: Error }>): void {
    const detail = failed.map((f) => `[-]${f.name} failed: ${f.error.message}`).join('\n');
    this.logger.warn({ endpoint, failed: failed.map((f) => f.name) }, `${endpoint} check failed\n${detail}`);
  }

  /** Adds checks to /healthz, /livez and /readyz. */
  addHealthChecks(...checks: HealthCheck[]): void {
    this.healthChecks.push(...checks);
  }

  /** Adds checks to /readyz only. */
  addReadyzChecks(...checks: HealthCheck[]): void {
    this.readyzOnlyChecks.push(...checks);
  }

  /** Runs after requests are drained, in the order added (e.g. storage.close()). */
  addShutdownHook(hook: ShutdownHook): void {
    this.shutdownHooks.push(hook);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The bound address; only after start(). */
  get address(): AddressInfo {
    const address = this.httpsServer.address();
    if (!address || typeof address === 'string') throw new Error('the server is not listening');
    return address;
  }

  /** https://host:port of the running server. */
  get url(): string {
    const { address, port } = this.address;
    return `https://${hostPort(address, port)}`;
  }

  /** Listens, logs "serving securely on …" and resolves with the bound address. */
  start(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.httpsServer.once('error', onError);
      this.httpsServer.listen(this.port, this.bindAddress, () => {
        this.httpsServer.off('error', onError);
        this.httpsServer.on('error', (err) => this.logger.error({ err }, 'server error'));
        const address = this.address;
        this.logger.info({ address: address.address, port: address.port }, `serving securely on ${hostPort(address.address, address.port)}`);
        this.flushLog();
        resolve(address);
      });
    });
  }

  /**
   * Graceful shutdown: /readyz fails at once, the listener closes, ordinary requests finish,
   * watches are ended cleanly, then the shutdown hooks run. Bounded by the shutdown timeout
   * (connections still open then are closed). Calling it again returns the same promise.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.runShutdown();
    return this.shutdownPromise;
  }

  private async runShutdown(): Promise<void> {
    const started = Date.now();
    const deadline = started + this.shutdownTimeoutMs;
    this.shuttingDown = true;
    this.logger.info({ inFlight: this.tracker.count(false), longRunning: this.tracker.count(true) }, 'shutting down');
    const closed = new Promise<void>((resolve) => {
      if (!this.httpsServer.listening) return resolve();
      this.httpsServer.close(() => resolve());
    });
    this.httpsServer.closeIdleConnections();

    const drained = await this.tracker.waitFor(false, deadline);
    if (!drained) this.logger.warn({ remaining: this.tracker.count(false) }, 'shutdown timeout: requests still in flight');
    await this.tracker.terminateLongRunning(Math.max(0, Math.min(WATCH_TERMINATION_GRACE_MS, deadline - Date.now())));
    await this.tracker.waitFor(undefined, Math.max(deadline, Date.now() + 100));
    this.httpsServer.closeIdleConnections();
    const allClosed = await Promise.race([closed.then(() => true), sleepUntil(deadline).then(() => false)]);
    if (!allClosed) {
      this.httpsServer.closeAllConnections();
      await closed;
    }

    const hookDeadline = Math.max(deadline, Date.now() + MIN_SHUTDOWN_HOOK_MS);
    for (const hook of this.shutdownHooks) {
      try {
        await Promise.race([Promise.resolve().then(hook), sleepUntil(hookDeadline)]);
      } catch (err) {
        this.logger.error({ err }, 'shutdown hook failed');
      }
    }
    this.logger.info({ durationMs: Date.now() - started }, 'shutdown complete');
    this.flushLog();
  }

  /** Writes out what the logger buffered (a no-op for synchronous destinations). */
  private flushLog(): void {
    try {
      this.logger.flush();
    } catch {
      // a destination that can not flush now writes on its own
    }
  }

  /**
   * Shuts down on the first SIGTERM/SIGINT; a second signal exits at once (as Go's servers do).
   * Returns a function that removes the handlers.
   */
  handleSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'], exit: (code: number) => void = (code) => process.exit(code)): () => void {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        this.logger.warn({ signal }, 'second signal: exiting now');
        this.flushLog();
        exit(1);
        return;
      }
      received = true;
      this.logger.info({ signal }, 'received signal, shutting down');
      this.flushLog();
      this.shutdown().then(
        () => exit(0),
        (err: unknown) => {
          this.logger.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
    };
    for (const signal of signals) process.on(signal, onSignal);
    return () => {
      for (const signal of signals) process.off(signal, onSignal);
    };
  }
}

function sleepUntil(deadline: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref());
}

export function createServer(options: GenericAPIServerOptions): GenericAPIServer {
  return new GenericAPIServer(options);
}

