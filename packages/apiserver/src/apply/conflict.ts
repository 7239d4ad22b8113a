/** merge/conflict.go: the fields an apply would take from another manager. */
import { FieldSet, equalPaths, pathString, type ManagedFields, type Path } from './fieldpath.js';
import { compareStrings, goQuote } from './value.js';

export interface Conflict {
  readonly manager: string;
  readonly path: Path;
}

export const conflictString = (c: Conflict): string => `conflict with ${goQuote(c.manager)}: ${pathString(c.path)}`;

export const equalConflicts = (a: Conflict, b: Conflict): boolean => a.manager === b.manager && equalPaths(a.path, b.path);

/** merge.Conflicts, an error: thrown by Updater.apply when not forced. */
export class Conflicts extends Error {
  readonly conflicts: readonly Conflict[];

  constructor(conflicts: readonly Conflict[]) {
    super(conflictsMessage(conflicts));
    this.name = 'Conflicts';
    this.conflicts = conflicts;
  }

  toSet(): FieldSet {
    return FieldSet.of(...this.conflicts.map((c) => c.path));
  }

  /** ConflictsFromManagers: one conflict per path of each manager's set. */
  static fromManagers(sets: ManagedFields): Conflicts {
    const out: Conflict[] = [];
    for (const [manager, vs] of sets) for (const path of vs.set) out.push({ manager, path });
    return new Conflicts(out);
  }
}

function conflictsMessage(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 1) return conflictString(conflicts[0]);
  const byManager = new Map<string, Path[]>();
  for (const c of conflicts) {
    const paths = byManager.get(c.manager);
    if (paths) paths.push(c.path);
    else byManager.set(c.manager, [c.path]);
  }
  const messages: string[] = [];
  for (const manager of [...byManager.keys()].sort(compareStrings)) {
    messages.push(`conflicts with ${goQuote(manager)}:`);
    for (const p of byManager.get(manager) ?? []) messages.push(`- ${pathString(p)}`);
  }
  return messages.join('\n');
}
