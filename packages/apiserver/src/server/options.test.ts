import { CommanderError } from 'commander';
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
      logLevel: 'info',
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
        '--log-level=debug',
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
      logLevel: 'debug',
    });
  });

  it.each([
    [['--storage-backend=mysql']],
    [['--secure-port=70000']],
    [['--max-requests-inflight=-1']],
    [['--shutdown-timeout=soon']],
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
    ]) {
      expect(out).toContain(flag);
    }
    expect(buildServerCommand().helpInformation()).toContain('(default: 8443)');
  });

  it('parses Go durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('45')).toBe(45_000);
    expect(() => parseDuration('5d')).toThrow();
  });
});
