import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProject, type Project } from '../project/model.js';
import type { Output } from '../ui.js';
import { createApi } from './create-api.js';
import { createVersion } from './create-version.js';
import { initProject } from './init.js';

const quiet: Output = { write: () => undefined };
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
    expect(read('src/apis/index.ts')).toMatch(/scheme\.addKind\(frigateKind\);\n  scheme\.addKind\(harborKind\);\n  \/\/ \+kapi:scaffold:kinds/);
    expect(read('src/apis/ship/frigate.ts')).toMatch(/frigateV1,\n    frigateV2,\n    \/\/ \+kapi:scaffold:versions/);
    expect(read('src/apis/ship/v2/frigate.ts')).toContain('toHub(obj)');
    expect(read('src/apis/ship/v2/frigate.test.ts')).toContain("scheme.convert(kind, hubObject, 'v2')");
    expect(read('src/apis/ship/harbor.ts')).toContain('namespaced: false');
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
