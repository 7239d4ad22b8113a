/**
 * The generic API server: HTTPS only, Go's filter chain in Go's order, one path table for
 * everything it serves (health, version, metrics, the API, OpenAPI), the author's own handler for
 * what no route owns, and a graceful shutdown.
 *
 * Filter order (outermost first), as k8s.io/apiserver's DefaultBuildHandlerChain runs them:
 * request log, metrics and request tracking (shutdown) → cache-control → request info (a URL that
 * does not decode is a 400) → authentication → audit → max in flight (after authentication, so
 * system:masters can be exempt) → authorization → the author's filters → the route. Anything a
 * step throws becomes its Status (panic recovery); the process never dies of a request.
 */
import cluster from 'node:cluster';
import { ServerResponse, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { newBadRequest } from '@kapi/apimachinery';
import pino, { type Logger } from 'pino';
import { auditFilter, type AuditOptions } from '../audit/filter.js';
import { isUpgradeRequest, markUpgrade } from '../endpoints/connect.js';
import { requestInfoOf } from '../http/request-info.js';
import { setRequestLogger } from '../http/request-logger.js';
import { writeStatus } from '../http/responses.js';
import { routesHandler, type Filter, type Route } from '../http/routes.js';
import { X509Authenticator, authenticationFilter, type Authenticator, ALWAYS_OPEN_PATHS } from '../security/authn.js';
import { AlwaysAllowAuthorizer, type Authorizer } from '../security/authz.js';
import { authorizationFilter } from './authorization.js';
import type { HealthCheck } from '../http/health-check.js';
import { flagCheck, healthRoute, pingCheck } from './healthz.js';
import { MaxInFlightLimiter, type InFlightSeat } from './max-in-flight.js';
import { ApiServerMetrics } from './metrics.js';
import { logRequest } from './request-log.js';
import type { TrackedRequest } from '../http/request-signal.js';
import { RequestTracker } from './request-tracker.js';
import { versionInfo, versionRoute, type VersionInfo } from './version.js';

export const DEFAULT_MAX_REQUESTS_IN_FLIGHT = 400;
export const DEFAULT_MAX_MUTATING_REQUESTS_IN_FLIGHT = 200;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
/** How long watch handlers get to end their own streams before the server ends them. */
const WATCH_TERMINATION_GRACE_MS = 1_000;
/** Go's ReadHeaderTimeout for the secure port. */
const READ_HEADER_TIMEOUT_MS = 32_000;
/**
 * How long a kept-alive connection may idle: Go's secure serving's IdleTimeout, which matches its
 * clients' (http.DefaultTransport, client-go) 90 s. Node's 5 s default closes connections clients
 * still count on, and a request sent as the server closes one fails (`socket hang up`).
 */
const IDLE_TIMEOUT_MS = 90_000;
/** How long the whole request (headers and body) may take to arrive. */
const REQUEST_TIMEOUT_MS = 60_000;
/** Storage close callbacks always get at least this long, even after a drain that ran out of time. */
const MIN_SHUTDOWN_HOOK_MS = 2_000;

export type ShutdownHook = () => void | Promise<void>;
/** Run once the server listens (Go's PostStartHook); /readyz reports poststarthook/<name> failing until it is done. */
export type PostStartHook = () => void | Promise<void>;

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
  /** Upper bound on shutdown() after the delay; default 30 s. */
  shutdownTimeoutMs?: number;
  /**
   * How long shutdown() keeps serving with /readyz failing before it closes the listener, so that
   * load balancers (the endpoints behind a Service, the aggregator) stop sending first; default 0.
   */
  shutdownDelayMs?: number;
  /** Default: pino to stdout at `logLevel`. Tests pass a logger writing to a stream. */
  logger?: Logger;
  logLevel?: string;
  version?: Partial<VersionInfo>;
  /** Routes behind every filter: the API's (endpoints apiRoutes()) and any of the author's; a path owned by two goes to the longer prefix. */
  routes?: Route[];
  /**
   * What no route owns: the author's own handler for non-resource paths, e.g. an express app (Go's
   * NonGoRestfulMux; an app, not a bare Router, since the app gives req and res express's
   * methods), behind every filter; its `next()` is the 404, `next(err)` err's Status.
   */
  nonResourceHandler?: Filter;
  /** Audit logging: the policy and where events go; absent, nothing is audited. */
  audit?: AuditOptions;
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
/** On a socket once it has carried a request. */
const SERVED = Symbol('kapi.socketServed');
type Filtered = IncomingMessage & { [FILTER_STATE]?: FilterState };

/** Go's HTTP server refuses a URL whose path does not percent-decode: so does this one, before anything reads the path. */
const rejectUndecodablePath: Filter = (req, res, next) => {
  const bad = requestInfoOf(req).badSegment;
  if (bad === undefined) return next();
  writeStatus(res, newBadRequest(`invalid URL escape in path segment "${bad}"`));
};

function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export class GenericAPIServer {
  /** The whole chain as a request listener (Go's GenericAPIServer.Handler): what the HTTPS server calls. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly logger: Logger;
  readonly metrics: ApiServerMetrics;
  readonly limiter: MaxInFlightLimiter;
  private readonly tracker = new RequestTracker();
  /** Sockets of upgrade requests: node's server no longer counts them as its connections. */
  private readonly upgradeSockets = new Set<Duplex>();
  /**
   * Connections that have not carried a request yet: node's closeIdleConnections() does not see
   * them, and Go clients keep such spare connections open, so shutdown closes them itself.
   */
  private readonly unservedSockets = new Set<TLSSocket>();
  private readonly httpsServer: HttpsServer;
  private readonly healthChecks: HealthCheck[] = [pingCheck];
  private readonly readyzOnlyChecks: HealthCheck[];
  private readonly shutdownHooks: ShutdownHook[];
  private readonly bindAddress: string;
  private readonly port: number;
  private readonly shutdownTimeoutMs: number;
  private readonly shutdownDelayMs: number;
  private shuttingDown = false;
  /** Set once the shutdown delay has passed: the listener closes and connections are let go. */
  private draining = false;
  private shutdownPromise: Promise<void> | undefined;
  /** The chain after request tracking, in order; the author's filters at the end. */
  private readonly filters: Filter[];
  /** The route owning the path, else the author's handler, else the one 404. */
  private readonly serve: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly postStartHooks: Array<{ name: string; hook: PostStartHook }> = [];
  private started = false;
  /** Shared by every response (no closures per request): they read the response they fire on. */
  private readonly onResponseClose: (this: ServerResponse) => void;
  private readonly onResponseError: (this: ServerResponse, err: Error) => void;

  constructor(private readonly options: GenericAPIServerOptions) {
    this.bindAddress = options.bindAddress ?? '127.0.0.1';
    this.port = options.port ?? 8443;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    this.shutdownDelayMs = options.shutdownDelayMs ?? 0;
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
    this.filters = [
      rejectUndecodablePath,
      authenticationFilter({ authenticator: this.defaultAuthenticator(), alwaysOpenPaths: options.alwaysOpenPaths ?? ALWAYS_OPEN_PATHS }),
      ...(options.audit ? [auditFilter(options.audit)] : []),
      (req, res, next) => this.admit(req, res, next),
      authorizationFilter(options.authorizer ?? new AlwaysAllowAuthorizer()),
    ];
    this.serve = routesHandler(this.buildRoutes(), options.nonResourceHandler);
    const server = this;
    this.onResponseClose = function (this: ServerResponse) {
      server.requestDone(this);
    };
    this.onResponseError = function (this: ServerResponse, err: Error) {
      // A write after the end (a watch ended by shutdown) must not become an unhandled 'error'.
      server.logger.debug({ err: err.message, uri: this.req?.url }, 'response error');
    };
    this.handler = (req, res) => this.handle(req, res);
    this.httpsServer = createHttpsServer(this.tlsOptions(), this.handler);
    this.httpsServer.keepAliveTimeout = IDLE_TIMEOUT_MS;
    this.httpsServer.on('tlsClientError', (err) => this.logger.debug({ err: err.message }, 'TLS handshake failed'));
    // The peer's certificate is verified once per connection (security/x509-verify.ts verifySocketPeer),
    // so it must not change under a connection: no TLS 1.2 renegotiation (Go's server has none either).
    this.httpsServer.on('secureConnection', (socket: TLSSocket) => {
      socket.disableRenegotiation();
      // A handshake that completes while shutting down carries nothing worth waiting for.
      if (this.draining) return void socket.destroy();
      this.unservedSockets.add(socket);
      socket.once('close', () => this.unservedSockets.delete(socket));
    });
    this.httpsServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
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
      // Go's secure serving: ReadHeaderTimeout 32 s bounds the TLS handshake and the request
      // headers, so a slow-loris client holds a connection that long at most.
      handshakeTimeout: READ_HEADER_TIMEOUT_MS,
      headersTimeout: READ_HEADER_TIMEOUT_MS,
      // A request body must arrive within a minute (Go answers a slow one 504 at 60 s); watches have none.
      requestTimeout: REQUEST_TIMEOUT_MS,
      // How often node looks for connections past those timeouts (its default, 30 s, would double them).
      connectionsCheckingInterval: 1_000,
    };
  }

  private defaultAuthenticator(): Authenticator {
    if (this.options.authenticator) return this.options.authenticator;
    if (this.options.tls.clientCA) return new X509Authenticator(this.options.tls.clientCA);
    return { authenticate: () => undefined };
  }

  private buildRoutes(): Route[] {
    const allChecks = (): readonly HealthCheck[] => this.healthChecks;
    return [
      healthRoute({ name: 'healthz', checks: allChecks, onFailure: (f) => this.logHealthFailure('healthz', f) }),
      healthRoute({ name: 'livez', checks: allChecks, onFailure: (f) => this.logHealthFailure('livez', f) }),
      healthRoute({
        name: 'readyz',
        checks: () => [...this.healthChecks, ...this.readyzOnlyChecks],
        onFailure: (f) => this.logHealthFailure('readyz', f),
      }),
      versionRoute(versionInfo(this.options.version)),
      this.metrics.route(),
      ...(this.options.routes ?? []),
    ];
  }

  /**
   * Every request: tracked (log line, metrics, shutdown) until its response closes, then the
   * filters in order, then the route owning its path, else the author's handler, else 404.
   */
  private handle(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as TLSSocket & { [SERVED]?: true };
    if (socket[SERVED] === undefined) {
      socket[SERVED] = true;
      this.unservedSockets.delete(socket);
    }
    const state: FilterState = { start: process.hrtime.bigint(), tracked: this.tracker.track(req, res), seat: null };
    (req as Filtered)[FILTER_STATE] = state;
    setRequestLogger(req, this.logger);
    res.on('error', this.onResponseError);
    res.once('close', this.onResponseClose);
    res.setHeader('Cache-Control', 'no-cache, private');
    if (this.draining) res.setHeader('Connection', 'close');
    const filters = this.filters;
    let i = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined) return writeStatus(res, err);
      try {
        const filter = filters[i++];
        if (filter) filter(req, res, next);
        else this.serve(req, res);
      } catch (thrown) {
        writeStatus(res, thrown);
      }
    };
    next();
  }

  /**
   * An upgrade request (node emits 'upgrade' for Connection: Upgrade, not 'request'): the same
   * chain, on a response of its own over the raw socket, so that refusals are Statuses. A connect
   * subresource takes the socket over (endpoints/connect.ts); anything else is answered and the
   * connection closed. Long-running, as a watch: no in-flight seat, ended at shutdown.
   */
  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.unservedSockets.delete(socket as TLSSocket);
    this.upgradeSockets.add(socket);
    socket.on('error', (err) => this.logger.debug({ err: err.message, uri: req.url }, 'upgrade connection error'));
    socket.once('close', () => this.upgradeSockets.delete(socket));
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => (socket as Socket).destroySoon());
    markUpgrade(req, socket, head);
    this.handle(req, res);
  }

  /** Max in flight: the seat is kept for release when the response closes. */
  private admit(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    if (isUpgradeRequest(req)) return next();
    const seat = this.limiter.admit(req, res);
    if (seat === false) return;
    (req as Filtered)[FILTER_STATE]!.seat = seat;
    next();
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

  /**
   * Adds a filter of the author's at the end of the chain: after authorization (requestUser and
   * requestInfoOf are known), before the route, in the order added.
   */
  addFilter(filter: Filter): void {
    this.filters.push(filter);
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

  /**
   * Runs `hook` once the server listens (at once if it already does); until it has finished,
   * /readyz and /healthz report poststarthook/<name> failing. A hook that fails is logged and
   * keeps failing the check, as Go's do.
   */
  addPostStartHook(name: string, hook: PostStartHook): void {
    if (this.started) this.runPostStartHook(name, hook);
    else this.postStartHooks.push({ name, hook });
  }

  private runPostStartHook(name: string, hook: PostStartHook): void {
    let state: 'running' | 'done' | Error = 'running';
    this.healthChecks.push({
      name: `poststarthook/${name}`,
      check: () => {
        if (state === 'running') throw new Error('not finished');
        if (state instanceof Error) throw state;
      },
    });
    Promise.resolve()
      .then(hook)
      .then(
        () => (state = 'done'),
        (err: unknown) => {
          state = err instanceof Error ? err : new Error(String(err));
          this.logger.error({ err, hook: name }, 'post-start hook failed');
        },
      );
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
        this.started = true;
        for (const { name, hook } of this.postStartHooks) this.runPostStartHook(name, hook);
        resolve(address);
      });
    });
  }

  /**
   * Graceful shutdown: /readyz fails at once, requests are served as before for the shutdown
   * delay, then the listener closes, ordinary requests finish,
   * watches are ended cleanly, then the shutdown hooks run. Bounded by the shutdown timeout
   * (connections still open then are closed). Calling it again returns the same promise.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.runShutdown();
    return this.shutdownPromise;
  }

  private async runShutdown(): Promise<void> {
    const started = Date.now();
    this.shuttingDown = true;
    if (this.shutdownDelayMs > 0) {
      this.logger.info({ delayMs: this.shutdownDelayMs }, 'not ready; serving on until the shutdown delay has passed');
      this.flushLog();
      await sleepUntil(started + this.shutdownDelayMs);
    }
    this.draining = true;
    const deadline = Date.now() + this.shutdownTimeoutMs;
    this.logger.info({ inFlight: this.tracker.count(false), longRunning: this.tracker.count(true) }, 'shutting down');
    const closed = new Promise<void>((resolve) => {
      if (!this.httpsServer.listening) return resolve();
      this.httpsServer.close(() => resolve());
    });
    this.closeIdleConnections();

    const drained = await this.tracker.waitFor(false, deadline);
    if (!drained) this.logger.warn({ remaining: this.tracker.count(false) }, 'shutdown timeout: requests still in flight');
    await this.tracker.terminateLongRunning(Math.max(0, Math.min(WATCH_TERMINATION_GRACE_MS, deadline - Date.now())));
    await this.tracker.waitFor(undefined, Math.max(deadline, Date.now() + 100));
    this.closeIdleConnections();
    const allClosed = await Promise.race([closed.then(() => true), sleepUntil(deadline).then(() => false)]);
    if (!allClosed) {
      this.httpsServer.closeAllConnections();
      for (const socket of this.upgradeSockets) socket.destroy();
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

  /** Closes keep-alive connections between requests and connections that never carried one. */
  private closeIdleConnections(): void {
    this.httpsServer.closeIdleConnections();
    for (const socket of this.unservedSockets) socket.destroy();
    this.unservedSockets.clear();
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

