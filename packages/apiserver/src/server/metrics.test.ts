/** The verb label as Go's CleanVerb reports it (k8s.io/apiserver pkg/endpoints/metrics). */
import { newRequestInfo } from '../http/request-info.js';
import { metricVerb } from './metrics.js';

const verbOf = (method: string, url: string, contentType?: string): string => metricVerb(newRequestInfo(method, url), method, contentType);

describe('metricVerb', () => {
  const pods = '/api/v1/namespaces/ns/pods';
  it.each([
    ['GET', `${pods}/p`, undefined, 'GET'],
    ['GET', pods, undefined, 'LIST'],
    ['GET', `${pods}?watch=true`, undefined, 'WATCH'],
    ['PATCH', `${pods}/p`, 'application/apply-patch+yaml', 'APPLY'],
    ['PATCH', `${pods}/p`, 'application/merge-patch+json', 'PATCH'],
    // exec-like subresources are CONNECT whatever the method; an action subresource is not.
    ['GET', `${pods}/p/exec?command=ls`, undefined, 'CONNECT'],
    ['POST', `${pods}/p/attach`, undefined, 'CONNECT'],
    ['GET', `${pods}/p/log`, undefined, 'CONNECT'],
    ['POST', `${pods}/p/approve`, undefined, 'POST'],
    ['GET', '/healthz', undefined, 'GET'],
  ])('%s %s (%s) is %s', (method, url, contentType, verb) => {
    expect(verbOf(method, url, contentType)).toBe(verb);
  });
});
