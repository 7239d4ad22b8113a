import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { insertAtMarker, markerLine, writeFiles } from './writer.js';

describe('writeFiles', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kapi-writer-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates, then leaves identical files, then updates files nobody edited', () => {
    const ledger: Record<string, string> = {};
    expect(writeFiles([{ path: 'a/b.txt', content: 'one\n' }], [], { root, ledger }).map((r) => r.action)).toEqual(['create']);
    expect(writeFiles([{ path: 'a/b.txt', content: 'one\n' }], [], { root, ledger }).map((r) => r.action)).toEqual(['unchanged']);
    expect(writeFiles([{ path: 'a/b.txt', content: 'two\n' }], [], { root, ledger }).map((r) => r.action)).toEqual(['update']);
    expect(readFileSync(join(root, 'a/b.txt'), 'utf8')).toBe('two\n');
  });

  it('refuses to overwrite a user edit, writing nothing, unless forced', () => {
    const ledger: Record<string, string> = {};
    writeFiles([{ path: 'edited.txt', content: 'ours\n' }], [], { root, ledger });
    writeFileSync(join(root, 'edited.txt'), 'theirs\n');
    const files = [
      { path: 'new.txt', content: 'new\n' },
      { path: 'edited.txt', content: 'ours again\n' },
    ];
    expect(() => writeFiles(files, [], { root, ledger })).toThrow(CliError);
    expect(() => writeFiles(files, [], { root, ledger })).toThrow(/edited\.txt/);
    expect(readFileSync(join(root, 'edited.txt'), 'utf8')).toBe('theirs\n');
    expect(() => readFileSync(join(root, 'new.txt'))).toThrow();
    expect(writeFiles(files, [], { root, ledger, force: true }).map((r) => r.action)).toEqual(['create', 'overwrite']);
    expect(readFileSync(join(root, 'edited.txt'), 'utf8')).toBe('ours again\n');
  });

  it('adds lines at markers once, keeping the rest of a user-owned file', () => {
    const ledger: Record<string, string> = {};
    writeFileSync(join(root, 'index.ts'), `// mine\nconst x = [\n  ${markerLine('items')}\n];\n`);
    const insertion = { path: 'index.ts', marker: 'items', lines: ['a,'] };
    writeFiles([], [insertion], { root, ledger });
    writeFiles([], [insertion], { root, ledger });
    expect(readFileSync(join(root, 'index.ts'), 'utf8')).toBe(`// mine\nconst x = [\n  a,\n  ${markerLine('items')}\n];\n`);
    // The file was not kapi's before, so it is still not recorded as kapi's.
    expect(ledger['index.ts']).toBeUndefined();
  });

  it('says what to do when a marker is gone, unless there is nothing to add', () => {
    expect(() => insertAtMarker('nothing here\n', { path: 'x.ts', marker: 'kinds', lines: ['y;'] })).toThrow(/\+kapi:scaffold:kinds/);
    expect(insertAtMarker('  y;\n', { path: 'x.ts', marker: 'kinds', lines: ['y;'] })).toBe('  y;\n');
  });

  it('adds nothing when the file already has the lines in another form', () => {
    const text = `a\n  .withKind(fooKind, { admission: () => [] })\n  ${markerLine('kinds')}\n`;
    const insertion = { path: 'main.ts', marker: 'kinds', lines: ['.withKind(fooKind)'], present: /\.withKind\(\s*fooKind\b/ };
    expect(insertAtMarker(text, insertion)).toBe(text);
    expect(insertAtMarker(text, { ...insertion, lines: ['.withKind(barKind)'], present: /\.withKind\(\s*barKind\b/ })).toBe(
      `a\n  .withKind(fooKind, { admission: () => [] })\n  .withKind(barKind)\n  ${markerLine('kinds')}\n`,
    );
  });
});
