/** An error the CLI prints as `error: <message>` followed by what to do next, then exits 1. */
export class CliError extends Error {
  constructor(
    message: string,
    /** The next step for the user, e.g. "run `npm install` first". */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function formatCliError(err: unknown): string {
  if (err instanceof CliError) return `error: ${err.message}${err.hint ? `\n  next: ${err.hint}` : ''}`;
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}
