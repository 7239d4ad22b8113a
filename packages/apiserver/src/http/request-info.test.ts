import type { IncomingMessage } from 'node:http';
import { isLongRunning, newRequestInfo, queryBool, requestInfoOf, requestQueryOf } from './request-info.js';
import { metricScope, metricVerb } from '../server/metrics.js';

describe('newRequestInfo', () => {
  it.each([
    ['GET', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders', { verb: 'list', namespace: 'ns', resource: 'flunders', name: '', parts: ['flunders'] }],
    ['GET', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders?watch=true', { verb: 'watch', resource: 'flunders' }],
    ['GET', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders?watch=0', { verb: 'list' }],
    ['GET', '/apis/wardle.example.com/v1alpha1/watch/namespaces/ns/flunders', { verb: 'watch', verbViaPath: true, namespace: 'ns', resource: 'flunders' }],
    ['GET', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders/a', { verb: 'get', name: 'a', parts: ['flunders', 'a'] }],
    ['GET', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders/a?watch=true', { verb: 'get', name: 'a' }],
    ['GET', '/apis/wardle.example.com/v1alpha1/flunders?fieldSelector=metadata.name%3Da', { verb: 'list', name: 'a', parts: ['flunders'] }],
    ['GET', '/apis/wardle.example.com/v1alpha1/flunders?fieldSelector=metadata.name%3Da%2Fb', { verb: 'list', name: '' }],
    ['PUT', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders/a/status', { verb: 'update', name: 'a', subresource: 'status' }],
    ['POST', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders', { verb: 'create', name: '' }],
    ['DELETE', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders', { verb: 'deletecollection' }],
    ['PATCH', '/apis/wardle.example.com/v1alpha1/fischers/f', { verb: 'patch', resource: 'fischers', name: 'f', namespace: '' }],
    ['OPTIONS', '/apis/wardle.example.com/v1alpha1/fischers/f', { isResourceRequest: true, verb: '' }],
    ['GET', '/api/v1/namespaces/ns', { verb: 'get', apiGroup: '', apiVersion: 'v1', resource: 'namespaces', name: 'ns' }],
    ['GET', '/apis/wardle.example.com/v1alpha1', { isResourceRequest: false, verb: 'get', segments: ['apis', 'wardle.example.com', 'v1alpha1'] }],
    ['GET', '/healthz', { isResourceRequest: false, verb: 'get', path: '/healthz' }],
  ])('%s %s', (method, url, expected) => {
    expect(newRequestInfo(method, url)).toMatchObject(expected);
  });

  // k8s.io/apimachinery runtime.Convert_Slice_string_To_bool, which both Go's RequestInfoFactory
  // and its list handler read `watch` with: the first value decides, only 0/false are false.
  it.each([
    ['watch=1', 'watch'],
    ['watch=true', 'watch'],
    ['watch=True', 'watch'],
    ['watch=TRUE', 'watch'],
    ['watch=', 'watch'],
    ['watch', 'watch'],
    ['watch=yes', 'watch'],
    ['watch=f', 'watch'],
    ['watch=1&watch=0', 'watch'],
    ['watch=0&watch=1', 'list'],
    ['watch=0', 'list'],
    ['watch=false', 'list'],
    ['watch=False', 'list'],
    ['watch=FALSE', 'list'],
    ['', 'list'],
  ])('GET a collection with ?%s is a %s', (query, verb) => {
    expect(newRequestInfo('GET', `/apis/g/v1/namespaces/n/things?${query}`).verb).toBe(verb);
  });

  it('reads every boolean query option by the same rule', () => {
    const query = new URLSearchParams('a=&b=no&c=0&d=FaLsE');
    expect(['a', 'b', 'c', 'd', 'e'].map((name) => queryBool(query, name))).toEqual([true, true, false, false, undefined]);
  });

  it('marks watches long-running and gives Go metric verbs and scopes', () => {
    const watch = newRequestInfo('GET', '/apis/g/v1/namespaces/n/things?watch=1');
    expect(isLongRunning(watch)).toBe(true);
    expect(metricVerb(watch, 'GET', undefined)).toBe('WATCH');
    expect(metricScope(watch)).toBe('namespace');
    const apply = newRequestInfo('PATCH', '/apis/g/v1/things/x');
    expect(metricVerb(apply, 'PATCH', 'application/apply-patch+yaml; charset=utf-8')).toBe('APPLY');
    expect(metricScope(apply)).toBe('resource');
    expect(metricScope(newRequestInfo('POST', '/apis/g/v1/things'))).toBe('resource');
    expect(metricScope(newRequestInfo('GET', '/apis/g/v1/things'))).toBe('cluster');
    expect(isLongRunning(newRequestInfo('GET', '/apis/g/v1/things'))).toBe(false);
  });

  it('decodes segments as Go reads req.URL.Path, keeps the path as sent, and marks one that does not decode', () => {
    const info = newRequestInfo('GET', '/apis/g/v1/namespaces/my%20ns/things/a%3Ab?x=1');
    expect(info).toMatchObject({ namespace: 'my ns', resource: 'things', name: 'a:b', path: '/apis/g/v1/namespaces/my%20ns/things/a%3Ab' });
    expect(info.badSegment).toBeUndefined();
    expect(newRequestInfo('GET', '/apis/g/v1/things/%zz')).toMatchObject({ name: '%zz', badSegment: '%zz' });
  });

  it('keeps empty segments as Go splits them', () => {
    expect(newRequestInfo('GET', '/apis/g/v1//things')).toMatchObject({ resource: '', parts: ['', 'things'], name: 'things' });
  });

  it('reads absolute-form targets through the URL parser', () => {
    expect(newRequestInfo('GET', 'https://example.com/apis/g/v1/things?watch=1')).toMatchObject({ verb: 'watch', path: '/apis/g/v1/things' });
  });
});

describe('requestInfoOf', () => {
  it('works a request out once and shares it (and its query) with every reader', () => {
    const req = { method: 'GET', url: '/apis/g/v1/namespaces/n/things?watch=true&dryRun=All' } as IncomingMessage;
    const info = requestInfoOf(req);
    expect(info).toMatchObject({ verb: 'watch', apiGroup: 'g', apiVersion: 'v1', namespace: 'n', resource: 'things' });
    expect(requestInfoOf(req)).toBe(info);
    expect(requestQueryOf(req)).toBe(requestQueryOf(req));
    expect(requestQueryOf(req).get('dryRun')).toBe('All');
  });
});
