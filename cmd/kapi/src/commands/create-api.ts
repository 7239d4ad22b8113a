/** `kapi create api`: a new kind, with its first (hub) version and tests, served by main.ts's builder; the typed client (src/client) regenerated. */
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { findKind, saveModel, type KindModel, type Project } from '../project/model.js';
import { checkKind, checkPlural, checkVersion, pluralize, resolveGroup } from '../project/names.js';
import { writeFiles, type GeneratedFile, type Insertion } from '../project/writer.js';
import { conversionTest } from '../templates/api/conversion-test.js';
import { controllerModule, controllerPaths, controllerTest } from '../templates/api/controller.js';
import { CLIENT_DIR, projectClientFiles } from '../codegen/project-client.js';
import { writeClientFiles } from './generate-client.js';
import { groupModule } from '../templates/api/group.js';
import { kindModule } from '../templates/api/kind.js';
import { kindTest } from '../templates/api/kind-test.js';
import { kindNames } from '../templates/api/names.js';
import { versionModule } from '../templates/api/version.js';
import { MAIN_PATH, kindImport, kindImported, kindRegistered, kindRegistration } from '../templates/project/main.js';
import { reportFile, type Output } from '../ui.js';

export interface CreateApiOptions {
  group: string;
  version: string;
  kind: string;
  plural?: string;
  namespaced: boolean;
  statusSubresource: boolean;
  scaleSubresource: boolean;
  force?: boolean;
}

/** Every file a kind owns, as the model describes it now (so --force regenerates them all the same way). */
export function kindFiles(kind: KindModel): GeneratedFile[] {
  const n = kindNames(kind);
  const files: GeneratedFile[] = [
    { path: n.groupModule, content: groupModule(kind.group) },
    { path: n.kindModule, content: kindModule(kind) },
    { path: n.kindTest, content: kindTest(kind) },
  ];
  for (const version of kind.versions) {
    files.push({ path: n.versionModule(version), content: versionModule(kind, version) });
    if (version !== kind.hubVersion) files.push({ path: n.versionTest(version), content: conversionTest(kind, version) });
  }
  // The example controller writes status.observedGeneration, which only a status subresource keeps
  // from changing the generation (as for a CRD): kinds without one get none.
  if (kind.statusSubresource) {
    const c = controllerPaths(kind);
    files.push({ path: c.module, content: controllerModule(kind) }, { path: c.test, content: controllerTest(kind) });
  }
  return files;
}

export function createApi(project: Project, opts: CreateApiOptions, out: Output): KindModel {
  const { group, short } = resolveGroup(opts.group, project.model.domain);
  const version = checkVersion(opts.version);
  const kindName = checkKind(opts.kind);
  const existing = findKind(project.model, group, kindName);
  if (existing && !opts.force) {
    throw new CliError(
      `${kindName}.${group} already exists (versions ${existing.versions.join(', ')}); nothing was written`,
      `add a version with \`kapi create version --group ${opts.group} --version <v> --kind ${kindName}\`, or re-run with --force to regenerate its files (edited ones are overwritten)`,
    );
  }
  const plural = checkPlural(opts.plural ?? pluralize(kindName));
  const clash = project.model.kinds.find((k) => k.group === group && k.plural === plural && k.kind !== kindName);
  if (clash) throw new CliError(`${plural}.${group} is already the plural of ${clash.kind}`, 'pass another --plural');

  const kind: KindModel = existing
    ? { ...existing, namespaced: opts.namespaced, statusSubresource: opts.statusSubresource, scaleSubresource: opts.scaleSubresource, plural }
    : {
        group,
        groupDir: short,
        kind: kindName,
        plural,
        namespaced: opts.namespaced,
        statusSubresource: opts.statusSubresource,
        scaleSubresource: opts.scaleSubresource,
        hubVersion: version,
        versions: [version],
      };
  const dirClash = project.model.kinds.find((k) => k.groupDir === kind.groupDir && k.group !== group);
  if (dirClash) throw new CliError(`src/apis/${short} already holds the group ${dirClash.group}`, `use a group whose first label is not "${short}"`);

  // main.ts is the one place the kinds are listed: the import and the builder's .withKind.
  const insertions: Insertion[] = [
    { path: MAIN_PATH, marker: 'imports', lines: [kindImport(kind)], present: kindImported(kind) },
    { path: MAIN_PATH, marker: 'kinds', lines: [kindRegistration(kind)], present: kindRegistered(kind) },
  ];
  out.write(`Adding ${kind.kind}.${group} ${version} (${kind.namespaced ? 'namespaced' : 'cluster scoped'}${kind.statusSubresource ? ', status' : ''}${kind.scaleSubresource ? ', scale' : ''})\n`);
  writeFiles(kindFiles(kind), insertions, { root: project.dir, ledger: project.model.files, force: opts.force ?? false, onWrite: (r) => reportFile(out, r) });
  project.model.kinds = existing ? project.model.kinds.map((k) => (k === existing ? kind : k)) : [...project.model.kinds, kind];
  saveModel(project);
  writeClientFiles(join(project.dir, CLIENT_DIR), projectClientFiles(project), out, project.dir);
  out.write(`
Next: edit the schema (its type follows) and defaults in ${kindNames(kind).versionModule(kind.hubVersion)},
then \`npm run build\`, \`kapi generate client\` (the typed client in ${CLIENT_DIR} follows the schema), \`npm test\` and \`kapi run local\`.
`);
  return kind;
}
