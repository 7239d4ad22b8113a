/**
 * Applies registration objects to a cluster (create, or replace what is there) and waits for the
 * APIServices' Available condition, through the host cluster client (kube/). An object's path is
 * found as kubectl finds it: the group version's resource list says its plural and scope.
 */
import { KubeApiError, KubeRestClient, loadKubeConfig } from '../kube/index.js';
import type { RegistrationObject } from './objects.js';
import { apiServiceNames } from './objects.js';

export interface RegisterResult {
  /** `<kind> <namespace/>name` of each object, with what was done to it. */
  applied: Array<{ kind: string; name: string; namespace?: string; action: 'created' | 'replaced' | 'kept' }>;
}

export interface APIServiceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface WaitForAvailableOptions {
  /** Bound on the whole wait; default 60 s. */
  timeoutMs?: number;
  /** Between polls; default 500 ms. */
  intervalMs?: number;
}

/** The conditions last seen per APIService, when the wait ends. */
export type APIServiceConditions = Record<string, APIServiceCondition[]>;

async function clientFor(kubeconfigPath: string): Promise<KubeRestClient> {
  return new KubeRestClient(await loadKubeConfig(kubeconfigPath), { timeoutMs: 30_000 });
}

/** The host's message: its Status's, without our method and path. */
function describe(err: unknown): string {
  if (err instanceof KubeApiError) return err.status?.message ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

interface APIResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
}

/** The collection path of each kind of object, looked up once per group version. */
class ObjectPaths {
  private readonly lists = new Map<string, Promise<APIResourceList>>();

  constructor(private readonly client: KubeRestClient) {}

  async collection(object: RegistrationObject): Promise<string> {
    const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
    let list = this.lists.get(base);
    if (!list) {
      list = this.client.get<APIResourceList>(base);
      list.catch(() => this.lists.delete(base));
      this.lists.set(base, list);
    }
    const resource = (await list).resources?.find((r) => r.kind === object.kind && !r.name.includes('/'));
    if (!resource) throw new Error(`the cluster serves no ${object.kind} in ${object.apiVersion}`);
    const namespace = resource.namespaced ? `/namespaces/${encodeURIComponent(object.metadata.namespace ?? 'default')}` : '';
    return `${base}${namespace}/${resource.name}`;
  }
}

/**
 * Creates each object, in order, or replaces it when it exists (keeping its resourceVersion,
 * and a Service's clusterIP when it keeps its type). Throws on the first object that fails.
 */
export async function registerAPIServices(kubeconfigPath: string, objects: readonly RegistrationObject[]): Promise<RegisterResult> {
  const client = await clientFor(kubeconfigPath);
  try {
    const paths = new ObjectPaths(client);
    const applied: RegisterResult['applied'] = [];
    for (const object of objects) {
      const spec = JSON.parse(JSON.stringify(object)) as RegistrationObject & { spec?: Record<string, unknown> };
      const { name, namespace } = object.metadata;
      const record = { kind: object.kind, name, ...(namespace ? { namespace } : {}) };
      const what = `${object.kind} ${namespace ? `${namespace}/` : ''}${name}`;
      let collection: string;
      try {
        collection = await paths.collection(object);
      } catch (err) {
        throw new Error(`creating ${what}: ${describe(err)}`);
      }
      try {
        await client.post(collection, spec);
        applied.push({ ...record, action: 'created' });
        continue;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 409)) throw new Error(`creating ${what}: ${describe(err)}`);
      }
      if (object.kind === 'Namespace') {
        applied.push({ ...record, action: 'kept' }); // an existing Namespace is left as it is
        continue;
      }
      const path = `${collection}/${encodeURIComponent(name)}`;
      try {
        const current = await client.get<{ metadata?: { resourceVersion?: string }; spec?: { type?: string; clusterIP?: string; clusterIPs?: string[] } }>(path);
        const replacement: Record<string, unknown> = { ...spec, metadata: { ...object.metadata, resourceVersion: current.metadata?.resourceVersion } };
        if (object.kind === 'Service' && current.spec?.clusterIP && current.spec.type === spec.spec?.['type']) {
          replacement.spec = { ...spec.spec, clusterIP: current.spec.clusterIP, clusterIPs: current.spec.clusterIPs };
        }
        await client.put(path, replacement);
        applied.push({ ...record, action: 'replaced' });
      } catch (err) {
        throw new Error(`replacing ${what}: ${describe(err)}`);
      }
    }
    return { applied };
  } finally {
    client.close();
  }
}

interface APIServiceStatus {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/** Reads an APIService's conditions (empty when it has none yet). */
async function conditionsOf(client: KubeRestClient, name: string): Promise<APIServiceCondition[]> {
  const apiService = await client.get<APIServiceStatus>(`/apis/apiregistration.k8s.io/v1/apiservices/${encodeURIComponent(name)}/status`);
  return (apiService.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status as APIServiceCondition['status'],
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  }));
}

/**
 * Polls until every named APIService (or every APIService among `objects`) reports
 * `Available=True`; rejects after the timeout with the last conditions seen.
 */
export async function waitForAPIServicesAvailable(
  kubeconfigPath: string,
  apiServices: readonly string[] | readonly RegistrationObject[],
  opts: WaitForAvailableOptions = {},
): Promise<APIServiceConditions> {
  const names = apiServices.length > 0 && typeof apiServices[0] !== 'string' ? apiServiceNames(apiServices as readonly RegistrationObject[]) : [...(apiServices as readonly string[])];
  const client = await clientFor(kubeconfigPath);
  try {
    return await pollAvailable(client, names, opts);
  } finally {
    client.close();
  }
}

async function pollAvailable(client: KubeRestClient, names: readonly string[], opts: WaitForAvailableOptions): Promise<APIServiceConditions> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  const last: APIServiceConditions = {};
  const pending = new Set(names);
  for (;;) {
    for (const name of [...pending]) {
      try {
        const conditions = await conditionsOf(client, name);
        last[name] = conditions;
        if (conditions.some((c) => c.type === 'Available' && c.status === 'True')) pending.delete(name);
      } catch (err) {
        last[name] = [{ type: 'Available', status: 'Unknown', reason: 'ReadFailed', message: describe(err) }];
      }
    }
    if (pending.size === 0) return last;
    if (Date.now() >= deadline) {
      const detail = [...pending]
        .map((name) => {
          const available = last[name]?.find((c) => c.type === 'Available');
          return `${name}: ${available ? `${available.status} ${available.reason ?? ''} ${available.message ?? ''}`.trim() : 'no Available condition yet'}`;
        })
        .join('; ');
      throw new Error(`APIServices not Available after ${timeoutMs} ms: ${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}
