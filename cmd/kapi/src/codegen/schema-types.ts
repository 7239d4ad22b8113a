/**
 * TypeScript type text from a kind's structural schema (JSONSchemaProps, as CRDs write them):
 * what `kapi generate client` writes into a group/version's types.ts.
 */
import type { JSONSchemaProps } from '@kapi/apiserver/scheme';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A string literal in single quotes. */
export function quoted(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

/** A property name as TypeScript writes it (quoted when not an identifier). */
export function propertyName(name: string): string {
  return IDENTIFIER.test(name) ? name : quoted(name);
}

/** A JSDoc block for `text` at `indent` ('' when there is no text). */
export function docComment(text: string | undefined, indent: string): string {
  if (!text || text.trim() === '') return '';
  const lines = text.trim().replace(/\*\//g, '*\\/').split('\n');
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function literal(value: unknown): string {
  return typeof value === 'string' ? quoted(value) : value === null ? 'null' : JSON.stringify(value);
}

/** Wraps a union in parentheses where an array or another union needs it. */
function grouped(type: string): string {
  return /[|&]/.test(type) && !/^\{[\s\S]*\}$/.test(type) ? `(${type})` : type;
}

export interface TypeContext {
  /** Names given to some object schemas (by identity): a reference to the name is written instead of the shape. */
  names?: ReadonlyMap<JSONSchemaProps, string>;
  /** The type of an embedded resource's metadata (x-kubernetes-embedded-resource). */
  objectMeta: string;
}

/** The members of an object schema (`name?: type;` lines with their docs), at `indent`. */
export function objectMembers(schema: JSONSchemaProps, indent: string, ctx: TypeContext): string[] {
  const required = new Set(schema.required ?? []);
  const members: string[] = [];
  if (schema['x-kubernetes-embedded-resource']) {
    for (const field of ['apiVersion', 'kind']) {
      if (!schema.properties?.[field]) members.push(`${indent}${field}${required.has(field) ? '' : '?'}: string;`);
    }
    if (!schema.properties?.['metadata']) members.push(`${indent}metadata${required.has('metadata') ? '' : '?'}: ${ctx.objectMeta};`);
  }
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const type = typeOf(prop, indent, ctx);
    members.push(`${docComment(prop.description, indent)}${indent}${propertyName(name)}${required.has(name) ? '' : '?'}: ${type};`);
  }
  const extra = schema.additionalProperties;
  if (schema['x-kubernetes-preserve-unknown-fields'] || extra === true) {
    members.push(`${indent}[field: string]: unknown;`);
  } else if (extra && typeof extra === 'object') {
    members.push(`${indent}[key: string]: ${typeOf(extra, indent, ctx)};`);
  }
  return members;
}

/** The TypeScript type of a value of `schema`, laid out for nesting at `indent`. */
export function typeOf(schema: JSONSchemaProps, indent: string, ctx: TypeContext): string {
  const named = ctx.names?.get(schema);
  const base = named ?? shapeOf(schema, indent, ctx);
  return schema.nullable ? `${base} | null` : base;
}

function shapeOf(schema: JSONSchemaProps, indent: string, ctx: TypeContext): string {
  if (schema['x-kubernetes-int-or-string']) return 'number | string';
  if (schema.enum && schema.enum.length > 0 && schema.type !== 'object' && schema.type !== 'array') {
    return schema.enum.map(literal).join(' | ');
  }
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return schema.items ? `${grouped(typeOf(schema.items, indent, ctx))}[]` : 'unknown[]';
    case 'object':
      return objectShape(schema, indent, ctx);
    default:
      // No type: x-kubernetes-preserve-unknown-fields alone (any JSON value), or an embedded resource.
      if (schema.properties || schema['x-kubernetes-embedded-resource']) return objectShape(schema, indent, ctx);
      return 'unknown';
  }
}

function objectShape(schema: JSONSchemaProps, indent: string, ctx: TypeContext): string {
  const members = objectMembers(schema, `${indent}  `, ctx);
  if (members.length === 0) return schema.properties ? 'Record<string, never>' : '{ [field: string]: unknown }';
  return `{\n${members.join('\n')}\n${indent}}`;
}

/** `export interface <name> { ... }` for an object schema (with its description as the doc). */
export function interfaceOf(name: string, schema: JSONSchemaProps, ctx: TypeContext, extraMembers: string[] = [], doc = schema.description): string {
  const members = [...extraMembers, ...objectMembers(schema, '  ', ctx)];
  if (members.length === 0) return `${docComment(doc, '')}export interface ${name} {}\n`;
  return `${docComment(doc, '')}export interface ${name} {\n${members.join('\n')}\n}\n`;
}

/** Does `schema` describe an object with named fields (worth an interface of its own)? */
export function isObjectWithProperties(schema: JSONSchemaProps): boolean {
  return (schema.type === 'object' || schema.type === undefined) && schema.properties !== undefined && !schema.nullable && !schema['x-kubernetes-int-or-string'];
}
