/**
 * What a PUT's metadata asks of the stored object, answered by kapi's sample server and by the Go
 * sample-apiserver (the control), both asked straight as kube-apiserver's front proxy asks them:
 * a uid in the body is a precondition (Go's DefaultUpdatedObjectInfo), checked before the update
 * runs; resourceVersion "0" is no resourceVersion (the versioner reads it as a number).
 */
import type { Kubectl } from '../e2e/kubectl.js';
import type { GoServer } from '../e2e/go-sample-server.js';
import type { Aggregated } from './aggregated.js';
import { GROUP, SERVERS, startSideBySide, statusBodyOf, type Answer, type Server, type SideBySide } from './side-by-side.js';

jest.setTimeout(120_000);

const NS = 'updates';
const item = (name: string, query = ''): string => `/apis/${GROUP}/v1beta1/namespaces/${NS}/flunders/${name}${query}`;

let env: Aggregated;
let kubectl: Kubectl;
let go: GoServer;
let servers: SideBySide;

beforeAll(async () => {
  ({ env, kubectl, go, servers } = await startSideBySide());
  kubectl.ok(['create', 'namespace', NS]);
}, 15 * 60_000);

afterAll(async () => {
  await go?.stop();
  await env?.stop();
});

/** The Status of `answer` on `server`, with the server's name, the stored object's uid and the storage key (each server's own) made the same for both. */
const comparable = (answer: Answer, server: Server, uid: string): unknown =>
  JSON.parse(JSON.stringify(statusBodyOf(answer, server)).replaceAll(uid, '<uid>').replace(/Key: [^,]*,/g, 'Key: <key>,'));

/** Creates `<name>-<server>` on both and answers each server's stored object. */
async function createOnBoth(name: string): Promise<Record<Server, Record<string, unknown> & { metadata: Record<string, unknown> }>> {
  const stored = {} as Record<Server, Record<string, unknown> & { metadata: Record<string, unknown> }>;
  for (const server of SERVERS) {
    const created = await servers.create(server, NS, name);
    expect(created.status).toBe(201);
    stored[server] = created.body as (typeof stored)[Server];
  }
  return stored;
}

/** The same PUT on both: the object `change` makes of the stored one, to `path(server)`. */
async function putOnBoth(
  stored: Record<Server, Record<string, unknown> & { metadata: Record<string, unknown> }> | undefined,
  path: (server: Server) => string,
  change: (obj: Record<string, unknown> & { metadata: Record<string, unknown> }, server: Server) => unknown,
): Promise<Record<Server, unknown>> {
  const answers = {} as Record<Server, unknown>;
  for (const server of SERVERS) {
    const obj = stored?.[server] ?? { apiVersion: `${GROUP}/v1beta1`, kind: 'Flunder', metadata: {}, spec: {} };
    const answer = await servers.ask(server, path(server), { method: 'PUT', body: change(structuredClone(obj), server) });
    answers[server] = comparable(answer, server, String(stored?.[server].metadata['uid'] ?? '<none>'));
  }
  return answers;
}

describe('a PUT naming a uid', () => {
  it('updates only the object with that uid: 409 Precondition failed, as Go (also on dryRun)', async () => {
    const stored = await createOnBoth('uid');
    for (const query of ['', '?dryRun=All']) {
      const answers = await putOnBoth(stored, (s) => item(`uid-${s}`, query), (obj) => ({ ...obj, metadata: { ...obj.metadata, uid: 'another-uid' } }));
      expect(answers.go).toMatchObject({
        code: 409,
        reason: 'Conflict',
        message:
          `Operation cannot be fulfilled on flunders.${GROUP} "uid-<server>": StorageError: invalid object, Code: 4, Key: <key>, ResourceVersion: 0, ` +
          'AdditionalErrorMsg: Precondition failed: UID in precondition: another-uid, UID in object meta: <uid>',
      });
      expect(answers.kapi).toEqual(answers.go);
    }
  });

  it('of a missing object (flunders are not created by a PUT) is 404, as without one', async () => {
    for (const uid of [{ uid: 'ghost-uid' }, {}]) {
      const answers = await putOnBoth(undefined, (s) => item(`ghost-${s}`), (obj, s) => ({ ...obj, metadata: { name: `ghost-${s}`, namespace: NS, ...uid } }));
      expect(answers.go).toMatchObject({ code: 404, reason: 'NotFound', message: `flunders.${GROUP} "ghost-<server>" not found` });
      expect(answers.kapi).toEqual(answers.go);
    }
  });
});

describe('a PUT with resourceVersion "0"', () => {
  it('is answered as one without a resourceVersion, by each server (Go: 422, its flunders need one)', async () => {
    const stored = await createOnBoth('zero');
    const withRV = (resourceVersion: string | undefined) => (obj: Record<string, unknown> & { metadata: Record<string, unknown> }) => ({
      ...obj,
      metadata: { ...obj.metadata, resourceVersion },
      spec: { flunderReference: `rv-${resourceVersion ?? 'none'}` },
    });
    const zero = await putOnBoth(stored, (s) => item(`zero-${s}`), withRV('0'));
    const none = await putOnBoth(stored, (s) => item(`zero-${s}`), withRV(undefined));
    expect(zero.go).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: `flunders.${GROUP} "zero-<server>" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`,
    });
    expect(none.go).toEqual(zero.go);
    // kapi's sample lets a flunder be updated without a resourceVersion (Store's default), so both writes land.
    const specOf = (a: unknown): unknown => (a as { spec?: unknown }).spec;
    expect([specOf(zero.kapi), specOf(none.kapi)]).toMatchObject([{ flunderReference: 'rv-0' }, { flunderReference: 'rv-none' }]);
  });
});
