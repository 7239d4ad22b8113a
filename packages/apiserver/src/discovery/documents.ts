/**
 * The discovery documents (k8s.io/apimachinery/pkg/apis/meta/v1 APIGroupList, APIGroup,
 * APIResourceList and apidiscovery.k8s.io/v2 APIGroupDiscoveryList), built from the scheme.
 */
import { verbsOf, type KindDefinition } from '../scheme/kind.js';
import type { ServedGroup, ServedGroupVersion } from './served-groups.js';
import { storageVersionHash } from './storage-version-hash.js';

/** The verbs of a stored subresource (status, scale). */
export const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

function forDiscovery(group: string, version: string): GroupVersionForDiscovery {
  return { groupVersion: `${group}/${version}`, version };
}

export function apiGroup(group: ServedGroup, withTypeMeta: boolean): APIGroup {
  const versions = group.versions.map((v) => forDiscovery(group.name, v.version));
  return {
    ...(withTypeMeta ? { kind: 'APIGroup' as const, apiVersion: 'v1' as const } : {}),
    name: group.name,
    versions,
    preferredVersion: versions[0]!,
  };
}

export function apiGroupList(groups: ServedGroup[]): APIGroupList {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => apiGroup(g, false)) };
}

function singularOf(kind: KindDefinition): string {
  return kind.singular ?? kind.kind.toLowerCase();
}

function sorted(verbs: string[]): string[] {
  return [...verbs].sort();
}

interface SubresourceEntry {
  name: string;
  responseKind: { group: string; version: string; kind: string };
  verbs: string[];
}

/** A kind's subresources at `version` as discovery shows them: stored, action and connect ones. */
function subresourcesOf(kind: KindDefinition, version: string): SubresourceEntry[] {
  const own = (k: string, group?: string, v?: string) => ({ group: group ?? kind.group, version: v ?? version, kind: k });
  const entries: SubresourceEntry[] = [];
  const sub = kind.subresources;
  if (sub?.status) entries.push({ name: 'status', responseKind: own(kind.kind), verbs: sorted(SUBRESOURCE_VERBS) });
  if (sub?.scale) entries.push({ name: 'scale', responseKind: own('Scale', 'autoscaling', 'v1'), verbs: sorted(SUBRESOURCE_VERBS) });
  for (const [name, action] of Object.entries(sub?.actions ?? {})) {
    entries.push({ name, responseKind: own(action.responseKind.kind, action.responseKind.group, action.responseKind.version), verbs: ['create'] });
  }
  for (const [name, connect] of Object.entries(sub?.connect ?? {})) {
    // Go lists pods/exec with the verbs of its methods: POST is create, GET is get.
    const verbs = connect.methods.map((m) => (m === 'POST' ? 'create' : 'get'));
    entries.push({ name, responseKind: connect.responseKind ? own(connect.responseKind, '', 'v1') : own(kind.kind), verbs: sorted(verbs) });
  }
  return entries;
}

/** A stored kind (no `verbs` of its own) has a storage version hash; a computed resource has none, as in Go. */
function storageHashOf(kind: KindDefinition): { storageVersionHash?: string } {
  return kind.verbs ? {} : { storageVersionHash: storageVersionHash(kind.group, kind.hubVersion, kind.kind) };
}

export function apiResourceList(group: string, gv: ServedGroupVersion): APIResourceList {
  const resources: APIResource[] = [];
  for (const { kind } of gv.kinds) {
    resources.push({
      name: kind.plural,
      singularName: singularOf(kind),
      namespaced: kind.namespaced,
      kind: kind.kind,
      verbs: sorted([...verbsOf(kind)]),
      ...(kind.shortNames?.length ? { shortNames: kind.shortNames } : {}),
      ...(kind.categories?.length ? { categories: kind.categories } : {}),
      ...storageHashOf(kind),
    });
    for (const sub of subresourcesOf(kind, gv.version)) {
      const foreign = sub.responseKind.group !== kind.group || sub.responseKind.version !== gv.version;
      resources.push({
        name: `${kind.plural}/${sub.name}`,
        singularName: '',
        namespaced: kind.namespaced,
        // APIResource's group and version are omitempty: the core group is not written.
        ...(foreign ? { ...(sub.responseKind.group ? { group: sub.responseKind.group } : {}), version: sub.responseKind.version } : {}),
        kind: sub.responseKind.kind,
        verbs: sub.verbs,
      });
    }
  }
  // Go installs resources in path order, so discovery lists them sorted by name.
  resources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${gv.version}`, resources };
}

// --- aggregated discovery, apidiscovery.k8s.io/v2 ---

export interface DiscoveryGroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: DiscoveryGroupVersionKind;
  acceptedTypes?: DiscoveryGroupVersionKind[];
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: DiscoveryGroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: 'Current' | 'Stale';
}

export interface APIGroupDiscovery {
  metadata: { name: string };
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: 'apidiscovery.k8s.io/v2';
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

function resourceDiscovery(kind: KindDefinition, version: string): APIResourceDiscovery {
  const responseKind = { group: kind.group, version, kind: kind.kind };
  const subresources: APISubresourceDiscovery[] = subresourcesOf(kind, version).map((s) => ({ subresource: s.name, responseKind: s.responseKind, verbs: s.verbs }));
  return {
    resource: kind.plural,
    responseKind,
    scope: kind.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: singularOf(kind),
    verbs: sorted([...verbsOf(kind)]),
    ...(kind.shortNames?.length ? { shortNames: kind.shortNames } : {}),
    ...(kind.categories?.length ? { categories: kind.categories } : {}),
    ...(subresources.length ? { subresources } : {}),
  };
}

export function aggregatedDiscovery(groups: ServedGroup[]): APIGroupDiscoveryList {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.name },
      versions: g.versions.map((v) => ({
        version: v.version,
        resources: v.kinds
          .map(({ kind }) => resourceDiscovery(kind, v.version))
          .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)),
        freshness: 'Current' as const,
      })),
    })),
  };
}
