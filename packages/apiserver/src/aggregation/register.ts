/**
 * Applies registration objects to a cluster with @kubernetes/client-node (create, or replace what
 * is there), and waits for the APIServices' Available condition.
 */
import type { RegistrationObject } from './objects.js';
import { apiServiceNames } from './objects.js';

/** client-node is ESM-only: its types come in with resolution-mode import, its code through import(). */
type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });
type KubeConfig = InstanceType<ClientNode['KubeConfig']>;

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

async function loadKubeConfig(kubeconfigPath: string): Promise<{ k8s: ClientNode; kc: KubeConfig }> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return { k8s, kc };
}

function errorCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}

function describe(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'body' in err) {
    const body = err.body;
    if (typeof body === 'string') return body;
    if (typeof body === 'object' && body !== null && 'message' in body) return String(body.message);
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Creates each object, in order, or replaces it when it exists (keeping its resourceVersion,
 * and a Service's clusterIP when it keeps its type). Throws on the first object that fails.
 */
export async function registerAPIServices(kubeconfigPath: string, objects: readonly RegistrationObject[]): Promise<RegisterResult> {
  const { k8s, kc } = await loadKubeConfig(kubeconfigPath);
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  const applied: RegisterResult['applied'] = [];
  for (const object of objects) {
    const spec = JSON.parse(JSON.stringify(object)) as RegistrationObject & { spec?: Record<string, unknown> };
    const { name, namespace } = object.metadata;
    const record = { kind: object.kind, name, ...(namespace ? { namespace } : {}) };
    try {
      await client.create(spec);
      applied.push({ ...record, action: 'created' });
      continue;
    } catch (err) {
      if (errorCode(err) !== 409) throw new Error(`creating ${object.kind} ${namespace ? `${namespace}/` : ''}${name}: ${describe(err)}`);
    }
    try {
      const current = (await client.read({ apiVersion: object.apiVersion, kind: object.kind, metadata: { name, ...(namespace ? { namespace } : {}) } })) as {
        metadata?: { resourceVersion?: string };
        spec?: { type?: string; clusterIP?: string; clusterIPs?: string[] };
      };
      const replacement: Record<string, unknown> = { ...spec, metadata: { ...object.metadata, resourceVersion: current.metadata?.resourceVersion } };
      if (object.kind === 'Service' && current.spec?.clusterIP && current.spec.type === spec.spec?.['type']) {
        replacement.spec = { ...spec.spec, clusterIP: current.spec.clusterIP, clusterIPs: current.spec.clusterIPs };
      }
      if (object.kind === 'Namespace') {
        applied.push({ ...record, action: 'kept' }); // an existing Namespace is left as it is
        continue;
      }
      await client.replace(replacement as unknown as RegistrationObject);
      applied.push({ ...record, action: 'replaced' });
    } catch (err) {
      throw new Error(`replacing ${object.kind} ${namespace ? `${namespace}/` : ''}${name}: ${describe(err)}`);
    }
  }
  return { applied };
}

/** Reads an APIService's conditions (empty when it has none yet). */
async function conditionsOf(api: InstanceType<ClientNode['ApiregistrationV1Api']>, name: string): Promise<APIServiceCondition[]> {
  const apiService = await api.readAPIServiceStatus({ name });
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
  const { k8s, kc } = await loadKubeConfig(kubeconfigPath);
  const api = kc.makeApiClient(k8s.ApiregistrationV1Api);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  const last: APIServiceConditions = {};
  const pending = new Set(names);
  for (;;) {
    for (const name of [...pending]) {
      try {
        const conditions = await conditionsOf(api, name);
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
