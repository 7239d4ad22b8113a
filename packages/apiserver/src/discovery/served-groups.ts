/** The groups, versions and kinds a scheme serves, in preference order. */
import type { KindDefinition, VersionDefinition } from '../scheme/kind.js';

export interface ServedGroupVersion {
  version: string;
  /** Kinds served at this version, with the version's definition, in registration order. */
  kinds: Array<{ kind: KindDefinition; version: VersionDefinition }>;
}

export interface ServedGroup {
  name: string;
  /** Preferred first: each kind lists its versions in preference order; the first kind wins ties. */
  versions: ServedGroupVersion[];
}

export function servedGroups(kinds: readonly KindDefinition[]): ServedGroup[] {
  const groups = new Map<string, ServedGroup>();
  for (const kind of kinds) {
    let group = groups.get(kind.group);
    if (!group) {
      group = { name: kind.group, versions: [] };
      groups.set(kind.group, group);
    }
    for (const version of kind.versions) {
      if (version.served === false) continue;
      let gv = group.versions.find((v) => v.version === version.name);
      if (!gv) {
        gv = { version: version.name, kinds: [] };
        group.versions.push(gv);
      }
      gv.kinds.push({ kind, version });
    }
  }
  return [...groups.values()].filter((g) => g.versions.length > 0);
}
