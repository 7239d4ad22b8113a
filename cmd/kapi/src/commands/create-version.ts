/** `kapi create version`: another version of an existing kind, converted to and from its hub. */
import { join } from 'node:path';
import { CLIENT_DIR, projectClientFiles } from '../codegen/project-client.js';
import { CliError } from '../errors.js';
import { findKind, saveModel, type KindModel, type Project } from '../project/model.js';
import { writeClientFiles } from './generate-client.js';
import { checkKind, checkVersion, resolveGroup } from '../project/names.js';
import { writeFiles, type GeneratedFile, type Insertion } from '../project/writer.js';
import { conversionTest } from '../templates/api/conversion-test.js';
import { versionEntry, versionImport } from '../templates/api/kind.js';
import { kindNames } from '../templates/api/names.js';
import { versionModule } from '../templates/api/version.js';
import { reportFile, type Output } from '../ui.js';

export interface CreateVersionOptions {
  group: string;
  version: string;
  kind: string;
  force?: boolean;
}

export function createVersion(project: Project, opts: CreateVersionOptions, out: Output): KindModel {
  const { group } = resolveGroup(opts.group, project.model.domain);
  const version = checkVersion(opts.version);
  const kindName = checkKind(opts.kind);
  const existing = findKind(project.model, group, kindName);
  if (!existing) {
    throw new CliError(`there is no kind ${kindName}.${group} in this project`, `create it first: kapi create api --group ${opts.group} --version ${version} --kind ${kindName}`);
  }
  if (version === existing.hubVersion) {
    throw new CliError(`${version} is the hub (storage) version of ${kindName}; it has no conversion to make`, 'pick a new version name, e.g. v2 or v1beta1');
  }
  if (existing.versions.includes(version) && !opts.force) {
    throw new CliError(`${kindName}.${group} already has ${version}; nothing was written`, 're-run with --force to regenerate that version\'s files (edited ones are overwritten)');
  }
  const kind: KindModel = existing.versions.includes(version) ? existing : { ...existing, versions: [...existing.versions, version] };
  const n = kindNames(kind);
  const files: GeneratedFile[] = [
    { path: n.versionModule(version), content: versionModule(kind, version) },
    { path: n.versionTest(version), content: conversionTest(kind, version) },
  ];
  const insertions: Insertion[] = [
    { path: n.kindModule, marker: 'imports', lines: [versionImport(kind, version)] },
    { path: n.kindModule, marker: 'versions', lines: [versionEntry(kind, version)] },
  ];
  out.write(`Adding ${kindName}.${group} ${version}, converted to and from the hub ${kind.hubVersion}\n`);
  writeFiles(files, insertions, { root: project.dir, ledger: project.model.files, force: opts.force ?? false, onWrite: (r) => reportFile(out, r) });
  project.model.kinds = project.model.kinds.map((k) => (k === existing ? kind : k));
  saveModel(project);
  writeClientFiles(join(project.dir, CLIENT_DIR), projectClientFiles(project), out, project.dir);
  out.write(`
Next: change the ${version} types and schema in ${n.versionModule(version)} as this version should differ,
map the changed fields in its toHub/fromHub, and \`npm test\` runs the round trip.
`);
  return kind;
}
