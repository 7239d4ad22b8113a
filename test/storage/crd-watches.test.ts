/**
 * Many watches on the CRD backend never starve its requests: each host watch holds a connection
 * for as long as it runs, and requests must still get through (a real kube-apiserver).
 */
import { SelectionPredicate, type Watcher } from '@kapi/storage';
import { collectEvents, crdTarget, freshPrefix, widget, type ConformanceBackend } from '@kapi/storage/testing';
import { startCluster } from '../harness/index.js';

jest.setTimeout(120_000);

const WATCHERS = 100;

describe('crd storage with many watches', () => {
  let backend: ConformanceBackend;
  const watchers: Watcher[] = [];

  beforeAll(async () => {
    backend = await crdTarget((extraArgs) => startCluster({ extraArgs: [...extraArgs] })).setup();
  });

  afterAll(async () => {
    for (const w of watchers) w.stop();
    await backend?.teardown();
  });

  it(`serves gets and writes while ${WATCHERS} watches are open, and every watch sees the change`, async () => {
    const prefix = freshPrefix('many-watches');
    const storage = backend.storage;
    const start = await storage.create(`${prefix}seed`, widget('seed'));
    for (let i = 0; i < WATCHERS; i++) {
      watchers.push(await storage.watch(prefix, { recursive: true, resourceVersion: start.metadata.resourceVersion, predicate: SelectionPredicate.everything() }));
    }
    const created = await storage.create(`${prefix}after`, widget('after'));
    expect((await storage.get(`${prefix}after`))?.metadata.uid).toBe(created.metadata.uid);
    const seen = await Promise.all(watchers.map((w) => collectEvents(w, 1, { timeoutMs: 30_000 })));
    expect(seen.every(([event]) => event?.type === 'ADDED' && event.object.metadata.resourceVersion === created.metadata.resourceVersion)).toBe(true);
  });
});
