/**
 * src/apis/<group>/<version>/<kind>.ts: one version of a kind: its schema in TypeBox (the
 * TypeScript type is derived from it, so the two are one text), printer columns and defaulting;
 * a spoke version also converts to and from the hub.
 */
import type { JSONSchemaProps } from '@kapi/apiserver/scheme';
import type { KindModel } from '../../project/model.js';
import { kindNames } from './names.js';

export const DEFAULT_MESSAGE = 'Hello from kapi';

/** A field of the scaffold's schema: its JSON schema, from which both the TypeBox text and `kapi create api`'s first client are made. */
export interface ScaffoldField {
  name: string;
  schema: JSONSchemaProps;
}

/** `{ maxLength: 256, description: '…' }`: a schema's keywords but its type, as TypeBox options. */
function typeboxOptions(schema: JSONSchemaProps): string {
  const entries = Object.entries(schema).filter(([k]) => k !== 'type');
  if (entries.length === 0) return '';
  return `{ ${entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v)}`).join(', ')} }`;
}

/** The TypeBox text of a scalar field's schema. */
function typebox(schema: JSONSchemaProps): string {
  const fn = schema.type === 'integer' ? 'Integer' : schema.type === 'number' ? 'Number' : schema.type === 'boolean' ? 'Boolean' : 'String';
  return `Type.${fn}(${typeboxOptions(schema)})`;
}

/** `name: Type.Optional(<schema>),` lines of an object's properties, indented for the template. */
function properties(fields: readonly ScaffoldField[]): string {
  return fields.map((f) => `          ${f.name}: Type.Optional(${typebox(f.schema)}),`).join('\n');
}

export function specFields(kind: KindModel): ScaffoldField[] {
  const fields: ScaffoldField[] = [{ name: 'message', schema: { type: 'string', maxLength: 256, description: 'Free text; defaulted when not given, and may not be blank.' } }];
  if (kind.scaleSubresource) fields.push({ name: 'replicas', schema: { type: 'integer', minimum: 0, description: 'Desired number of replicas (the scale subresource reads and writes it).' } });
  return fields;
}

export function statusFields(kind: KindModel): ScaffoldField[] {
  const fields: ScaffoldField[] = [{ name: 'observedGeneration', schema: { type: 'integer', description: 'The generation a controller last acted on.' } }];
  if (kind.scaleSubresource) {
    fields.push({ name: 'replicas', schema: { type: 'integer', minimum: 0, description: 'Observed number of replicas.' } });
    fields.push({ name: 'selector', schema: { type: 'string', description: 'Label selector of the replicas, for the scale subresource.' } });
  }
  return fields;
}

/** The JSON schema the scaffold's TypeBox schema (below) is: what the server serves until the user edits it. */
export function scaffoldSchema(kind: KindModel): JSONSchemaProps {
  const object = (fields: ScaffoldField[], description: string): JSONSchemaProps => ({ type: 'object', description, properties: Object.fromEntries(fields.map((f) => [f.name, f.schema])) });
  return {
    type: 'object',
    description: `A ${kind.kind}. Describe it here: kubectl explain shows this text.`,
    properties: {
      spec: object(specFields(kind), `The desired state of the ${kind.kind}.`),
      status: object(statusFields(kind), `The observed state of the ${kind.kind}.`),
    },
  };
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
