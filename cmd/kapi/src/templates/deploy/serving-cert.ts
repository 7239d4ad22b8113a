/** deploy/base/serving-cert.yaml: the TLS Secret the server serves with (its CA is the APIServices' caBundle). */
import type { ProjectModel } from '../../project/model.js';
import { SERVING_SECRET, objectMeta } from './labels.js';

export interface ServingCertificate {
  /** PEM. */
  caCert: string;
  cert: string;
  key: string;
}

export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function servingCertYaml(model: ProjectModel, certs: ServingCertificate): string {
  return `# Made by \`kapi generate deploy\` (kept on re-runs; \`--renew-certs\` makes new ones).
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
${objectMeta(model, SERVING_SECRET)}
data:
  ca.crt: ${b64(certs.caCert)}
  tls.crt: ${b64(certs.cert)}
  tls.key: ${b64(certs.key)}
`;
}

/** The certificates in a serving-cert.yaml written before, if it holds all three. */
export function parseServingCertYaml(text: string): ServingCertificate | undefined {
  const field = (name: string): string | undefined => {
    const match = new RegExp(`^  ${name.replace('.', '\\.')}: ([A-Za-z0-9+/=]+)$`, 'm').exec(text);
    return match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : undefined;
  };
  const caCert = field('ca.crt');
  const cert = field('tls.crt');
  const key = field('tls.key');
  return caCert && cert && key ? { caCert, cert, key } : undefined;
}
