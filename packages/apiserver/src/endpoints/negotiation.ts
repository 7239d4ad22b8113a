/**
 * Accept negotiation for resource responses (k8s.io/apiserver/pkg/endpoints/handlers/negotiation):
 * plain objects as JSON or YAML, or a meta.k8s.io transform (Table, PartialObjectMetadata[List])
 * asked for with `;as=<Kind>;g=meta.k8s.io;v=v1|v1beta1`.
 */
import { newNotAcceptable } from '@kapi/apimachinery';
import { parseAccept, type AcceptClause } from '../http/accept.js';
import type { WireFormat } from '../http/responses.js';

export type MetaTransform = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';

export interface OutputTarget {
  format: WireFormat;
  /** Absent: the object itself, in the request's version. */
  transform?: { kind: MetaTransform; version: 'v1' | 'v1beta1' };
  /** The Content-Type to answer with. */
  contentType: string;
}

export const ACCEPTED_MEDIA_TYPES = ['application/json', 'application/yaml'];

function formatOf(clause: AcceptClause): WireFormat | undefined {
  if (clause.type === '*' && clause.subtype === '*') return 'json';
  if (clause.type !== 'application') return undefined;
  if (clause.subtype === 'json' || clause.subtype === '*') return 'json';
  if (clause.subtype === 'yaml') return 'yaml';
  return undefined;
}

const TRANSFORMS: readonly MetaTransform[] = ['Table', 'PartialObjectMetadata', 'PartialObjectMetadataList'];

/**
 * The first acceptable clause wins; none → 406 NotAcceptable. An empty Accept means JSON.
 * `allowTransforms: false` (e.g. /scale, which has no table convertor) skips `as=` clauses.
 */
export function negotiateOutput(acceptHeader: string | undefined, allowTransforms = true): OutputTarget {
  // Clients send the same few Accept headers over and over: their answers are remembered (frozen, shared).
  const key = `${allowTransforms ? 't' : 'n'}${acceptHeader ?? ''}`;
  const known = negotiated.get(key);
  if (known) return known;
  const target = Object.freeze(negotiate(acceptHeader, allowTransforms));
  if (negotiated.size >= MAX_NEGOTIATED) negotiated.clear();
  negotiated.set(key, target);
  return target;
}

const MAX_NEGOTIATED = 256;
const negotiated = new Map<string, OutputTarget>();

function negotiate(acceptHeader: string | undefined, allowTransforms: boolean): OutputTarget {
  const clauses = parseAccept(acceptHeader);
  if (clauses.length === 0) return { format: 'json', contentType: 'application/json' };
  for (const clause of clauses) {
    const format = formatOf(clause);
    if (!format) continue;
    const base = format === 'yaml' ? 'application/yaml' : 'application/json';
    const as = clause.params['as'];
    if (as === undefined) return { format, contentType: base };
    const group = clause.params['g'];
    const version = clause.params['v'];
    if (!allowTransforms) continue;
    if (group !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) continue;
    if (!(TRANSFORMS as readonly string[]).includes(as)) continue;
    return {
      format,
      transform: { kind: as as MetaTransform, version },
      contentType: `${base};as=${as};g=meta.k8s.io;v=${version}`,
    };
  }
  throw newNotAcceptable(`only the following media types are accepted: ${ACCEPTED_MEDIA_TYPES.join(', ')}`);
}

/** includeObject of metav1.TableOptions. */
export type IncludeObjectPolicy = 'None' | 'Metadata' | 'Object';
