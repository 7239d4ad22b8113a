import type { RequestListener } from 'node:http';
import request from 'supertest';
import { Scheme } from '../scheme/scheme.js';
import { widgetKind } from '../scheme/test-kinds.js';
import { apisRoute } from '../endpoints/router.js';
import { routesHandler } from '../http/routes.js';
import { storageVersionHash } from './storage-version-hash.js';

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function app(): RequestListener {
  const scheme = new Scheme().addKind(widgetKind({ shortNames: ['wd'], categories: ['all'] }));
  return routesHandler([apisRoute({ scheme, storages: new Map() })]);
}

describe('storageVersionHash', () => {
  it('is base64 of the first 8 bytes of sha256(group/version/kind)', () => {
    // Value computed by k8s.io/apiserver/pkg/endpoints/discovery.StorageVersionHash("wardle.example.com","v1beta1","Flunder").
    expect(storageVersionHash('wardle.example.com', 'v1beta1', 'Flunder')).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    expect(storageVersionHash('', 'v1', 'Pod')).toBe('xPOwRZ+Yhw8=');
  });
});

describe('legacy discovery', () => {
  it('serves APIGroupList, APIGroup and APIResourceList', async () => {
    const groups = await request(app()).get('/apis').expect(200);
    expect(groups.body).toEqual({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [
        {
          name: 'test.example.com',
          versions: [
            { groupVersion: 'test.example.com/v1beta1', version: 'v1beta1' },
            { groupVersion: 'test.example.com/v1alpha1', version: 'v1alpha1' },
          ],
          preferredVersion: { groupVersion: 'test.example.com/v1beta1', version: 'v1beta1' },
        },
      ],
    });
    const group = await request(app()).get('/apis/test.example.com').expect(200);
    expect(group.body).toMatchObject({ kind: 'APIGroup', apiVersion: 'v1', name: 'test.example.com' });
    const resources = await request(app()).get('/apis/test.example.com/v1alpha1').expect(200);
    expect(resources.body).toEqual({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'test.example.com/v1alpha1',
      resources: [
        {
          name: 'widgets',
          singularName: 'widget',
          namespaced: true,
          kind: 'Widget',
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
          shortNames: ['wd'],
          categories: ['all'],
          storageVersionHash: storageVersionHash('test.example.com', 'v1beta1', 'Widget'),
        },
        { name: 'widgets/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
        { name: 'widgets/status', singularName: '', namespaced: true, kind: 'Widget', verbs: ['get', 'patch', 'update'] },
      ],
    });
  });

  it("names a subresource's response kind of another group-version as Go does: the core group left out", async () => {
    const scheme = new Scheme().addKind(
      widgetKind({ subresources: { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' }, connect: { exec: { methods: ['GET', 'POST'], responseKind: 'Status' } } } }),
    );
    const res = await request(routesHandler([apisRoute({ scheme, storages: new Map() })]))
      .get('/apis/test.example.com/v1beta1')
      .expect(200);
    const byName = Object.fromEntries((res.body as { resources: Array<{ name: string }> }).resources.map((r) => [r.name, r]));
    expect(byName['widgets/scale']).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(byName['widgets/exec']).toEqual({ name: 'widgets/exec', singularName: '', namespaced: true, version: 'v1', kind: 'Status', verbs: ['create', 'get'] });
  });

  it('answers 404 for unknown groups and versions', async () => {
    expect((await request(app()).get('/apis/nope.example.com')).status).toBe(404);
    expect((await request(app()).get('/apis/test.example.com/v9')).status).toBe(404);
  });
});

describe('aggregated discovery', () => {
  it('serves apidiscovery.k8s.io/v2 with ETag, Vary and 304', async () => {
    const a = app();
    const res = await request(a).get('/apis').set('Accept', `${AGGREGATED},application/json`).expect(200);
    expect(res.headers['content-type']).toBe(AGGREGATED);
    expect(res.headers['vary']).toBe('Accept');
    expect(res.headers['cache-control']).toBe('public');
    expect(res.headers['etag']).toMatch(/^"[0-9A-F]{128}"$/);
    expect(res.body).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    const [group] = res.body.items;
    expect(group.metadata.name).toBe('test.example.com');
    expect(group.versions.map((v: { version: string }) => v.version)).toEqual(['v1beta1', 'v1alpha1']);
    expect(group.versions[1]).toEqual({
      version: 'v1alpha1',
      freshness: 'Current',
      resources: [
        {
          resource: 'widgets',
          responseKind: { group: 'test.example.com', version: 'v1alpha1', kind: 'Widget' },
          scope: 'Namespaced',
          singularResource: 'widget',
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
          shortNames: ['wd'],
          categories: ['all'],
          subresources: [
            { subresource: 'status', responseKind: { group: 'test.example.com', version: 'v1alpha1', kind: 'Widget' }, verbs: ['get', 'patch', 'update'] },
            { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
          ],
        },
      ],
    });
    const cached = await request(a).get('/apis').set('Accept', AGGREGATED).set('If-None-Match', res.headers['etag']!);
    expect(cached.status).toBe(304);
  });

  it('accepts the parameters in any order, skips v2beta1, and refuses what it cannot serve', async () => {
    const res = await request(app()).get('/apis').set('Accept', 'application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io').expect(200);
    expect(res.body.kind).toBe('APIGroupDiscoveryList');
    const beta = await request(app()).get('/apis').set('Accept', 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json').expect(200);
    expect(beta.body.kind).toBe('APIGroupList');
    expect((await request(app()).get('/apis').set('Accept', 'application/vnd.kubernetes.protobuf')).status).toBe(406);
  });
});
