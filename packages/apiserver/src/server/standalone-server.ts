/**
 * The pieces every kapi server's entry point needs, shared by cmd/sample-apiserver and the
 * projects `kapi init` makes: the serving certificate from the flags (or made on first start),
 * the storage backend the flags name, and a Store per kind of a Scheme, each behind a watch cache.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Cacher, CrdStorage, Etcd3Storage, SqliteStorage, resourcePrefix, type SchemaNode, type Storage } from '@kapi/storage';
import type { RestStorage } from '../registry/interfaces.js';
import type { AdmissionPlugin } from '../registry/rest.js';
import { Store } from '../registry/store.js';
import type { JSONSchemaProps, KindDefinition } from '../scheme/kind.js';
import type { Scheme } from '../scheme/scheme.js';
import { ensureStandaloneSecurity, standalonePaths, type StandaloneSecurity } from '../security/standalone.js';
import type { TLSServingOptions } from './generic-apiserver.js';
import type { ServerOptions } from './options.js';

export interface ResolvedTLS {
  tls: TLSServingOptions;
  /** Written when the server made its own certificates. */
  adminKubeconfig?: string;
}

export interface StandaloneTLSOptions {
  /** More names for a made serving certificate: the Service kube-apiserver dials, e.g. api.wardle.svc. */
  extraHosts?: string[];
  /** Name of the cluster, user and context in the admin kubeconfig. */
  name?: string;
  /**
   * Only read the certificates in --cert-dir, which another process of this server made (the
   * primary of --workers, before it forked this worker); nothing is written.
   */
  readOnly?: boolean;
}

/** The serving certificate and client CA: from --tls-* flags, or made in --cert-dir on first start. */
export function resolveTLS(opts: ServerOptions, standalone: StandaloneTLSOptions = {}): ResolvedTLS {
  if (opts.tlsCertFile || opts.tlsPrivateKeyFile) {
    if (!opts.tlsCertFile || !opts.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
    return {
      tls: {
        cert: readFileSync(opts.tlsCertFile, 'utf8'),
        key: readFileSync(opts.tlsPrivateKeyFile, 'utf8'),
        ...(opts.clientCAFile ? { clientCA: readFileSync(opts.clientCAFile, 'utf8') } : {}),
      },
    };
  }
  const made = standalone.readOnly
    ? readStandaloneSecurity(opts.certDir)
    : ensureStandaloneSecurity({
        dir: opts.certDir,
        bindAddress: opts.bindAddress,
        port: opts.securePort,
        ...(standalone.extraHosts ? { extraHosts: standalone.extraHosts } : {}),
        ...(standalone.name ? { name: standalone.name } : {}),
      });
  const clientCA = opts.clientCAFile ? [made.clientCA, readFileSync(opts.clientCAFile, 'utf8')] : made.clientCA;
  return { tls: { cert: made.serving.cert, key: made.serving.key, clientCA }, adminKubeconfig: made.paths.kubeconfig };
}

/** The serving certificate and client CA ensureStandaloneSecurity made in `certDir`, read as they are. */
function readStandaloneSecurity(certDir: string): Pick<StandaloneSecurity, 'serving' | 'clientCA' | 'paths'> {
  const paths = standalonePaths(resolve(certDir));
  return {
    serving: { cert: readFileSync(paths.servingCert, 'utf8'), key: readFileSync(paths.servingKey, 'utf8') },
    clientCA: readFileSync(paths.caCert, 'utf8'),
    paths,
  };
}

export interface OpenStorageOptions {
  /**
   * Whether this process compacts the sqlite history (default true). Of the --workers sharing one
   * database file only one does; etcd3 servers coordinate compaction through etcd themselves.
   */
  compaction?: boolean;
}

type StorageFlags = Pick<ServerOptions, 'storageBackend' | 'dataDir' | 'etcdServers' | 'delegation'>;

function sqlitePath(opts: Pick<ServerOptions, 'dataDir'>): string {
  return join(opts.dataDir, 'kapi.db');
}

/**
 * Opens the backend the flags name: the embedded SQLite file (default), etcd, or custom resources
 * of the host cluster. For `crd`, the custom resource definitions of `kinds` are made (or updated)
 * on the host cluster from their hub schemas before anything is served.
 */
export async function openStorage(opts: StorageFlags, kinds: readonly KindDefinition[] = [], open: OpenStorageOptions = {}): Promise<Storage> {
  switch (opts.storageBackend) {
    case 'sqlite':
      return SqliteStorage.open({ path: sqlitePath(opts), ...(open.compaction === false ? { compactionIntervalMs: 0 } : {}) });
    case 'etcd3':
      if (opts.etcdServers.length === 0) throw new Error('--storage-backend=etcd3 needs --etcd-servers');
      return new Etcd3Storage({ endpoints: opts.etcdServers });
    case 'crd':
      if (!opts.delegation?.kubeconfig && !opts.delegation?.inCluster) throw new Error('--storage-backend=crd needs --kubeconfig (or to run in a Pod)');
      return CrdStorage.create({
        ...(opts.delegation.kubeconfig ? { kubeconfig: opts.delegation.kubeconfig } : {}),
        resources: kinds.map((kind) => ({ group: kind.group, resource: kind.plural, kind: kind.kind, schema: hubSchema(kind) })),
      });
  }
}

/**
 * What one process makes before several open the backend at once (--workers): the sqlite
 * database file and its schema. The other backends need nothing (concurrent CRD creation is
 * tolerated by CrdStorage).
 */
export async function prepareStorage(opts: StorageFlags): Promise<void> {
  if (opts.storageBackend !== 'sqlite') return;
  await SqliteStorage.open({ path: sqlitePath(opts), compactionIntervalMs: 0 }).close();
}

/** The hub version's schema; a JSONSchemaProps is a SchemaNode, but has no index signature to say so. */
function hubSchema(kind: KindDefinition): SchemaNode | undefined {
  const schema: JSONSchemaProps | undefined = kind.versions.find((v) => v.name === kind.hubVersion)?.schema;
  return schema as SchemaNode | undefined;
}

/** Opens a watch cache per resource in front of one backend, and closes them all on shutdown. */
