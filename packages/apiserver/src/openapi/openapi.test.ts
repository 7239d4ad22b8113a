import type { RequestListener } from 'node:http';
import request from 'supertest';
import { Scheme } from '../scheme/scheme.js';
import { widgetKind } from '../scheme/test-kinds.js';
import { openapiRoute } from './handler.js';
import { routesHandler } from '../http/routes.js';
import { openAPIV2ProtobufRoot } from './v2-protobuf.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function app(): RequestListener {
  const scheme = new Scheme().addKind(widgetKind({ shortNames: ['wd'] }));
  return routesHandler([openapiRoute(scheme, { title: 'Test', version: '0.1' })]);
}

describe('OpenAPI v3', () => {
  it('publishes one hashed URL per group-version', async () => {
    const root = await request(app()).get('/openapi/v3').expect(200);
    expect(Object.keys(root.body.paths).sort()).toEqual(['apis/test.example.com/v1alpha1', 'apis/test.example.com/v1beta1']);
    expect(root.body.paths['apis/test.example.com/v1alpha1'].serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/test\.example\.com\/v1alpha1\?hash=[0-9A-F]{128}$/,
    );
  });

  it('serves the hashed document immutable, redirects a stale hash, and answers 304 on its ETag', async () => {
    const a = app();
    const root = await request(a).get('/openapi/v3').expect(200);
    const url: string = root.body.paths['apis/test.example.com/v1beta1'].serverRelativeURL;
    const doc = await request(a).get(url).set('Accept', 'application/json').expect(200);
    expect(doc.headers['cache-control']).toBe('public, immutable');
    expect(new Date(doc.headers['expires']!).getTime()).toBeGreaterThan(Date.now() + 360 * 24 * 3600 * 1000);
    expect(doc.headers['etag']).toBe(`"${url.split('hash=')[1]}"`);
    const stale = await request(a).get('/openapi/v3/apis/test.example.com/v1beta1?hash=ABC').redirects(0);
    expect(stale.status).toBe(301);
    expect(stale.headers['location']).toBe(url);
    const cached = await request(a).get('/openapi/v3/apis/test.example.com/v1beta1').set('If-None-Match', doc.headers['etag']!);
    expect(cached.status).toBe(304);
    expect((await request(a).get('/openapi/v3/apis/nope.example.com/v1')).status).toBe(404);
  });

  it('carries what kubectl explain, apply and the query-param verifier read', async () => {
    const doc: Json = (await request(app()).get('/openapi/v3/apis/test.example.com/v1alpha1').expect(200)).body;
    expect(doc.openapi).toBe('3.0.0');
    expect(doc.info).toEqual({ title: 'Test', version: '0.1' });
    const collection = doc.paths['/apis/test.example.com/v1alpha1/namespaces/{namespace}/widgets'];
    expect(collection.get['x-kubernetes-action']).toBe('list');
    expect(collection.get.operationId).toBe('listTestExampleComV1alpha1NamespacedWidget');
    expect(collection.post['x-kubernetes-group-version-kind']).toEqual({ group: 'test.example.com', kind: 'Widget', version: 'v1alpha1' });
    expect(collection.delete['x-kubernetes-action']).toBe('deletecollection');
    for (const path of ['/apis/test.example.com/v1alpha1/namespaces/{namespace}/widgets/{name}', '/apis/test.example.com/v1alpha1/namespaces/{namespace}/widgets/{name}/status']) {
      const patch = doc.paths[path].patch;
      expect(Object.keys(patch.requestBody.content).sort()).toEqual(['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json']);
      const params = patch.parameters.map((p: Json) => p.name);
      expect(params).toEqual(expect.arrayContaining(['dryRun', 'fieldManager', 'fieldValidation']));
    }
    expect(doc.paths['/apis/test.example.com/v1alpha1/widgets'].get.operationId).toBe('listTestExampleComV1alpha1WidgetForAllNamespaces');
    expect(doc.paths['/apis/test.example.com/v1alpha1/watch/namespaces/{namespace}/widgets/{name}'].get['x-kubernetes-action']).toBe('watch');
    expect(doc.paths['/apis/test.example.com/v1alpha1/namespaces/{namespace}/widgets/{name}/scale'].get['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      kind: 'Scale',
      version: 'v1',
    });
    expect(JSON.stringify(doc)).not.toContain('strategic-merge-patch');

    // kubectl explain widgets.spec: the GVK of an operation → the schema whose GVK array holds it.
    const gvk = collection.get['x-kubernetes-group-version-kind'];
    const [name, schema] = Object.entries(doc.components.schemas as Record<string, Json>).find(([, s]) =>
      (s['x-kubernetes-group-version-kind'] ?? []).some((g: Json) => g.group === gvk.group && g.kind === gvk.kind && g.version === gvk.version),
    )!;
    expect(name).toBe('com.example.test.v1alpha1.Widget');
    expect(schema.properties.spec.properties.ref).toEqual({ type: 'string' });
    expect(schema.properties.metadata.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    for (const ref of JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g)!) {
      expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)]).toBeDefined();
    }
    expect(doc.components.schemas['com.example.test.v1alpha1.WidgetList']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'test.example.com', kind: 'WidgetList', version: 'v1alpha1' },
    ]);
  });
});

describe('OpenAPI v2', () => {
  it('serves Swagger 2.0 JSON with GVK arrays, an ETag and 406 for types it does not serve', async () => {
    const a = app();
    const res = await request(a).get('/openapi/v2').set('Accept', 'application/json').expect(200);
    expect(res.headers['vary']).toBe('Accept');
    expect(res.headers['etag']).toMatch(/^"[0-9A-F]{128}"$/);
    const doc: Json = res.body;
    expect(doc.swagger).toBe('2.0');
    expect(doc.definitions['com.example.test.v1beta1.Widget']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'test.example.com', kind: 'Widget', version: 'v1beta1' },
    ]);
    const deleteOptions = doc.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']['x-kubernetes-group-version-kind'];
    expect(deleteOptions).toEqual(expect.arrayContaining([{ group: 'test.example.com', kind: 'DeleteOptions', version: 'v1alpha1' }, { group: 'test.example.com', kind: 'DeleteOptions', version: 'v1beta1' }]));
    const patch = doc.paths['/apis/test.example.com/v1beta1/namespaces/{namespace}/widgets/{name}'].patch;
    expect(patch.consumes).toEqual(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
    expect(patch.parameters[0]).toMatchObject({ name: 'body', in: 'body', required: true, schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } });
    expect(patch.parameters.find((p: Json) => p.name === 'fieldValidation')).toMatchObject({ in: 'query', type: 'string' });
    expect(JSON.stringify(doc)).not.toContain('#/components/');
    expect((await request(a).get('/openapi/v2').set('If-None-Match', res.headers['etag']!)).status).toBe(304);
    expect((await request(a).get('/openapi/v2').set('Accept', 'application/xml')).status).toBe(406);
  });

  it('serves the same document as gnostic protobuf, as kubectl asks for it, with the JSON\'s ETag', async () => {
    const a = app();
    const json = await request(a).get('/openapi/v2').expect(200);
    const proto = await request(a)
      .get('/openapi/v2')
      .set('Accept', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(proto.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(proto.headers['etag']).toBe(json.headers['etag']);
    expect(proto.headers['vary']).toBe('Accept');
    const type = openAPIV2ProtobufRoot().lookupType('openapi.v2.Document');
    const decoded = type.toObject(type.decode(proto.body as Buffer)) as Json;
    expect(decoded.swagger).toBe('2.0');
    const names = (decoded.definitions.additional_properties as Json[]).map((d) => d.name);
    expect(names).toEqual(Object.keys(json.body.definitions));
    expect((await request(a).get('/openapi/v2').set('Accept', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf').set('If-None-Match', json.headers['etag']!)).status).toBe(304);
    // JSON first in the Accept list: JSON.
    expect((await request(a).get('/openapi/v2').set('Accept', 'application/json, application/com.github.proto-openapi.spec.v2@v1.0+protobuf')).headers['content-type']).toBe('application/json');
  });
});
