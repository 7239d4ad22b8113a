/**
 * @kapi/apiserver/cel: one CEL environment for Kubernetes (admission policies and schema rules
 * alike), on CEL-ES (@bufbuild/cel) with the Kubernetes libraries, Go's error texts and a cost
 * limit. It imports no other layer.
 */
export { CelError, type CelErrorKind } from './errors.js';
export { compileCel, PER_CALL_LIMIT, type CelCompileOptions, type CelProgram } from './compile.js';
export { escapeCelName, formatGoDuration, type CelSchema } from './values.js';
