import type { IncomingMessage } from 'node:http';
import { resourceRequestOf } from '../endpoints/request-info.js';
import { isLongRunning, requestInfoOf, requestQueryOf, requestURLOf, resolveRequestInfo } from './request-info.js';
import { metricScope, metricVerb } from './metrics.js';

describe('resolveRequestInfo', () => {
  it.each([
    ['GET', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders', { verb: 'list', namespace: 'ns', resource: 'flunders', name: '' }],
    ['GET', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders?watch=true', { verb: 'watch', resource: 'flunders' }],
    ['GET', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders?watch=0', { verb: 'list' }],
    ['GET', '/apis/wardle.example.com/v1alpha1/watch/namespaces/ns/flunders', { verb: 'watch', namespace: 'ns', resource: 'flunders' }],
    ['GET', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders/a', { verb: 'get', name: 'a' }],
    ['GET', '/apis/wardle.example.com/v1alpha1/flunders?fieldSelector=metadata.name%3Da', { verb: 'list', name: 'a' }],
    ['PUT', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders/a/status', { verb: 'update', name: 'a', subresource: 'status' }],
    ['POST', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders', { verb: 'create', name: '' }],
    ['DELETE', '/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders', { verb: 'deletecollection' }],
    ['PATCH', '/apis/wardle.example.com/v1alpha1/fischers/f', { verb: 'patch', resource: 'fischers', name: 'f', namespace: '' }],
    ['GET', '/api/v1/namespaces/ns', { verb: 'get', apiGroup: '', apiVersion: 'v1', resource: 'namespaces', name: 'ns' }],
    ['GET', '/apis/wardle.example.com/v1alpha1', { isResourceRequest: false, verb: 'get' }],
    ['GET', '/healthz', { isResourceRequest: false, verb: 'get', path: '/healthz' }],
  ])('%s %s', (method, url, expected) => {
    expect(resolveRequestInfo(method, url)).toMatchObject(expected);
  });

  it('marks watches long-running and gives Go metric verbs and scopes', () => {
    const watch = resolveRequestInfo('GET', '/apis/g/v1/namespaces/n/things?watch=1');
    expect(isLongRunning(watch)).toBe(true);
    expect(metricVerb(watch, 'GET', undefined)).toBe('WATCH');
    expect(metricScope(watch)).toBe('namespace');
    const apply = resolveRequestInfo('PATCH', '/apis/g/v1/things/x');
    expect(metricVerb(apply, 'PATCH', 'application/apply-patch+yaml; charset=utf-8')).toBe('APPLY');
    expect(metricScope(apply)).toBe('resource');
    expect(metricScope(resolveRequestInfo('POST', '/apis/g/v1/things'))).toBe('resource');
    expect(metricScope(resolveRequestInfo('GET', '/apis/g/v1/things'))).toBe('cluster');
    expect(isLongRunning(resolveRequestInfo('GET', '/apis/g/v1/things'))).toBe(false);
  });
});

describe('one split of the URL for the filters and the endpoints', () => {
  it('decodes segments as Go reads req.URL.Path, and keeps the path as sent', () => {
    const info = resolveRequestInfo('GET', '/apis/g/v1/namespaces/my%20ns/things/a%3Ab?x=1');
    expect(info).toMatchObject({ namespace: 'my ns', resource: 'things', name: 'a:b', path: '/apis/g/v1/namespaces/my%20ns/things/a%3Ab' });
    expect(resolveRequestInfo('GET', '/apis/g/v1/things/%zz')).toMatchObject({ name: '%zz' });
  });

  it('reads absolute-form targets through the URL parser', () => {
    expect(resolveRequestInfo('GET', 'https://example.com/apis/g/v1/things?watch=1')).toMatchObject({ verb: 'watch', path: '/apis/g/v1/things' });
  });

  it('parses a request once and shares it with the endpoints', () => {
    const req = { method: 'GET', url: '/apis/g/v1/namespaces/n/things?watch=true&dryRun=All' } as IncomingMessage;
    const info = requestInfoOf(req);
    expect(info.verb).toBe('watch');
    expect(requestInfoOf(req)).toBe(info);
    expect(requestQueryOf(req)).toBe(requestQueryOf(req));
    expect(requestQueryOf(req).get('dryRun')).toBe('All');
    expect(requestURLOf(req).segments).toEqual(['apis', 'g', 'v1', 'namespaces', 'n', 'things']);
    const resource = resourceRequestOf('GET', requestURLOf(req).segments, requestQueryOf(req));
    expect(resource).toEqual({ kind: 'resource', info: { group: 'g', version: 'v1', namespace: 'n', resource: 'things', verb: 'watch', legacyWatch: false } });
  });

  it('uses the URL express was given before a mount point rewrote req.url', () => {
    const req = { method: 'GET', url: '/g/v1/things', originalUrl: '/apis/g/v1/things' } as IncomingMessage & { originalUrl: string };
    expect(requestInfoOf(req)).toMatchObject({ isResourceRequest: true, resource: 'things', verb: 'list' });
  });
});
