/**
 * PATCH bodies applied to the current object as the client sees it (its request version), as
 * k8s.io/apiserver/pkg/endpoints/handlers/patch.go does: JSON patch (RFC 6902, ≤ 10000
 * operations, failures → 422) and JSON merge patch (RFC 7396). Strategic merge and anything
 * else → 415.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import * as mergePatch from 'json-merge-patch';
import { StatusError, newBadRequest, newRequestEntityTooLarge, newUnsupportedMediaType, deepCopy } from '@kapi/apimachinery';
import { parse as parseYaml } from 'yaml';
import { mediaTypeOf, parseJson } from './body.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';
/** In the order kube-apiserver lists them for a custom resource (the OpenAPI's consumes). */
export const SUPPORTED_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] as const;
export type PatchType = (typeof SUPPORTED_PATCH_TYPES)[number];

export const MAX_JSON_PATCH_OPERATIONS = 10000;

/** The patch type of a PATCH request's Content-Type; 415 for strategic merge and the rest. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const mediaType = mediaTypeOf(contentType);
  if ((SUPPORTED_PATCH_TYPES as readonly string[]).includes(mediaType)) return mediaType as PatchType;
  throw newUnsupportedMediaType(SUPPORTED_PATCH_TYPES.join(', '));
}

/** A parsed patch, checked for shape, ready to apply to any number of current objects. */
export type ParsedPatch =
  | { type: typeof JSON_PATCH; operations: Operation[] }
  | { type: typeof MERGE_PATCH; patch: Record<string, unknown> }
  | { type: typeof APPLY_PATCH; patch: Record<string, unknown> };

export function parsePatch(type: PatchType, body: Buffer): ParsedPatch {
  if (type === APPLY_PATCH) return { type, patch: parseApplyPatch(body) };
  const value = parsePatchJson(body);
  if (type === JSON_PATCH) {
    if (!Array.isArray(value)) throw newBadRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    if (value.length > MAX_JSON_PATCH_OPERATIONS) {
      throw newRequestEntityTooLarge(
        `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${value.length}`,
      );
    }
    if (!value.every((op) => typeof op === 'object' && op !== null && !Array.isArray(op))) {
      throw newBadRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    }
    return { type, operations: value as Operation[] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw newBadRequest('Invalid JSON Patch');
  return { type, patch: value as Record<string, unknown> };
}

/**
 * An apply patch: YAML (JSON is YAML too), one document, an object (applyPatcher's
 * yaml.Unmarshal into a map: "error decoding YAML" otherwise).
 */
function parseApplyPatch(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(body.toString('utf8'), { uniqueKeys: false, maxAliasCount: 100 });
  } catch (err) {
    throw newBadRequest(`error decoding YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw newBadRequest(`error decoding YAML: error unmarshaling JSON: json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go value of type map[string]interface {}`);
  }
  return value as Record<string, unknown>;
}

function parsePatchJson(body: Buffer): unknown {
  try {
    return parseJson(body);
  } catch (err) {
    if (err instanceof StatusError) throw newBadRequest(`error decoding patch: ${err.message}`);
    throw err;
  }
}

/** 422 with Go's generic message and the library's reason in the details. */
function unprocessable(detail: string): StatusError {
  return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ message: detail }],
  });
}

/** Applies the patch to a copy of `current`; never mutates it. */
export function applyParsedPatch(current: Record<string, unknown>, patch: Exclude<ParsedPatch, { type: typeof APPLY_PATCH }>): unknown {
  if (patch.type === JSON_PATCH) {
    try {
      return applyPatch(deepCopy(current), patch.operations, true, true).newDocument;
    } catch (err) {
      throw unprocessable(err instanceof Error ? err.message.split('\n')[0]! : String(err));
    }
  }
  return mergePatch.apply(deepCopy(current), patch.patch) as unknown;
}
