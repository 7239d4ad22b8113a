/**
 * This repository's deploy/ is `kapi generate deploy` run on the sample server
 * (cmd/sample-apiserver/kapi.json); regenerating it must give the committed files.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { findProject } from '../project/model.js';
import type { Output } from '../ui.js';
import { generateDeploy } from './generate-deploy.js';

const REPO = resolve(__dirname, '../../../..');
const DEPLOY = join(REPO, 'deploy');
const quiet: Output = { write: () => undefined };

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('kapi generate deploy', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'kapi-deploy-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('keeps deploy/ in step with the sample server (run `npm run kapi -- generate deploy --project cmd/sample-apiserver --out deploy` to update it)', () => {
    // The serving certificate is the one input that is random: reuse the committed one.
    mkdirSync(join(out, 'base'));
    copyFileSync(join(DEPLOY, 'base/serving-cert.yaml'), join(out, 'base/serving-cert.yaml'));
    generateDeploy(findProject(join(REPO, 'cmd/sample-apiserver')), { out }, quiet);
    const expected = listFiles(DEPLOY).map((f) => relative(DEPLOY, f)).sort();
    expect(listFiles(out).map((f) => relative(out, f)).sort()).toEqual(expected);
    for (const file of expected) expect([file, readFileSync(join(out, file), 'utf8')]).toEqual([file, readFileSync(join(DEPLOY, file), 'utf8')]);
  });

  it('makes a serving certificate for the Service and uses its CA as every APIService caBundle', () => {
    generateDeploy(findProject(join(REPO, 'cmd/sample-apiserver')), { out }, quiet);
    const secret = readFileSync(join(out, 'base/serving-cert.yaml'), 'utf8');
    const ca = /^  ca\.crt: (\S+)$/m.exec(secret)?.[1];
    expect(ca).toBeTruthy();
    const apiservices = readFileSync(join(out, 'base/apiservice.yaml'), 'utf8');
    expect(apiservices.match(/caBundle: (\S+)/g)).toEqual([`caBundle: ${ca}`, `caBundle: ${ca}`]);
    expect(apiservices).toContain('name: v1beta1.wardle.example.com');
    expect(apiservices).toContain('name: v1alpha1.wardle.example.com');
    const cert = Buffer.from(/^  tls\.crt: (\S+)$/m.exec(secret)?.[1] ?? '', 'base64').toString();
    expect(new X509Certificate(cert).subjectAltName).toContain('DNS:api.wardle.svc');
  });

  it('adds CRD storage rules and leaves etcd out with --storage crd, remembering the flag', () => {
    const project = findProject(join(REPO, 'cmd/sample-apiserver'));
    const model = structuredClone(project.model);
    generateDeploy({ dir: out, model }, { out, storage: 'crd' }, quiet);
    expect(model.deployStorage).toBe('crd');
    expect(readFileSync(join(out, 'base/rbac.yaml'), 'utf8')).toContain('customresourcedefinitions');
    expect(readFileSync(join(out, 'base/deployment.yaml'), 'utf8')).toContain('--storage-backend=crd');
    expect(readFileSync(join(out, 'kustomization.yaml'), 'utf8')).not.toContain('etcd');
  });
});
