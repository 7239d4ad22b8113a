/**
 * src/apis/<group>/<version>/<kind>.ts: one version of a kind: its schema in TypeBox (the
 * TypeScript type is derived from it, so the two are one text), printer columns and defaulting;
 * a spoke version also converts to and from the hub.
 */
import type { KindModel } from '../../project/model.js';
import { kindNames } from './names.js';

export const DEFAULT_MESSAGE = 'Hello from kapi';

/** `name: Type.Optional(<schema>),` lines of an object's properties, indented for the template. */
function properties(fields: readonly [string, string][]): string {
  return fields.map(([name, schema]) => `          ${name}: Type.Optional(${schema}),`).join('\n');
}

function specFields(kind: KindModel): [string, string][] {
  const fields: [string, string][] = [['message', `Type.String({ maxLength: 256, description: 'Free text; defaulted when not given, and may not be blank.' })`]];
  if (kind.scaleSubresource) fields.push(['replicas', `Type.Integer({ minimum: 0, description: 'Desired number of replicas (the scale subresource reads and writes it).' })`]);
  return fields;
}

function statusFields(kind: KindModel): [string, string][] {
  const fields: [string, string][] = [['observedGeneration', `Type.Integer({ description: 'The generation a controller last acted on.' })`]];
  if (kind.scaleSubresource) {
    fields.push(['replicas', `Type.Integer({ minimum: 0, description: 'Observed number of replicas.' })`]);
    fields.push(['selector', `Type.String({ description: 'Label selector of the replicas, for the scale subresource.' })`]);
  }
  return fields;
}

function schema(kind: KindModel): string {
  return `/**
 * The schema: what the server prunes, defaults and validates against, what OpenAPI and
 * \`kubectl explain\` show, and (ObjectOf, below) the TypeScript type. apiVersion, kind and
 * metadata are added by the server. Properties are required unless Type.Optional.
 */
const schema = Type.Object(
  {
    spec: Type.Optional(
      Type.Object(
        {
${properties(specFields(kind))}
        },
        { description: 'The desired state of the ${kind.kind}.' },
      ),
    ),
    status: Type.Optional(
      Type.Object(
        {
${properties(statusFields(kind))}
        },
        { description: 'The observed state of the ${kind.kind}.' },
      ),
    ),
  },
  { description: 'A ${kind.kind}. Describe it here: kubectl explain shows this text.' },
);`;
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
  const imports = [`import { Type } from '@sinclair/typebox';`, `import { defineVersion, type ObjectOf } from '@kapi/apiserver';`];
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
  return `/** ${kind.kind} ${kind.group}/${version}${isHub ? ' (the hub: objects are stored in this version)' : ''}: schema and type, printer columns, defaults${isHub ? '' : ', conversion'}. */
${imports.join('\n')}

${schema(kind)}

/** A ${kind.kind} in ${version}: the schema's type (change the schema and the type follows). */
export type ${type} = ObjectOf<typeof schema>;

export const ${n.versionVar(version)} = defineVersion${isHub ? '' : `<typeof schema, ${hubType}>`}({
  name: '${version}',
  schema,
${printerColumns(kind)}
${defaulting(kind)}${conversion}
});
`;
}
