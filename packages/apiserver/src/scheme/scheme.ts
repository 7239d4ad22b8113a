/**
 * The Scheme: every kind, its versions, and the way a request body in one version becomes a hub
 * object (decode) and a hub object becomes a response in any version (encode).
 */
import { apiVersionOf, newBadRequest, newInvalid, type KubeObject, deepCopy, isPlainObject } from '@kapi/apimachinery';
import type { Decoded, DecodeOptions, SchemeLike, ServedVersion } from './scheme-like.js';
import type { KindDefinition, VersionDefinition } from './kind.js';
import { checkKindDefinition } from './kind-checks.js';
import { objectSchemaFor } from './object-meta-schema.js';
import { applySchemaDefaults } from './schema-defaults.js';
import { blockedRulesError, rulesOf, type RuleValidator } from './schema-cel.js';
import { compileSchemaValidator, type SchemaValidator } from './schema-validator.js';
import { pruneUnknownFields } from './unknown-fields.js';

interface CompiledVersion {
  kind: KindDefinition;
  version: VersionDefinition;
  /** The version's schema with apiVersion, kind and metadata added. */
  schema: ReturnType<typeof objectSchemaFor>;
  validate: SchemaValidator;
  /** The schema's x-kubernetes-validations, compiled; absent when it has none. */
  rules: RuleValidator | undefined;
}

const versionKey = (group: string, version: string, name: string): string => `${group}/${version}/${name}`;

export class Scheme implements SchemeLike {
  private readonly registered: KindDefinition[] = [];
  /** group/version/plural → served version. */
  private readonly byResource = new Map<string, CompiledVersion>();
  /** group/version/Kind → every declared version (served or not). */
  private readonly byKind = new Map<string, CompiledVersion>();
  /** The same by kind definition and version name, without building a key (encode runs per object). */
  private readonly byDefinition = new WeakMap<KindDefinition, Map<string, CompiledVersion>>();

  get kinds(): readonly KindDefinition[] {
    return this.registered;
  }

  /** Registers a kind; throws when it is malformed or clashes with one already registered. */
  addKind<Hub extends KubeObject>(def: KindDefinition<Hub>): this {
    const kind = def as unknown as KindDefinition;
    checkKindDefinition(kind);
    for (const version of kind.versions) {
      const resourceKey = versionKey(kind.group, version.name, kind.plural);
      if (this.byResource.has(resourceKey) || this.byKind.has(versionKey(kind.group, version.name, kind.kind))) {
        throw new Error(`kind ${kind.kind}.${kind.group}: ${kind.group}/${version.name} ${kind.plural} is already registered`);
      }
    }
    for (const version of kind.versions) {
      const schema = objectSchemaFor(version.schema);
      const compiled: CompiledVersion = { kind, version, schema, validate: compileSchemaValidator(schema), rules: rulesOf(kind, version) };
      this.byKind.set(versionKey(kind.group, version.name, kind.kind), compiled);
      if (version.served !== false) this.byResource.set(versionKey(kind.group, version.name, kind.plural), compiled);
    }
    this.registered.push(kind);
    return this;
  }

  lookup(group: string, version: string, plural: string): ServedVersion | undefined {
    const compiled = this.byResource.get(versionKey(group, version, plural));
    return compiled && { kind: compiled.kind, version: compiled.version };
  }

  /** The kind registered under group and Kind name, if any. */
  lookupKind(group: string, kind: string): KindDefinition | undefined {
    return this.registered.find((k) => k.group === group && k.kind === kind);
  }

  decode(served: ServedVersion, body: unknown, opts: DecodeOptions): Decoded {
    const { kind, version } = served;
    const compiled = this.compiled(kind, version.name);
    if (!isPlainObject(body)) throw newBadRequest(`the body of the request must be a JSON object, not ${describeJson(body)}`);
    // Pruning and defaulting change the object: a body handed over by the caller is worked on in place.
    const obj = opts.owned ? body : deepCopy(body);
    checkTypeMeta(obj, kind, version.name);
    obj.apiVersion = apiVersionOf(kind.group, version.name);
    obj.kind = kind.kind;
    if (!isPlainObject(obj.metadata)) {
      if (obj.metadata !== undefined && obj.metadata !== null) {
        throw newBadRequest(`metadata: expected an object, got ${describeJson(obj.metadata)}`);
      }
      obj.metadata = {};
    }
    dropNullMembers(obj.metadata as Record<string, unknown>);

    const warnings: string[] = [];
    const unknown = pruneUnknownFields(obj, compiled.schema);
    if (unknown.length > 0) {
      const messages = unknown.map((path) => `unknown field ${JSON.stringify(path)}`);
      if (opts.fieldValidation === 'Strict') throw newBadRequest(`strict decoding error: ${messages.join(', ')}`);
      if (opts.fieldValidation === 'Warn') warnings.push(...messages);
    }

    applySchemaDefaults(obj, compiled.schema);
    const typed = obj as KubeObject;
    version.default?.(typed);
    const errors = compiled.validate(typed);
    if (errors.length > 0) {
      // x-kubernetes-validations run where the strategy validates (the Store, with the old object);
      // when the schema already fails they are reported here, beside its errors, as Go reports both.
      if (compiled.rules) {
        const blocked = blockedRulesError(errors);
        errors.push(...(blocked ? [blocked] : compiled.rules(typed).errors));
      }
      throw newInvalid(kind.group, kind.kind, typed.metadata.name ?? '', errors);
    }

    return { object: this.toHub(kind, version, typed), warnings };
  }

  /**
   * No copy is made: fromHub must not mutate its input (VersionDefinition), and the result (a new
   * top-level object) shares nested values with `hub`, which may be an object the watch cache
   * hands to every reader. Callers treat the result as read-only, and copy before changing it.
   */
  encode(kind: KindDefinition, hub: KubeObject, version: string): KubeObject {
    const target = this.compiled(kind, version).version;
    const converted = version === kind.hubVersion || !target.fromHub ? hub : target.fromHub(hub);
    return withTypeMeta(converted, apiVersionOf(kind.group, version), kind.kind);
  }

  /** Converts an object of `kind` from one of its versions to another (through the hub). */
  convert(kind: KindDefinition, obj: KubeObject, toVersion: string): KubeObject {
    const from = obj.apiVersion ? obj.apiVersion.slice(obj.apiVersion.indexOf('/') + 1) : kind.hubVersion;
    const hub = this.toHub(kind, this.compiled(kind, from).version, deepCopy(obj));
    return this.encode(kind, hub, toVersion);
  }

  private toHub(kind: KindDefinition, version: VersionDefinition, obj: KubeObject): KubeObject {
    const hub = version.name === kind.hubVersion || !version.toHub ? obj : version.toHub(obj);
    return withTypeMeta(hub, apiVersionOf(kind.group, kind.hubVersion), kind.kind);
  }

  private compiled(kind: KindDefinition, version: string): CompiledVersion {
    let versions = this.byDefinition.get(kind);
    if (!versions) this.byDefinition.set(kind, (versions = new Map()));
    let compiled = versions.get(version);
    if (!compiled) {
      compiled = this.byKind.get(versionKey(kind.group, version, kind.kind));
      if (!compiled) throw new Error(`kind ${kind.kind}.${kind.group} has no version ${version} in this scheme`);
      versions.set(version, compiled);
    }
    return compiled;
  }
}

/** apiVersion and kind first, as kube-apiserver orders them. */
function withTypeMeta(obj: KubeObject, apiVersion: string, kind: string): KubeObject {
  // The spread keeps the first two places (overwriting their values), which are then set again:
  // the same object as a rest-destructuring, at a fraction of its cost.
  const typed = { apiVersion, kind, ...obj };
  typed.apiVersion = apiVersion;
  typed.kind = kind;
  return typed;
}

function checkTypeMeta(obj: Record<string, unknown>, kind: KindDefinition, version: string): void {
  const expectedApiVersion = apiVersionOf(kind.group, version);
  const { apiVersion, kind: bodyKind } = obj;
  if (apiVersion !== undefined && apiVersion !== '' && apiVersion !== expectedApiVersion) {
    throw newBadRequest(
      `the API version in the data (${String(apiVersion)}) does not match the expected API version (${expectedApiVersion})`,
    );
  }
  if (bodyKind !== undefined && bodyKind !== '' && bodyKind !== kind.kind) {
    throw newBadRequest(`the kind in the data (${String(bodyKind)}) does not match the expected kind (${kind.kind})`);
  }
}

/** Go decodes JSON null into zero values; treat null metadata members as absent. */
function dropNullMembers(record: Record<string, unknown>): void {
  for (const key of Object.keys(record)) if (record[key] === null) delete record[key];
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
