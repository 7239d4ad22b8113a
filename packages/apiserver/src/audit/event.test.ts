import {
  auditIDFor,
  buildAuditEvent,
  canonicalIP,
  formatMicroTime,
  responseStatusFor,
  sourceIPs,
  withoutManagedFields,
  type AuditEventInput,
} from './event.js';
import type { AuditAttributes } from './policy.js';

const createFlunder: AuditAttributes = {
  user: { username: 'alice', uid: 'u-1', groups: ['system:authenticated'], extra: {} },
  verb: 'create',
  isResourceRequest: true,
  path: '/apis/wardle.example.com/v1alpha1/namespaces/ns1/flunders',
  apiGroup: 'wardle.example.com',
  apiVersion: 'v1alpha1',
  namespace: 'ns1',
  resource: 'flunders',
  subresource: '',
  name: '',
};

const managed = [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1' }];
const body = { apiVersion: 'wardle.example.com/v1alpha1', kind: 'Flunder', metadata: { name: 'f1', managedFields: managed }, spec: {} };
const created = {
  ...body,
  metadata: { name: 'f1', namespace: 'ns1', uid: 'uid-f1', resourceVersion: '7', managedFields: managed },
};

const received = Date.UTC(2026, 11, 1, 10, 0, 0, 123) + 0.456;
const completed = Date.UTC(2026, 11, 1, 10, 0, 0, 130) + 0.001;

function input(overrides: Partial<AuditEventInput>): AuditEventInput {
  return {
    level: 'Metadata',
    stage: 'ResponseComplete',
    auditID: '3d1c5b1e-6a55-4c1e-9d60-8f1a2b3c4d5e',
    attributes: createFlunder,
    requestURI: '/apis/wardle.example.com/v1alpha1/namespaces/ns1/flunders?fieldManager=kubectl',
    sourceIPs: ['10.0.0.1'],
    userAgent: 'kubectl/v1.37.2',
    requestReceivedTimestamp: received,
    stageTimestamp: completed,
    requestObject: body,
    response: { code: 201, body: created },
    responseObject: created,
    ...overrides,
  };
}

describe('buildAuditEvent', () => {
  it('writes a Metadata event as kube-apiserver does, in its field order, without bodies', () => {
    const event = buildAuditEvent(input({}));
    expect(JSON.stringify(event)).toBe(
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: '3d1c5b1e-6a55-4c1e-9d60-8f1a2b3c4d5e',
        stage: 'ResponseComplete',
        requestURI: '/apis/wardle.example.com/v1alpha1/namespaces/ns1/flunders?fieldManager=kubectl',
        verb: 'create',
        user: { username: 'alice', uid: 'u-1', groups: ['system:authenticated'] },
        sourceIPs: ['10.0.0.1'],
        userAgent: 'kubectl/v1.37.2',
        // The create's name comes from its body.
        objectRef: { resource: 'flunders', namespace: 'ns1', name: 'f1', apiGroup: 'wardle.example.com', apiVersion: 'v1alpha1' },
        responseStatus: { metadata: {}, code: 201 },
        requestReceivedTimestamp: '2026-12-01T10:00:00.123456Z',
        stageTimestamp: '2026-12-01T10:00:00.130001Z',
      }),
    );
  });

  it('keeps the request body at Request and both bodies at RequestResponse', () => {
    const atRequest = buildAuditEvent(input({ level: 'Request' }));
    expect(atRequest.requestObject).toEqual(body);
    expect(atRequest).not.toHaveProperty('responseObject');

    const atRequestResponse = buildAuditEvent(input({ level: 'RequestResponse' }));
    expect(atRequestResponse.requestObject).toEqual(body);
    expect(atRequestResponse.responseObject).toEqual(created);
  });

  it('drops managedFields from both bodies when the policy says so, leaving the inputs alone', () => {
    const event = buildAuditEvent(input({ level: 'RequestResponse', omitManagedFields: true }));
    expect(event.requestObject).toEqual({ ...body, metadata: { name: 'f1' } });
    expect(event.responseObject).toEqual({ ...created, metadata: { name: 'f1', namespace: 'ns1', uid: 'uid-f1', resourceVersion: '7' } });
    expect(body.metadata.managedFields).toBe(managed);
  });

  it('keeps a patch as sent', () => {
    const patch = [{ op: 'replace', path: '/metadata/managedFields', value: [] }];
    const event = buildAuditEvent(
      input({ level: 'Request', attributes: { ...createFlunder, verb: 'patch', name: 'f1' }, requestObject: undefined, requestPatch: patch, omitManagedFields: true }),
    );
    expect(event.requestObject).toEqual(patch);
  });

  it('fills the object reference from an update body (uid, resourceVersion) without overriding the URL', () => {
    const update: AuditAttributes = { ...createFlunder, verb: 'update', name: 'f1', subresource: 'status' };
    const event = buildAuditEvent(
      input({ attributes: update, requestObject: { metadata: { name: 'other', uid: 'uid-f1', resourceVersion: '6' } }, response: { code: 200 } }),
    );
    expect(event.objectRef).toEqual({
      resource: 'flunders',
      namespace: 'ns1',
      name: 'f1',
      uid: 'uid-f1',
      apiGroup: 'wardle.example.com',
      apiVersion: 'v1alpha1',
      resourceVersion: '6',
      subresource: 'status',
    });
  });

  it('has no object reference for a non-resource request, and no response before one', () => {
    const event = buildAuditEvent(
      input({
        stage: 'RequestReceived',
        attributes: { ...createFlunder, verb: 'get', isResourceRequest: false, path: '/healthz', namespace: '', resource: '', apiGroup: '', apiVersion: '' },
        requestURI: '/healthz',
        requestObject: undefined,
        response: undefined,
        responseObject: undefined,
      }),
    );
    expect(event).not.toHaveProperty('objectRef');
    expect(event).not.toHaveProperty('responseStatus');
    // RequestReceived is stamped with the time the request arrived, whatever stageTimestamp says.
    expect(event.stageTimestamp).toBe('2026-12-01T10:00:00.123456Z');
  });

  it('records the impersonated user and the impersonation constraint', () => {
    const event = buildAuditEvent(
      input({ impersonatedUser: { username: 'bob', groups: ['devs'], extra: { scopes: ['a'] } }, impersonationConstraint: 'impersonate-on:user-info' }),
    );
    expect(event.impersonatedUser).toEqual({ username: 'bob', groups: ['devs'], extra: { scopes: ['a'] } });
    expect(event.authenticationMetadata).toEqual({ impersonationConstraint: 'impersonate-on:user-info' });
    expect(buildAuditEvent(input({}))).not.toHaveProperty('impersonatedUser');
  });

  it('logs an unauthenticated request with an empty user, and keeps annotations', () => {
    const event = buildAuditEvent(
      input({ attributes: { ...createFlunder, user: undefined }, annotations: { 'authorization.k8s.io/decision': 'forbid' } }),
    );
    expect(event.user).toEqual({});
    expect(event.annotations).toEqual({ 'authorization.k8s.io/decision': 'forbid' });
  });

  it('truncates a user agent past 1024 characters as Go does', () => {
    const event = buildAuditEvent(input({ userAgent: 'x'.repeat(1100) }));
    expect(event.userAgent).toBe(`${'x'.repeat(1024)}...TRUNCATED`);
  });

  it('refuses level None', () => {
    expect(() => buildAuditEvent(input({ level: 'None' }))).toThrow('level None');
  });
});

describe('responseStatusFor', () => {
  it('is the code alone for an object response', () => {
    expect(responseStatusFor(200, { kind: 'Flunder' })).toEqual({ metadata: {}, code: 200 });
    expect(responseStatusFor(200)).toEqual({ metadata: {}, code: 200 });
  });

  it('copies status, message, reason and details of a Status body, with the code written', () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'flunders.wardle.example.com "f1" not found',
      reason: 'NotFound',
      details: { name: 'f1', group: 'wardle.example.com', kind: 'flunders' },
      code: 404,
    };
    expect(JSON.stringify(responseStatusFor(404, status))).toBe(
      JSON.stringify({
        metadata: {},
        status: 'Failure',
        message: 'flunders.wardle.example.com "f1" not found',
        reason: 'NotFound',
        details: { name: 'f1', group: 'wardle.example.com', kind: 'flunders' },
        code: 404,
      }),
    );
  });
});

describe('formatMicroTime', () => {
  it('is RFC 3339 in UTC with six fraction digits', () => {
    expect(formatMicroTime(new Date('2026-12-01T10:00:00.123Z'))).toBe('2026-12-01T10:00:00.123000Z');
    expect(formatMicroTime(Date.UTC(2026, 0, 2, 3, 4, 5) + 0.000999)).toBe('2026-01-02T03:04:05.000001Z');
    expect(formatMicroTime(Date.UTC(2026, 11, 31, 23, 59, 59, 999) + 0.9999)).toBe('2027-01-01T00:00:00.000000Z');
  });
});

describe('auditIDFor', () => {
  it('keeps the Audit-ID a client sent, as given', () => {
    expect(auditIDFor('my-own-id')).toBe('my-own-id');
    expect(auditIDFor(['first', 'second'])).toBe('first');
  });

  it('makes a new UUID otherwise', () => {
    const a = auditIDFor(undefined);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(auditIDFor('')).not.toBe(a);
  });
});

describe('sourceIPs (utilnet.SourceIPs)', () => {
  it.each<[string, Parameters<typeof sourceIPs>[0], string[]]>([
    ['the peer alone', { remoteAddress: '1.2.3.4' }, ['1.2.3.4']],
    ['a Go-style host:port peer', { remoteAddress: '1.2.3.4:5678' }, ['1.2.3.4']],
    ["Node's IPv4-mapped peer as IPv4", { remoteAddress: '::ffff:127.0.0.1' }, ['127.0.0.1']],
    ['the forwarded chain, then the peer', { forwardedFor: '1.1.1.1, 2.2.2.2', remoteAddress: '3.3.3.3' }, ['1.1.1.1', '2.2.2.2', '3.3.3.3']],
    ['no repeat of the last hop', { forwardedFor: '1.1.1.1, 3.3.3.3', remoteAddress: '3.3.3.3' }, ['1.1.1.1', '3.3.3.3']],
    ['invalid entries skipped', { forwardedFor: 'unknown, 1.1.1.1,,', remoteAddress: '3.3.3.3' }, ['1.1.1.1', '3.3.3.3']],
    ['X-Real-Ip when new', { forwardedFor: '1.1.1.1', realIP: '2.2.2.2', remoteAddress: '3.3.3.3' }, ['1.1.1.1', '2.2.2.2', '3.3.3.3']],
    ['X-Real-Ip not twice', { forwardedFor: '1.1.1.1, 2.2.2.2', realIP: '1.1.1.1', remoteAddress: '3.3.3.3' }, ['1.1.1.1', '2.2.2.2', '3.3.3.3']],
    ['only the first X-Forwarded-For header', { forwardedFor: ['1.1.1.1', '2.2.2.2'], remoteAddress: '3.3.3.3' }, ['1.1.1.1', '3.3.3.3']],
    ['IPv6 in canonical form', { forwardedFor: '2001:DB8:0:0:0:0:0:1', remoteAddress: '[::1]:443' }, ['2001:db8::1', '::1']],
    ['nothing without addresses', {}, []],
  ])('%s', (_name, given, want) => {
    expect(sourceIPs(given)).toEqual(want);
  });
});

describe('canonicalIP (ParseIPSloppy, then String)', () => {
  it.each<[string, string | undefined]>([
    ['010.001.0.1', '10.1.0.1'],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['::', '::'],
    ['fe80::1%eth0', undefined],
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::10.0.0.1', '::a00:1'],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1::2::3', undefined],
    ['not-an-ip', undefined],
  ])('%s → %s', (s, want) => {
    expect(canonicalIP(s)).toBe(want);
  });
});

describe('withoutManagedFields', () => {
  it('strips list items and Table row objects too', () => {
    const list = { kind: 'FlunderList', metadata: {}, items: [{ metadata: { name: 'a', managedFields: managed } }] };
    expect(withoutManagedFields(list)).toEqual({ kind: 'FlunderList', metadata: {}, items: [{ metadata: { name: 'a' } }] });
    const table = { kind: 'Table', rows: [{ cells: ['a'], object: { metadata: { name: 'a', managedFields: managed } } }] };
    expect(withoutManagedFields(table)).toEqual({ kind: 'Table', rows: [{ cells: ['a'], object: { metadata: { name: 'a' } } }] });
    expect(withoutManagedFields('raw')).toBe('raw');
  });
});
