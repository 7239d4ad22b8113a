/**
 * src/apis/<group>/<version>/<kind>.ts: one version of a kind: its TypeScript types, OpenAPI
 * schema, printer columns and defaulting; a spoke version also converts to and from the hub.
 */
import type { KindModel } from '../../project/model.js';
import { kindNames } from './names.js';

export const DEFAULT_MESSAGE = 'Hello from kapi';

function specFields(kind: KindModel): string {
  const lines = ['  /** Free text; defaulted when not given, and may not be blank. */', '  message?: string;'];
  if (kind.scaleSubresource) lines.push('  /** Desired number of replicas (the scale subresource reads and writes it). */', '  replicas?: number;');
  return lines.join('\n');
}

function statusFields(kind: KindModel): string {
  const lines = ['  /** The generation a controller last acted on. */', '  observedGeneration?: number;'];
  if (kind.scaleSubresource) {
    lines.push('  /** Observed number of replicas. */', '  replicas?: number;', '  /** Label selector of the replicas, for the scale subresource. */', '  selector?: string;');
  }
  return lines.join('\n');
}

function schema(kind: KindModel): string {
  const spec = [`          message: { type: 'string', maxLength: 256, description: 'Free text; defaulted when not given, and may not be blank.' },`];
  if (kind.scaleSubresource) spec.push(`          replicas: { type: 'integer', minimum: 0, description: 'Desired number of replicas.' },`);
  const status = [`          observedGeneration: { type: 'integer', description: 'The generation a controller last acted on.' },`];
  if (kind.scaleSubresource) {
    status.push(`          replicas: { type: 'integer', minimum: 0, description: 'Observed number of replicas.' },`);
    status.push(`          selector: { type: 'string', description: 'Label selector of the replicas.' },`);
  }
  return `  schema: {
    type: 'object',
    description: 'A ${kind.kind}. Describe it here: kubectl explain shows this text.',
    properties: {
      spec: {
        type: 'object',
        description: 'The desired state of the ${kind.kind}.',
        properties: {
${spec.join('\n')}
        },
      },
      status: {
        type: 'object',
        description: 'The observed state of the ${kind.kind}.',
        properties: {
${status.join('\n')}
        },
      },
    },
  },`;
}

function printerColumns(kind: KindModel): string {
  const cols = [`    { name: 'Message', type: 'string', jsonPath: '.spec.message', description: 'The message' },`];
  if (kind.scaleSubresource) cols.push(`    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', priority: 1 },`);
  cols.push(`    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },`);
  return `  printerColumns: [\n${cols.join('\n')}\n  ],`;
}

function defaulting(kind: KindModel): string {
  const lines = ['    obj.spec ??= {};', `    obj.spec.message ??= '${DEFAULT_MESSAGE}';`];
  if (kind.scaleSubresource) lines.push('    obj.spec.replicas ??= 1;');
  return `  /** Sets defaults on an object decoded in this version, before it is converted to the hub. */
  default(obj) {
${lines.join('\n')}
  },`;
}

/** The hub version's module, or a spoke's (with toHub/fromHub) when `version` is not the hub. */
export function versionModule(kind: KindModel, version: string): string {
  const n = kindNames(kind);
  const type = n.versionType(version);
  const isHub = version === kind.hubVersion;
  const hubType = n.versionType(kind.hubVersion);
  const imports = [`import type { KubeObject } from '@kapi/apimachinery';`, `import type { VersionDefinition } from '@kapi/apiserver';`];
  if (!isHub) {
    imports.push(`import { GROUP } from '../group.js';`);
    imports.push(`import type { ${hubType} } from '../${kind.hubVersion}/${n.file}.js';`);
  }
  const conversion = isHub
    ? ''
    : `
  // Conversion: this version ⇄ the hub (${kind.hubVersion}). While both have the same fields a copy does;
  // when you rename or restructure a field here, map it in both functions (the round-trip test checks them).
  /** ${version} → ${kind.hubVersion}. Must not mutate its input. */
  toHub(obj) {
    const hub: ${hubType} = { ...structuredClone(obj), apiVersion: \`\${GROUP}/${kind.hubVersion}\` };
    return hub;
  },
  /** ${kind.hubVersion} → ${version}. Must not mutate its input. */
  fromHub(hub) {
    const obj: ${type} = { ...structuredClone(hub), apiVersion: \`\${GROUP}/${version}\` };
    return obj;
  },`;
  return `/** ${kind.kind} ${kind.group}/${version}${isHub ? ' (the hub: objects are stored in this version)' : ''}: types, schema, printer columns, defaults${isHub ? '' : ', conversion'}. */
${imports.join('\n')}

export interface ${type}Spec {
${specFields(kind)}
}

export interface ${type}Status {
${statusFields(kind)}
}

export interface ${type} extends KubeObject {
  spec?: ${type}Spec;
  status?: ${type}Status;
}

export const ${n.versionVar(version)}: VersionDefinition<${type}, ${hubType}> = {
  name: '${version}',
${schema(kind)}
${printerColumns(kind)}
${defaulting(kind)}${conversion}
};
`;
}
