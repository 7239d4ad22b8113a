/**
 * Writes generated files without ever losing a user's edits: a file the CLI made and nobody
 * touched since (its hash is the one recorded) is replaced; a file that differs from both what
 * was recorded and what would be written is a conflict, and nothing is written unless --force.
 * Scaffold markers (`// +kapi:scaffold:<name>`) let the CLI add lines to files users own.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from '../errors.js';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A file to write in full. */
export interface GeneratedFile {
  /** Relative to the writer's root, with forward slashes. */
  path: string;
  content: string;
}

/** Lines to add before a marker in an existing file (skipped when already there). */
export interface Insertion {
  path: string;
  marker: string;
  /** Each inserted before the marker line with the marker's indentation, unless the file already has it. */
  lines: string[];
  /**
   * When the file matches this, the lines count as present though not verbatim: the user edited
   * them (e.g. gave `.withKind(x)` options), and adding them again would say the thing twice.
   */
  present?: RegExp;
}

export type WriteAction = 'create' | 'update' | 'unchanged' | 'overwrite' | 'insert';

export interface WriteReport {
  path: string;
  action: WriteAction;
}

export interface WriterOptions {
  root: string;
  /** Hashes of files as last written, by path; updated in place. */
  ledger: Record<string, string>;
  force?: boolean;
  /** Called once per file written, for progress output. */
  onWrite?: (report: WriteReport) => void;
}

export function markerLine(marker: string): string {
  return `// +kapi:scaffold:${marker}`;
}

/** Adds `lines` before the marker, keeping its indentation; throws when there is something to add and the marker is gone. */
export function insertAtMarker(text: string, insertion: Insertion): string {
  if (insertion.present?.test(text)) return text;
  const lines = text.split('\n');
  const present = new Set(lines.map((l) => l.trim()));
  const missing = insertion.lines.filter((l) => !present.has(l.trim()));
  if (missing.length === 0) return text;
  const at = lines.findIndex((l) => l.trim() === markerLine(insertion.marker));
  if (at < 0) {
    throw new CliError(
      `${insertion.path} has no "${markerLine(insertion.marker)}" line, so kapi cannot add to it`,
      `put that line back where kapi should add, or add by hand: ${missing.join(' ')}`,
    );
  }
  const indent = /^\s*/.exec(lines[at] ?? '')?.[0] ?? '';
  lines.splice(at, 0, ...missing.map((l) => indent + l));
  return lines.join('\n');
}

/**
 * Writes `files` and applies `insertions`, all or nothing: conflicts are found before anything
 * is written. Returns what happened to each path.
 */
export function writeFiles(files: readonly GeneratedFile[], insertions: readonly Insertion[], opts: WriterOptions): WriteReport[] {
  const planned: { path: string; content: string; action: WriteAction }[] = [];
  const conflicts: string[] = [];
  for (const file of files) {
    const full = join(opts.root, file.path);
    if (!existsSync(full)) {
      planned.push({ ...file, action: 'create' });
      continue;
    }
    const current = readFileSync(full, 'utf8');
    if (current === file.content) planned.push({ ...file, action: 'unchanged' });
    else if (opts.ledger[file.path] === sha256(current)) planned.push({ ...file, action: 'update' });
    else if (opts.force) planned.push({ ...file, action: 'overwrite' });
    else conflicts.push(file.path);
  }
  if (conflicts.length > 0) {
    throw new CliError(
      `these files were changed since kapi wrote them (or kapi did not write them), so they were left as they are:\n    ${conflicts.join('\n    ')}\n  nothing was written`,
      're-run with --force to overwrite them (your edits there are lost), or move your edits aside first',
    );
  }
  const byPath = new Map<string, { content: string; action: WriteAction; before?: string }>();
  for (const p of planned) byPath.set(p.path, { content: p.content, action: p.action });
  for (const insertion of insertions) {
    const pending = byPath.get(insertion.path);
    const full = join(opts.root, insertion.path);
    const before = pending ? pending.content : existsSync(full) ? readFileSync(full, 'utf8') : undefined;
    if (before === undefined) throw new CliError(`${insertion.path} is missing`, 'restore it from version control, or re-run the command that made it with --force');
    const after = insertAtMarker(before, insertion);
    if (pending) {
      if (pending.action === 'unchanged' && after !== pending.content) pending.action = 'update';
      pending.content = after;
    }
    else if (after !== before) byPath.set(insertion.path, { content: after, action: 'insert', before });
  }

  const reports: WriteReport[] = [];
  for (const [path, entry] of byPath) {
    const full = join(opts.root, path);
    if (entry.action !== 'unchanged') {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, entry.content);
    }
    // An inserted-into file stays "ours" only if it was untouched before the insertion.
    if (entry.action !== 'insert' || (entry.before !== undefined && opts.ledger[path] === sha256(entry.before))) {
      opts.ledger[path] = sha256(entry.content);
    }
    const report = { path, action: entry.action };
    reports.push(report);
    opts.onWrite?.(report);
  }
  return reports;
}
