/**
 * The sample server's command-line flags, named and defaulted as the Go sample-apiserver's
 * (k8s.io/apiserver options: SecureServing, Etcd, ServerRun), parsed with commander.
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option, type OutputConfiguration } from 'commander';
import { NAMESPACE_LIFECYCLE } from '../admission/namespace-lifecycle.js';
import { MUTATING_ADMISSION_POLICY, VALIDATING_ADMISSION_POLICY } from '../admission/policy/source.js';
import { MUTATING_ADMISSION_WEBHOOK, VALIDATING_ADMISSION_WEBHOOK } from '../admission/webhook/dispatch.js';
import { runningInCluster } from '../kube/index.js';
import { ALWAYS_OPEN_PATHS } from '../security/authn.js';

export type StorageBackend = 'sqlite' | 'etcd3' | 'crd';
/** The host cluster's admission plugins a delegated server runs by default (named as Go names them), in the order they run. */
export const ADMISSION_PLUGINS: readonly string[] = [NAMESPACE_LIFECYCLE, MUTATING_ADMISSION_POLICY, MUTATING_ADMISSION_WEBHOOK, VALIDATING_ADMISSION_POLICY, VALIDATING_ADMISSION_WEBHOOK];
export const STORAGE_BACKENDS: readonly StorageBackend[] = ['sqlite', 'etcd3', 'crd'];
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface ServerOptions {
  securePort: number;
  bindAddress: string;
  storageBackend: StorageBackend;
  etcdServers: string[];
  /** Where the sqlite backend keeps its database. */
  dataDir: string;
  /** Where generated certificates live when --tls-cert-file/--tls-private-key-file are not given. */
  certDir: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCAFile?: string;
  maxRequestsInFlight: number;
  maxMutatingRequestsInFlight: number;
  shutdownTimeoutMs: number;
  /** --shutdown-delay-duration: serve with /readyz failing this long before closing the listener. */
  shutdownDelayMs: number;
  logLevel: LogLevel;
  /**
   * Server processes (node:cluster workers sharing the port and the storage); 1 serves from this
   * process alone. `--workers auto` is os.availableParallelism().
   */
  workers: number;
  /**
   * Delegated authentication and authorization against a host cluster (Go's
   * DelegatingAuthenticationOptions / DelegatingAuthorizationOptions). Set when --kubeconfig,
   * --authentication-kubeconfig or --authorization-kubeconfig is given; otherwise the server is
   * standalone (its own client CA, everything authenticated allowed).
   */
  delegation?: DelegationOptions;
  /** --disable-admission-plugins: the host cluster's admission plugins not to run (e.g. NamespaceLifecycle). */
  disabledAdmissionPlugins: string[];
  /**
   * --enable-garbage-collector (default true, as Go's): a delete's propagationPolicy sets the garbage
   * collector's finalizers (orphan, foregroundDeletion). Off where no garbage collector runs, else
   * such a delete waits on a finalizer nobody removes.
   */
  enableGarbageCollector: boolean;
  /** Audit logging (Go's --audit-policy-file and --audit-log-*): set when both a policy file and a log path are given. */
  audit?: AuditLogOptions;
}

/** --audit-* flags, as k8s.io/apiserver AuditOptions (log backend, blocking mode, JSON format). */
export interface AuditLogOptions {
  policyFile: string;
  /** "-" is standard output. */
  logPath: string;
  /** Rotate when the file would pass this many megabytes (0: lumberjack's default, 100). */
  maxSizeMB: number;
  /** Rotated files to keep (0: all). */
  maxBackups: number;
  /** Days to keep rotated files (0: forever). */
  maxAgeDays: number;
}

/** --requestheader-* flags: a front proxy configured here instead of read from the cluster. */
export interface RequestHeaderOptions {
  clientCAFile: string;
  allowedNames: string[];
  usernameHeaders: string[];
  uidHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

export interface DelegationOptions {
  /** --kubeconfig: the host cluster; undefined (with only the other two given) means in-cluster for the missing ones. */
  kubeconfig?: string;
  /** No kubeconfig flag, in a Pod: the host cluster is the Pod's, reached with its service account (as Go's servers do). */
  inCluster: boolean;
  /** --authentication-kubeconfig (default --kubeconfig): TokenReviews and the extension-apiserver-authentication ConfigMap. */
  authenticationKubeconfig?: string;
  /** --authorization-kubeconfig (default --kubeconfig): SubjectAccessReviews. */
  authorizationKubeconfig?: string;
  /** --authentication-skip-lookup: do not read kube-system/extension-apiserver-authentication. */
  authenticationSkipLookup: boolean;
  /** --authentication-token-webhook-cache-ttl (default 10s). */
  tokenCacheTTLMs: number;
  /** --authorization-webhook-cache-authorized-ttl (default 10s). */
  authorizedCacheTTLMs: number;
  /** --authorization-webhook-cache-unauthorized-ttl (default 10s). */
  unauthorizedCacheTTLMs: number;
  /** --authorization-always-allow-paths (default /healthz, /readyz, /livez). */
  alwaysAllowPaths: string[];
  /** Set when --requestheader-client-ca-file is given: then the ConfigMap's front-proxy settings are not used. */
  requestHeader?: RequestHeaderOptions;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("30s", "1m30s", "500ms") or a bare number of seconds, in milliseconds. */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new InvalidArgumentError(`invalid duration "${value}" (examples: 30s, 1m30s, 500ms)`);
  }
  return Math.round(parts.reduce((total, p) => total + Number(p[1]) * DURATION_UNITS_MS[p[2]!]!, 0));
}

function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

/** --workers: a count of at least 1, or "auto" for one per CPU the process may use. */
export function parseWorkers(value: string): number {
  const text = value.trim();
  if (text === 'auto') return availableParallelism();
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError('must be a positive integer or "auto"');
  return Number(text);
}

/** A Go bool flag's value (strconv.ParseBool). */
export function parseBool(value: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new InvalidArgumentError(`invalid boolean "${value}" (true or false)`);
}

function parsePort(value: string): number {
  const port = parseNonNegativeInt(value);
  if (port > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return port;
}

/** A Go string slice: comma-separated, and the flag may repeat. */
function appendList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

interface RawOptions {
  securePort: number;
  bindAddress: string;
  storageBackend: StorageBackend;
  etcdServers?: string[];
  dataDir: string;
  certDir: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  shutdownTimeout: number;
  shutdownDelayDuration: number;
  logLevel: LogLevel;
  workers: number;
  kubeconfig?: string;
  authenticationKubeconfig?: string;
  authorizationKubeconfig?: string;
  authenticationSkipLookup?: boolean;
  authenticationTokenWebhookCacheTtl: number;
  authorizationWebhookCacheAuthorizedTtl: number;
  authorizationWebhookCacheUnauthorizedTtl: number;
  authorizationAlwaysAllowPaths?: string[];
  requestheaderClientCaFile?: string;
  requestheaderAllowedNames?: string[];
  requestheaderUsernameHeaders?: string[];
  requestheaderUidHeaders?: string[];
  requestheaderGroupHeaders?: string[];
  requestheaderExtraHeadersPrefix?: string[];
  disableAdmissionPlugins?: string[];
  enableGarbageCollector: boolean;
  auditPolicyFile?: string;
  auditLogPath?: string;
  auditLogMaxsize: number;
  auditLogMaxbackup: number;
  auditLogMaxage: number;
}


/** The commander Command for the server's flags (for a CLI to extend or to print help). */
export function buildServerCommand(name = 'sample-apiserver'): Command {
  return new Command(name)
    .description('A Kubernetes aggregated API server built with kapi')
    .addOption(new Option('--secure-port <port>', 'The port on which to serve HTTPS with authentication and authorization. 0 picks a free port.').default(8443).argParser(parsePort))
    .addOption(new Option('--bind-address <ip>', 'The IP address on which to listen for the --secure-port port.').default('127.0.0.1'))
    .addOption(new Option('--storage-backend <backend>', 'The storage backend for persistence.').choices(STORAGE_BACKENDS).default('sqlite'))
    .addOption(new Option('--etcd-servers <urls>', 'List of etcd servers to connect with (scheme://ip:port), comma separated; the flag may repeat.').argParser(appendList))
    .addOption(new Option('--data-dir <dir>', 'The directory the sqlite storage backend keeps its database in.').default('./.kapi/data'))
    .addOption(new Option('--cert-dir <dir>', 'The directory where generated TLS certificates and admin.kubeconfig are kept. Ignored when --tls-cert-file and --tls-private-key-file are given.').default('./.kapi'))
    .addOption(new Option('--tls-cert-file <file>', 'File containing the default x509 certificate for HTTPS (CA cert, if any, concatenated after the server cert).'))
    .addOption(new Option('--tls-private-key-file <file>', 'File containing the default x509 private key matching --tls-cert-file.'))
    .addOption(new Option('--client-ca-file <file>', 'If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate.'))
    .addOption(new Option('--max-requests-inflight <n>', 'The maximum number of non-mutating requests in flight at a given time. When the server exceeds this, it rejects requests. Zero for no limit.').default(400).argParser(parseNonNegativeInt))
    .addOption(new Option('--max-mutating-requests-inflight <n>', 'The maximum number of mutating requests in flight at a given time. When the server exceeds this, it rejects requests. Zero for no limit.').default(200).argParser(parseNonNegativeInt))
    .addOption(new Option('--shutdown-timeout <duration>', 'How long a graceful shutdown may take (draining requests, ending watches, closing storage) before connections are closed.').default(30_000, '30s').argParser(parseDuration))
    .addOption(new Option('--shutdown-delay-duration <duration>', 'Time to delay the termination. During that time the server keeps serving requests normally; /healthz and /livez succeed, but /readyz fails at once. Graceful termination starts after this delay.').default(0, '0s').argParser(parseDuration))
    .addOption(new Option('--log-level <level>', 'The log level.').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option(
        '--workers <n>',
        'Server processes sharing --secure-port and the storage (node:cluster workers under this process, which restarts any that dies); "auto" is one per CPU. /metrics then describes the worker that answers.',
      )
        .default(1)
        .argParser(parseWorkers),
    )
    // Delegated authentication and authorization (k8s.io/apiserver DelegatingAuthenticationOptions, DelegatingAuthorizationOptions).
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig file pointing at the \'core\' kubernetes server. Given (or one of the two below), the server authenticates and authorizes every request through that cluster (delegated mode); without, it runs standalone.'))
    .addOption(new Option('--authentication-kubeconfig <file>', 'kubeconfig file pointing at the \'core\' kubernetes server with enough rights to create tokenreviews.authentication.k8s.io. Default: --kubeconfig.'))
    .addOption(new Option('--authorization-kubeconfig <file>', 'kubeconfig file pointing at the \'core\' kubernetes server with enough rights to create subjectaccessreviews.authorization.k8s.io. Default: --kubeconfig.'))
    .addOption(new Option('--authentication-skip-lookup', 'If false, the authentication-kubeconfig will be used to lookup missing authentication configuration from the cluster.'))
    .addOption(new Option('--authentication-token-webhook-cache-ttl <duration>', 'The duration to cache responses from the webhook token authenticator.').default(10_000, '10s').argParser(parseDuration))
    .addOption(new Option('--authorization-webhook-cache-authorized-ttl <duration>', "The duration to cache 'authorized' responses from the webhook authorizer.").default(10_000, '10s').argParser(parseDuration))
    .addOption(new Option('--authorization-webhook-cache-unauthorized-ttl <duration>', "The duration to cache 'unauthorized' responses from the webhook authorizer.").default(10_000, '10s').argParser(parseDuration))
    .addOption(new Option('--authorization-always-allow-paths <paths>', "A list of HTTP paths to skip during authorization, i.e. these are authorized without contacting the 'core' kubernetes server. Default: /healthz,/readyz,/livez.").argParser(appendList))
    .addOption(new Option('--requestheader-client-ca-file <file>', 'Root certificate bundle to use to verify client certificates on incoming requests before trusting usernames in headers specified by --requestheader-username-headers. WARNING: generally do not depend on authorization being already done for incoming requests.'))
    .addOption(new Option('--requestheader-allowed-names <names>', 'List of client certificate common names to allow to provide usernames in headers specified by --requestheader-username-headers. If empty, any client certificate validated by the authorities in --requestheader-client-ca-file is allowed.').argParser(appendList))
    .addOption(new Option('--requestheader-username-headers <headers>', 'List of request headers to inspect for usernames. X-Remote-User is common. Default: x-remote-user.').argParser(appendList))
    .addOption(new Option('--requestheader-uid-headers <headers>', 'List of request headers to inspect for UIDs. X-Remote-Uid is suggested.').argParser(appendList))
    .addOption(new Option('--requestheader-group-headers <headers>', 'List of request headers to inspect for groups. X-Remote-Group is suggested. Default: x-remote-group.').argParser(appendList))
    .addOption(new Option('--requestheader-extra-headers-prefix <prefixes>', 'List of request header prefixes to inspect. X-Remote-Extra- is suggested. Default: x-remote-extra-.').argParser(appendList))
    .addOption(
      new Option('--disable-admission-plugins <names>', `admission plugins that should be disabled although they are in the default enabled plugins list (${ADMISSION_PLUGINS.join(', ')}). Comma-delimited list of admission plugins.`)
        .argParser(appendList),
    )
    .addOption(
      new Option('--enable-garbage-collector [bool]', "Enables the generic garbage collector. MUST be synced with the corresponding flag of the kube-controller-manager.")
        .default(true)
        .preset('true')
        .argParser(parseBool),
    )
    // Audit (k8s.io/apiserver AuditOptions: the log backend).
    .addOption(new Option('--audit-policy-file <file>', 'Path to the file that defines the audit policy configuration.'))
    .addOption(new Option('--audit-log-path <file>', 'If set, all requests coming to the apiserver will be logged to this file. \'-\' means standard out.'))
    .addOption(new Option('--audit-log-maxsize <mb>', 'The maximum size in megabytes of the audit log file before it gets rotated.').default(100).argParser(parseNonNegativeInt))
    .addOption(new Option('--audit-log-maxbackup <n>', 'The maximum number of old audit log files to retain. Setting a value of 0 will mean there\'s no restriction on the number of files.').default(100).argParser(parseNonNegativeInt))
    .addOption(new Option('--audit-log-maxage <days>', 'The maximum number of days to retain old audit log files based on the timestamp encoded in their filename.').default(366).argParser(parseNonNegativeInt))
    .helpOption('-h, --help', 'Show this help.')
    .allowExcessArguments(false)
    .exitOverride();
}

/**
 * Parses the user arguments (process.argv.slice(2)). Throws commander's CommanderError on a bad
 * flag, on --help (code "commander.helpDisplayed") and on inconsistent flags.
 */
/** `inCluster`: whether this process runs in a Pod (default: its environment says so); then it serves delegated without a kubeconfig flag. */
export function parseServerOptions(argv: readonly string[], output?: OutputConfiguration, inCluster: boolean = runningInCluster()): ServerOptions {
  const command = buildServerCommand();
  if (output) command.configureOutput(output);
  command.parse([...argv], { from: 'user' });
  const raw = command.opts<RawOptions>();
  if (Boolean(raw.tlsCertFile) !== Boolean(raw.tlsPrivateKeyFile)) {
    command.error('error: --tls-cert-file and --tls-private-key-file must be given together', { code: 'kapi.invalidOptions' });
  }
  const etcdServers = raw.etcdServers ?? [];
  if (raw.storageBackend === 'etcd3' && etcdServers.length === 0) {
    command.error('error: --etcd-servers must be set with --storage-backend=etcd3', { code: 'kapi.invalidOptions' });
  }
  if (raw.storageBackend === 'crd' && !raw.kubeconfig && !inCluster) {
    command.error('error: --kubeconfig (the host cluster that keeps the custom resources) must be set with --storage-backend=crd', {
      code: 'kapi.invalidOptions',
    });
  }
  const unknownPlugins = (raw.disableAdmissionPlugins ?? []).filter((name) => !ADMISSION_PLUGINS.includes(name));
  if (unknownPlugins.length > 0) {
    command.error(`error: --disable-admission-plugins: unknown admission plugin ${unknownPlugins.map((n) => `"${n}"`).join(', ')} (known: ${ADMISSION_PLUGINS.join(', ')})`, { code: 'kapi.invalidOptions' });
  }
  if (raw.auditLogPath && raw.auditLogPath !== '-' && raw.workers > 1) {
    command.error('error: --audit-log-path=<file> with --workers > 1: each worker would rotate the file on its own; use --audit-log-path=- or one worker', {
      code: 'kapi.invalidOptions',
    });
  }
  return {
    securePort: raw.securePort,
    bindAddress: raw.bindAddress,
    storageBackend: raw.storageBackend,
    etcdServers,
    dataDir: raw.dataDir,
    certDir: raw.certDir,
    ...(raw.tlsCertFile ? { tlsCertFile: raw.tlsCertFile } : {}),
    ...(raw.tlsPrivateKeyFile ? { tlsPrivateKeyFile: raw.tlsPrivateKeyFile } : {}),
    ...(raw.clientCaFile ? { clientCAFile: raw.clientCaFile } : {}),
    maxRequestsInFlight: raw.maxRequestsInflight,
    maxMutatingRequestsInFlight: raw.maxMutatingRequestsInflight,
    shutdownTimeoutMs: raw.shutdownTimeout,
    shutdownDelayMs: raw.shutdownDelayDuration,
    logLevel: raw.logLevel,
    workers: raw.workers,
    disabledAdmissionPlugins: raw.disableAdmissionPlugins ?? [],
    enableGarbageCollector: raw.enableGarbageCollector,
    ...delegationOptions(raw, inCluster),
    // As Go: auditing needs both a policy and a backend.
    ...(raw.auditPolicyFile && raw.auditLogPath
      ? {
          audit: {
            policyFile: raw.auditPolicyFile,
            logPath: raw.auditLogPath,
            maxSizeMB: raw.auditLogMaxsize,
            maxBackups: raw.auditLogMaxbackup,
            maxAgeDays: raw.auditLogMaxage,
          },
        }
      : {}),
  };
}

/**
 * The delegated-mode part of the options: when a kubeconfig flag is given, or in a Pod (Go's
 * delegating options fall back to the in-cluster configuration the same way). Standalone otherwise.
 */
function delegationOptions(raw: RawOptions, inCluster: boolean): { delegation?: DelegationOptions } {
  const kubeconfig = raw.kubeconfig;
  const flagged = Boolean(kubeconfig || raw.authenticationKubeconfig || raw.authorizationKubeconfig);
  if (!flagged && !inCluster) return {};
  const authenticationKubeconfig = raw.authenticationKubeconfig ?? kubeconfig;
  const authorizationKubeconfig = raw.authorizationKubeconfig ?? kubeconfig;
  const delegation: DelegationOptions = {
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(authenticationKubeconfig ? { authenticationKubeconfig } : {}),
    ...(authorizationKubeconfig ? { authorizationKubeconfig } : {}),
    inCluster: !flagged,
    authenticationSkipLookup: raw.authenticationSkipLookup ?? false,
    tokenCacheTTLMs: raw.authenticationTokenWebhookCacheTtl,
    authorizedCacheTTLMs: raw.authorizationWebhookCacheAuthorizedTtl,
    unauthorizedCacheTTLMs: raw.authorizationWebhookCacheUnauthorizedTtl,
    alwaysAllowPaths: raw.authorizationAlwaysAllowPaths ?? [...ALWAYS_OPEN_PATHS],
  };
  if (raw.requestheaderClientCaFile) {
    // Go's DelegatingAuthenticationOptions defaults for the header names.
    delegation.requestHeader = {
      clientCAFile: raw.requestheaderClientCaFile,
      allowedNames: raw.requestheaderAllowedNames ?? [],
      usernameHeaders: raw.requestheaderUsernameHeaders ?? ['x-remote-user'],
      uidHeaders: raw.requestheaderUidHeaders ?? [],
      groupHeaders: raw.requestheaderGroupHeaders ?? ['x-remote-group'],
      extraHeaderPrefixes: raw.requestheaderExtraHeadersPrefix ?? ['x-remote-extra-'],
    };
  }
  return { delegation };
}
