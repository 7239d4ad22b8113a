/**
 * What the endpoints need of a Scheme: decode a request's body to the hub, encode the hub to the
 * request's version, and look up what is served where.
 */
import type { KubeObject } from '@kapi/apimachinery';
import type { KindDefinition, VersionDefinition } from './kind.js';

/** How unknown and duplicate fields of a body are treated (metav1 fieldValidation). */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** A kind as served at one version: what discovery, OpenAPI and routing need. */
export interface ServedVersion {
  kind: KindDefinition;
  version: VersionDefinition;
}

export interface DecodeOptions {
  fieldValidation: FieldValidation;
  /**
   * The caller hands `body` over (e.g. a request body parsed for this call alone, which nothing
   * else references): decode may change it in place instead of working on a copy.
   */
  owned?: boolean;
}

export interface Decoded {
  /** The object converted to the hub version, defaulted, schema-validated. */
  object: KubeObject;
  /** Unknown or duplicate fields when fieldValidation=Warn. */
  warnings: string[];
}

export interface SchemeLike {
  /** Every kind, in registration order. */
  readonly kinds: readonly KindDefinition[];
  /** The kind served at group/version under the plural resource name, if any. */
  lookup(group: string, version: string, plural: string): ServedVersion | undefined;
  /**
   * Request body (already parsed JSON/YAML) in `version` → hub: checks apiVersion/kind (400),
   * unknown fields per fieldValidation (Strict: 400 BadRequest 'strict decoding error: unknown field "spec.x"'),
   * the version's schema (422 Invalid with causes), applies the version's defaults, converts to the hub.
   */
  decode(served: ServedVersion, body: unknown, opts: DecodeOptions): Decoded;
  /**
   * Hub → `version`, with apiVersion and kind set. Never mutates `hub`; the result may share nested
   * values with it (no copy is made), so it is read-only: copy it before changing it.
   */
  encode(kind: KindDefinition, hub: KubeObject, version: string): KubeObject;
}

