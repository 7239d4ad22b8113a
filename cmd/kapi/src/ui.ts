/** What the CLI prints while it works: one line per file written, and timed steps for long work. */
import type { WriteReport } from './project/writer.js';

export interface Output {
  write(text: string): void;
}

export const stdout: Output = { write: (text) => void process.stdout.write(text) };

const LABELS: Record<WriteReport['action'], string> = {
  create: 'create',
  update: 'update',
  insert: 'update',
  overwrite: 'overwrite',
  unchanged: 'same',
};

export function reportFile(out: Output, report: WriteReport): void {
  out.write(`  ${LABELS[report.action].padEnd(9)} ${report.path}\n`);
}

/** Runs a long step, printing its name first and how long it took after. */
export async function step<T>(out: Output, title: string, work: () => T | Promise<T>): Promise<T> {
  out.write(`==> ${title} …\n`);
  const started = Date.now();
  const result = await work();
  out.write(`    done in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return result;
}
