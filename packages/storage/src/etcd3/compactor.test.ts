import { startEtcd, type EtcdServer } from '../etcd-server/index.js';
import { createEtcdClient } from './client.js';
import { COMPACT_REV_KEY, Compactor, compactRound, type CompactRoundState } from './compactor.js';
import type { Etcd3 } from 'etcd3';

let server: EtcdServer;
let client: Etcd3;

beforeAll(async () => {
  server = await startEtcd();
  client = createEtcdClient({ endpoints: server.endpoint });
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.stop();
});

async function writeSome(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await client.put(`/registry/compact-test/k${i}`).value('{"metadata":{}}');
}

/** The oldest revision etcd still serves: a read below it fails as compacted. */
async function readableAt(revision: number): Promise<boolean> {
  try {
    await client.kv.range({ key: Buffer.from('/registry/compact-test/k0'), revision });
    return true;
  } catch {
    return false;
  }
}

it('coordinates two servers through compact_rev_key: one compacts per round, one round behind', async () => {
  let one: CompactRoundState = { expectVersion: 0, revision: 0 };
  let two: CompactRoundState = { expectVersion: 0, revision: 0 };
  await writeSome(3);

  // Round 1: server one wins and records the revision it had (none yet); nothing is compacted.
  const r1 = await compactRound(client.kv, one);
  expect(r1).toMatchObject({ expectVersion: 1, compacted: 0 });
  one = r1;
  // Server two loses the same round, follows the key's version and remembers the revision it saw.
  const r1b = await compactRound(client.kv, two);
  expect(r1b).toMatchObject({ expectVersion: 1, compacted: 0 });
  two = r1b;

  await writeSome(3);
  // Round 2: server two bids first and wins; it compacts the revision it saw in round 1.
  const r2 = await compactRound(client.kv, two);
  expect(r2).toMatchObject({ expectVersion: 2, compacted: two.revision });
  expect(await readableAt(two.revision - 1)).toBe(false);
  expect(await readableAt(two.revision)).toBe(true);
  expect(Number(await client.get(COMPACT_REV_KEY).string())).toBe(two.revision);
  // Server one's bid for the same version loses; it learns what was compacted.
  const r2b = await compactRound(client.kv, one);
  expect(r2b).toMatchObject({ expectVersion: 2, compacted: two.revision });
});

it('runs rounds on an interval until stopped', async () => {
  const recordedBefore = Number(await client.get(COMPACT_REV_KEY).string());
  const errors: unknown[] = [];
  const compactor = new Compactor(client.kv, { intervalMs: 50, onError: (e) => errors.push(e) });
  compactor.start();
  const deadline = Date.now() + 5000;
  while (compactor.compactedRevision <= recordedBefore && Date.now() < deadline) {
    await writeSome(1);
    await new Promise((r) => setTimeout(r, 50));
  }
  await compactor.stop();
  expect(errors).toEqual([]);
  expect(compactor.compactedRevision).toBeGreaterThan(recordedBefore);
  expect(await readableAt(compactor.compactedRevision - 1)).toBe(false);
});
