/** Checks a KindDefinition is well formed before a Scheme accepts it; a bad one is a programming error. */
import type { KindDefinition } from './kind.js';

export function checkKindDefinition(def: KindDefinition): void {
  const where = `kind ${def.kind}.${def.group}`;
  if (!def.kind || !def.plural) throw new Error(`${where}: kind and plural are required`);
  if (def.plural !== def.plural.toLowerCase()) throw new Error(`${where}: plural "${def.plural}" must be lower case`);
  if (def.versions.length === 0) throw new Error(`${where}: no versions`);
  const names = new Set<string>();
  for (const v of def.versions) {
    if (names.has(v.name)) throw new Error(`${where}: version ${v.name} declared twice`);
    names.add(v.name);
  }
  const hubs = def.versions.filter((v) => v.name === def.hubVersion);
  if (hubs.length !== 1) throw new Error(`${where}: hubVersion "${def.hubVersion}" must name exactly one of its versions`);
  const hub = hubs[0];
  if (hub?.toHub || hub?.fromHub) throw new Error(`${where}: the hub version ${def.hubVersion} must not declare toHub/fromHub`);
  for (const v of def.versions) {
    if (v.name === def.hubVersion || v.served === false) continue;
    if (!v.toHub || !v.fromHub) throw new Error(`${where}: served version ${v.name} needs toHub and fromHub`);
  }
  if (!def.versions.some((v) => v.served !== false)) throw new Error(`${where}: no served version`);
}
