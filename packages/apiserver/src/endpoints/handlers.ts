/**
 * One function per verb: options and body in, one RestStorage call, the answer out. Objects
 * cross into the registry in the hub version and come back out in the request's version.
 */
import type { ServerResponse } from 'node:http';
import type { KubeList, KubeObject } from '@kapi/apimachinery';
import { newBadRequest, newInvalid, newNotFound, successStatus, deepCopy } from '@kapi/apimachinery';
import type { UpdatedObjectFunc } from '../registry/rest.js';
import { recordRequestObject } from '../audit/filter.js';
import type { ActionSubresource } from '../scheme/kind.js';
import { objectSchemaFor } from '../scheme/object-meta-schema.js';
import { compileSchemaValidator, type SchemaValidator } from '../scheme/schema-validator.js';
import { parseObjectBody, readBody } from './body.js';
import { cachedObjectJSON } from './object-json-cache.js';
import { parseDeleteOptions, parseGetOptions, parseListOptions, parseWriteOptions, type ParsedWriteOptions } from './options.js';
import { APPLY_PATCH, JSON_PATCH, applyParsedPatch, parsePatch, patchTypeOf, type ParsedPatch } from './patch.js';
import {
  apiVersionOfRequest,
  checkName,
  encodeObject,
  ensureNamespace,
  groupResource,
  renderList,
  renderObject,
  storageMethod,
  type ResourceContext,
} from './resource-context.js';
import { sendParts, setWarnings, writeObject } from '../http/responses.js';
import { listMetaOf } from './table.js';
import { decodeScale, getScale, readScale } from '../registry/scale.js';
import { defaultWatchTimeoutSeconds, serveWatch } from './watch.js';

function respond(rc: ResourceContext, res: ServerResponse, code: number, body: unknown): void {
  setWarnings(res, rc.ctx.warnings);
  writeObject(res, code, body, rc.output.format, rc.output.contentType);
}

function writeOptionsForStorage(opts: ParsedWriteOptions): { dryRun?: boolean; fieldManager?: string } {
  return {
    ...(opts.dryRun ? { dryRun: true } : {}),
    ...(opts.fieldManager !== undefined ? { fieldManager: opts.fieldManager } : {}),
  };
}

async function readObjectBody(rc: ResourceContext): Promise<unknown> {
  const body = parseObjectBody(await readBody(rc.req, rc.maxRequestBodyBytes), rc.req.headers['content-type']);
  recordRequestObject(rc.req, body);
  return body;
}

/** Request-version body (parsed for this request alone: decoded in place) → hub object, warnings recorded on the request. */
function decodeBody(rc: ResourceContext, body: unknown, opts: ParsedWriteOptions): KubeObject {
  const decoded = rc.scheme.decode(rc.served, body, { fieldValidation: opts.fieldValidation, owned: true });
  rc.ctx.warnings.push(...decoded.warnings);
  return decoded.object;
}

export async function handleGet(rc: ResourceContext, res: ServerResponse): Promise<void> {
  const obj = await storageMethod(rc, 'get')(rc.ctx, rc.info.name, parseGetOptions(rc.query));
  if (rc.info.subresource === 'scale') {
    respond(rc, res, 200, readScale(rc.served.kind, obj));
    return;
  }
  respond(rc, res, 200, renderObject(rc, obj));
}

export async function handleList(rc: ResourceContext, res: ServerResponse): Promise<void> {
  const list = await storageMethod(rc, 'list')(rc.ctx, parseListOptions(rc.query, false));
  if (rc.output.format === 'json' && !rc.output.transform) {
    // A plain JSON list: each item's JSON as this version shows it, made once per stored object
    // (the watch cache hands out the same objects to every list and watch) and joined.
    setWarnings(res, rc.ctx.warnings);
    await sendParts(res, 200, rc.output.contentType, listJSON(rc, list));
    return;
  }
  respond(rc, res, 200, renderList(rc, list));
}

/** Exactly JSON.stringify(renderList(rc, list)) for a plain list, in parts, from the items' cached JSON. */
function* listJSON(rc: ResourceContext, list: KubeList): Generator<string> {
  const apiVersion = apiVersionOfRequest(rc);
  const head = JSON.stringify({ apiVersion, kind: `${rc.served.kind.kind}List`, metadata: listMetaOf(list) });
  const encode = (hub: KubeObject): KubeObject => encodeObject(rc, hub);
  yield `${head.slice(0, -1)},"items":[`;
  for (let i = 0; i < list.items.length; i++) {
    if (i > 0) yield ',';
    yield cachedObjectJSON(list.items[i]!, apiVersion, encode);
  }
  yield ']}';
}

export async function handleWatch(rc: ResourceContext, res: ServerResponse, minRequestTimeoutSeconds: number): Promise<void> {
  const opts = parseListOptions(rc.query, true);
  if (rc.info.name !== '') {
    // /watch/…/<name> watches one object: the name becomes a field selector.
    const byName = `metadata.name=${rc.info.name}`;
    opts.fieldSelector = opts.fieldSelector ? `${opts.fieldSelector},${byName}` : byName;
  }
  // As Go: timeoutSeconds=0 (or none) is the default, minRequestTimeout × [1, 2).
  const timeoutSeconds = opts.timeoutSeconds || defaultWatchTimeoutSeconds(minRequestTimeoutSeconds);
  const watcher = await storageMethod(rc, 'watch')(rc.ctx, opts);
  let first = true;
  setWarnings(res, rc.ctx.warnings);
  await serveWatch(rc.req, res, watcher, {
    timeoutSeconds,
    apiVersion: apiVersionOfRequest(rc),
    kind: rc.served.kind.kind,
    // Go streams watch events as application/json whatever transform was asked for.
    contentType: rc.output.format === 'yaml' ? 'application/yaml' : 'application/json',
    // Plain objects (no Table or metadata transform) are serialized once per object and version
    // for every watcher of the resource; transforms depend on the request, so they are not shared.
    encode: rc.output.transform
      ? (obj) => {
          const rendered = renderObject(rc, obj, { noHeaders: !first });
          first = false;
          return rendered;
        }
      : { json: (obj) => cachedObjectJSON(obj, apiVersionOfRequest(rc), (hub) => encodeObject(rc, hub)) },
  });
}

export async function handleCreate(rc: ResourceContext, res: ServerResponse): Promise<void> {
  const opts = parseWriteOptions(rc.query, 'CreateOptions');
  const obj = decodeBody(rc, await readObjectBody(rc), opts);
  ensureNamespace(rc, obj);
  const created = await storageMethod(rc, 'create')(rc.ctx, obj, writeOptionsForStorage(opts));
  respond(rc, res, 201, renderObject(rc, created));
}

export async function handleUpdate(rc: ResourceContext, res: ServerResponse): Promise<void> {
  const opts = parseWriteOptions(rc.query, 'UpdateOptions');
  const body = await readObjectBody(rc);
  if (rc.info.subresource === 'scale') {
    await writeScale(rc, res, opts, () => decodeScale(body));
    return;
  }
  const obj = decodeBody(rc, body, opts);
  checkName(rc, obj);
  ensureNamespace(rc, obj);
  const uid = obj.metadata?.uid;
  const result = await storageMethod(rc, 'update')(rc.ctx, rc.info.name, () => deepCopy(obj), {
    ...writeOptionsForStorage(opts),
    ...(rc.info.subresource === 'status' ? { subresource: 'status' as const } : {}),
    // As Go's DefaultUpdatedObjectInfo: a body that names a uid updates only the object with it.
    ...(uid ? { preconditions: { uid } } : {}),
  });
  respond(rc, res, result.created ? 201 : 200, renderObject(rc, result.object));
}

export async function handlePatch(rc: ResourceContext, res: ServerResponse): Promise<void> {
  const patchType = patchTypeOf(rc.req.headers['content-type']);
  const opts = parseWriteOptions(rc.query, 'PatchOptions', patchType === APPLY_PATCH);
  const patch = parsePatch(patchType, await readBody(rc.req, rc.maxRequestBodyBytes));
  recordRequestObject(rc.req, patch.type === JSON_PATCH ? patch.operations : patch.patch, true);
  if (patch.type === APPLY_PATCH) {
    await handleApply(rc, res, patch.patch, opts);
    return;
  }
  if (rc.info.subresource === 'scale') {
    await writeScale(rc, res, opts, (oldScale) => decodeScale(applyParsedPatch(oldScale, patch)));
    return;
  }
  let warnings: string[] = [];
  const result = await storageMethod(rc, 'update')(rc.ctx, rc.info.name, patchedObjectFunc(rc, patch, opts, (w) => (warnings = w)), {
    ...writeOptionsForStorage(opts),
    ...(rc.info.subresource === 'status' ? { subresource: 'status' as const } : {}),
  });
  rc.ctx.warnings.push(...warnings);
  respond(rc, res, 200, renderObject(rc, result.object));
}

/**
 * Server-side apply (patch.go applyPatcher): the configuration merged by the Store's field manager
 * into the current object, or made into a new one (apply creates). Not pruned: as kube-apiserver
 * for a custom resource, a field the schema does not declare fails the apply whatever the
 * fieldValidation ("field not declared in schema", 500). On /scale the configuration is an
 * autoscaling/v1 Scale, applied to the object's Scale; the object must exist (NotFound).
 */
async function handleApply(rc: ResourceContext, res: ServerResponse, patch: Record<string, unknown>, opts: ParsedWriteOptions): Promise<void> {
  const config = patch as KubeObject;
  if (rc.info.subresource === 'scale') {
    await writeScale(rc, res, opts, () => config, { force: opts.force === true });
    return;
  }
  const result = await storageMethod(rc, 'update')(rc.ctx, rc.info.name, () => config, {
    ...writeOptionsForStorage(opts),
    apply: { force: opts.force === true },
    forceAllowCreate: true,
    ...(rc.info.subresource === 'status' ? { subresource: 'status' as const } : {}),
  });
  respond(rc, res, result.created ? 201 : 200, renderObject(rc, result.object));
}

/** current (hub) → request version → patched → decoded back to the hub; may run more than once. */
function patchedObjectFunc(
  rc: ResourceContext,
  patch: Exclude<ParsedPatch, { type: typeof APPLY_PATCH }>,
  opts: ParsedWriteOptions,
  setWarnings: (w: string[]) => void,
): UpdatedObjectFunc {
  return (current) => {
    if (!current) throw newNotFound(groupResource(rc), rc.info.name);
    // encode shares nested values with `current`, which may be the watch cache's: applyParsedPatch
    // works on a copy. The patched object is not handed over to decode: it may hold values of the
    // patch itself (merge patch puts them in by reference), and this function may run again.
    const versioned = rc.scheme.encode(rc.served.kind, current, rc.info.apiVersion);
    const patched = applyParsedPatch(versioned, patch);
    const decoded = rc.scheme.decode(rc.served, patched, { fieldValidation: opts.fieldValidation });
    setWarnings(decoded.warnings);
    checkName(rc, decoded.object);
    ensureNamespace(rc, decoded.object);
    return decoded.object;
  };
}

/**
 * PUT, PATCH and apply on /scale: the new Scale (the body, the patched current Scale, or the apply
 * configuration given `apply`) is given to the storage, which lands its replicas on the object.
 */
async function writeScale(
  rc: ResourceContext,
  res: ServerResponse,
  opts: ParsedWriteOptions,
  newScale: (oldScale: KubeObject) => KubeObject,
  apply?: { force: boolean },
): Promise<void> {
  const result = await storageMethod(rc, 'update')(
    rc.ctx,
    rc.info.name,
    (oldScale) => {
      if (!oldScale) throw newNotFound(groupResource(rc), rc.info.name);
      return newScale(oldScale);
    },
    { ...writeOptionsForStorage(opts), subresource: 'scale', ...(apply ? { apply } : {}) },
  );
  respond(rc, res, 200, getScale(rc.served.kind, result.object));
}

async function readDeleteBody(rc: ResourceContext): Promise<unknown | undefined> {
  const body = await readBody(rc.req, rc.maxRequestBodyBytes);
  return body.length > 0 ? parseObjectBody(body, rc.req.headers['content-type']) : undefined;
}

export async function handleDelete(rc: ResourceContext, res: ServerResponse): Promise<void> {
  const { options, orphanDependentsFalse } = parseDeleteOptions(rc.query, await readDeleteBody(rc));
  const result = await storageMethod(rc, 'delete')(rc.ctx, rc.info.name, options);
  if (result.deleted) {
    const m = result.object.metadata;
    respond(rc, res, 200, successStatus({ name: m.name ?? rc.info.name, group: rc.info.apiGroup, kind: rc.info.resource, ...(m.uid ? { uid: m.uid } : {}) }));
    return;
  }
  // Finalizers keep the object: it is the answer. Go says 202 only for orphanDependents=false.
  respond(rc, res, orphanDependentsFalse ? 202 : 200, renderObject(rc, result.object));
}

export async function handleDeleteCollection(rc: ResourceContext, res: ServerResponse): Promise<void> {
  const listOpts = parseListOptions(rc.query, false);
  const { options } = parseDeleteOptions(rc.query, await readDeleteBody(rc));
  const list = await storageMethod(rc, 'deleteCollection')(rc.ctx, options, listOpts);
  respond(rc, res, 200, renderList(rc, list));
}

/** Each action's request schema compiled once (with apiVersion, kind and metadata, as a kind's). */
const actionValidators = new WeakMap<ActionSubresource, SchemaValidator>();
function actionValidator(action: ActionSubresource): SchemaValidator {
  let validate = actionValidators.get(action);
  if (!validate) actionValidators.set(action, (validate = compileSchemaValidator(objectSchemaFor(action.schema!))));
  return validate;
}

/**
 * POST <name>/<subresource> of an action subresource: the body is its request kind (apiVersion
 * and kind checked), the answer its response kind, 201 as Go's create handler answers.
 */
export async function handleAction(rc: ResourceContext, res: ServerResponse): Promise<void> {
  const action = rc.served.kind.subresources!.actions![rc.info.subresource]!;
  const opts = parseWriteOptions(rc.query, 'CreateOptions');
  let body: KubeObject | undefined;
  if (action.requestKind) {
    const parsed = await readObjectBody(rc);
    const obj = (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {}) as Partial<KubeObject>;
    const apiVersion = apiVersionOfRequest(rc);
    if (obj.kind !== action.requestKind || (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion)) {
      throw newBadRequest(`the body of ${rc.info.resource}/${rc.info.subresource} must be a ${action.requestKind} of ${apiVersion}, not ${obj.kind ?? 'an object without kind'}`);
    }
    body = { metadata: {}, ...obj, apiVersion, kind: action.requestKind } as KubeObject;
    if (action.schema) {
      const errs = actionValidator(action)(body);
      if (errs.length > 0) throw newInvalid(rc.info.apiGroup, action.requestKind, rc.info.name, errs);
    }
  }
  if (opts.dryRun) throw newBadRequest(`dryRun is not supported by ${rc.info.resource}/${rc.info.subresource}`);
  const result = await storageMethod(rc, 'action')(rc.ctx, rc.info.name, rc.info.subresource, body);
  respond(rc, res, 201, result);
}
