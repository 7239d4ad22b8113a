/** The Go helpers structured-merge-diff's typed tests use, for the tables generated into typed-cases.ts. */
import { _KBF, _NS, _P, _V, Sprintf } from './merge-fixture.js';

export { _KBF, _NS, _P, _V };
export const KeyByFields = _KBF;
export const MakePathOrDie = _P;
export const NewSet = _NS;
export const NewValueInterface = _V;

/** typed.YAMLObject(...): a YAML text, told apart from a plain value (extractWithKeys' wantOutput). */
export interface YAMLText {
  yaml: string;
}
export const YAMLObject = (yaml: string): YAMLText => ({ yaml });

/** A Go func(version string) typed.YAMLObject returning fmt.Sprintf(template, version). */
export const schemaFn =
  (template: string) =>
  (version: string): string =>
    Sprintf(template, version);
