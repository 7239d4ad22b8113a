/** Number formatting and the hand-written notes block of the benchmark reports in test/bench/results. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const fmt = (n: number, digits: number): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
/** Latencies: three decimals below 1 ms. */
export const ms = (n: number): string => fmt(n, n < 1 ? 3 : 2);
export const mib = (bytes: number | undefined): string => (bytes !== undefined && bytes > 0 ? fmt(bytes / 1024 / 1024, 0) : '—');

export const NOTES_START = '<!-- notes: kept when the benchmark rewrites this file -->';
export const NOTES_END = '<!-- /notes -->';

/** The hand-written notes of a report about to be rewritten, so a re-run keeps them (re-read them against the new numbers). */
export function previousNotes(file: string): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const from = text.indexOf(NOTES_START);
  const to = text.indexOf(NOTES_END);
  return from >= 0 && to > from ? text.slice(from + NOTES_START.length, to).trim() : '';
}

/** A hand-written section under `heading`, kept from the previous `file` when there is one. */
export function notesSection(file: string, heading: string, placeholder: string): string[] {
  return [`## ${heading}`, '', NOTES_START, previousNotes(file) || placeholder, NOTES_END, ''];
}

/** Numbered footnotes of a report's table: a cell's label gets `ref(note)`, the list goes under the table. */
export class Footnotes {
  private readonly notes: string[] = [];

  /** Adds a note; returns its marker for the label, ` [n]`. */
  ref(note: string): string {
    this.notes.push(note);
    return ` [${this.notes.length}]`;
  }

  /** A blank line and the numbered notes; nothing when there are none. */
  lines(): string[] {
    return this.notes.length > 0 ? ['', ...this.notes.map((note, i) => `${i + 1}. ${note}`)] : [];
  }
}

/** Writes a report (creating its folder) and says so on stdout. */
export function writeReport(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}
