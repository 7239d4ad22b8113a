/**
 * The sample server judged by the real kubectl, on the embedded SQLite store and on etcd:
 * every command a user would type, and the message kubectl prints for each error.
 */
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcd, type EtcdServer } from '@kapi/storage/etcd-server';
import { Kubectl } from './kubectl';
import { RawClient } from './raw-client';
import { startSampleServer, type SampleServer } from './sample-server';

jest.setTimeout(120_000);

const backends = ['sqlite', 'etcd3'] as const;

describe.each(backends)('kubectl against the sample server on %s', (backend) => {
  let etcd: EtcdServer | undefined;
  let server: SampleServer;
  let kubectl: Kubectl;
  let files: string;

  /** Writes a manifest to a file and returns its path. */
  const manifest = (name: string, text: string): string => {
    const path = join(files, name);
    writeFileSync(path, text);
    return path;
  };

  const flunderV1alpha1 = (name: string, reference: string, extra = ''): string => `apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata:
  name: ${name}
  namespace: default
spec:
  reference: ${reference}
${extra}`;

  const flunderV1beta1 = (name: string, spec: string): string => `apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata:
  name: ${name}
  namespace: default
spec:
${spec}`;

  beforeAll(async () => {
    if (backend === 'etcd3') etcd = await startEtcd();
    // Standalone, as `npm start` runs it: no garbage collector beside it, so it sets none of its finalizers.
    server = await startSampleServer({ storageBackend: backend, ...(etcd ? { etcdServers: etcd.endpoint } : {}), extraArgs: ['--enable-garbage-collector=false'] });
    kubectl = new Kubectl(server.kubeconfig);
    files = mkdtempSync(join(tmpdir(), 'kapi-manifests-'));
  });

  afterAll(async () => {
    await server?.stop();
    await etcd?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  it('prints the server version: kapi\'s own, which kubectl parses', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../packages/apiserver/package.json'), 'utf8')) as { version: string };
    const version = JSON.parse(kubectl.ok(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string; gitCommit: string; major: string; minor: string } };
    expect(version.serverVersion).toMatchObject({ gitVersion: `v${pkg.version}`, major: pkg.version.split('.')[0], minor: pkg.version.split('.')[1] });
    expect(version.serverVersion.gitCommit).toMatch(/^([0-9a-f]{40})?$/);
    expect(kubectl.ok(['version'])).toContain(`Server Version: v${pkg.version}`);
  });

  it('lists flunders and fischers in api-resources', () => {
    const out = kubectl.ok(['api-resources', '--api-group=wardle.example.com']);
    expect(out).toMatch(/^fischers\s+wardle\.example\.com\/v1alpha1\s+false\s+Fischer$/m);
    expect(out).toMatch(/^flunders\s+fl\s+wardle\.example\.com\/v1beta1\s+true\s+Flunder$/m);
  });

  it('creates from a file, and shows the object with get, get -o wide and get -o yaml', () => {
    const file = manifest('alpha.yaml', flunderV1alpha1('alpha', 'beta'));
    expect(kubectl.ok(['create', '-f', file])).toBe('flunder.wardle.example.com/alpha created\n');
    const table = kubectl.ok(['get', 'flunders']);
    expect(table).toMatch(/^NAME\s+REFERENCE TYPE\s+AGE$/m);
    expect(table).toMatch(/^alpha\s+Flunder\s+\d+s$/m);
    const wide = kubectl.ok(['get', 'flunders', '-o', 'wide']);
    expect(wide).toMatch(/^NAME\s+REFERENCE TYPE\s+FLUNDER REFERENCE\s+FISCHER REFERENCE\s+AGE$/m);
    expect(wide).toMatch(/^alpha\s+Flunder\s+beta\s+/m);
    const yaml = kubectl.ok(['get', 'flunder', 'alpha', '-o', 'yaml']);
    expect(yaml).toContain('apiVersion: wardle.example.com/v1beta1');
    expect(yaml).toContain('flunderReference: beta');
    expect(yaml).toMatch(/uid: [0-9a-f-]{36}/);
  });

  it('reads a v1alpha1 object back as v1beta1 and as v1alpha1', () => {
    kubectl.ok(['create', '-f', manifest('conv.yaml', flunderV1alpha1('conv', 'other'))]);
    const jp = (resource: string, path: string): string => kubectl.ok(['get', resource, 'conv', '-o', `jsonpath=${path}`]);
    expect(jp('flunders.v1beta1.wardle.example.com', '{.apiVersion} {.spec.flunderReference} {.spec.referenceType}')).toBe(
      'wardle.example.com/v1beta1 other Flunder',
    );
    expect(jp('flunders.v1alpha1.wardle.example.com', '{.apiVersion} {.spec.reference} {.spec.referenceType}')).toBe(
      'wardle.example.com/v1alpha1 other Flunder',
    );
  });

  it('applies a manifest twice, the second time with a change', () => {
    const file = join(files, 'applied.yaml');
    writeFileSync(file, flunderV1beta1('applied', '  referenceType: Flunder\n  flunderReference: one\n'));
    expect(kubectl.ok(['apply', '-f', file])).toBe('flunder.wardle.example.com/applied created\n');
    writeFileSync(file, flunderV1beta1('applied', '  referenceType: Flunder\n  flunderReference: two\n'));
    expect(kubectl.ok(['apply', '-f', file])).toBe('flunder.wardle.example.com/applied configured\n');
    expect(kubectl.ok(['apply', '-f', file])).toBe('flunder.wardle.example.com/applied unchanged\n');
    expect(kubectl.ok(['get', 'flunder', 'applied', '-o', 'jsonpath={.spec.flunderReference}'])).toBe('two');
  });

  it('patches with --type merge and --type json', () => {
    kubectl.ok(['create', '-f', manifest('patched.yaml', flunderV1alpha1('patched', 'a'))]);
    expect(kubectl.ok(['patch', 'flunder', 'patched', '--type', 'merge', '-p', '{"spec":{"flunderReference":"b"}}'])).toBe(
      'flunder.wardle.example.com/patched patched\n',
    );
    expect(kubectl.ok(['get', 'flunder', 'patched', '-o', 'jsonpath={.spec.flunderReference}'])).toBe('b');
    expect(
      kubectl.ok(['patch', 'flunder', 'patched', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/flunderReference","value":"c"}]']),
    ).toBe('flunder.wardle.example.com/patched patched\n');
    expect(kubectl.ok(['get', 'flunder', 'patched', '-o', 'jsonpath={.spec.flunderReference}'])).toBe('c');
    expect(kubectl.ok(['patch', 'flunder', 'patched', '--type', 'merge', '-p', '{"spec":{"flunderReference":"c"}}'])).toBe(
      'flunder.wardle.example.com/patched patched (no change)\n',
    );
  });

  it('labels and annotates, and selects by label', () => {
    kubectl.ok(['create', '-f', manifest('tagged.yaml', flunderV1alpha1('tagged', 'a'))]);
    expect(kubectl.ok(['label', 'flunder', 'tagged', 'tier=gold'])).toBe('flunder.wardle.example.com/tagged labeled\n');
    expect(kubectl.ok(['annotate', 'flunder', 'tagged', 'note=hello'])).toBe('flunder.wardle.example.com/tagged annotated\n');
    expect(kubectl.ok(['get', 'flunders', '-l', 'tier=gold', '-o', 'name'])).toBe('flunder.wardle.example.com/tagged\n');
    expect(kubectl.ok(['get', 'flunders', '-l', 'tier in (silver)', '-o', 'name'])).toBe('');
    expect(kubectl.ok(['get', 'flunder', 'tagged', '-o', 'jsonpath={.metadata.annotations.note}'])).toBe('hello');
  });

  it('edits with KUBE_EDITOR', () => {
    kubectl.ok(['create', '-f', manifest('edited.yaml', flunderV1alpha1('edited', 'before'))]);
    const editor = join(files, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/flunderReference: before/flunderReference: after/" "$1"\n');
    chmodSync(editor, 0o755);
    expect(kubectl.ok(['edit', 'flunder', 'edited'], { env: { KUBE_EDITOR: editor } })).toBe('flunder.wardle.example.com/edited edited\n');
    expect(kubectl.ok(['get', 'flunder', 'edited', '-o', 'jsonpath={.spec.flunderReference}'])).toBe('after');
  });

  it('deletes, and wait --for=delete returns once finalizers are gone', async () => {
    const doomed = flunderV1alpha1('doomed', 'a').replace('  namespace: default\n', '  namespace: default\n  finalizers: ["example.com/hold"]\n');
    kubectl.ok(['create', '-f', manifest('doomed.yaml', doomed)]);
    expect(kubectl.ok(['delete', 'flunder', 'doomed', '--wait=false'])).toBe('flunder.wardle.example.com "doomed" deleted\n');
    expect(kubectl.ok(['get', 'flunder', 'doomed', '-o', 'jsonpath={.metadata.deletionTimestamp}'])).toMatch(/^\d{4}-\d\d-\d\dT/);
    const waiting = kubectl.stream(['wait', '--for=delete', 'flunder/doomed', '--timeout=60s']);
    await new Promise((r) => setTimeout(r, 1000));
    kubectl.ok(['patch', 'flunder', 'doomed', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    expect(await waiting.waitFor((l) => l.includes('condition met'))).toBe('flunder.wardle.example.com/doomed condition met');
    expect(kubectl.fails(['get', 'flunder', 'doomed'])).toContain('Error from server (NotFound): flunders.wardle.example.com "doomed" not found');
  });

  it('deletes at once with --cascade=foreground and =orphan when no garbage collector runs (--enable-garbage-collector=false)', () => {
    for (const cascade of ['foreground', 'orphan']) {
      kubectl.ok(['create', '-f', manifest(`${cascade}.yaml`, flunderV1alpha1(`cascade-${cascade}`, 'a'))]);
      // kubectl waits until the object is gone: with the garbage collector's finalizer set and no collector, for good.
      expect(kubectl.ok(['delete', 'flunder', `cascade-${cascade}`, `--cascade=${cascade}`, '--timeout=20s'])).toBe(`flunder.wardle.example.com "cascade-${cascade}" deleted\n`);
      expect(kubectl.fails(['get', 'flunder', `cascade-${cascade}`])).toContain(`Error from server (NotFound): flunders.wardle.example.com "cascade-${cascade}" not found`);
    }
  });

  it('streams ADDED, MODIFIED and DELETED to get -w', async () => {
    const watch = kubectl.stream(['get', 'flunders', '-w', '--output-watch-events', '-l', 'watched=yes']);
    await new Promise((r) => setTimeout(r, 1500));
    kubectl.ok(['create', '-f', manifest('watched.yaml', flunderV1alpha1('watched', 'a').replace('  namespace: default\n', '  namespace: default\n  labels:\n    watched: "yes"\n'))]);
    await watch.waitFor((l) => /^ADDED\s+watched\s/.test(l));
    kubectl.ok(['patch', 'flunder', 'watched', '--type', 'merge', '-p', '{"spec":{"flunderReference":"b"}}']);
    await watch.waitFor((l) => /^MODIFIED\s+watched\s/.test(l));
    kubectl.ok(['delete', 'flunder', 'watched']);
    await watch.waitFor((l) => /^DELETED\s+watched\s/.test(l));
    await watch.stop();
  });

  it('explains flunders.spec from the OpenAPI v3 document', () => {
    const out = kubectl.ok(['explain', 'flunders.spec']);
    expect(out).toMatch(/KIND:\s+Flunder/);
    expect(out).toMatch(/VERSION:\s+v1beta1/);
    expect(out).toContain('flunderReference');
    expect(out).toContain('referenceType');
    const alpha = kubectl.ok(['explain', 'flunders.spec', '--api-version=wardle.example.com/v1alpha1']);
    expect(alpha).toMatch(/\breference\b/);
  });

  it('runs --dry-run=server without storing anything', () => {
    const file = manifest('dry.yaml', flunderV1alpha1('dry', 'a'));
    expect(kubectl.ok(['create', '-f', file, '--dry-run=server'])).toBe('flunder.wardle.example.com/dry created (server dry run)\n');
    expect(kubectl.fails(['get', 'flunder', 'dry'])).toContain('Error from server (NotFound): flunders.wardle.example.com "dry" not found');
  });

  it('refuses a Flunder whose name a Fischer disallows (admission)', () => {
    const fischer = manifest('fischer.yaml', 'apiVersion: wardle.example.com/v1alpha1\nkind: Fischer\nmetadata:\n  name: strict\ndisallowedFlunders: ["banned"]\n');
    expect(kubectl.ok(['create', '-f', fischer])).toBe('fischer.wardle.example.com/strict created\n');
    const file = manifest('banned.yaml', flunderV1alpha1('banned', 'a'));
    expect(kubectl.fails(['create', '-f', file])).toContain(
      `Error from server (Forbidden): error when creating "${file}": flunders.wardle.example.com "banned" is forbidden: this name may not be used, please change the resource name`,
    );
  });

  it('prints AlreadyExists, NotFound, Conflict and Invalid as kube-apiserver does', () => {
    const file = manifest('dup.yaml', flunderV1alpha1('dup', 'a'));
    kubectl.ok(['create', '-f', file]);
    expect(kubectl.fails(['create', '-f', file])).toContain(
      `Error from server (AlreadyExists): error when creating "${file}": flunders.wardle.example.com "dup" already exists`,
    );
    expect(kubectl.fails(['get', 'flunder', 'nope'])).toContain('Error from server (NotFound): flunders.wardle.example.com "nope" not found');

    const stale = manifest('stale.json', kubectl.ok(['get', 'flunder', 'dup', '-o', 'json']));
    kubectl.ok(['label', 'flunder', 'dup', 'changed=yes']);
    expect(kubectl.fails(['replace', '-f', stale])).toContain(
      `Error from server (Conflict): error when replacing "${stale}": Operation cannot be fulfilled on flunders.wardle.example.com "dup": the object has been modified; please apply your changes to the latest version and try again`,
    );

    const invalid = manifest('invalid.yaml', flunderV1beta1('bad', '  referenceType: Fischer\n'));
    expect(kubectl.fails(['create', '-f', invalid])).toContain(
      `The Flunder "bad" is invalid: spec.fischerReference: Invalid value: "": cannot be empty if referenceType is Fischer`,
    );
    const badName = manifest('badname.yaml', flunderV1alpha1('Bad_Name', 'a'));
    expect(kubectl.fails(['create', '-f', badName])).toContain('The Flunder "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain');
  });

  it('says "no matches for kind" for a version the server does not serve (kubectl reads /openapi/v2 as protobuf for it)', () => {
    const file = manifest('unserved.yaml', 'apiVersion: wardle.example.com/v9\nkind: Flunder\nmetadata:\n  name: unserved\n  namespace: default\n');
    const stderr = kubectl.fails(['create', '-f', file]);
    expect(stderr).toContain('no matches for kind "Flunder" in version "wardle.example.com/v9"');
    expect(stderr).not.toContain('failed to download openapi');
    // It got there through the protobuf document (406 before kapi served it).
    expect(kubectl.ok(['get', '--raw', '/metrics'])).toMatch(/apiserver_request_total\{verb="GET"[^}]*subresource="\/openapi\/v2"[^}]*code="200"\} [1-9]/);
  });

  it('refuses unknown fields under --validate=strict (the default), and warns under --validate=warn', () => {
    const file = manifest('unknown.yaml', flunderV1alpha1('unknown', 'a') + '  color: blue\n');
    expect(kubectl.fails(['create', '-f', file])).toContain('unknown field "spec.color"');
    const warned = kubectl.run(['create', '-f', file, '--validate=warn']);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('Warning: unknown field "spec.color"');
    expect(kubectl.ok(['get', 'flunder', 'unknown', '-o', 'json'])).not.toContain('color');
  });

  describe('bad input over the wire', () => {
    let raw: RawClient;
    const flunders = '/apis/wardle.example.com/v1beta1/namespaces/default/flunders';
    beforeAll(() => {
      raw = new RawClient(server.url, server.dir);
      kubectl.ok(['create', '-f', manifest('keeper.yaml', flunderV1alpha1('keeper', 'kept'))]);
    });
    afterEach(() => {
      // Whatever was sent, the stored object is unchanged.
      expect(kubectl.ok(['get', 'flunder', 'keeper', '-o', 'jsonpath={.spec.flunderReference}'])).toBe('kept');
    });

    const expectStatus = (res: { status: number; json: <T>() => T }, code: number, reason: string): void => {
      expect(res.status).toBe(code);
      expect(res.json()).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
    };

    it('answers malformed JSON and YAML with 400', async () => {
      expectStatus(await raw.send('POST', flunders, '{"apiVersion": '), 400, 'BadRequest');
      expectStatus(await raw.send('POST', flunders, 'a: [b', { 'content-type': 'application/yaml' }), 400, 'BadRequest');
      expectStatus(await raw.send('PUT', `${flunders}/keeper`, '[1,2]'), 400, 'BadRequest');
    });

    it('answers a wrong apiVersion or kind with 400', async () => {
      const body = (apiVersion: string, kind: string) => JSON.stringify({ apiVersion, kind, metadata: { name: 'x' } });
      expectStatus(await raw.send('POST', flunders, body('wardle.example.com/v1alpha1', 'Flunder')), 400, 'BadRequest');
      expectStatus(await raw.send('POST', flunders, body('wardle.example.com/v1beta1', 'Fischer')), 400, 'BadRequest');
    });

    it('answers a body over 3 MiB with 413', async () => {
      const huge = JSON.stringify({ apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name: 'huge' }, spec: { flunderReference: 'x'.repeat(4 * 1024 * 1024) } });
      expectStatus(await raw.send('POST', flunders, huge), 413, 'RequestEntityTooLarge');
    });

    it('answers bad selectors and a bad continue token with 400', async () => {
      expectStatus(await raw.send('GET', `${flunders}?labelSelector=${encodeURIComponent('a in (b')}`), 400, 'BadRequest');
      expectStatus(await raw.send('GET', `${flunders}?fieldSelector=spec.color%3Dblue`), 400, 'BadRequest');
      expectStatus(await raw.send('GET', `${flunders}?limit=1&continue=not-a-token`), 400, 'BadRequest');
    });

    it('answers strategic merge and unknown patch types with 415', async () => {
      const patch = '{"spec":{"flunderReference":"changed"}}';
      expectStatus(await raw.send('PATCH', `${flunders}/keeper`, patch, { 'content-type': 'application/strategic-merge-patch+json' }), 415, 'UnsupportedMediaType');
      expectStatus(await raw.send('PATCH', `${flunders}/keeper`, patch, { 'content-type': 'text/plain' }), 415, 'UnsupportedMediaType');
    });

    it('answers a request without a client certificate with 401', async () => {
      const anonymous = new RawClient(server.url, server.dir, false);
      expectStatus(await anonymous.send('GET', flunders), 401, 'Unauthorized');
      expect((await anonymous.send('GET', '/readyz')).status).toBe(200);
    });
  });
});
