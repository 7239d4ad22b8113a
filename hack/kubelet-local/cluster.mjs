// Starts etcd + kube-apiserver on 127.0.0.1 through @kapi/devcluster (the repo's built dist),
// writes $STATE/cluster.env (SERVER=, DIR=, KUBECONFIG=) and runs until SIGTERM/SIGINT, then stops both.
// Used by hack/kubelet-local.sh:
//   node hack/kubelet-local/cluster.mjs STATE_DIR REPO_ROOT [EXTRA_KUBE_APISERVER_FLAG...]
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
const state = process.argv[2];
const repo = process.argv[3];
const extraArgs = process.argv.slice(4);
mkdirSync(state, { recursive: true });
const { startCluster } = await import(join(repo, 'packages/devcluster/dist/index.js'));
// Our handlers first, so devcluster's own (SIGKILL on signal) are not installed.
let cluster;
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping cluster');
  await cluster?.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
cluster = await startCluster({ keepDir: true, readyTimeoutMs: 120_000, extraArgs });
writeFileSync(join(state, 'cluster.env'), `SERVER=${cluster.server}\nDIR=${cluster.dir}\nKUBECONFIG=${cluster.kubeconfig}\nETCD=${cluster.etcdEndpoint}\n`);
console.log(`cluster up: ${cluster.server} dir ${cluster.dir}`);
setInterval(() => {}, 1 << 30);
