/**
 * `npm run local-up`: etcd + kube-apiserver (built on first use by hack/build-kube.sh)
 * + the sample server in delegated mode, registered through an ExternalName Service and its
 * APIServices; writes ./.kapi/cluster.kubeconfig (the cluster's admin) and stays up until Ctrl-C.
 *
 *   npm run local-up                              sqlite in a temp dir
 *   npm run local-up -- --storage-backend=etcd3   the cluster's etcd (keys under /registry/wardle.example.com)
 *   npm run local-up -- --data-dir=./.kapi/data   keep the sqlite database
 *   npm run local-up -- --controller-manager      also kube-controller-manager (garbage collector, namespace controller),
 *                                                 started once the APIServices are Available
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startAggregated, type Aggregated } from './aggregation/aggregated.js';

const USAGE = `usage: npm run local-up -- [--storage-backend=sqlite|etcd3] [--data-dir=DIR] [--kubeconfig-out=FILE] [--controller-manager]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'storage-backend': { type: 'string', default: 'sqlite' },
      'data-dir': { type: 'string' },
      'kubeconfig-out': { type: 'string', default: './.kapi/cluster.kubeconfig' },
      'controller-manager': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const backend = values['storage-backend'];
  if (backend !== 'sqlite' && backend !== 'etcd3') throw new Error(`--storage-backend must be sqlite or etcd3\n${USAGE}`);

  let env: Aggregated | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping the sample server, ${values['controller-manager'] ? 'kube-controller-manager, ' : ''}kube-apiserver and etcd...`);
    const done = env ? env.stop() : Promise.resolve();
    done.then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  // Installed before startCluster, which then leaves the signals to us.
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const started = Date.now();
  console.error('starting etcd, kube-apiserver (the first run builds it: several minutes) and the sample server...');
  env = await startAggregated({
    storageBackend: backend,
    ...(values['data-dir'] ? { dataDir: resolve(values['data-dir']) } : {}),
    controllerManager: values['controller-manager'],
    // Only kube-controller-manager runs a garbage collector: without it, deletes must not wait for one.
    ...(values['controller-manager'] ? {} : { serverArgs: ['--enable-garbage-collector=false'] }),
  });
  if (stopping) return;

  const out = resolve(values['kubeconfig-out']);
  mkdirSync(resolve(out, '..'), { recursive: true });
  copyFileSync(env.cluster.kubeconfig, out);
  const shown = relative(process.cwd(), out) || out;
  const apiServices = env.objects.filter((o) => o.kind === 'APIService').map((o) => o.metadata.name);

  console.log(`
kapi local-up ready in ${((Date.now() - started) / 1000).toFixed(1)} s
  kube-apiserver   ${env.cluster.server}   (log: ${env.cluster.logFile})${
    env.cluster.controllerManager
      ? `\n  kube-controller-manager ${env.cluster.controllerManager.url}   (${env.cluster.controllerManager.controllers.join(', ')}; log: ${env.cluster.controllerManager.logFile})`
      : ''
  }
  etcd             ${env.cluster.etcdEndpoint}
  sample server    ${env.server.url}   (storage: ${backend}; Service wardle/api -> localhost:${env.server.port})
  APIServices      ${apiServices.join(', ')}: Available

  export KUBECONFIG=${shown}
  kubectl api-resources --api-group=wardle.example.com
  kubectl create -f - <<EOF
apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata: { name: my-flunder, namespace: default }
spec: { reference: other }
EOF
  kubectl get flunders
  kubectl explain flunders.spec

Ctrl-C stops everything.`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
