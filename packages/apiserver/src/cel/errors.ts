/** The one error compileCel and CelProgram.evaluate throw. */
export type CelErrorKind = 'compile' | 'evaluation' | 'cost';

export class CelError extends Error {
  constructor(
    readonly kind: CelErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CelError';
  }
}
