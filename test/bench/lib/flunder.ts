/** The Flunders every HTTP benchmark POSTs, so that kapi and Go get the same bytes, and where they live. */
import type { Http } from './http-client.js';

const GROUP = 'wardle.example.com';
const API = `/apis/${GROUP}/v1alpha1`;

/** The namespace's Flunder collection. */
export const flundersPath = (namespace: string): string => `${API}/namespaces/${namespace}/flunders`;

/** The benchmarks' object names: `<prefix>-000042`. */
export const objectName = (prefix: string, i: number): string => `${prefix}-${String(i).padStart(6, '0')}`;

/** A v1alpha1 Flunder as a client would POST it (the server fills uid, timestamps, resourceVersion). */
export function flunderBody(namespace: string, name: string, i: number): string {
  return JSON.stringify({
    apiVersion: 'wardle.example.com/v1alpha1',
    kind: 'Flunder',
    metadata: {
      name,
      namespace,
      labels: { app: 'bench', shard: `shard-${i % 16}` },
      annotations: { 'bench.kapi.dev/index': String(i) },
    },
    spec: { reference: `fischer-${i}`, referenceType: 'Fischer' },
  });
}

interface ListBody {
  metadata?: { resourceVersion?: string };
  items?: Array<{ metadata?: { name?: string } }>;
}

/** The namespace's list, checked: HTTP 200 and a JSON list. */
export async function listFlunders(http: Http, namespace: string): Promise<{ names: string[]; resourceVersion: string; bytes: number }> {
  const res = await http.send('GET', flundersPath(namespace));
  if (res.status !== 200) throw new Error(`list ${namespace}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
  const list = JSON.parse(res.body) as ListBody;
  return {
    names: (list.items ?? []).map((item) => item.metadata?.name ?? ''),
    resourceVersion: list.metadata?.resourceVersion ?? '',
    bytes: Buffer.byteLength(res.body),
  };
}
