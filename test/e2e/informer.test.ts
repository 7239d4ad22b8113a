/** @kubernetes/client-node against the sample server: an informer (list+watch) and a sendInitialEvents watch. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { Kubectl } from './kubectl';
import { startSampleServer, type SampleServer } from './sample-server';

jest.setTimeout(60_000);

interface SeenEvent {
  type: string;
  name?: string;
  rv?: string;
  annotations?: Record<string, string>;
  spec?: { flunderReference?: string };
}

class ClientProcess {
  readonly events: SeenEvent[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';

  constructor(kubeconfig: string, mode: string) {
    this.child = spawn(process.execPath, [join(__dirname, 'informer-client.mjs'), kubeconfig, mode]);
    let partial = '';
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as SeenEvent);
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  async waitFor(match: (e: SeenEvent) => boolean, timeoutMs = 20_000): Promise<SeenEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`event not seen; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

const flunder = (name: string, ref: string): string =>
  `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"${name}","namespace":"default"},"spec":{"referenceType":"Flunder","flunderReference":"${ref}"}}`;

describe('client-node against the sample server', () => {
  let server: SampleServer;
  let kubectl: Kubectl;
  const clients: ClientProcess[] = [];

  beforeAll(async () => {
    server = await startSampleServer({ storageBackend: 'sqlite' });
    kubectl = new Kubectl(server.kubeconfig);
  });

  afterAll(async () => {
    for (const c of clients) c.stop();
    await server?.stop();
  });

  it('an informer sees the initial list and every later change', async () => {
    kubectl.ok(['create', '-f', '-'], { input: flunder('before', 'a') });
    const informer = new ClientProcess(server.kubeconfig, 'informer');
    clients.push(informer);
    await informer.waitFor((e) => e.type === 'add' && e.name === 'before');
    await informer.waitFor((e) => e.type === 'synced');
    kubectl.ok(['create', '-f', '-'], { input: flunder('after', 'b') });
    await informer.waitFor((e) => e.type === 'add' && e.name === 'after');
    kubectl.ok(['patch', 'flunder', 'after', '--type', 'merge', '-p', '{"spec":{"flunderReference":"c"}}']);
    await informer.waitFor((e) => e.type === 'update' && e.name === 'after' && e.spec?.flunderReference === 'c');
    kubectl.ok(['delete', 'flunder', 'before']);
    await informer.waitFor((e) => e.type === 'delete' && e.name === 'before');
    expect(informer.events.filter((e) => e.type === 'error')).toEqual([]);
  });

  it('a sendInitialEvents watch gets every object, then the initial-events-end bookmark, then changes', async () => {
    const watch = new ClientProcess(server.kubeconfig, 'initial-events');
    clients.push(watch);
    const existing = kubectl.ok(['get', 'flunders', '-o', 'name']).trim().split('\n').filter(Boolean);
    const end = await watch.waitFor((e) => e.type === 'BOOKMARK' && e.annotations?.['k8s.io/initial-events-end'] === 'true');
    const before = watch.events.slice(0, watch.events.indexOf(end));
    expect(before.every((e) => e.type === 'ADDED')).toBe(true);
    expect(before.map((e) => `flunder.wardle.example.com/${e.name}`).sort()).toEqual(existing.sort());
    kubectl.ok(['create', '-f', '-'], { input: flunder('later', 'x') });
    await watch.waitFor((e) => e.type === 'ADDED' && e.name === 'later');
  });
});
