/**
 * Declaring a kind once. A version's schema is written with TypeBox and its TypeScript type is
 * derived from it (`Static<>`), so the type and the schema are one text; the kind's plural and
 * singular are derived from its name where not given, as Go's meta.UnsafeGuessKindToResource does.
 *
 * TypeBox over json-schema-to-ts: the schema is an ordinary value built by functions (options carry
 * the x-kubernetes-* extensions), and the type follows from it without type-level parsing of a
 * large literal, which keeps `tsc` fast on big schemas.
 */
import { Type, type Static, type TObject, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox';
import type { KubeObject } from '@kapi/apimachinery';
import type { JSONSchemaProps, KindDefinition, VersionDefinition } from '../scheme/kind.js';

/** The object a version's schema describes, with apiVersion, kind and metadata. */
export type ObjectOf<S extends TSchema> = KubeObject & Static<S>;

/** A string restricted to `values`, as a structural schema writes it (`enum`, not TypeBox's anyOf of consts). */
export function StringEnum<const V extends readonly string[]>(values: V, options: { description?: string; default?: V[number] } = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

/** A version whose schema is a TypeBox object; its object type is ObjectOf<the schema>. */
export interface TypedVersion<S extends TObject, Hub extends KubeObject> extends Omit<VersionDefinition<ObjectOf<S>, Hub>, 'schema'> {
  schema: S;
}

/** A VersionDefinition from a TypeBox schema: the schema is the kind's, the type its Static. */
export function defineVersion<S extends TObject<TProperties>, Hub extends KubeObject = ObjectOf<S>>(version: TypedVersion<S, Hub>): VersionDefinition<ObjectOf<S>, Hub> {
  // A TypeBox schema is a JSON schema with symbol-keyed markers, which validation and
  // serialization ignore.
  return { ...version, schema: version.schema as unknown as JSONSchemaProps };
}

/** Go's meta.UnsafeGuessKindToResource: the lower-cased kind, +es after s, y → ies, else +s. */
export function guessPlural(kind: string): string {
  const singular = kind.toLowerCase();
  if (singular.endsWith('s')) return `${singular}es`;
  if (singular.endsWith('y')) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}

/** A kind with `plural` and `singular` derived from its name when not given. */
export function defineKind<Hub extends KubeObject>(kind: Omit<KindDefinition<Hub>, 'plural'> & { plural?: string }): KindDefinition<Hub> {
  return { ...kind, plural: kind.plural ?? guessPlural(kind.kind), singular: kind.singular ?? kind.kind.toLowerCase() };
}
