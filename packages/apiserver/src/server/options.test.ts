import { CommanderError } from 'commander';
import { availableParallelism } from 'node:os';
import { buildServerCommand, parseDuration, parseServerOptions } from './options.js';

const quiet = { writeOut: () => undefined, writeErr: () => undefined };

describe('parseServerOptions', () => {
  it('has the Go sample server defaults', () => {
    expect(parseServerOptions([], quiet)).toEqual({
      securePort: 8443,
      bindAddress: '127.0.0.1',
      storageBackend: 'sqlite',
      etcdServers: [],
      dataDir: './.kapi/data',
      certDir: './.kapi',
      maxRequestsInFlight: 400,
      maxMutatingRequestsInFlight: 200,
      shutdownTimeoutMs: 30_000,
      shutdownDelayMs: 0,
      logLevel: 'info',
      workers: 1,
      disabledAdmissionPlugins: [],
      enableGarbageCollector: true,
    });
  });

  it('reads every flag', () => {
    const options = parseServerOptions(
      [
        '--secure-port=0',
        '--bind-address',
        '0.0.0.0',
        '--storage-backend=etcd3',
        '--etcd-servers=http://127.0.0.1:2379,http://127.0.0.1:22379',
        '--etcd-servers',
        'http://127.0.0.1:32379',
        '--data-dir=/tmp/d',
        '--cert-dir=/tmp/c',
        '--tls-cert-file=/tmp/tls.crt',
        '--tls-private-key-file=/tmp/tls.key',
        '--client-ca-file=/tmp/ca.crt',
        '--max-requests-inflight=10',
        '--max-mutating-requests-inflight=0',
        '--shutdown-timeout=1m30s',
        '--shutdown-delay-duration=10s',
        '--log-level=debug',
        '--workers=3',
        '--enable-garbage-collector=false',
      ],
      quiet,
    );
    expect(options).toEqual({
      securePort: 0,
      bindAddress: '0.0.0.0',
      storageBackend: 'etcd3',
      etcdServers: ['http://127.0.0.1:2379', 'http://127.0.0.1:22379', 'http://127.0.0.1:32379'],
      dataDir: '/tmp/d',
      certDir: '/tmp/c',
      tlsCertFile: '/tmp/tls.crt',
      tlsPrivateKeyFile: '/tmp/tls.key',
      clientCAFile: '/tmp/ca.crt',
      maxRequestsInFlight: 10,
      maxMutatingRequestsInFlight: 0,
      shutdownTimeoutMs: 90_000,
      shutdownDelayMs: 10_000,
      logLevel: 'debug',
      workers: 3,
      disabledAdmissionPlugins: [],
      enableGarbageCollector: false,
    });
  });

  it.each([
    [['--storage-backend=mysql']],
    [['--secure-port=70000']],
    [['--max-requests-inflight=-1']],
    [['--shutdown-timeout=soon']],
    [['--workers=0']],
    [['--workers=two']],
    [['--workers=-1']],
    [['--enable-garbage-collector=maybe']],
    [['--storage-backend=etcd3']],
    [['--tls-cert-file=/tmp/x']],
    [['--no-such-flag']],
    [['extra-argument']],
  ])('refuses %j', (argv) => {
    expect(() => parseServerOptions(argv, quiet)).toThrow(CommanderError);
  });

  it('--help lists every flag', () => {
    let out = '';
    expect(() => parseServerOptions(['--help'], { ...quiet, writeOut: (s) => (out += s) })).toThrow(
      expect.objectContaining({ code: 'commander.helpDisplayed' }),
    );
    for (const flag of [
      '--secure-port',
      '--bind-address',
      '--storage-backend',
      '--etcd-servers',
      '--data-dir',
      '--cert-dir',
      '--tls-cert-file',
      '--tls-private-key-file',
      '--client-ca-file',
      '--max-requests-inflight',
      '--max-mutating-requests-inflight',
      '--shutdown-timeout',
      '--log-level',
      '--workers',
      '--enable-garbage-collector',
    ]) {
      expect(out).toContain(flag);
    }
    expect(buildServerCommand().helpInformation()).toContain('(default: 8443)');
  });

  it('--workers takes a count, or auto for one per available CPU', () => {
    expect(parseServerOptions(['--workers', '2'], quiet).workers).toBe(2);
    expect(parseServerOptions(['--workers=auto'], quiet).workers).toBe(availableParallelism());
  });

  it('--disable-admission-plugins names the host cluster\'s plugins to leave out, and refuses unknown ones', () => {
    expect(parseServerOptions([], quiet).disabledAdmissionPlugins).toEqual([]);
    expect(parseServerOptions(['--disable-admission-plugins=NamespaceLifecycle'], quiet).disabledAdmissionPlugins).toEqual(['NamespaceLifecycle']);
    expect(() => parseServerOptions(['--disable-admission-plugins=NamespaceLifecycle,Nope'], quiet)).toThrow(
      'unknown admission plugin "Nope" (known: NamespaceLifecycle, MutatingAdmissionPolicy, MutatingAdmissionWebhook, ValidatingAdmissionPolicy, ValidatingAdmissionWebhook)',
    );
  });

  it('--enable-garbage-collector is a Go bool flag: bare is true, =false and =0 turn it off', () => {
    expect(parseServerOptions(['--enable-garbage-collector'], quiet).enableGarbageCollector).toBe(true);
    expect(parseServerOptions(['--enable-garbage-collector=true'], quiet).enableGarbageCollector).toBe(true);
    expect(parseServerOptions(['--enable-garbage-collector=false'], quiet).enableGarbageCollector).toBe(false);
    expect(parseServerOptions(['--enable-garbage-collector=0'], quiet).enableGarbageCollector).toBe(false);
  });

  it('parses Go durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('45')).toBe(45_000);
    expect(() => parseDuration('5d')).toThrow();
  });
});

describe('delegated authentication and authorization flags', () => {
  it('stays standalone without a kubeconfig flag, outside a Pod', () => {
    expect(parseServerOptions(['--authentication-skip-lookup'], quiet, false).delegation).toBeUndefined();
  });

  it('in a Pod, delegates to its cluster without a kubeconfig flag (the service account), as Go does', () => {
    expect(parseServerOptions(['--storage-backend=crd'], quiet, true).delegation).toEqual({
      inCluster: true,
      authenticationSkipLookup: false,
      tokenCacheTTLMs: 10_000,
      authorizedCacheTTLMs: 10_000,
      unauthorizedCacheTTLMs: 10_000,
      alwaysAllowPaths: ['/healthz', '/livez', '/readyz'],
    });
    // A kubeconfig flag still wins in a Pod.
    expect(parseServerOptions(['--kubeconfig=/k/core'], quiet, true).delegation?.inCluster).toBe(false);
  });

  it('--kubeconfig turns delegation on with Go\'s defaults, for authentication and authorization both', () => {
    expect(parseServerOptions(['--kubeconfig=/k/admin.kubeconfig'], quiet).delegation).toEqual({
      kubeconfig: '/k/admin.kubeconfig',
      authenticationKubeconfig: '/k/admin.kubeconfig',
      authorizationKubeconfig: '/k/admin.kubeconfig',
      inCluster: false,
      authenticationSkipLookup: false,
      tokenCacheTTLMs: 10_000,
      authorizedCacheTTLMs: 10_000,
      unauthorizedCacheTTLMs: 10_000,
      alwaysAllowPaths: ['/healthz', '/livez', '/readyz'],
    });
  });

  it('reads every delegation flag', () => {
    const { delegation } = parseServerOptions(
      [
        '--kubeconfig=/k/core',
        '--authentication-kubeconfig=/k/authn',
        '--authorization-kubeconfig=/k/authz',
        '--authentication-skip-lookup',
        '--authentication-token-webhook-cache-ttl=30s',
        '--authorization-webhook-cache-authorized-ttl=5m',
        '--authorization-webhook-cache-unauthorized-ttl=1s',
        '--authorization-always-allow-paths=/healthz,/metrics',
        '--requestheader-client-ca-file=/k/front-proxy-ca.crt',
        '--requestheader-allowed-names=front-proxy-client,aggregator',
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-uid-headers=X-Remote-Uid',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      ],
      quiet,
    );
    expect(delegation).toEqual({
      kubeconfig: '/k/core',
      authenticationKubeconfig: '/k/authn',
      authorizationKubeconfig: '/k/authz',
      inCluster: false,
      authenticationSkipLookup: true,
      tokenCacheTTLMs: 30_000,
      authorizedCacheTTLMs: 300_000,
      unauthorizedCacheTTLMs: 1_000,
      alwaysAllowPaths: ['/healthz', '/metrics'],
      requestHeader: {
        clientCAFile: '/k/front-proxy-ca.crt',
        allowedNames: ['front-proxy-client', 'aggregator'],
        usernameHeaders: ['X-Remote-User'],
        uidHeaders: ['X-Remote-Uid'],
        groupHeaders: ['X-Remote-Group'],
        extraHeaderPrefixes: ['X-Remote-Extra-'],
      },
    });
  });

  it('gives --requestheader-client-ca-file Go\'s header defaults; one kubeconfig flag alone means in-cluster for the other', () => {
    const { delegation } = parseServerOptions(['--authorization-kubeconfig=/k/authz', '--requestheader-client-ca-file=/ca'], quiet);
    expect(delegation?.authenticationKubeconfig).toBeUndefined();
    expect(delegation?.authorizationKubeconfig).toBe('/k/authz');
    expect(delegation?.requestHeader).toEqual({
      clientCAFile: '/ca',
      allowedNames: [],
      usernameHeaders: ['x-remote-user'],
      uidHeaders: [],
      groupHeaders: ['x-remote-group'],
      extraHeaderPrefixes: ['x-remote-extra-'],
    });
  });
});
