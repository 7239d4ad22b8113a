/**
 * The audit log backend (`--audit-log-path`, `--audit-log-format=json`): one JSON Event per line,
 * "-" for stdout, rotated as Go's lumberjack.Logger does it (gopkg.in/natefinch/lumberjack.v2,
 * which k8s.io/apiserver's AuditLogOptions uses).
 *
 * Every write is synchronous on an open file descriptor: when write() returns, the line is in the
 * file (the kernel's page cache; add `fsync` to reach the disk). The caller relies on that to never
 * acknowledge a request before its audit event is written.
 */
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  constants as fsConstants,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AuditEvent } from './event.js';

/** Go's --audit-log-maxsize, --audit-log-maxbackup and --audit-log-maxage defaults. */
export const DEFAULT_AUDIT_LOG_MAX_SIZE_MB = 100;
export const DEFAULT_AUDIT_LOG_MAX_BACKUPS = 100;
export const DEFAULT_AUDIT_LOG_MAX_AGE_DAYS = 366;

const MEGABYTE = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
const STDOUT_FD = 1;
/** Something to Atomics.wait on for a synchronous 1 ms pause. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

export interface LogBackendOptions {
  /** The log file; "-" writes to stdout (never rotated). */
  path: string;
  /** Rotate before the file would grow past this many MiB; 0 never rotates. Fractions are allowed. */
  maxSizeMB?: number;
  /** Rotated files to keep, newest first; 0 keeps all. */
  maxBackups?: number;
  /** Remove rotated files whose name's timestamp is older than this many days; 0 keeps them. */
  maxAgeDays?: number;
  /** fdatasync after every line, so an event survives a machine crash, not only a process crash. */
  fsync?: boolean;
  /** The clock that names and ages rotated files (tests). */
  now?: () => Date;
}

/** JSON as Go's encoding/json writes it: <, > and & (and U+2028/U+2029) escaped. */
export function encodeEventLine(event: AuditEvent): string {
  const json = JSON.stringify(event).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${json}\n`;
}

/** Go's filepath.Ext: from the last dot of the base name (".log" of "audit.log", ".hidden" of ".hidden"). */
function goExt(base: string): string {
  const i = base.lastIndexOf('.');
  return i < 0 ? '' : base.slice(i);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** lumberjack's backupTimeFormat, 2006-01-02T15-04-05.000, in UTC. */
export function formatBackupTimestamp(t: Date): string {
  return (
    `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}` +
    `T${pad(t.getUTCHours(), 2)}-${pad(t.getUTCMinutes(), 2)}-${pad(t.getUTCSeconds(), 2)}.${pad(t.getUTCMilliseconds(), 3)}`
  );
}

const BACKUP_TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/;

/** The time a backup timestamp names, or undefined when it is not one (as Go's time.Parse refuses it). */
export function parseBackupTimestamp(s: string): Date | undefined {
  const m = BACKUP_TIMESTAMP_RE.exec(s);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, sec, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, sec, ms));
  // Date.UTC rolls 02-30 over to March; a real timestamp reads back the same.
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || t.getUTCHours() !== h) return undefined;
  if (t.getUTCMinutes() !== mi || t.getUTCSeconds() !== sec) return undefined;
  return t;
}

// Structural, not instanceof: errors from node:fs may come from another realm (jest's vm contexts).
function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`audit log: ${name} ${v} can't be a negative number`);
  return v;
}

/** Writes audit events to a file or stdout. Not safe for several processes sharing one file. */
export class LogBackend {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly maxBackups: number;
  private readonly maxAgeDays: number;
  private readonly fsync: boolean;
  private readonly now: () => Date;
  private fd: number | undefined;
  private size = 0;
  private closed = false;

  constructor(options: LogBackendOptions) {
    if (options.path === '') throw new Error('audit log: path not specified');
    this.path = options.path;
    this.maxBytes = Math.floor(nonNegative('maxSizeMB', options.maxSizeMB, DEFAULT_AUDIT_LOG_MAX_SIZE_MB) * MEGABYTE);
    this.maxBackups = nonNegative('maxBackups', options.maxBackups, DEFAULT_AUDIT_LOG_MAX_BACKUPS);
    this.maxAgeDays = nonNegative('maxAgeDays', options.maxAgeDays, DEFAULT_AUDIT_LOG_MAX_AGE_DAYS);
    this.fsync = options.fsync ?? false;
    this.now = options.now ?? (() => new Date());
    if (this.path === '-') {
      this.fd = STDOUT_FD;
      return;
    }
    // As Go's ensureLogFile: fail at startup, not at the first request, when the file cannot be made.
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    closeSync(openSync(this.path, fsConstants.O_CREAT | fsConstants.O_APPEND | fsConstants.O_RDWR, 0o600));
    if (this.maxBytes === 0) {
      // Without a size limit Go appends to the plain file, with no lumberjack at all.
      this.fd = openSync(this.path, fsConstants.O_APPEND | fsConstants.O_WRONLY);
    }
  }

  private get rotates(): boolean {
    return this.path !== '-' && this.maxBytes > 0;
  }

  /** Appends one event; when it returns, the line is written. Throws when it could not be. */
  write(event: AuditEvent): void {
    this.writeLine(encodeEventLine(event));
  }

  /** Appends one already encoded line (it should end with "\n"). */
  writeLine(line: string): void {
    if (this.closed) throw new Error('audit log: write after close');
    const data = Buffer.from(line, 'utf8');
    if (this.rotates) {
      if (data.length > this.maxBytes) {
        throw new Error(`audit log: write length ${data.length} exceeds maximum file size ${this.maxBytes}`);
      }
      if (this.fd === undefined) this.openExistingOrNew(data.length);
      if (this.size + data.length > this.maxBytes) this.rotate();
    }
    const fd = this.fd;
    if (fd === undefined) throw new Error('audit log: file is not open');
    let off = 0;
    while (off < data.length) {
      try {
        const n = writeSync(fd, data, off, data.length - off);
        off += n;
        // Counted as written, so a line that fails halfway still counts toward the size limit.
        this.size += n;
      } catch (err) {
        // A non-blocking stdout pipe that is full: wait a moment for the reader to drain it.
        if (isErrno(err, 'EAGAIN')) {
          Atomics.wait(PAUSE, 0, 0, 1);
          continue;
        }
        throw err;
      }
    }
    if (this.fsync && fd !== STDOUT_FD) fdatasyncSync(fd);
  }

  /** Closes the file (stdout stays open). Later writes throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd !== undefined && this.fd !== STDOUT_FD) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Starts a new file now, as lumberjack's Rotate(). */
  rotate(): void {
    if (this.closed) throw new Error('audit log: rotate after close');
    if (!this.rotates) return;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.openNew();
    this.prune();
  }

  /** The first write opens the file, rotating first when this line would not fit (lumberjack's openExistingOrNew). */
  private openExistingOrNew(writeLen: number): void {
    this.prune();
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        this.openNew();
        return;
      }
      throw err;
    }
    if (size + writeLen >= this.maxBytes) {
      this.rotate();
      return;
    }
    try {
      this.fd = openSync(this.path, fsConstants.O_APPEND | fsConstants.O_WRONLY);
      this.size = size;
    } catch {
      this.openNew();
    }
  }

  /** Moves the current file aside under its backup name and starts an empty one with the same mode. */
  private openNew(): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o755 });
    let mode = 0o600;
    try {
      const info = statSync(this.path);
      mode = info.mode & 0o7777;
      renameSync(this.path, this.freeBackupName());
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    this.fd = openSync(this.path, fsConstants.O_CREAT | fsConstants.O_WRONLY | fsConstants.O_TRUNC, mode);
    this.size = 0;
  }

  private nameParts(): { dir: string; prefix: string; ext: string } {
    const base = basename(this.path);
    const ext = goExt(base);
    return { dir: dirname(this.path), prefix: base.slice(0, base.length - ext.length), ext };
  }

  /**
   * `<name>-<timestamp><ext>` as lumberjack names backups. Where lumberjack would overwrite a backup
   * made in the same millisecond, the timestamp moves on a millisecond, so no audit lines are lost.
   */
  private freeBackupName(): string {
    const { dir, prefix, ext } = this.nameParts();
    let t = this.now().getTime();
    for (;;) {
      const name = join(dir, `${prefix}-${formatBackupTimestamp(new Date(t))}${ext}`);
      try {
        statSync(name);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return name;
        throw err;
      }
      t += 1;
    }
  }

  /** The rotated files beside the log, newest first (lumberjack's oldLogFiles; ".gz" ones count too). */
  backups(): Array<{ name: string; time: Date }> {
    if (this.path === '-') return [];
    const parts = this.nameParts();
    const { dir, ext } = parts;
    const prefix = `${parts.prefix}-`;
    const found: Array<{ name: string; time: Date }> = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() || !entry.name.startsWith(prefix)) continue;
      for (const suffix of [ext, `${ext}.gz`]) {
        if (!entry.name.endsWith(suffix) || entry.name.length < prefix.length + suffix.length) continue;
        const time = parseBackupTimestamp(entry.name.slice(prefix.length, entry.name.length - suffix.length));
        if (time !== undefined) {
          found.push({ name: entry.name, time });
          break;
        }
      }
    }
    return found.sort((a, b) => b.time.getTime() - a.time.getTime());
  }

  /**
   * Removes backups past maxBackups and older than maxAgeDays (lumberjack's millRunOnce). Done in
   * line rather than in the background; failures are ignored as lumberjack ignores them, so pruning
   * never fails a write.
   */
  private prune(): void {
    if (this.maxBackups === 0 && this.maxAgeDays === 0) return;
    let files: Array<{ name: string; time: Date }>;
    try {
      files = this.backups();
    } catch {
      return;
    }
    const remove: string[] = [];
    if (this.maxBackups > 0 && this.maxBackups < files.length) {
      // A backup and its .gz count once.
      const preserved = new Set<string>();
      const remaining: typeof files = [];
      for (const f of files) {
        preserved.add(f.name.endsWith('.gz') ? f.name.slice(0, -3) : f.name);
        if (preserved.size > this.maxBackups) remove.push(f.name);
        else remaining.push(f);
      }
      files = remaining;
    }
    if (this.maxAgeDays > 0) {
      const cutoff = this.now().getTime() - this.maxAgeDays * DAY_MS;
      for (const f of files) if (f.time.getTime() < cutoff) remove.push(f.name);
    }
    const { dir } = this.nameParts();
    for (const name of remove) {
      try {
        unlinkSync(join(dir, name));
      } catch {
        // Already gone, or not ours to remove: the next rotation tries again.
      }
    }
  }
}
