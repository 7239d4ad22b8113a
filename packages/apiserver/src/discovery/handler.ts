/**
 * Serves /apis (APIGroupList, or the aggregated APIGroupDiscoveryList when the Accept header asks
 * for it, with ETag/304), /apis/<group> (APIGroup) and /apis/<group>/<version> (APIResourceList).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newNotAcceptable } from '@kapi/apimachinery';
import { parseAccept } from '../http/accept.js';
import { methodNotAllowedError, notFoundError, sendBody, writeStatus } from '../http/responses.js';
import type { SchemeLike } from '../scheme/scheme-like.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, type APIGroupDiscovery, type APIResourceList } from './documents.js';
import { resourceDiscoveryOf, type ListedGroupVersion } from './listed.js';
import { servedGroups, type ServedGroup } from './served-groups.js';

export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Uppercase hex sha512, the hash Go's discovery and OpenAPI ETags carry. */
export function sha512Hex(data: string | Buffer): string {
  return createHash('sha512').update(data).digest('hex').toUpperCase();
}

type DiscoveryFormat = 'legacy' | 'aggregated';

/** Which document /apis should answer with; 406 when no clause fits. */
export function negotiateDiscovery(acceptHeader: string | undefined): DiscoveryFormat {
  const clauses = parseAccept(acceptHeader);
  if (clauses.length === 0) return 'legacy';
  for (const c of clauses) {
    const json = (c.type === 'application' && (c.subtype === 'json' || c.subtype === '*')) || (c.type === '*' && c.subtype === '*');
    if (!json) continue;
    const as = c.params['as'];
    if (as === undefined) return 'legacy';
    if (as === 'APIGroupDiscoveryList' && c.params['g'] === 'apidiscovery.k8s.io' && c.params['v'] === 'v2') return 'aggregated';
  }
  throw newNotAcceptable('only the following media types are accepted: application/json, application/yaml, ' + AGGREGATED_DISCOVERY_CONTENT_TYPE);
}

function sendJson(res: ServerResponse, body: unknown, contentType = 'application/json'): void {
  sendBody(res, 200, contentType, JSON.stringify(body));
}

export type DiscoveryHandler = (req: IncomingMessage, res: ServerResponse, path: { group?: string; version?: string }) => void;

/**
 * Discovery of the scheme's kinds and of `listed` group versions (resources from their listers,
 * after the scheme's groups in /apis, as Go's DiscoveryGroupManager lists groups in the order added).
 */
export function createDiscoveryHandler(scheme: SchemeLike, listed: readonly ListedGroupVersion[] = []): DiscoveryHandler {
  const listedGroups = groupsOf(listed);
  return (req, res, path) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw methodNotAllowedError(res);
      }
      const groups = servedGroups(scheme.kinds);
      if (path.group === undefined) {
        res.setHeader('Vary', 'Accept');
        if (negotiateDiscovery(req.headers.accept) === 'aggregated') {
          const document = aggregatedDiscovery(groups);
          document.items.push(...aggregatedListed(listed));
          serveWithETag(req, res, document, AGGREGATED_DISCOVERY_CONTENT_TYPE);
        } else {
          sendJson(res, apiGroupList([...groups, ...listedGroups]));
        }
        return;
      }
      const group = groups.find((g) => g.name === path.group) ?? listedGroups.find((g) => g.name === path.group);
      if (!group) throw notFoundError();
      if (path.version === undefined) {
        sendJson(res, apiGroup(group, true));
        return;
      }
      const gv = group.versions.find((v) => v.version === path.version);
      if (!gv) throw notFoundError();
      const lister = listed.find((l) => l.group === group.name && l.version === gv.version);
      sendJson(res, lister ? listedResourceList(lister) : apiResourceList(group.name, gv));
    } catch (err) {
      writeStatus(res, err);
    }
  };
}

/** The listed group versions as groups (versions in the order given, the first preferred). */
function groupsOf(listed: readonly ListedGroupVersion[]): ServedGroup[] {
  const groups: ServedGroup[] = [];
  for (const l of listed) {
    let group = groups.find((g) => g.name === l.group);
    if (!group) groups.push((group = { name: l.group, versions: [] }));
    group.versions.push({ version: l.version, kinds: [] });
  }
  return groups;
}

/** Go's APIVersionHandler with a lister: the resources as it lists them, in its order. */
function listedResourceList(lister: ListedGroupVersion): APIResourceList {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${lister.group}/${lister.version}`, resources: [...lister.resources()] };
}

function aggregatedListed(listed: readonly ListedGroupVersion[]): APIGroupDiscovery[] {
  const items: APIGroupDiscovery[] = [];
  for (const l of listed) {
    if (l.aggregatedDiscovery === false) continue;
    let item = items.find((i) => i.metadata.name === l.group);
    if (!item) items.push((item = { metadata: { name: l.group }, versions: [] }));
    item.versions.push({ version: l.version, resources: l.resources().map(resourceDiscoveryOf), freshness: 'Current' });
  }
  return items;
}

/** aggregated.ServeHTTPWithETag: quoted hash ETag, Cache-Control public, 304 on If-None-Match. */
function serveWithETag(req: IncomingMessage, res: ServerResponse, body: unknown, contentType: string): void {
  const json = JSON.stringify(body);
  const etag = JSON.stringify(sha512Hex(json));
  res.setHeader('ETag', etag);
  res.setHeader('Vary', 'Accept');
  res.setHeader('Cache-Control', 'public');
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  sendBody(res, 200, contentType, json);
}
