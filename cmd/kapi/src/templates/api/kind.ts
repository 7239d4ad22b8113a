/**
 * src/apis/<group>/<kind>.ts: the kind's definition (defineKind): its versions (added at a scaffold
 * marker by `kapi create version`), hub version, scope, subresources and validation strategy.
 * Plural and singular are left to defineKind when its guess (Go's UnsafeGuessKindToResource) is
 * the model's; a plural the guess would not give is written out.
 */
import { guessPlural } from '@kapi/apiserver';
import type { KindModel } from '../../project/model.js';
import { markerLine } from '../../project/writer.js';
import { kindNames } from './names.js';

function subresources(kind: KindModel): string {
  const parts: string[] = [];
  if (kind.statusSubresource) parts.push('status: true');
  if (kind.scaleSubresource) parts.push(`scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' }`);
  return parts.length === 0 ? '' : `\n  subresources: { ${parts.join(', ')} },`;
}

/** The plural line, only when defineKind's guess is not the model's plural (e.g. boxes, not boxs). */
function plural(kind: KindModel): string {
  return kind.plural === guessPlural(kind.kind) ? '' : `\n  plural: '${kind.plural}',`;
}

/** The lines `kapi create version` adds to the kind module. */
export function versionImport(kind: KindModel, version: string): string {
  const n = kindNames(kind);
  return `import { ${n.versionVar(version)} } from './${version}/${n.file}.js';`;
}

export function versionEntry(kind: KindModel, version: string): string {
  return `${kindNames(kind).versionVar(version)},`;
}

export function kindModule(kind: KindModel): string {
  const n = kindNames(kind);
  const hub = kind.hubVersion;
  const scope = kind.namespaced ? 'namespaced' : 'cluster scoped';
  const subs = [kind.statusSubresource ? 'status' : '', kind.scaleSubresource ? 'scale' : ''].filter((s) => s !== '');
  const others = kind.versions.filter((v) => v !== hub);
  return `/** ${kind.kind} (${kind.group}): ${scope}, stored as ${hub}${subs.length > 0 ? `, with the ${subs.join(' and ')} subresource${subs.length > 1 ? 's' : ''}` : ''}. */
import type { FieldError } from '@kapi/apimachinery';
import { defineKind } from '@kapi/apiserver';
import { GROUP } from './group.js';
import { ${n.versionVar(hub)}, type ${n.versionType(hub)} } from './${hub}/${n.file}.js';
${others.map((v) => `${versionImport(kind, v)}\n`).join('')}${markerLine('imports')}

/** The hub (storage) version's type: every other version converts to and from it. */
export type ${n.hubType} = ${n.versionType(hub)};

/** Validation beyond the schema, in hub terms (the schema already checked types, lengths and enums). */
export function ${n.validateFn}(obj: ${n.hubType}): FieldError[] {
  const errs: FieldError[] = [];
  const message = obj.spec?.message;
  if (message !== undefined && message.trim() === '') {
    errs.push({ type: 'FieldValueRequired', field: 'spec.message', message: 'Required value: may not be blank' });
  }
  return errs;
}

export const ${n.kindVar} = defineKind<${n.hubType}>({
  group: GROUP,
  kind: '${kind.kind}',${plural(kind)}
  namespaced: ${kind.namespaced},
  categories: ['${kind.groupDir}'],
  /** In preference order: clients that do not ask for a version get the first. */
  versions: [
    ${versionEntry(kind, hub)}
${others.map((v) => `    ${versionEntry(kind, v)}\n`).join('')}    ${markerLine('versions')}
  ],
  hubVersion: '${hub}',${subresources(kind)}
  strategy: {
    validate: ${n.validateFn},
    validateUpdate: (obj) => ${n.validateFn}(obj),
  },
});
`;
}
