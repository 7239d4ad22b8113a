/**
 * An admission webhook server on loopback for the webhook suite: HTTPS with its own CA, every
 * AdmissionReview it receives recorded, and the answer chosen by path:
 *   /allow  allowed
 *   /deny   allowed: false, 403, "flunders named like this are refused"
 *   /label  allowed, a JSONPatch adding the label mutated-by=webhook
 *   /hang   never answers (the caller's timeout must cut it)
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCA, createServingCert, type CertificateAuthority } from '@kapi/apiserver/security';

export interface ReceivedReview {
  path: string;
  query: string;
  request: {
    uid: string;
    kind: { group: string; version: string; kind: string };
    resource: { group: string; version: string; resource: string };
    requestKind?: { group: string; version: string; kind: string };
    requestResource?: { group: string; version: string; resource: string };
    name?: string;
    namespace?: string;
    operation: string;
    userInfo: { username?: string; groups?: string[] };
    object: { apiVersion?: string; metadata?: { name?: string; labels?: Record<string, string> } } | null;
    oldObject: unknown;
    dryRun: boolean;
    options: Record<string, unknown> | null;
  };
}

export interface WebhookServer {
  port: number;
  url(path: string): string;
  ca: CertificateAuthority;
  /** base64 of the CA's PEM, as clientConfig.caBundle. */
  caBundle: string;
  received: ReceivedReview[];
  /** The reviews of objects named `name` in `namespace`. */
  receivedFor(namespace: string, name: string): ReceivedReview[];
  stop(): Promise<void>;
}

export const DENY_MESSAGE = 'flunders named like this are refused';

export async function startWebhookServer(extraHosts: readonly string[] = []): Promise<WebhookServer> {
  const ca = createCA('kapi-webhook-ca');
  const serving = createServingCert(ca, { hosts: ['127.0.0.1', 'localhost', ...extraHosts] });
  const received: ReceivedReview[] = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        answerReview();
      } catch (err) {
        res.statusCode = 500;
        res.end(JSON.stringify({ message: `the test webhook failed: ${String(err)}` }));
      }
    });
    const answerReview = (): void => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { apiVersion: string; request: ReceivedReview['request'] };
      received.push({ path: url.pathname, query: url.search, request: review.request });
      const answer = (response: Record<string, unknown>): void => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, ...response } }));
      };
      switch (url.pathname) {
        case '/allow':
          return answer({ allowed: true });
        case '/deny':
          return answer({ allowed: false, status: { code: 403, message: DENY_MESSAGE } });
        case '/label': {
          const hasLabels = review.request.object?.metadata?.labels !== undefined;
          const patch = hasLabels
            ? [{ op: 'add', path: '/metadata/labels/mutated-by', value: 'webhook' }]
            : [{ op: 'add', path: '/metadata/labels', value: { 'mutated-by': 'webhook' } }];
          return answer({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64'), warnings: ['labelled by the webhook'], auditAnnotations: { labelled: 'yes' } });
        }
        case '/hang':
          hanging.add(res);
          return;
        default:
          res.statusCode = 404;
          res.end();
      }
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path) => `https://127.0.0.1:${port}${path}`,
    ca,
    caBundle: Buffer.from(ca.cert).toString('base64'),
    received,
    receivedFor: (namespace, name) => received.filter((r) => r.request.namespace === namespace && (r.request.name ?? r.request.object?.metadata?.name) === name),
    stop: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
