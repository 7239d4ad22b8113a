/** `kapi generate deploy`: deploy/ for the project: Dockerfile and kustomize manifests, from kapi.json. */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createCA, createServingCert } from '@kapi/apiserver/security';
import { CliError } from '../errors.js';
import { groupVersions, saveModel, type DeployStorage, type Project } from '../project/model.js';
import { writeFiles, type GeneratedFile, type WriteReport } from '../project/writer.js';
import { apiServiceYaml } from '../templates/deploy/apiservice.js';
import { deploymentYaml } from '../templates/deploy/deployment.js';
import { dockerfile, dockerignore } from '../templates/deploy/dockerfile.js';
import { etcdYaml } from '../templates/deploy/etcd.js';
import { baseKustomization, etcdKustomization, topKustomization } from '../templates/deploy/kustomization.js';
import { serviceHosts } from '../templates/deploy/labels.js';
import { namespaceYaml } from '../templates/deploy/namespace.js';
import { rbacYaml } from '../templates/deploy/rbac.js';
import { deployReadme } from '../templates/deploy/readme.js';
import { serviceAccountYaml } from '../templates/deploy/service-account.js';
import { serviceYaml } from '../templates/deploy/service.js';
import { b64, parseServingCertYaml, servingCertYaml, type ServingCertificate } from '../templates/deploy/serving-cert.js';
import { reportFile, type Output } from '../ui.js';

/** Hashes of the files as generate deploy last wrote them (see writer.ts), kept in the output directory. */
export const DEPLOY_LEDGER = '.kapi-generated.json';
const SERVING_CERT_PATH = 'base/serving-cert.yaml';
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

export interface GenerateDeployOptions {
  /** Output directory (default <project>/deploy). */
  out?: string;
  image?: string;
  namespace?: string;
  storage?: DeployStorage;
  renewCerts?: boolean;
  force?: boolean;
}

function certStillGood(certs: ServingCertificate, hosts: readonly string[]): boolean {
  try {
    const cert = new X509Certificate(certs.cert);
    const names = cert.subjectAltName ?? '';
    return hosts.every((h) => names.includes(`DNS:${h}`)) && new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_MS && cert.verify(new X509Certificate(certs.caCert).publicKey);
  } catch {
    return false;
  }
}

/** The serving certificate written before when it still fits, so that re-running gives the same files. */
export function servingCertificate(outDir: string, hosts: readonly string[], name: string, renew: boolean): ServingCertificate {
  const path = join(outDir, SERVING_CERT_PATH);
  if (!renew && existsSync(path)) {
    const previous = parseServingCertYaml(readFileSync(path, 'utf8'));
    if (previous && certStillGood(previous, hosts)) return previous;
  }
  const ca = createCA(`${name}-serving-ca`);
  const serving = createServingCert(ca, { hosts: [...hosts], commonName: hosts[2] ?? hosts[0] ?? name });
  return { caCert: ca.cert, cert: serving.cert, key: serving.key };
}

/** Every file of deploy/, by path relative to it. */
export function deployFiles(project: Project, certs: ServingCertificate): GeneratedFile[] {
  const model = project.model;
  const files: GeneratedFile[] = [
    { path: 'README.md', content: deployReadme(model) },
    { path: 'Dockerfile', content: dockerfile(model) },
    { path: 'Dockerfile.dockerignore', content: dockerignore() },
    { path: 'kustomization.yaml', content: topKustomization(model) },
    { path: 'base/kustomization.yaml', content: baseKustomization() },
    { path: 'base/namespace.yaml', content: namespaceYaml(model) },
    { path: 'base/service-account.yaml', content: serviceAccountYaml(model) },
    { path: 'base/rbac.yaml', content: rbacYaml(model) },
    { path: SERVING_CERT_PATH, content: servingCertYaml(model, certs) },
    { path: 'base/deployment.yaml', content: deploymentYaml(model) },
    { path: 'base/service.yaml', content: serviceYaml(model) },
    { path: 'base/apiservice.yaml', content: apiServiceYaml(model, b64(certs.caCert)) },
  ];
  if (model.deployStorage !== 'crd') {
    files.push({ path: 'etcd/kustomization.yaml', content: etcdKustomization() }, { path: 'etcd/etcd.yaml', content: etcdYaml(model) });
  }
  return files;
}

export function generateDeploy(project: Project, opts: GenerateDeployOptions, out: Output): WriteReport[] {
  const model = project.model;
  // Flags given once are remembered in kapi.json, so a plain re-run makes the same files.
  const before = JSON.stringify(model);
  if (opts.image) model.image = opts.image;
  if (opts.namespace) model.namespace = opts.namespace;
  if (opts.storage && opts.storage !== (model.deployStorage ?? 'etcd3')) model.deployStorage = opts.storage;
  const changed = JSON.stringify(model) !== before;
  if (groupVersions(model).length === 0) {
    throw new CliError('the project has no kinds, so there is no API to register', 'add one first: kapi create api --group <g> --version v1 --kind <Kind>');
  }
  const outDir = resolve(project.dir, opts.out ?? 'deploy');
  const ledgerPath = join(outDir, DEPLOY_LEDGER);
  const ledger: Record<string, string> = existsSync(ledgerPath) ? (JSON.parse(readFileSync(ledgerPath, 'utf8')) as Record<string, string>) : {};
  const certs = servingCertificate(outDir, serviceHosts(model), model.name, opts.renewCerts ?? false);

  out.write(`Generating ${relative(process.cwd(), outDir) || '.'}/ for ${model.name}\n`);
  const reports = writeFiles(deployFiles(project, certs), [], { root: outDir, ledger, force: opts.force ?? false, onWrite: (r) => reportFile(out, r) });
  const sorted = Object.fromEntries(Object.entries(ledger).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(ledgerPath, `${JSON.stringify(sorted, null, 2)}\n`);
  if (changed) saveModel(project);
  out.write(`
Next: build the image (see ${join(relative(process.cwd(), outDir) || '.', 'README.md')}), then
  kubectl apply -k ${relative(process.cwd(), outDir) || '.'}
`);
  return reports;
}
