/** Registers the wardle kinds in a scheme and builds their Stores on one storage backend. */
import { Scheme, Store, WatchCaches, type RestStorage } from '@kapi/apiserver';
import type { Storage } from '@kapi/storage';
import { banFlunder } from './admission.js';
import { fischerKind } from './fischer.js';
import { flunderKind } from './flunder.js';
import type { FischerV1alpha1 } from './types.js';

export interface WardleAPI {
  scheme: Scheme;
  /** The Stores by "<group>/<plural>". */
  storages: Map<string, RestStorage>;
  /** The watch caches, to close on shutdown. */
  caches: WatchCaches;
}

/** Each resource gets a watch cache in front of the shared backend, as kube-apiserver does. */
export async function installWardle(backend: Storage, opts: { watchCache?: boolean } = {}): Promise<WardleAPI> {
  const scheme = new Scheme().addKind(flunderKind).addKind(fischerKind);
  const caches = new WatchCaches(backend, opts.watchCache !== false);
  const cached = (group: string, plural: string): Promise<Storage> => caches.for(group, plural);

  const fischers = new Store({ kind: fischerKind, storage: await cached(fischerKind.group, fischerKind.plural) });
  const listFischers = async (): Promise<FischerV1alpha1[]> =>
    (await fischers.list({ warnings: [] }, { resourceVersion: '0' })).items as FischerV1alpha1[];
  const flunders = new Store({
    kind: flunderKind,
    storage: await cached(flunderKind.group, flunderKind.plural),
    admission: [banFlunder(listFischers)],
  });
  const storages = new Map<string, RestStorage>([
    [`${flunderKind.group}/${flunderKind.plural}`, flunders],
    [`${fischerKind.group}/${fischerKind.plural}`, fischers],
  ]);
  return { scheme, storages, caches };
}
