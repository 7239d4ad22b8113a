/** The file paths and identifiers a kind's generated code uses, in one place. */
import type { KindModel } from '../../project/model.js';
import { capitalize, lowerFirst } from '../../project/names.js';

export interface KindNames {
  /** e.g. frigate: file names. */
  file: string;
  /** e.g. frigateKind: the kind (defineKind), listed in main.ts. */
  kindVar: string;
  /** e.g. FrigateHub: the hub type alias. */
  hubType: string;
  /** e.g. validateFrigate. */
  validateFn: string;
  /** src/apis/ship/frigate.ts */
  kindModule: string;
  /** src/apis/ship/frigate.test.ts */
  kindTest: string;
  /** src/apis/ship/group.ts */
  groupModule: string;
  /** e.g. FrigateV1 */
  versionType(version: string): string;
  /** e.g. frigateV1 */
  versionVar(version: string): string;
  /** src/apis/ship/v1/frigate.ts */
  versionModule(version: string): string;
  /** src/apis/ship/v2/frigate.test.ts (spoke versions: the round trip) */
  versionTest(version: string): string;
}

export function kindNames(kind: KindModel): KindNames {
  const file = kind.kind.toLowerCase();
  const base = `src/apis/${kind.groupDir}`;
  return {
    file,
    kindVar: `${lowerFirst(kind.kind)}Kind`,
    hubType: `${kind.kind}Hub`,
    validateFn: `validate${kind.kind}`,
    kindModule: `${base}/${file}.ts`,
    kindTest: `${base}/${file}.test.ts`,
    groupModule: `${base}/group.ts`,
    versionType: (v) => `${kind.kind}${capitalize(v)}`,
    versionVar: (v) => `${lowerFirst(kind.kind)}${capitalize(v)}`,
    versionModule: (v) => `${base}/${v}/${file}.ts`,
    versionTest: (v) => `${base}/${v}/${file}.test.ts`,
  };
}
