/** Number formatting and the hand-written notes block of the benchmark reports in test/bench/results. */
import { existsSync, readFileSync } from 'node:fs';

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
