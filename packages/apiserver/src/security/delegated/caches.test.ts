import type { IncomingMessage } from 'node:http';
import { KubeApiError, type KubeRestClient } from '../../kube/index.js';
import type { AuthorizationAttributes } from '../authz.js';
import { ExpiringCache } from './cache.js';
import { ExtensionAuthenticationConfig, parseExtensionAuthentication } from './extension-config.js';
import { SubjectAccessReviewAuthorizer, subjectAccessReviewSpec } from './subject-access-review.js';
import { bearerToken, TokenReviewAuthenticator } from './token-review.js';

/** A small fake of the host cluster client: answers POSTs and GETs with the given functions, counting calls. */
function fakeClient(answer: { post?: (path: string, body: { spec: Record<string, unknown> }) => unknown; get?: (path: string) => unknown }) {
  const calls: string[] = [];
  const client = {
    kubeConfig: undefined,
    post: async (path: string, body: { spec: Record<string, unknown> }) => {
      calls.push(`POST ${path}`);
      return answer.post!(path, body);
    },
    get: async (path: string) => {
      calls.push(`GET ${path}`);
      return answer.get!(path);
    },
    close: () => undefined,
  };
  return { client: client as unknown as KubeRestClient, calls };
}

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

function withAuthorization(value?: string): IncomingMessage {
  return { headers: value === undefined ? {} : { authorization: value } } as IncomingMessage;
}

describe('ExpiringCache', () => {
  it('expires entries after their TTL and evicts the oldest when full', () => {
    const c = clock();
    const cache = new ExpiringCache<string>({ maxEntries: 2, now: c.now });
    cache.set('a', 'A', 1000);
    cache.set('b', 'B', 5000);
    c.t += 999;
    expect(cache.get('a')).toBe('A');
    c.t += 1;
    expect(cache.get('a')).toBeUndefined();
    cache.set('c', 'C', 5000);
    cache.set('d', 'D', 5000);
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([undefined, 'C', 'D']);
    cache.set('e', 'E', 0);
    expect(cache.get('e')).toBeUndefined();
  });

  it('shares one load between concurrent misses and does not cache a failed load', async () => {
    const cache = new ExpiringCache<number>();
    let loads = 0;
    const load = async (): Promise<number> => ++loads;
    expect(await Promise.all([cache.getOrLoad('k', load, () => 1000), cache.getOrLoad('k', load, () => 1000)])).toEqual([1, 1]);
    expect(loads).toBe(1);
    await expect(cache.getOrLoad('x', () => Promise.reject(new Error('down')), () => 1000)).rejects.toThrow('down');
    expect(await cache.getOrLoad('x', load, () => 1000)).toBe(2);
  });
});

describe('bearerToken', () => {
  it('reads "Bearer <token>" as Go\'s bearertoken authenticator', () => {
    expect(bearerToken(withAuthorization('Bearer abc'))).toBe('abc');
    expect(bearerToken(withAuthorization('bearer abc'))).toBe('abc');
    expect(bearerToken(withAuthorization('  Bearer abc  '))).toBe('abc');
    expect(bearerToken(withAuthorization('Basic abc'))).toBeUndefined();
    expect(bearerToken(withAuthorization('Bearer'))).toBeUndefined();
    expect(bearerToken(withAuthorization('Bearer  abc'))).toBeUndefined();
    expect(bearerToken(withAuthorization())).toBeUndefined();
  });
});

describe('TokenReviewAuthenticator', () => {
  it('asks TokenReview once per token within the TTL, for both answers, and removes the header', async () => {
    const c = clock();
    const { client, calls } = fakeClient({
      post: (_path, body) =>
        body.spec['token'] === 'good'
          ? { status: { authenticated: true, user: { username: 'system:serviceaccount:ns:sa', uid: 'u', groups: ['system:serviceaccounts'] } } }
          : { status: { authenticated: false, error: 'token expired' } },
    });
    const authn = new TokenReviewAuthenticator({ client, now: c.now });

    const req = withAuthorization('Bearer good');
    expect(await authn.authenticate(req)).toEqual({ username: 'system:serviceaccount:ns:sa', uid: 'u', groups: ['system:serviceaccounts'] });
    expect(req.headers.authorization).toBeUndefined();
    await authn.authenticate(withAuthorization('Bearer good'));
    await expect(authn.authenticate(withAuthorization('Bearer bad'))).rejects.toMatchObject({ status: { code: 401, message: 'token expired' } });
    await expect(authn.authenticate(withAuthorization('Bearer bad'))).rejects.toThrow();
    expect(calls).toHaveLength(2);

    c.t += 10_001;
    await authn.authenticate(withAuthorization('Bearer good'));
    expect(calls).toHaveLength(3);
    expect(await authn.authenticate(withAuthorization())).toBeUndefined();
    expect(calls[0]).toBe('POST /apis/authentication.k8s.io/v1/tokenreviews');
  });

  it('does not cache a failed call', async () => {
    let up = false;
    const { client, calls } = fakeClient({
      post: () => {
        if (!up) throw new KubeApiError(403, 'tokenreviews.authentication.k8s.io is forbidden');
        return { status: { authenticated: true, user: { username: 'u' } } };
      },
    });
    const authn = new TokenReviewAuthenticator({ client });
    await expect(authn.authenticate(withAuthorization('Bearer t'))).rejects.toThrow('forbidden');
    up = true;
    expect(await authn.authenticate(withAuthorization('Bearer t'))).toEqual({ username: 'u', groups: [] });
    expect(calls).toHaveLength(2);
  });
});

const attributes: AuthorizationAttributes = {
  user: { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['x'] } },
  verb: 'list',
  isResourceRequest: true,
  path: '/apis/wardle.example.com/v1beta1/namespaces/default/flunders',
  namespace: 'default',
  apiGroup: 'wardle.example.com',
  apiVersion: 'v1beta1',
  resource: 'flunders',
  subresource: '',
  name: '',
};

describe('SubjectAccessReviewAuthorizer', () => {
  it('sends resourceAttributes or nonResourceAttributes with the user', () => {
    expect(subjectAccessReviewSpec(attributes)).toEqual({
      user: 'alice',
      uid: 'u-1',
      groups: ['devs', 'system:authenticated'],
      extra: { scopes: ['x'] },
      resourceAttributes: { namespace: 'default', verb: 'list', group: 'wardle.example.com', version: 'v1beta1', resource: 'flunders', subresource: '', name: '' },
    });
    expect(subjectAccessReviewSpec({ ...attributes, isResourceRequest: false, verb: 'get', path: '/metrics', user: { username: 'bob', groups: [] } })).toEqual({
      user: 'bob',
      groups: [],
      nonResourceAttributes: { path: '/metrics', verb: 'get' },
    });
  });

  it('maps allowed/denied/neither to Allow/Deny/NoOpinion and caches each for its TTL', async () => {
    const c = clock();
    const answers: Record<string, object> = {
      list: { allowed: true },
      get: { allowed: false, denied: true, reason: 'no way' },
      watch: { allowed: false, reason: '' },
    };
    const { client, calls } = fakeClient({
      post: (_path, body) => ({ status: answers[(body.spec['resourceAttributes'] as { verb: string }).verb] }),
    });
    const authz = new SubjectAccessReviewAuthorizer({ client, allowCacheTTLMs: 10_000, denyCacheTTLMs: 2_000, now: c.now });
    expect(await authz.authorize(attributes)).toEqual({ decision: 'Allow' });
    expect(await authz.authorize({ ...attributes, verb: 'get' })).toEqual({ decision: 'Deny', reason: 'no way' });
    expect(await authz.authorize({ ...attributes, verb: 'watch' })).toEqual({ decision: 'NoOpinion' });
    expect(calls).toHaveLength(3);

    // Within the TTLs: no new reviews; another user is another key.
    await authz.authorize(attributes);
    await authz.authorize({ ...attributes, verb: 'get' });
    expect(calls).toHaveLength(3);
    await authz.authorize({ ...attributes, user: { username: 'carol', groups: [] } });
    expect(calls).toHaveLength(4);

    // After the deny TTL the denied answers are asked again; the allowed one still cached.
    c.t += 2_001;
    answers['get'] = { allowed: true };
    expect(await authz.authorize({ ...attributes, verb: 'get' })).toEqual({ decision: 'Allow' });
    await authz.authorize(attributes);
    expect(calls).toHaveLength(5);
    c.t += 8_000;
    await authz.authorize(attributes);
    expect(calls).toHaveLength(6);
  });

  it('throws when the review cannot be made (not cached)', async () => {
    const { client } = fakeClient({
      post: () => {
        throw new KubeApiError(403, 'subjectaccessreviews.authorization.k8s.io is forbidden');
      },
    });
    await expect(new SubjectAccessReviewAuthorizer({ client }).authorize(attributes)).rejects.toThrow('forbidden');
  });
});

describe('extension-apiserver-authentication', () => {
  const data = {
    'client-ca-file': 'CLIENT-CA',
    'requestheader-client-ca-file': 'PROXY-CA',
    'requestheader-allowed-names': '["front-proxy-client"]',
    'requestheader-username-headers': '["X-Remote-User"]',
    'requestheader-uid-headers': '[]',
    'requestheader-group-headers': '["X-Remote-Group"]',
    'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
  };

  it('parses the ConfigMap kube-apiserver writes', () => {
    expect(parseExtensionAuthentication(data)).toEqual({
      clientCA: 'CLIENT-CA',
      requestHeader: {
        clientCA: 'PROXY-CA',
        allowedNames: ['front-proxy-client'],
        usernameHeaders: ['X-Remote-User'],
        uidHeaders: [],
        groupHeaders: ['X-Remote-Group'],
        extraHeaderPrefixes: ['X-Remote-Extra-'],
      },
    });
    expect(parseExtensionAuthentication({ 'client-ca-file': 'CA' })).toEqual({ clientCA: 'CA' });
    expect(parseExtensionAuthentication(undefined)).toEqual({});
    expect(() => parseExtensionAuthentication({ ...data, 'requestheader-allowed-names': '"x"' })).toThrow('JSON array');
  });

  it('is ready after the first read, tells about changes, and fails readyz once the host is unreachable for a while', async () => {
    const c = clock();
    let current: Record<string, string> | Error = data;
    const { client, calls } = fakeClient({
      get: () => {
        if (current instanceof Error) throw current;
        return { metadata: { resourceVersion: '1' }, data: current };
      },
    });
    const config = new ExtensionAuthenticationConfig({ client, watch: false, unreachableAfterMs: 2_000, now: c.now });
    const check = config.readyzCheck();
    expect(() => check.check()).toThrow('not read yet');
    const changes: unknown[] = [];
    config.onChange((now) => changes.push(now));
    await config.sync();
    await config.ready;
    expect(config.current.requestHeader?.allowedNames).toEqual(['front-proxy-client']);
    expect(() => check.check()).not.toThrow();

    current = { ...data, 'requestheader-allowed-names': '[]' };
    await config.sync();
    await config.sync();
    expect(changes).toHaveLength(2);
    expect(config.current.requestHeader?.allowedNames).toEqual([]);

    current = new Error('connect ECONNREFUSED');
    await expect(config.sync()).rejects.toThrow('ECONNREFUSED');
    // A failed read is tried again within a second (real timer), without waiting for the resync.
    const reads = calls.length;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(calls.length).toBe(reads + 1);
    c.t += 1_999;
    expect(() => check.check()).not.toThrow();
    c.t += 1;
    expect(() => check.check()).toThrow(/has not answered for 2s: connect ECONNREFUSED/);
    // The last good content stays in use meanwhile.
    expect(config.current.clientCA).toBe('CLIENT-CA');

    current = data;
    await config.sync();
    expect(() => check.check()).not.toThrow();
    config.stop();
  });
});
