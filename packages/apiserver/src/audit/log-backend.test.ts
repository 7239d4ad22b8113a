// The module object itself, so a spy replaces what log-backend.ts calls.
import fs = require('node:fs');
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAuditEvent, type AuditEvent } from './event.js';
import { LogBackend, encodeEventLine, formatBackupTimestamp, parseBackupTimestamp } from './log-backend.js';

const MB = 1024 * 1024;

function event(n: number, padding = 0): AuditEvent {
  return buildAuditEvent({
    level: 'Metadata',
    stage: 'ResponseComplete',
    auditID: `id-${n}`,
    attributes: {
      user: { username: 'alice' },
      verb: 'create',
      isResourceRequest: true,
      path: '/apis/wardle.example.com/v1alpha1/namespaces/ns1/flunders',
      apiGroup: 'wardle.example.com',
      apiVersion: 'v1alpha1',
      namespace: 'ns1',
      resource: 'flunders',
      subresource: '',
      name: '',
    },
    requestURI: '/apis/wardle.example.com/v1alpha1/namespaces/ns1/flunders',
    sourceIPs: ['10.0.0.1'],
    requestReceivedTimestamp: Date.UTC(2026, 11, 1, 10, 0, 0),
    stageTimestamp: Date.UTC(2026, 11, 1, 10, 0, 1),
    response: { code: 201 },
    annotations: padding > 0 ? { pad: 'x'.repeat(padding) } : {},
  });
}

/** A clock that moves one second on each reading, from 2026-12-01T10:00:00Z. */
function steppingClock(): () => Date {
  let t = Date.UTC(2026, 11, 1, 10, 0, 0);
  return () => {
    t += 1000;
    return new Date(t);
  };
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

function auditIDs(file: string): string[] {
  return lines(file).map((l) => (JSON.parse(l) as AuditEvent).auditID);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kapi-audit-log-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('LogBackend', () => {
  it('creates the directory and a 0600 file at start, and writes one JSON event per line', () => {
    const path = join(dir, 'logs', 'audit.log');
    const backend = new LogBackend({ path });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'logs')).mode & 0o777).toBe(0o700);

    backend.write(event(1));
    // Synchronous: the line is in the file as soon as write() returns.
    expect(auditIDs(path)).toEqual(['id-1']);
    backend.write(event(2));
    backend.close();
    expect(auditIDs(path)).toEqual(['id-1', 'id-2']);
    expect(JSON.parse(lines(path)[0]!)).toEqual(event(1));
  });

  it('appends to an existing log', () => {
    const path = join(dir, 'audit.log');
    writeFileSync(path, encodeEventLine(event(0)));
    const backend = new LogBackend({ path });
    backend.write(event(1));
    backend.close();
    expect(auditIDs(path)).toEqual(['id-0', 'id-1']);
  });

  it('escapes <, > and & as Go does', () => {
    const line = encodeEventLine({ ...event(1), requestURI: '/x?a=<b>&c' });
    expect(line).toContain('"requestURI":"/x?a=\\u003cb\\u003e\\u0026c"');
    expect(line.endsWith('}\n')).toBe(true);
    expect((JSON.parse(line) as AuditEvent).requestURI).toBe('/x?a=<b>&c');
  });

  it('rotates before a line would pass maxSize, naming backups <name>-<UTC time><ext>, losing nothing', () => {
    const path = join(dir, 'audit.log');
    const lineSize = Buffer.byteLength(encodeEventLine(event(10, 300)));
    const backend = new LogBackend({ path, maxSizeMB: (3 * lineSize + 10) / MB, maxBackups: 0, maxAgeDays: 0, now: steppingClock() });
    for (let i = 10; i < 20; i++) backend.write(event(i, 300));
    backend.close();

    // Three lines fit a file: 10 lines make three rotations.
    const backups = readdirSync(dir).filter((f) => f !== 'audit.log').sort();
    expect(backups).toEqual(['audit-2026-12-01T10-00-01.000.log', 'audit-2026-12-01T10-00-02.000.log', 'audit-2026-12-01T10-00-03.000.log']);
    expect(backups.map((b) => auditIDs(join(dir, b)))).toEqual([
      ['id-10', 'id-11', 'id-12'],
      ['id-13', 'id-14', 'id-15'],
      ['id-16', 'id-17', 'id-18'],
    ]);
    expect(auditIDs(path)).toEqual(['id-19']);
    for (const f of [...backups, 'audit.log']) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(3 * lineSize + 10);
  });

  it('fills a file up to exactly maxSize before rotating', () => {
    const path = join(dir, 'audit.log');
    const lineSize = Buffer.byteLength(encodeEventLine(event(10)));
    const backend = new LogBackend({ path, maxSizeMB: (2 * lineSize) / MB, maxBackups: 0, maxAgeDays: 0, now: steppingClock() });
    for (let i = 10; i < 13; i++) backend.write(event(i));
    backend.close();
    expect(auditIDs(join(dir, 'audit-2026-12-01T10-00-01.000.log'))).toEqual(['id-10', 'id-11']);
    expect(statSync(join(dir, 'audit-2026-12-01T10-00-01.000.log')).size).toBe(2 * lineSize);
    expect(auditIDs(path)).toEqual(['id-12']);
  });

  it('rotates real megabytes with the maxSizeMB a flag gives', () => {
    const path = join(dir, 'audit.log');
    const backend = new LogBackend({ path, maxSizeMB: 1, maxBackups: 0, maxAgeDays: 0, now: steppingClock() });
    // ~100 KiB events: ten fit in 1 MiB, so 25 make two backups.
    for (let i = 0; i < 25; i++) backend.write(event(i, 100 * 1024));
    backend.close();
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(3);
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(MB);
    expect(files.flatMap((f) => (f === 'audit.log' ? [] : auditIDs(join(dir, f)))).length + auditIDs(path).length).toBe(25);
  });

  it('keeps only the newest maxBackups rotated files', () => {
    const path = join(dir, 'audit.log');
    const lineSize = Buffer.byteLength(encodeEventLine(event(10, 200)));
    // One byte over a line: an empty file never counts as full (lumberjack rotates at >= on first open).
    const backend = new LogBackend({ path, maxSizeMB: (lineSize + 1) / MB, maxBackups: 2, maxAgeDays: 0, now: steppingClock() });
    for (let i = 10; i < 16; i++) backend.write(event(i, 200));
    backend.close();

    // One line per file: five rotations, of which the last two backups stay.
    const backups = readdirSync(dir).filter((f) => f !== 'audit.log').sort();
    expect(backups).toHaveLength(2);
    expect(backups.map((b) => auditIDs(join(dir, b)))).toEqual([['id-13'], ['id-14']]);
    expect(auditIDs(path)).toEqual(['id-15']);
  });

  it('removes backups older than maxAgeDays by the time in their names, and nothing else', () => {
    const path = join(dir, 'audit.log');
    const now = new Date(Date.UTC(2026, 11, 1, 10, 0, 0));
    const old = 'audit-2026-11-20T09-59-59.999.log';
    const recent = 'audit-2026-11-25T10-00-00.000.log';
    const foreign = ['audit-notatime.log', 'other-2020-01-01T00-00-00.000.log', 'audit-2020-01-01T00-00-00.000.txt'];
    for (const f of [old, recent, ...foreign]) writeFileSync(join(dir, f), 'x\n');

    const backend = new LogBackend({ path, maxAgeDays: 10, maxBackups: 0, now: () => now });
    backend.write(event(1));
    backend.close();
    expect(readdirSync(dir).sort()).toEqual(['audit.log', recent, ...foreign].sort());
  });

  it('rotates an existing file that is already full at the first write', () => {
    const path = join(dir, 'audit.log');
    const line = encodeEventLine(event(0));
    writeFileSync(path, line);
    const backend = new LogBackend({ path, maxSizeMB: (Buffer.byteLength(line) * 2) / MB, now: () => new Date(Date.UTC(2026, 11, 1)) });
    // Exactly filling the file counts as full for lumberjack's first open.
    backend.write(event(1));
    backend.close();
    expect(readdirSync(dir).sort()).toEqual(['audit-2026-12-01T00-00-00.000.log', 'audit.log']);
    expect(auditIDs(join(dir, 'audit-2026-12-01T00-00-00.000.log'))).toEqual(['id-0']);
    expect(auditIDs(path)).toEqual(['id-1']);
  });

  it('keeps the mode of the rotated file for the new one', () => {
    const path = join(dir, 'audit.log');
    writeFileSync(path, '', { mode: 0o640 });
    fs.chmodSync(path, 0o640);
    const lineSize = Buffer.byteLength(encodeEventLine(event(1)));
    const backend = new LogBackend({ path, maxSizeMB: (lineSize + 1) / MB, now: steppingClock() });
    backend.write(event(1));
    backend.write(event(2));
    backend.close();
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('does not overwrite a backup made in the same millisecond', () => {
    const path = join(dir, 'audit.log');
    const lineSize = Buffer.byteLength(encodeEventLine(event(10)));
    const frozen = new Date(Date.UTC(2026, 11, 1, 10, 0, 0, 5));
    const backend = new LogBackend({ path, maxSizeMB: (lineSize + 1) / MB, maxBackups: 0, maxAgeDays: 0, now: () => frozen });
    for (let i = 10; i < 14; i++) backend.write(event(i));
    backend.close();
    const backups = readdirSync(dir).filter((f) => f !== 'audit.log').sort();
    expect(backups).toEqual(['audit-2026-12-01T10-00-00.005.log', 'audit-2026-12-01T10-00-00.006.log', 'audit-2026-12-01T10-00-00.007.log']);
    expect(backups.flatMap((b) => auditIDs(join(dir, b)))).toEqual(['id-10', 'id-11', 'id-12']);
  });

  it('names backups of a file without extension <name>-<time>', () => {
    const path = join(dir, 'audit');
    const lineSize = Buffer.byteLength(encodeEventLine(event(1)));
    const backend = new LogBackend({ path, maxSizeMB: (lineSize + 1) / MB, now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) });
    backend.write(event(1));
    backend.write(event(2));
    backend.close();
    expect(readdirSync(dir).sort()).toEqual(['audit', 'audit-2026-01-02T03-04-05.006']);
  });

  it('refuses a line larger than maxSize and leaves the file as it was', () => {
    const path = join(dir, 'audit.log');
    const backend = new LogBackend({ path, maxSizeMB: 1000 / MB });
    expect(() => backend.write(event(1, 2000))).toThrow(/write length \d+ exceeds maximum file size 1000/);
    backend.write(event(2));
    backend.close();
    expect(auditIDs(path)).toEqual(['id-2']);
  });

  it('never rotates with maxSizeMB 0', () => {
    const path = join(dir, 'audit.log');
    const backend = new LogBackend({ path, maxSizeMB: 0 });
    for (let i = 0; i < 50; i++) backend.write(event(i, 1000));
    backend.close();
    expect(readdirSync(dir)).toEqual(['audit.log']);
    expect(lines(path)).toHaveLength(50);
  });

  it('refuses negative limits as Go validates the flags', () => {
    expect(() => new LogBackend({ path: join(dir, 'a.log'), maxBackups: -1 })).toThrow("maxBackups -1 can't be a negative number");
    expect(() => new LogBackend({ path: join(dir, 'a.log'), maxSizeMB: -1 })).toThrow("maxSizeMB -1 can't be a negative number");
  });

  it('close() closes the file descriptor and later writes fail', () => {
    const path = join(dir, 'audit.log');
    const openOnLog = (): number => {
      let n = 0;
      for (const fd of readdirSync('/proc/self/fd')) {
        try {
          if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
        } catch {
          // The fd readdir itself used is gone by now.
        }
      }
      return n;
    };
    const backend = new LogBackend({ path });
    backend.write(event(1));
    if (fs.existsSync('/proc/self/fd')) expect(openOnLog()).toBe(1);
    backend.close();
    if (fs.existsSync('/proc/self/fd')) expect(openOnLog()).toBe(0);
    expect(() => backend.write(event(2))).toThrow('write after close');
    expect(auditIDs(path)).toEqual(['id-1']);
  });

  it('writes to stdout for path "-", synchronously, and leaves stdout open on close', () => {
    const written: string[] = [];
    // log-backend.ts always passes (fd, buffer, offset, length).
    const fakeWriteSync = (fd: number, buffer: Buffer, offset: number, length: number): number => {
      expect(fd).toBe(1);
      written.push(buffer.subarray(offset, offset + length).toString('utf8'));
      return length;
    };
    const spy = jest.spyOn(fs, 'writeSync').mockImplementation(fakeWriteSync as unknown as typeof fs.writeSync);
    const backend = new LogBackend({ path: '-' });
    backend.write(event(1));
    expect(written.join('')).toBe(encodeEventLine(event(1)));
    backend.close();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('lists its backups newest first, counting compressed ones', () => {
    mkdirSync(join(dir, 'sub'));
    for (const f of ['audit-2026-01-01T00-00-00.000.log', 'audit-2026-03-01T00-00-00.000.log.gz', 'audit-2026-02-01T00-00-00.000.log']) {
      writeFileSync(join(dir, f), '');
    }
    const backend = new LogBackend({ path: join(dir, 'audit.log') });
    expect(backend.backups().map((b) => b.name)).toEqual([
      'audit-2026-03-01T00-00-00.000.log.gz',
      'audit-2026-02-01T00-00-00.000.log',
      'audit-2026-01-01T00-00-00.000.log',
    ]);
    backend.close();
  });
});

describe('backup timestamps', () => {
  it('format and parse 2006-01-02T15-04-05.000 in UTC', () => {
    const t = new Date(Date.UTC(2026, 11, 1, 9, 8, 7, 6));
    expect(formatBackupTimestamp(t)).toBe('2026-12-01T09-08-07.006');
    expect(parseBackupTimestamp('2026-12-01T09-08-07.006')).toEqual(t);
    expect(parseBackupTimestamp('2026-02-30T00-00-00.000')).toBeUndefined();
    expect(parseBackupTimestamp('2026-12-01T09-08-07')).toBeUndefined();
    expect(parseBackupTimestamp('2026-12-01T09:08:07.006')).toBeUndefined();
  });
});
