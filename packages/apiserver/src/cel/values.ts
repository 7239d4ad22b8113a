/**
 * JSON values ⇄ CEL values. JSON in: integral numbers are CEL `int`, others `double`; objects are
 * CEL maps with string keys (field selection and has() work on them); arrays are lists. Objects and
 * arrays are wrapped lazily: a member is converted when an expression reads it, so a rule that reads
 * one field of a large object converts one field.
 *
 * With a schema (a CRD-like structural schema, CelSchema) a value is typed as kube-apiserver types
 * it (k8s.io/apiserver/pkg/cel/common/valuesunstructured.go UnstructuredToVal): `number` is always
 * double, `integer` int, strings of format date-time/date are timestamps, duration durations, byte
 * bytes; objects with properties expose only their declared properties, under escaped names
 * (`x-y` → `x__dash__y`, `namespace` → `__namespace__`), null members as absent; the root of a
 * resource and embedded resources expose apiVersion, kind and metadata.name/generateName only.
 */
import {
  celList,
  isCelError,
  isCelList,
  isCelMap,
  isCelType,
  isCelUint,
  parse,
  plan,
  celEnv,
  type CelList,
  type CelValue,
} from '@bufbuild/cel';
import { isReflectMessage, type ReflectMessage } from '@bufbuild/protobuf/reflect';

/** The part of a structural schema (JSONSchemaProps) that types CEL values. */
export interface CelSchema {
  type?: string;
  format?: string;
  nullable?: boolean;
  properties?: Readonly<Record<string, CelSchema>>;
  additionalProperties?: CelSchema | boolean;
  items?: CelSchema;
  required?: readonly string[];
  maxLength?: number;
  maxItems?: number;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: readonly string[];
}

const MAP_MARK = Symbol.for('@bufbuild/cel/map');
const LIST_MARK = Symbol.for('@bufbuild/cel/list');

type MapKey = string | bigint | boolean;

/** A CelMap over a JSON object, converting members as they are read. */
class JsonMap {
  readonly [MAP_MARK] = {};
  constructor(
    private readonly obj: Readonly<Record<string, unknown>>,
    private readonly schema: CelSchema | undefined,
  ) {}

  get size(): number {
    return Object.keys(this.obj).length;
  }
  private member(key: string): CelValue | undefined {
    if (!Object.hasOwn(this.obj, key)) return undefined;
    const valueSchema = this.schema && typeof this.schema.additionalProperties === 'object' ? this.schema.additionalProperties : undefined;
    return toCelValue(this.obj[key], valueSchema);
  }
  get(key: MapKey | number | { value: bigint }): CelValue | undefined {
    return typeof key === 'string' ? this.member(key) : undefined;
  }
  has(key: MapKey | number | { value: bigint }): boolean {
    return typeof key === 'string' && Object.hasOwn(this.obj, key);
  }
  keys(): MapIterator<MapKey> {
    return Object.keys(this.obj)[Symbol.iterator]() as MapIterator<MapKey>;
  }
  *values(): MapIterator<CelValue> {
    for (const key of Object.keys(this.obj)) yield this.member(key) as CelValue;
  }
  *entries(): MapIterator<[MapKey, CelValue]> {
    for (const key of Object.keys(this.obj)) yield [key, this.member(key) as CelValue];
  }
  forEach(callback: (value: CelValue, key: MapKey, map: unknown) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
  [Symbol.iterator](): MapIterator<[MapKey, CelValue]> {
    return this.entries();
  }
}

/** What an object schema with properties shows to CEL: escaped name → property name and schema. */
interface ObjectView {
  byEscaped: Map<string, { name: string; schema: CelSchema }>;
  /** Property name → escaped name (absent: not accessible). */
  escapedOf: Map<string, string>;
}

const views = new WeakMap<CelSchema, ObjectView>();

const TYPE_META_PROPERTIES: Record<string, CelSchema> = {
  apiVersion: { type: 'string' },
  kind: { type: 'string' },
  metadata: { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } },
};

function viewOf(schema: CelSchema, resourceRoot: boolean): ObjectView {
  const cacheKey = resourceRoot ? withTypeAndObjectMeta(schema) : schema;
  let view = views.get(cacheKey);
  if (!view) {
    view = { byEscaped: new Map(), escapedOf: new Map() };
    for (const [name, propSchema] of Object.entries(cacheKey.properties ?? {})) {
      const escaped = escapeCelName(name);
      if (escaped === undefined) continue;
      view.byEscaped.set(escaped, { name, schema: propSchema });
      view.escapedOf.set(name, escaped);
    }
    views.set(cacheKey, view);
  }
  return view;
}

const rootSchemas = new WeakMap<CelSchema, CelSchema>();

/** The schema with apiVersion, kind and metadata (name, generateName) as a resource's root shows them (model.WithTypeAndObjectMeta). */
export function withTypeAndObjectMeta(schema: CelSchema): CelSchema {
  let root = rootSchemas.get(schema);
  if (!root) {
    root = { ...schema, properties: { ...schema.properties, ...TYPE_META_PROPERTIES } };
    rootSchemas.set(schema, root);
    rootSchemas.set(root, root);
  }
  return root;
}

/** A CelMap over a JSON object typed by an object schema with properties. */
class SchemaObject {
  readonly [MAP_MARK] = {};
  private readonly view: ObjectView;
  constructor(
    private readonly obj: Readonly<Record<string, unknown>>,
    schema: CelSchema,
    resourceRoot: boolean,
  ) {
    this.view = viewOf(schema, resourceRoot);
  }
  private presentKeys(): string[] {
    const keys: string[] = [];
    for (const name of Object.keys(this.obj)) {
      const escaped = this.view.escapedOf.get(name);
      if (escaped !== undefined && this.obj[name] !== null && this.obj[name] !== undefined) keys.push(escaped);
    }
    return keys;
  }
  get size(): number {
    return this.presentKeys().length;
  }
  get(key: MapKey | number | { value: bigint }): CelValue | undefined {
    if (typeof key !== 'string') return undefined;
    const prop = this.view.byEscaped.get(key);
    if (!prop || !Object.hasOwn(this.obj, prop.name)) return undefined;
    const value = this.obj[prop.name];
    if (value === null || value === undefined) return undefined;
    return toCelValue(value, prop.schema);
  }
  has(key: MapKey | number | { value: bigint }): boolean {
    return this.get(key) !== undefined;
  }
  keys(): MapIterator<MapKey> {
    return this.presentKeys()[Symbol.iterator]() as MapIterator<MapKey>;
  }
  *values(): MapIterator<CelValue> {
    for (const key of this.presentKeys()) yield this.get(key) as CelValue;
  }
  *entries(): MapIterator<[MapKey, CelValue]> {
    for (const key of this.presentKeys()) yield [key, this.get(key) as CelValue];
  }
  forEach(callback: (value: CelValue, key: MapKey, map: unknown) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
  [Symbol.iterator](): MapIterator<[MapKey, CelValue]> {
    return this.entries();
  }
}

/** A CelList over a JSON array, converting items as they are read. */
class JsonList {
  readonly [LIST_MARK] = {};
  constructor(
    private readonly items: readonly unknown[],
    private readonly itemSchema: CelSchema | undefined,
  ) {}
  get size(): number {
    return this.items.length;
  }
  get(index: number): CelValue | undefined {
    if (index < 0 || index >= this.items.length) return undefined;
    return toCelValue(this.items[index], this.itemSchema);
  }
  *values(): IterableIterator<CelValue> {
    for (let i = 0; i < this.items.length; i++) yield toCelValue(this.items[i], this.itemSchema);
  }
  [Symbol.iterator](): IterableIterator<CelValue> {
    return this.values();
  }
}

const CEL_RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import',
  'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);

/**
 * A property name as CEL expressions name it (k8s.io/apiserver/pkg/cel/escaping.go Escape):
 * undefined when it cannot be named (it starts with a digit or has other characters).
 */
export function escapeCelName(name: string): string | undefined {
  if (name === '' || (name[0]! >= '0' && name[0]! <= '9')) return undefined;
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  if (/[^a-zA-Z0-9_.\-/]/.test(name)) return undefined;
  return name.replace(/__|[-./]/g, (s) => (s === '__' ? '__underscores__' : s === '.' ? '__dot__' : s === '-' ? '__dash__' : '__slash__'));
}

// Timestamps and durations are made by CEL's own timestamp()/duration() (one parser for both).
let timestampProgram: ((ctx: { s: string }) => unknown) | undefined;
let durationProgram: ((ctx: { s: string }) => unknown) | undefined;

function celTimestamp(s: string): CelValue {
  timestampProgram ??= plan(celEnv(), parse('timestamp(s)')) as (ctx: { s: string }) => unknown;
  const value = timestampProgram({ s });
  if (isCelError(value)) throw new Error(`Invalid date-time formatted string ${s}: ${value.message}`);
  return value as CelValue;
}

function celDuration(s: string): CelValue {
  durationProgram ??= plan(celEnv(), parse('duration(s)')) as (ctx: { s: string }) => unknown;
  const value = durationProgram({ s });
  if (isCelError(value)) throw new Error(`Invalid duration ${s}: ${value.message}`);
  return value as CelValue;
}

/** A JSON value as a CEL value, typed by `schema` when one is given (dyn otherwise). */
export function toCelValue(value: unknown, schema?: CelSchema, resourceRoot = false): CelValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      if (schema?.type === 'number') return value;
      return Number.isInteger(value) ? BigInt(value) : value;
    case 'bigint':
      return value;
    case 'string':
      if (schema?.type === 'string') {
        switch (schema.format) {
          case 'date-time':
            return celTimestamp(value);
          case 'date':
            return celTimestamp(`${value}T00:00:00Z`);
          case 'duration':
            return celDuration(value);
          case 'byte':
            return new Uint8Array(Buffer.from(value, 'base64'));
        }
      }
      return value;
    case 'object':
      break;
    default:
      throw new Error(`not a JSON value: ${typeof value}`);
  }
  if (isCelValue(value)) return value;
  if (Array.isArray(value)) return asCel(new JsonList(value, schema?.items));
  const obj = value as Record<string, unknown>;
  if (schema && (schema.properties || schema['x-kubernetes-embedded-resource'] || resourceRoot)) {
    return asCel(new SchemaObject(obj, schema, resourceRoot || schema['x-kubernetes-embedded-resource'] === true));
  }
  return asCel(new JsonMap(obj, schema));
}

/** kapi's own lists, maps and opaque values are CEL values (CEL-ES recognises them by their marks). */
export function asCel(value: object): CelValue {
  return value as unknown as CelValue;
}

/** Already a CEL value (a list, map, uint, type, bytes or message made by CEL). */
function isCelValue(value: object): value is CelValue & object {
  return value instanceof Uint8Array || isCelList(value) || isCelMap(value) || isCelUint(value) || isCelType(value) || isReflectMessage(value);
}

function safeInt(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/**
 * A CEL value as plain JSON: int and uint as numbers when they are safe integers, else as decimal
 * strings; bytes as base64; timestamps as RFC 3339 strings, durations as Go prints them ("1m30s");
 * types as their names; maps as objects (keys as strings), lists as arrays.
 */
export function fromCelValue(value: CelValue | unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
    case 'number':
      return value;
    case 'bigint':
      return safeInt(value);
  }
  if (isOpaque(value)) return value.toJSON();
  if (isCelUint(value)) return safeInt(value.value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (isCelType(value)) return value.name;
  if (isCelList(value)) return Array.from(value, fromCelValue);
  if (isCelMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of value.entries()) out[String(isCelUint(key) ? key.value : key)] = fromCelValue(member);
    return out;
  }
  if (isReflectMessage(value)) return messageToJson(value);
  return String(value);
}

function messageToJson(msg: ReflectMessage): unknown {
  const m = msg.message as unknown as { seconds?: bigint; nanos?: number };
  if (msg.desc.typeName === 'google.protobuf.Timestamp') {
    const millis = Number(m.seconds ?? 0n) * 1000;
    const iso = new Date(millis).toISOString().replace(/\.\d{3}Z$/, '');
    const nanos = m.nanos ?? 0;
    return nanos ? `${iso}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z` : `${iso}Z`;
  }
  if (msg.desc.typeName === 'google.protobuf.Duration') return formatGoDuration(m.seconds ?? 0n, m.nanos ?? 0);
  return msg.desc.typeName;
}

/** A duration as Go's time.Duration.String() prints it ("1h2m3.5s", "0s"). */
export function formatGoDuration(seconds: bigint, nanos: number): string {
  let total = seconds * 1_000_000_000n + BigInt(nanos);
  if (total === 0n) return '0s';
  const sign = total < 0n ? '-' : '';
  if (total < 0n) total = -total;
  if (total < 1_000_000_000n) {
    const units: Array<[bigint, string]> = [
      [1_000_000n, 'ms'],
      [1_000n, 'µs'],
      [1n, 'ns'],
    ];
    for (const [size, unit] of units) {
      if (total >= size) return `${sign}${trimFraction(total, size)}${unit}`;
    }
  }
  const h = total / 3_600_000_000_000n;
  const m = (total / 60_000_000_000n) % 60n;
  const rest = total % 60_000_000_000n;
  let out = sign;
  if (h > 0n) out += `${h}h`;
  if (h > 0n || m > 0n) out += `${m}m`;
  return `${out}${trimFraction(rest, 1_000_000_000n)}s`;
}

function trimFraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const frac = value % unit;
  if (frac === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`;
}

// ---- opaque values (URL, Quantity, IP, CIDR, Format, optional) ---------------------------------

/**
 * A value of a type CEL-ES does not know. It is a CelMap with no entries to the evaluator, so it
 * flows through every operator without breaking it; the libraries' functions recognise it, and
 * == / != compare it with `equals`.
 */
export abstract class OpaqueValue {
  readonly [MAP_MARK] = {};
  abstract readonly typeName: string;
  abstract equals(other: OpaqueValue): boolean;
  abstract toJSON(): unknown;
  get size(): number {
    return 0;
  }
  get(): CelValue | undefined {
    return undefined;
  }
  has(): boolean {
    return false;
  }
  keys(): MapIterator<MapKey> {
    return ([] as MapKey[])[Symbol.iterator]() as MapIterator<MapKey>;
  }
  values(): MapIterator<CelValue> {
    return ([] as CelValue[])[Symbol.iterator]() as MapIterator<CelValue>;
  }
  entries(): MapIterator<[MapKey, CelValue]> {
    return ([] as Array<[MapKey, CelValue]>)[Symbol.iterator]() as MapIterator<[MapKey, CelValue]>;
  }
  forEach(): void {}
  [Symbol.iterator](): MapIterator<[MapKey, CelValue]> {
    return this.entries();
  }
}

export function isOpaque(value: unknown): value is OpaqueValue {
  return value instanceof OpaqueValue;
}

/** A plain array of CEL values as a CEL list. */
export function listOf(values: readonly CelValue[]): CelList {
  return celList(values as CelValue[]);
}
