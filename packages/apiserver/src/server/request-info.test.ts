import { isLongRunning, resolveRequestInfo } from './request-info.js';
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
