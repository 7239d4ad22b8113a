/**
 * audit.k8s.io/v1 Events, built from plain request facts as k8s.io/apiserver fills them in
 * (pkg/audit/request.go, context.go, filters/audit.go and audit_init.go). Field order follows the
 * Go struct so the JSON lines read as kube-apiserver's do.
 */
import { randomUUID } from 'node:crypto';
import type { StatusDetails } from '@kapi/apimachinery';
import { formatIPv6Groups } from '../http/ip.js';
import { AUDIT_API_VERSION, levelAtLeast, type AuditAttributes, type AuditLevel, type AuditStage, type AuditUser } from './policy.js';

/** The request header a client may set its own audit ID with; the server echoes it in the response. */
export const AUDIT_ID_HEADER = 'Audit-ID';

const MAX_USER_AGENT_LENGTH = 1024;
const USER_AGENT_TRUNCATE_SUFFIX = '...TRUNCATED';

/** authentication.k8s.io/v1 UserInfo as an event carries it (empty fields omitted). */
export interface AuditUserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AuditObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

/** The metav1.Status fields an event keeps of a response (Go copies only these). */
export interface AuditResponseStatus {
  metadata: Record<string, never>;
  status?: string;
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: typeof AUDIT_API_VERSION;
  level: AuditLevel;
  auditID: string;
  stage: AuditStage;
  requestURI: string;
  verb: string;
  user: AuditUserInfo;
  impersonatedUser?: AuditUserInfo;
  authenticationMetadata?: { impersonationConstraint?: string };
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: AuditObjectReference;
  responseStatus?: AuditResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  /** RFC 3339 with microseconds, UTC (metav1.MicroTime). */
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/** A point in time: a Date, or epoch milliseconds whose fraction carries the microseconds. */
export type AuditTime = Date | number;

/** Now as epoch milliseconds with sub-millisecond precision (Date.now() has none). */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** metav1.MicroTime's JSON form: 2006-01-02T15:04:05.000000Z, always UTC. */
export function formatMicroTime(t: AuditTime): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  // Rounded to the microsecond: a float of epoch ms is only that precise anyway.
  const micros = Math.round(ms * 1000);
  const wholeMs = Math.floor(micros / 1000);
  const d = new Date(wholeMs);
  const fraction = micros - Math.floor(micros / 1_000_000) * 1_000_000;
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(fraction, 6)}Z`
  );
}

type HeaderValue = string | readonly string[] | undefined;

/** The first value of a header, as Go's Header.Get reads it (Node joins repeats; headersDistinct keeps them). */
function firstHeader(value: HeaderValue): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return value[0] ?? '';
}

/** The request's Audit-ID header as given (not truncated, as Go keeps it), or a new UUID. */
export function auditIDFor(header: HeaderValue): string {
  const given = firstHeader(header);
  return given !== '' ? given : randomUUID();
}

// ---- source IPs (k8s.io/apimachinery utilnet.SourceIPs) ----------------------------------------

/** Go's sloppy IPv4 parse: four decimal parts of at most 255, leading zeros allowed. */
function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return bytes;
}

/** 16 bytes of an IPv6 address (with an optional dotted IPv4 tail), or undefined. */
function parseIPv6(s: string): number[] | undefined {
  let head = s;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = v4;
    // Drop the colon before the IPv4 part unless it closes a "::".
    head = s.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = (16 - tail.length) / 2;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      // Go allows extra leading zeros as long as the group fits 16 bits.
      if (!/^[0-9a-fA-F]+$/.test(g)) return undefined;
      const n = parseInt(g, 16);
      if (n > 0xffff) return undefined;
      out.push(n);
    }
    return out;
  };
  const left = toGroups(halves[0]!);
  const right = halves.length === 2 ? toGroups(halves[1]!) : [];
  if (left === undefined || right === undefined) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = groupsWanted - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    if (left.length !== groupsWanted) return undefined;
    groups = left;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return [...bytes, ...tail];
}

/** Go's net.IP String(): IPv4 (also IPv4-mapped IPv6) dotted, IPv6 with the longest zero run as "::". */
function formatIP(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  const isV4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isV4Mapped) return bytes.slice(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return formatIPv6Groups(groups);
}

/** An IP address in Go's canonical form, or undefined when `s` is not one (Go's ParseIPSloppy, then String). */
export function canonicalIP(s: string): string | undefined {
  for (const ch of s) {
    if (ch === '.') {
      const v4 = parseIPv4(s);
      return v4 && formatIP(v4);
    }
    if (ch === ':') {
      const v6 = parseIPv6(s);
      return v6 && formatIP(v6);
    }
  }
  return undefined;
}

/** The host of "host:port" / "[v6]:port", as Go's net.SplitHostPort; undefined when it has no port. */
function hostOfHostPort(addr: string): string | undefined {
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    if (end < 0 || addr[end + 1] !== ':') return undefined;
    return addr.slice(1, end);
  }
  const i = addr.lastIndexOf(':');
  if (i < 0 || addr.indexOf(':') !== i) return undefined;
  return addr.slice(0, i);
}

export interface SourceIPsInput {
  /** X-Forwarded-For: the proxies' chain, left to right. */
  forwardedFor?: HeaderValue;
  /** X-Real-Ip. */
  realIP?: HeaderValue;
  /** The peer's address (Node's socket.remoteAddress, or Go-style "host:port"). */
  remoteAddress?: string;
}

/**
 * The client's addresses as Go's utilnet.SourceIPs lists them: every valid X-Forwarded-For entry,
 * X-Real-Ip unless already listed, then the peer address unless it repeats the last one.
 */
export function sourceIPs(input: SourceIPsInput): string[] {
  const ips: string[] = [];
  const forwarded = firstHeader(input.forwardedFor);
  if (forwarded !== '') {
    for (const part of forwarded.split(',')) {
      const ip = canonicalIP(part.trim());
      if (ip !== undefined) ips.push(ip);
    }
  }
  const realIP = firstHeader(input.realIP);
  if (realIP !== '') {
    const ip = canonicalIP(realIP);
    if (ip !== undefined && !ips.includes(ip)) ips.push(ip);
  }
  const remote = input.remoteAddress ?? '';
  const host = hostOfHostPort(remote);
  const remoteIP = (host !== undefined ? canonicalIP(host) : undefined) ?? canonicalIP(remote);
  // The peer cannot be spoofed, so it is always there, unless it is already the last hop.
  if (remoteIP !== undefined && (ips.length === 0 || ips[ips.length - 1] !== remoteIP)) ips.push(remoteIP);
  return ips;
}

// ---- objects --------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutOwnManagedFields(obj: JsonObject): JsonObject {
  const meta = obj['metadata'];
  if (!isObject(meta) || !('managedFields' in meta)) return obj;
  const { managedFields: _dropped, ...rest } = meta;
  return { ...obj, metadata: rest };
}

/**
 * A copy of an object without metadata.managedFields, also in a list's items and a Table's row
 * objects (Go's copyWithoutManagedFields). The input is not changed; other values come back as they are.
 */
export function withoutManagedFields(value: unknown): unknown {
  if (!isObject(value)) return value;
  let out = withoutOwnManagedFields(value);
  const items = out['items'];
  if (Array.isArray(items)) {
    out = { ...out, items: items.map((item: unknown) => (isObject(item) ? withoutOwnManagedFields(item) : item)) };
  }
  const rows = out['rows'];
  if (out['kind'] === 'Table' && Array.isArray(rows)) {
    out = {
      ...out,
      rows: rows.map((row: unknown) =>
        isObject(row) && isObject(row['object']) ? { ...row, object: withoutOwnManagedFields(row['object']) } : row,
      ),
    };
  }
  return out;
}

/**
 * The responseStatus of an event: the HTTP code, and when the response body is a metav1.Status
 * (errors, and deletes that answer one), its status, message, reason and details.
 */
export function responseStatusFor(code: number, responseBody?: unknown): AuditResponseStatus {
  if (!isObject(responseBody) || responseBody['kind'] !== 'Status') return { metadata: {}, code };
  const { status, message, reason, details } = responseBody;
  // Go's field order; the code is the one written, as Go's response writer sets it last.
  return {
    metadata: {},
    ...(typeof status === 'string' && status !== '' ? { status } : {}),
    ...(typeof message === 'string' && message !== '' ? { message } : {}),
    ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
    ...(isObject(details) ? { details: details as StatusDetails } : {}),
    code,
  };
}

function userInfo(user: AuditUser | undefined): AuditUserInfo {
  const info: AuditUserInfo = {};
  if (user === undefined) return info;
  // Empty fields are left out, as Go's omitempty does.
  if (user.username !== '') info.username = user.username;
  if (user.uid !== undefined && user.uid !== '') info.uid = user.uid;
  if (user.groups !== undefined && user.groups.length > 0) info.groups = [...user.groups];
  if (user.extra !== undefined && Object.keys(user.extra).length > 0) info.extra = { ...user.extra };
  return info;
}

function setIfNonEmpty<K extends keyof AuditObjectReference>(ref: AuditObjectReference, key: K, value: unknown): void {
  if (typeof value === 'string' && value !== '' && (ref[key] === undefined || ref[key] === '')) ref[key] = value;
}

function objectRefFor(attrs: AuditAttributes, requestObject: unknown): AuditObjectReference | undefined {
  if (!attrs.isResourceRequest) return undefined;
  const ref: AuditObjectReference = {};
  setIfNonEmpty(ref, 'resource', attrs.resource);
  setIfNonEmpty(ref, 'namespace', attrs.namespace);
  setIfNonEmpty(ref, 'name', attrs.name);
  // A create names its object in the body, not the URL; Go fills the reference from it.
  const meta = isObject(requestObject) ? requestObject['metadata'] : undefined;
  if (isObject(meta)) {
    setIfNonEmpty(ref, 'namespace', meta['namespace']);
    setIfNonEmpty(ref, 'name', meta['name']);
    setIfNonEmpty(ref, 'uid', meta['uid']);
  }
  setIfNonEmpty(ref, 'apiGroup', attrs.apiGroup);
  setIfNonEmpty(ref, 'apiVersion', attrs.apiVersion);
  if (isObject(meta)) setIfNonEmpty(ref, 'resourceVersion', meta['resourceVersion']);
  setIfNonEmpty(ref, 'subresource', attrs.subresource);
  return ref;
}

export interface AuditEventInput {
  /** The level the policy gave the request; None is never written. */
  level: AuditLevel;
  stage: AuditStage;
  auditID: string;
  /** The request's attributes: verb, user and, for resource requests, the object reference. */
  attributes: AuditAttributes;
  /** Path and query as sent (Go's URL.RequestURI()). */
  requestURI: string;
  sourceIPs: string[];
  userAgent?: string;
  /** The user the request acts as, when it impersonates one; `attributes.user` is the one who authenticated. */
  impersonatedUser?: AuditUser;
  impersonationConstraint?: string;
  requestReceivedTimestamp: AuditTime;
  /** When this stage happened; RequestReceived always uses requestReceivedTimestamp, as Go does. */
  stageTimestamp?: AuditTime;
  /** The decoded request body (create, update); kept at Request and RequestResponse. */
  requestObject?: unknown;
  /** A patch body, kept as sent at Request and RequestResponse (Go does not strip managedFields from it). */
  requestPatch?: unknown;
  /** The HTTP code and body once a response was decided; absent before (RequestReceived). */
  response?: { code: number; body?: unknown };
  /** The response body is kept only at RequestResponse. */
  responseObject?: unknown;
  /** From the policy: drop metadata.managedFields from the request and response objects. */
  omitManagedFields?: boolean;
  annotations?: Record<string, string>;
}

/** One audit event at one stage. Throws for level None: such requests are not audited at all. */
export function buildAuditEvent(input: AuditEventInput): AuditEvent {
  const { level, stage, attributes } = input;
  if (level === 'None') throw new Error('audit: an event at level None is never written');
  const stageTimestamp =
    stage === 'RequestReceived' ? input.requestReceivedTimestamp : (input.stageTimestamp ?? preciseNow());
  let userAgent = input.userAgent ?? '';
  if (userAgent.length > MAX_USER_AGENT_LENGTH) userAgent = userAgent.slice(0, MAX_USER_AGENT_LENGTH) + USER_AGENT_TRUNCATE_SUFFIX;

  const objectRef = objectRefFor(attributes, input.requestObject);
  const strip = (obj: unknown): unknown => (input.omitManagedFields === true ? withoutManagedFields(obj) : obj);
  let requestObject: unknown;
  if (levelAtLeast(level, 'Request')) {
    requestObject = input.requestPatch !== undefined ? input.requestPatch : strip(input.requestObject);
  }
  const responseObject =
    levelAtLeast(level, 'RequestResponse') && input.responseObject !== undefined ? strip(input.responseObject) : undefined;
  const impersonated = input.impersonatedUser;
  const constraint = input.impersonationConstraint ?? '';
  const annotations = input.annotations ?? {};

  // Built in the Go struct's field order; absent fields are left out as omitempty does.
  return {
    kind: 'Event',
    apiVersion: AUDIT_API_VERSION,
    level,
    auditID: input.auditID,
    stage,
    requestURI: input.requestURI,
    verb: attributes.verb,
    user: userInfo(attributes.user),
    ...(impersonated !== undefined ? { impersonatedUser: userInfo(impersonated) } : {}),
    ...(constraint !== '' ? { authenticationMetadata: { impersonationConstraint: constraint } } : {}),
    ...(input.sourceIPs.length > 0 ? { sourceIPs: [...input.sourceIPs] } : {}),
    ...(userAgent !== '' ? { userAgent } : {}),
    ...(objectRef !== undefined ? { objectRef } : {}),
    ...(input.response !== undefined ? { responseStatus: responseStatusFor(input.response.code, input.response.body) } : {}),
    ...(requestObject !== undefined ? { requestObject } : {}),
    ...(responseObject !== undefined ? { responseObject } : {}),
    requestReceivedTimestamp: formatMicroTime(input.requestReceivedTimestamp),
    stageTimestamp: formatMicroTime(stageTimestamp),
    ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
  };
}
