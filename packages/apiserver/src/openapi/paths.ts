/**
 * The paths and operations of one kind at one group-version, as k8s.io/apiserver's installer
 * registers them and kube-openapi publishes them (operation ids, x-kubernetes-action and the GVK
 * object on each operation). Parameters are inline: kubectl's query-param verifier reads
 * dryRun/fieldValidation straight off the PATCH operation.
 */
import type {
  OperationObject,
  ParameterObject,
  PathItemObject,
  RequestBodyObject,
  ResponseObject,
  ResponsesObject,
  SchemaObject,
} from 'openapi3-ts/oas30';
import { verbsOf, type KindDefinition, type ResourceVerb } from '../scheme/kind.js';
import { toOpenApiSchema } from './kind-schemas.js';
import { SUPPORTED_PATCH_TYPES } from '../endpoints/patch.js';
import { GVK_EXTENSION, type GroupVersionKindExtension } from './meta-schemas.js';
import { AUTOSCALING_V1, groupVersionCamel, groupVersionTag, kindSchemaName, metaSchemaName, schemaRef } from './names.js';

const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml'];
const WATCH_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/json;stream=watch'];

function queryParam(name: string, schema: SchemaObject, description: string): ParameterObject {
  return { name, in: 'query', description, schema: { uniqueItems: true, ...schema } };
}

const P = {
  pretty: queryParam('pretty', { type: 'string' }, "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  name: (kind: string): ParameterObject => ({ name: 'name', in: 'path', description: `name of the ${kind}`, required: true, schema: { type: 'string', uniqueItems: true } }),
  namespace: { name: 'namespace', in: 'path', description: 'object name and auth scope, such as for teams and projects', required: true, schema: { type: 'string', uniqueItems: true } } as ParameterObject,
  allowWatchBookmarks: queryParam('allowWatchBookmarks', { type: 'boolean' }, 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion.'),
  continue: queryParam('continue', { type: 'string' }, 'The continue option should be set when retrieving more results from the server.'),
  fieldSelector: queryParam('fieldSelector', { type: 'string' }, 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: queryParam('labelSelector', { type: 'string' }, 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: queryParam('limit', { type: 'integer' }, 'limit is a maximum number of responses to return for a list call.'),
  resourceVersion: queryParam('resourceVersion', { type: 'string' }, 'resourceVersion sets a constraint on what resource versions a request may be served from. Defaults to unset'),
  resourceVersionMatch: queryParam('resourceVersionMatch', { type: 'string' }, 'resourceVersionMatch determines how resourceVersion is applied to list calls. Defaults to unset'),
  sendInitialEvents: queryParam('sendInitialEvents', { type: 'boolean' }, '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.'),
  timeoutSeconds: queryParam('timeoutSeconds', { type: 'integer' }, 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.'),
  watch: queryParam('watch', { type: 'boolean' }, 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.'),
  dryRun: queryParam('dryRun', { type: 'string' }, 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: queryParam('fieldManager', { type: 'string' }, 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  fieldValidation: queryParam('fieldValidation', { type: 'string' }, 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (the default) - Strict'),
  force: queryParam('force', { type: 'boolean' }, 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.'),
  gracePeriodSeconds: queryParam('gracePeriodSeconds', { type: 'integer' }, 'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately.'),
  orphanDependents: queryParam('orphanDependents', { type: 'boolean' }, 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.'),
  propagationPolicy: queryParam('propagationPolicy', { type: 'string' }, "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
};

const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];

/** The parameters of a namespaced list route (ListOptions, namespace, pretty), for routes built elsewhere (the metrics APIs). */
export function namespacedListParameters(): ParameterObject[] {
  return [...LIST_PARAMS, P.namespace, P.pretty];
}
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];

function content(schemaName: string, mediaTypes: string[]): ResponseObject['content'] {
  return Object.fromEntries(mediaTypes.map((m) => [m, { schema: schemaRef(schemaName) }]));
}

function responses(codes: number[], schemaName: string, mediaTypes = OBJECT_MEDIA_TYPES): ResponsesObject {
  const out: ResponsesObject = {};
  const text: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted' };
  for (const code of codes) out[String(code)] = { description: text[code] ?? String(code), content: content(schemaName, mediaTypes) };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

function body(schemaName: string, mediaTypes: readonly string[], required = true): RequestBodyObject {
  return { content: Object.fromEntries(mediaTypes.map((m) => [m, { schema: schemaRef(schemaName) }])), required };
}

interface OperationSpec {
  action: 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection' | 'watch' | 'watchlist' | 'connect';
  operationId: string;
  description: string;
  gvk: GroupVersionKindExtension;
  parameters: ParameterObject[];
  requestBody?: RequestBodyObject;
  responses: ResponsesObject;
}

function operation(spec: OperationSpec, tag: string): OperationObject {
  return {
    tags: [tag],
    description: spec.description,
    operationId: spec.operationId,
    ...(spec.parameters.length ? { parameters: spec.parameters } : {}),
    ...(spec.requestBody ? { requestBody: spec.requestBody } : {}),
    responses: spec.responses,
    'x-kubernetes-action': spec.action,
    [GVK_EXTENSION]: spec.gvk,
  };
}

/** Every path of `kind` served at `version`, keyed by URL template. */
export function kindPaths(kind: KindDefinition, version: string): Record<string, PathItemObject> {
  const { group } = kind;
  const gv = groupVersionCamel(group, version);
  const tag = groupVersionTag(group, version);
  const prefix = `/apis/${group}/${version}`;
  const K = kind.kind;
  const scoped = kind.namespaced ? `Namespaced${K}` : K;
  const objectSchema = kindSchemaName(group, version, K);
  const listSchemaName = kindSchemaName(group, version, `${K}List`);
  const status = metaSchemaName('Status');
  const gvk: GroupVersionKindExtension = { group, kind: K, version };
  const nsSegment = kind.namespaced ? '/namespaces/{namespace}' : '';
  const nsParams = kind.namespaced ? [P.namespace] : [];
  const collection = `${prefix}${nsSegment}/${kind.plural}`;
  const item = `${collection}/{name}`;
  const op = (s: OperationSpec): OperationObject => operation(s, tag);
  const paths: Record<string, PathItemObject> = {};

  const verbs = new Set<ResourceVerb>(verbsOf(kind));
  const has = (verb: ResourceVerb): boolean => verbs.has(verb);
  paths[collection] = {
    ...(has('list') ? { get: op({ action: 'list', operationId: `list${gv}${scoped}`, description: `list or watch objects of kind ${K}`, gvk, parameters: LIST_PARAMS, responses: responses([200], listSchemaName, WATCH_MEDIA_TYPES) }) } : {}),
    ...(has('create') ? { post: op({ action: 'post', operationId: `create${gv}${scoped}`, description: `create a ${K}`, gvk, parameters: WRITE_PARAMS, requestBody: body(objectSchema, OBJECT_MEDIA_TYPES), responses: responses([200, 201, 202], objectSchema) }) } : {}),
    ...(has('deletecollection') ? { delete: op({ action: 'deletecollection', operationId: `delete${gv}Collection${scoped}`, description: `delete collection of ${K}`, gvk, parameters: [...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), ...DELETE_PARAMS], requestBody: body(metaSchemaName('DeleteOptions'), OBJECT_MEDIA_TYPES, false), responses: responses([200], status) }) } : {}),
    parameters: [...nsParams, P.pretty],
  };
  paths[item] = {
    ...(has('get') ? { get: op({ action: 'get', operationId: `read${gv}${scoped}`, description: `read the specified ${K}`, gvk, parameters: [], responses: responses([200], objectSchema) }) } : {}),
    ...(has('update') ? { put: op({ action: 'put', operationId: `replace${gv}${scoped}`, description: `replace the specified ${K}`, gvk, parameters: WRITE_PARAMS, requestBody: body(objectSchema, OBJECT_MEDIA_TYPES), responses: responses([200, 201], objectSchema) }) } : {}),
    ...(has('patch') ? { patch: op({ action: 'patch', operationId: `patch${gv}${scoped}`, description: `partially update the specified ${K}`, gvk, parameters: [...WRITE_PARAMS, P.force], requestBody: body(metaSchemaName('Patch'), SUPPORTED_PATCH_TYPES), responses: responses([200, 201], objectSchema) }) } : {}),
    ...(has('delete') ? { delete: op({ action: 'delete', operationId: `delete${gv}${scoped}`, description: `delete a ${K}`, gvk, parameters: DELETE_PARAMS, requestBody: body(metaSchemaName('DeleteOptions'), OBJECT_MEDIA_TYPES, false), responses: responses([200, 202], status) }) } : {}),
    parameters: [P.name(K), ...nsParams, P.pretty],
  };

  const camel = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
  for (const [name, action] of Object.entries(kind.subresources?.actions ?? {})) {
    const response = action.responseKind;
    const responseSchema =
      (response.group ?? group) === group && (response.version ?? version) === version ? kindSchemaName(group, version, response.kind) : status;
    paths[`${item}/${name}`] = {
      post: op({
        action: 'post',
        operationId: `create${gv}${scoped}${camel(name)}`,
        description: `${name} the specified ${K}`,
        gvk: { group: response.group ?? group, kind: response.kind, version: response.version ?? version },
        parameters: WRITE_PARAMS,
        ...(action.requestKind
          ? { requestBody: { content: Object.fromEntries(OBJECT_MEDIA_TYPES.map((m) => [m, { schema: toOpenApiSchema(action.schema ?? { type: 'object' }) }])), required: true } }
          : {}),
        responses: responses([200, 201], responseSchema),
      }),
      parameters: [P.name(K), ...nsParams, P.pretty],
    };
  }
  for (const [name, connect] of Object.entries(kind.subresources?.connect ?? {})) {
    const item_: PathItemObject = { parameters: [P.name(K), ...nsParams] };
    const text = { '200': { description: 'OK', content: { '*/*': { schema: { type: 'string' } } } }, '401': { description: 'Unauthorized' } } as ResponsesObject;
    for (const method of connect.methods) {
      const key = method === 'GET' ? 'get' : 'post';
      item_[key] = op({ action: 'connect', operationId: `connect${camel(key)}${gv}${scoped}${camel(name)}`, description: `connect ${method} requests to ${name} of ${K}`, gvk, parameters: [], responses: text });
    }
    paths[`${item}/${name}`] = item_;
  }

  const subresource = (sub: 'status' | 'scale', schema: string, subGvk: GroupVersionKindExtension): void => {
    const Sub = sub === 'status' ? 'Status' : 'Scale';
    paths[`${item}/${sub}`] = {
      get: op({ action: 'get', operationId: `read${gv}${scoped}${Sub}`, description: `read ${sub} of the specified ${K}`, gvk: subGvk, parameters: [], responses: responses([200], schema) }),
      put: op({ action: 'put', operationId: `replace${gv}${scoped}${Sub}`, description: `replace ${sub} of the specified ${K}`, gvk: subGvk, parameters: WRITE_PARAMS, requestBody: body(schema, OBJECT_MEDIA_TYPES), responses: responses([200, 201], schema) }),
      patch: op({ action: 'patch', operationId: `patch${gv}${scoped}${Sub}`, description: `partially update ${sub} of the specified ${K}`, gvk: subGvk, parameters: [...WRITE_PARAMS, P.force], requestBody: body(metaSchemaName('Patch'), SUPPORTED_PATCH_TYPES), responses: responses([200, 201], schema) }),
      parameters: [P.name(K), ...nsParams, P.pretty],
    };
  };
  if (kind.subresources?.status) subresource('status', objectSchema, gvk);
  if (kind.subresources?.scale) subresource('scale', `${AUTOSCALING_V1}.Scale`, { group: 'autoscaling', kind: 'Scale', version: 'v1' });

  const watchEvent = metaSchemaName('WatchEvent');
  const watchPrefix = `${prefix}/watch${nsSegment}/${kind.plural}`;
  if (has('watch')) paths[watchPrefix] = {
    get: op({ action: 'watchlist', operationId: `watch${gv}${scoped}List`, description: `watch individual changes to a list of ${K}. deprecated: use the 'watch' parameter with a list operation instead.`, gvk, parameters: [], responses: responses([200], watchEvent, WATCH_MEDIA_TYPES) }),
    parameters: [...LIST_PARAMS, ...nsParams, P.pretty],
  };
  if (has('watch')) paths[`${watchPrefix}/{name}`] = {
    get: op({ action: 'watch', operationId: `watch${gv}${scoped}`, description: `watch changes to an object of kind ${K}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`, gvk, parameters: [], responses: responses([200], watchEvent, WATCH_MEDIA_TYPES) }),
    parameters: [...LIST_PARAMS, P.name(K), ...nsParams, P.pretty],
  };

  if (kind.namespaced && has('list')) {
    paths[`${prefix}/${kind.plural}`] = {
      get: op({ action: 'list', operationId: `list${gv}${K}ForAllNamespaces`, description: `list or watch objects of kind ${K}`, gvk, parameters: [], responses: responses([200], listSchemaName, WATCH_MEDIA_TYPES) }),
      parameters: [...LIST_PARAMS, P.pretty],
    };
    if (has('watch')) paths[`${prefix}/watch/${kind.plural}`] = {
      get: op({ action: 'watchlist', operationId: `watch${gv}${K}ListForAllNamespaces`, description: `watch individual changes to a list of ${K}. deprecated: use the 'watch' parameter with a list operation instead.`, gvk, parameters: [], responses: responses([200], watchEvent, WATCH_MEDIA_TYPES) }),
      parameters: [...LIST_PARAMS, P.pretty],
    };
  }
  // A path none of whose operations the resource serves is not published.
  for (const [path, itemObject] of Object.entries(paths)) {
    if (!Object.keys(itemObject).some((k) => k !== 'parameters')) delete paths[path];
  }
  return paths;
}

/** GET /apis/<g>/<v>/ → APIResourceList. */
export function resourcesPath(group: string, version: string): Record<string, PathItemObject> {
  return {
    [`/apis/${group}/${version}/`]: {
      get: {
        tags: [groupVersionTag(group, version)],
        description: 'get available resources',
        operationId: `get${groupVersionCamel(group, version)}APIResources`,
        responses: responses([200], metaSchemaName('APIResourceList')),
      },
    },
  };
}
