/** src/apis/index.ts of a project: registers every kind; `kapi create api` adds at the markers. */
import type { KindModel, ProjectModel } from '../../project/model.js';
import { markerLine } from '../../project/writer.js';
import { kindNames } from '../api/names.js';

export const APIS_INDEX_PATH = 'src/apis/index.ts';

/** The import line `kapi create api` adds for a kind. */
export function kindImport(kind: KindModel): string {
  const n = kindNames(kind);
  return `import { ${n.kindVar} } from './${kind.groupDir}/${n.file}.js';`;
}

/** The registration line `kapi create api` adds for a kind. */
export function kindRegistration(kind: KindModel): string {
  return `scheme.addKind(${kindNames(kind).kindVar});`;
}

export function apisIndex(model: ProjectModel): string {
  return `/** Every kind this server serves. \`kapi create api\` adds lines at the +kapi:scaffold markers. */
import type { Scheme } from '@kapi/apiserver';
${model.kinds.map((k) => `${kindImport(k)}\n`).join('')}${markerLine('imports')}

/** Registers the kinds in a scheme (as a Go API group's AddToScheme). */
export function addToScheme(scheme: Scheme): Scheme {
${model.kinds.map((k) => `  ${kindRegistration(k)}\n`).join('')}  ${markerLine('kinds')}
  return scheme;
}
`;
}
