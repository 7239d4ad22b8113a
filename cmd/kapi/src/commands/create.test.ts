import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { findProject, type Project } from '../project/model.js';
import type { Output } from '../ui.js';
import { createApi } from './create-api.js';
import { createVersion } from './create-version.js';
import { initProject } from './init.js';

const quiet: Output = { write: () => undefined };
function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const frigate = { group: 'ship', version: 'v1', kind: 'Frigate', namespaced: true, statusSubresource: true, scaleSubresource: false };

describe('kapi init / create api / create version', () => {
  let dir: string;
  let project: Project;
  const read = (path: string): string => readFileSync(join(dir, path), 'utf8');

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'kapi-create-')), 'fleet');
    project = initProject(dir, { domain: 'example.com' }, quiet);
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('records kinds and versions in kapi.json and registers them at the markers', () => {
    createApi(project, frigate, quiet);
    createApi(findProject(dir), { ...frigate, kind: 'Harbor', namespaced: false, statusSubresource: false }, quiet);
    createVersion(findProject(dir), { group: 'ship', version: 'v2', kind: 'Frigate' }, quiet);
    const model = findProject(dir).model;
    expect(model.kinds.map((k) => [k.kind, k.group, k.namespaced, k.hubVersion, k.versions])).toEqual([
      ['Frigate', 'ship.example.com', true, 'v1', ['v1', 'v2']],
      ['Harbor', 'ship.example.com', false, 'v1', ['v1']],
    ]);
    // main.ts lists the kinds, once each, on the builder; there is no other registry.
    const main = read('src/main.ts');
    expect(main).toMatch(/import \{ frigateKind \} from '\.\/apis\/ship\/frigate\.js';\nimport \{ harborKind \} from '\.\/apis\/ship\/harbor\.js';\n\/\/ \+kapi:scaffold:imports/);
    expect(main).toMatch(/apiServer\(\{ name: 'fleet', serviceHosts: SERVICE_HOSTS \}\)\n  \.withKind\(frigateKind\)\n  \.withKind\(harborKind\)\n  \/\/ \+kapi:scaffold:kinds\n  \.run\(\)/);
    expect(main).not.toMatch(/new Scheme|addKind|installStores|install\(/);
    expect(existsSync(join(dir, 'src/apis/index.ts'))).toBe(false);
    expect(read('src/apis/ship/frigate.ts')).toMatch(/frigateV1,\n    frigateV2,\n    \/\/ \+kapi:scaffold:versions/);
    expect(read('src/apis/ship/v2/frigate.ts')).toContain('toHub(obj)');
    expect(read('src/apis/ship/v2/frigate.test.ts')).toContain("scheme.convert(kind, hubObject, 'v2')");
    expect(read('src/apis/ship/harbor.ts')).toContain('namespaced: false');
  });

  it('names each kind in its own files and once in main.ts, nowhere else', () => {
    createApi(project, frigate, quiet);
    createApi(findProject(dir), { ...frigate, kind: 'Harbor', namespaced: false, statusSubresource: false }, quiet);
    createVersion(findProject(dir), { group: 'ship', version: 'v2', kind: 'Frigate' }, quiet);
    for (const [name, own] of [['frigateKind', /frigate(\.test)?\.ts$/], ['harborKind', /harbor(\.test)?\.ts$/]] as const) {
      const naming = listFiles(join(dir, 'src'))
        .filter((f) => readFileSync(f, 'utf8').includes(name))
        .map((f) => relative(dir, f))
        .filter((f) => !own.test(f));
      expect(naming).toEqual(['src/main.ts']);
      expect(read('src/main.ts').split(name).length - 1).toBe(2); // its import and its .withKind
    }
  });

  it('writes versions as TypeBox schemas with the type derived, and kinds with defineKind', () => {
    createApi(project, { ...frigate, scaleSubresource: true }, quiet);
    createVersion(findProject(dir), { group: 'ship', version: 'v2', kind: 'Frigate' }, quiet);
    const hub = read('src/apis/ship/v1/frigate.ts');
    expect(hub).toContain("import { Type } from '@sinclair/typebox';");
    expect(hub).toContain('export type FrigateV1 = ObjectOf<typeof schema>;');
    expect(hub).toContain("replicas: Type.Optional(Type.Integer({ minimum: 0, ");
    expect(hub).toContain('export const frigateV1 = defineVersion({');
    expect(hub).not.toMatch(/interface|VersionDefinition/);
    const spoke = read('src/apis/ship/v2/frigate.ts');
    expect(spoke).toContain('export const frigateV2 = defineVersion<typeof schema, FrigateV1>({');
    expect(spoke).toContain('export type FrigateV2 = ObjectOf<typeof schema>;');
    const kind = read('src/apis/ship/frigate.ts');
    expect(kind).toContain('export const frigateKind = defineKind<FrigateHub>({');
    expect(kind).not.toMatch(/plural|singular|KindDefinition/);
    expect(kind).toContain("scale: { specReplicasPath: '.spec.replicas'");
  });

  it('writes the plural out only where defineKind would guess another', () => {
    createApi(project, { ...frigate, kind: 'Box' }, quiet); // kapi's plural boxes; Go's guess boxs
    createApi(findProject(dir), { ...frigate, kind: 'Policy' }, quiet); // policies either way
    createApi(findProject(dir), { ...frigate, kind: 'Sloop', plural: 'sloopen' }, quiet);
    expect(read('src/apis/ship/box.ts')).toContain("kind: 'Box',\n  plural: 'boxes',\n  namespaced");
    expect(read('src/apis/ship/policy.ts')).not.toContain('plural');
    expect(read('src/apis/ship/sloop.ts')).toContain("plural: 'sloopen',");
    expect(read('src/apis/ship/sloop.test.ts')).toContain("toEqual(['sloopen', 'sloop'])");
  });

  it('does not serve a kind twice when its .withKind line was given options', () => {
    createApi(project, frigate, quiet);
    const main = read('src/main.ts')
      .replace('.withKind(frigateKind)', '.withKind(frigateKind, {\n    admission: () => [],\n  })')
      .replace("import { frigateKind } from './apis/ship/frigate.js';", "import { frigateKind, type FrigateHub } from './apis/ship/frigate.js';");
    writeFileSync(join(dir, 'src/main.ts'), main);
    createApi(findProject(dir), { ...frigate, force: true }, quiet);
    expect(read('src/main.ts')).toBe(main);
  });

  it('refuses to re-create a kind without --force, keeping user edits', () => {
    createApi(project, frigate, quiet);
    const edited = `${read('src/apis/ship/v1/frigate.ts')}\n// my edit\n`;
    writeFileSync(join(dir, 'src/apis/ship/v1/frigate.ts'), edited);
    expect(() => createApi(findProject(dir), frigate, quiet)).toThrow(/already exists/);
    expect(read('src/apis/ship/v1/frigate.ts')).toBe(edited);
    // --force regenerates the kind's files, overwriting the edit.
    createApi(findProject(dir), { ...frigate, force: true }, quiet);
    expect(read('src/apis/ship/v1/frigate.ts')).not.toContain('// my edit');
  });

  it('keeps edits to the kind module when adding a version', () => {
    createApi(project, frigate, quiet);
    const path = join(dir, 'src/apis/ship/frigate.ts');
    writeFileSync(path, read('src/apis/ship/frigate.ts').replace("categories: ['ship'],", "categories: ['ship', 'all'],"));
    createVersion(findProject(dir), { group: 'ship', version: 'v1beta1', kind: 'Frigate' }, quiet);
    expect(read('src/apis/ship/frigate.ts')).toContain("categories: ['ship', 'all'],");
    expect(read('src/apis/ship/frigate.ts')).toContain('frigateV1beta1,');
    expect(() => createVersion(findProject(dir), { group: 'ship', version: 'v1beta1', kind: 'Frigate' }, quiet)).toThrow(/already has v1beta1/);
  });

  it('tells what to do for an unknown kind or a second init', () => {
    expect(() => createVersion(project, { group: 'ship', version: 'v2', kind: 'Frigate' }, quiet)).toThrow(/no kind Frigate/);
    expect(() => initProject(dir, { domain: 'example.com' }, quiet)).toThrow(/already a kapi project/);
  });
});
