/** The Flunder every HTTP benchmark POSTs, so that kapi and Go get the same bytes. */

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
