import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { sendBody } from '../http/responses.js';
import { auditFilter } from './filter.js';
import { PolicyRuleEvaluator, parsePolicy } from './policy.js';
import type { AuditEvent } from './event.js';

const POLICY = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n';

/** The filter in front of a handler that creates something (201). */
function server(write: (event: AuditEvent) => void) {
  const filter = auditFilter({ evaluator: new PolicyRuleEvaluator(parsePolicy(POLICY)), backend: { write } });
  return (req: IncomingMessage, res: ServerResponse): void =>
    filter(req, res, () => sendBody(res, 201, 'application/json', '{"kind":"Widget"}'));
}

describe('auditFilter', () => {
  it('writes ResponseComplete before the answer goes out', async () => {
    const events: AuditEvent[] = [];
    const res = await request(server((e) => events.push(e))).post('/apis/g/v1/namespaces/n/widgets').send('{}');
    expect(res.status).toBe(201);
    expect(res.headers['audit-id']).toBe(events[0]!.auditID);
    expect(events.map((e) => [e.stage, e.verb, e.responseStatus?.code])).toEqual([['ResponseComplete', 'create', 201]]);
  });

  it('answers 500 instead of the success when the event cannot be written', async () => {
    const res = await request(
      server(() => {
        throw new Error('disk full');
      }),
    )
      .post('/apis/g/v1/namespaces/n/widgets')
      .send('{}');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toMatchObject({ kind: 'Status', code: 500, reason: 'InternalError', message: 'Internal error occurred: the audit event of this request could not be written' });
  });
});
