/**
 * @kapi/storage/etcd-server: a real etcd on 127.0.0.1 (free ports, a temp or given data dir,
 * killed at the latest when this process exits) for the etcd3 backend's tests, the conformance
 * suite, @kapi/devcluster's kube-apiserver and `kapi run local --storage etcd3`; and the process
 * helpers it is built on.
 */
export {
  DEFAULT_ETCD_MAX_REQUEST_BYTES,
  ensureEtcdInstalled,
  startEtcd,
  startEtcdCluster,
  type EtcdCluster,
  type EtcdClusterOptions,
  type EtcdMember,
  type EtcdServer,
  type EtcdServerOptions,
} from './etcd-server.js';
export { freePort, spawnLogged, stopProcess, waitExit } from './process.js';
