import type { KubeObject } from '@kapi/apimachinery';
import { AdmissionChain } from '../registry/admission.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/rest.js';
import { HookReinvocation } from './reinvocation.js';

/** A mutating plugin of one hook, as the webhook and policy plugins drive theirs. */
function plugin(name: string, ifNeeded: boolean, mutate: (labels: Record<string, string>) => void, calls: string[]): AdmissionPlugin {
  return {
    name,
    admit(attrs) {
      const reinvocation = HookReinvocation.of(attrs, name);
      reinvocation.begin(attrs.object);
      try {
        if (!reinvocation.shouldCall('hook')) return;
        calls.push(`${name}${reinvocation.isReinvoke ? ' (again)' : ''}`);
        const labels = (attrs.object!.metadata.labels ??= {});
        const before = JSON.stringify(labels);
        mutate(labels);
        if (JSON.stringify(labels) !== before) reinvocation.changed();
        reinvocation.invoked('hook', ifNeeded);
      } finally {
        reinvocation.end(attrs.object);
      }
    },
  };
}

const attributes = (): AdmissionAttributes => ({
  operation: 'CREATE',
  group: 'g',
  version: 'v1',
  kind: 'Widget',
  resource: 'widgets',
  name: 'w',
  object: { apiVersion: 'g/v1', kind: 'Widget', metadata: { name: 'w' } } as KubeObject,
  dryRun: false,
  objects: { versions: ['v1'], encode: (o) => o, decode: (o) => o },
  warnings: [],
});

const copyCount = (labels: Record<string, string>): void => {
  labels['seen'] = labels['count'] ?? 'none';
};
const setCount = (labels: Record<string, string>): void => {
  labels['count'] = '2';
};

describe('reinvocation across plugins (Go\'s reinvoker)', () => {
  it('runs an IfNeeded hook of one plugin again when a later plugin changed the object', async () => {
    const calls: string[] = [];
    const attrs = attributes();
    await new AdmissionChain([plugin('policy', true, copyCount, calls), plugin('webhook', false, setCount, calls)]).admit(attrs);
    expect(attrs.object!.metadata.labels).toEqual({ seen: '2', count: '2' });
    expect(calls).toEqual(['policy', 'webhook', 'policy (again)']);
  });

  it('does not with reinvocationPolicy Never, nor when nothing changed after the hook', async () => {
    const never: string[] = [];
    const a = attributes();
    await new AdmissionChain([plugin('policy', false, copyCount, never), plugin('webhook', false, setCount, never)]).admit(a);
    expect([a.object!.metadata.labels, never]).toEqual([{ seen: 'none', count: '2' }, ['policy', 'webhook']]);

    const unchanged: string[] = [];
    const b = attributes();
    await new AdmissionChain([plugin('webhook', false, setCount, unchanged), plugin('policy', true, copyCount, unchanged)]).admit(b);
    // The policy changed the object (seen), which asks for a second pass; only hooks that ran before a change run again: none.
    expect([b.object!.metadata.labels, unchanged]).toEqual([{ count: '2', seen: '2' }, ['webhook', 'policy']]);
  });
});
