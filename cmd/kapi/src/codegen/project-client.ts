/**
 * The project's client as `kapi create api` and `kapi create version` write it: before the project
 * is built the CLI knows a new kind's (or version's) schema only as it scaffolded it, so each kind
 * comes from its built module when there is one (the user's schema as served) and from the
 * scaffold's schema otherwise. After editing a schema, `kapi generate client` reads the built kinds.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { KindDefinition } from '@kapi/apiserver/scheme';
import type { KindModel, Project } from '../project/model.js';
import { kindNames } from '../templates/api/names.js';
import { scaffoldSchema } from '../templates/api/version.js';
import { generateClient, type ClientFile } from './client.js';

export const CLIENT_DIR = 'src/client';

/** The built module (dist/…/<kind>.js) of a kind's source module (src/…/<kind>.ts). */
export function builtModuleOf(kind: KindModel): string {
  const source = kind.module ?? kindNames(kind).kindModule;
  return source.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js');
}

export function isKindDefinition(value: unknown): value is KindDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<KindDefinition>;
  return typeof v.group === 'string' && typeof v.kind === 'string' && typeof v.plural === 'string' && Array.isArray(v.versions);
}

/** The kind as `kapi create api` scaffolded it (every version with the scaffold's schema). */
export function scaffoldKind(kind: KindModel): KindDefinition {
  const subresources: NonNullable<KindDefinition['subresources']> = {
    ...(kind.statusSubresource ? { status: true } : {}),
    ...(kind.scaleSubresource ? { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } } : {}),
  };
  return {
    group: kind.group,
    kind: kind.kind,
    plural: kind.plural,
    namespaced: kind.namespaced,
    hubVersion: kind.hubVersion,
    versions: kind.versions.map((name) => ({ name, schema: scaffoldSchema(kind) })),
    subresources,
  };
}

/** The kind from its built module, when that exists and serves every version the model lists; else undefined. */
function builtKind(project: Project, kind: KindModel): KindDefinition | undefined {
  const file = join(project.dir, builtModuleOf(kind));
  if (!existsSync(file)) return undefined;
  try {
    const exported = (createRequire(file)(file) as Record<string, unknown>)[kindNames(kind).kindVar];
    if (!isKindDefinition(exported) || exported.kind !== kind.kind) return undefined;
    return kind.versions.every((v) => exported.versions.some((d) => d.name === v)) ? exported : undefined;
  } catch {
    return undefined;
  }
}

/** The client files of every kind of the project, each from its built module or its scaffold. */
export function projectClientFiles(project: Project): ClientFile[] {
  return generateClient(project.model.kinds.map((k) => builtKind(project, k) ?? scaffoldKind(k)));
}
