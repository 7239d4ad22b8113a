#!/usr/bin/env node
// A @kubernetes/client-node client of the sample server, run as its own process because the
// library is ESM-only. It prints one JSON line per event it sees.
//   informer-client.mjs <kubeconfig> informer        list+watch through makeInformer
//   informer-client.mjs <kubeconfig> initial-events  a watch with sendInitialEvents=true
import { CustomObjectsApi, KubeConfig, Watch, makeInformer } from '@kubernetes/client-node';

const [kubeconfigPath, mode] = process.argv.slice(2);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const path = '/apis/wardle.example.com/v1beta1/namespaces/default/flunders';
const print = (type, obj) =>
  console.log(JSON.stringify({ type, name: obj?.metadata?.name, rv: obj?.metadata?.resourceVersion, annotations: obj?.metadata?.annotations ?? {}, spec: obj?.spec }));

if (mode === 'informer') {
  const api = kc.makeApiClient(CustomObjectsApi);
  const list = () => api.listNamespacedCustomObject({ group: 'wardle.example.com', version: 'v1beta1', namespace: 'default', plural: 'flunders' });
  const informer = makeInformer(kc, path, list);
  informer.on('add', (obj) => print('add', obj));
  informer.on('update', (obj) => print('update', obj));
  informer.on('delete', (obj) => print('delete', obj));
  informer.on('error', (err) => {
    console.log(JSON.stringify({ type: 'error', message: String(err) }));
    setTimeout(() => informer.start(), 500);
  });
  await informer.start();
  console.log(JSON.stringify({ type: 'synced' }));
} else if (mode === 'initial-events') {
  const watch = new Watch(kc);
  await watch.watch(
    path,
    { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true },
    (type, obj) => print(type, obj),
    (err) => {
      console.log(JSON.stringify({ type: 'done', message: err ? String(err) : '' }));
      process.exit(err ? 1 : 0);
    },
  );
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
