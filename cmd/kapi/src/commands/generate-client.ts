/**
 * `kapi generate client`: builds the project, loads its kinds' definitions from the built modules
 * (the schemas are values, so the client is generated from what the server serves), and writes a
 * typed client per group/version (codegen/client.ts) under --out (default src/client).
 * The files are generated code: each run rewrites them, and removes generated files it no longer makes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KindDefinition } from '@kapi/apiserver/scheme';
import { GENERATED_HEADER, generateClient, type ClientFile } from '../codegen/client.js';
import { builtModuleOf, CLIENT_DIR, isKindDefinition } from '../codegen/project-client.js';
import { CliError } from '../errors.js';
import type { Project } from '../project/model.js';
import { kindNames } from '../templates/api/names.js';
import { reportFile, type Output } from '../ui.js';

export interface GenerateClientCommandOptions {
  /** Output directory, absolute or relative to the project (default src/client). */
  out?: string;
  /** Run `npx tsc -b` first (default true). */
  build?: boolean;
  /** The runtime module the generated code imports (default @kapi/client). */
  runtime?: string;
}

async function loadModule(path: string): Promise<Record<string, unknown>> {
  try {
    return createRequire(path)(path) as Record<string, unknown>;
  } catch (err) {
    // An ES module project (require of ESM needs Node 22): import it.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  }
}

/** The project's kinds, as its built modules define them (in kapi.json's order). */
export async function loadProjectKinds(project: Project): Promise<KindDefinition[]> {
  const kinds: KindDefinition[] = [];
  for (const model of project.model.kinds) {
    const file = join(project.dir, builtModuleOf(model));
    if (!existsSync(file)) throw new CliError(`${relative(process.cwd(), file)} does not exist`, 'build the project (`npx tsc -b`), or set the kind\'s "module" in kapi.json to the source file that exports it');
    const exported = (await loadModule(file))[kindNames(model).kindVar];
    if (!isKindDefinition(exported) || exported.group !== model.group || exported.kind !== model.kind) {
      throw new CliError(`${relative(process.cwd(), file)} does not export ${kindNames(model).kindVar} as the kind ${model.kind}.${model.group}`, 'export the defineKind(...) result under that name');
    }
    kinds.push(exported);
  }
  return kinds;
}

/** Files under `dir` that carry the generated header. */
function generatedFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    if (readFileSync(path, 'utf8').startsWith(`// ${GENERATED_HEADER}`)) found.push(path);
  }
  return found;
}

/** Writes `files` under `outDir`, and removes the generated files there that are not among them. */
export function writeClientFiles(outDir: string, files: ClientFile[], out: Output, shownFrom = process.cwd()): void {
  const written = new Set<string>();
  for (const file of files) {
    const path = join(outDir, file.path);
    written.add(path);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    const shown = relative(shownFrom, path);
    if (before === file.content) {
      reportFile(out, { path: shown, action: 'unchanged' });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
    reportFile(out, { path: shown, action: before === undefined ? 'create' : 'update' });
  }
  for (const stale of generatedFilesUnder(outDir)) {
    if (written.has(stale)) continue;
    rmSync(stale);
    out.write(`  ${'remove'.padEnd(9)} ${relative(shownFrom, stale)}\n`);
  }
}

export async function generateClientCommand(project: Project, opts: GenerateClientCommandOptions, out: Output): Promise<ClientFile[]> {
  if (project.model.kinds.length === 0) throw new CliError('the project has no kinds', 'add one with `kapi create api` first');
  if (opts.build ?? true) {
    out.write('==> Building (npx tsc -b) …\n');
    const result = spawnSync('npx', ['tsc', '-b'], { cwd: project.dir, encoding: 'utf8' });
    if (result.status !== 0) {
      throw new CliError(`the build failed (npx tsc -b):\n${result.stdout}${result.stderr}`, 'fix the errors above (or pass --no-build to use the built files as they are), then run `kapi generate client` again');
    }
  }
  const kinds = await loadProjectKinds(project);
  const files = generateClient(kinds, opts.runtime ? { runtime: opts.runtime } : {});
  const outDir = resolve(project.dir, opts.out ?? CLIENT_DIR);
  out.write(`Writing the typed clients of ${[...new Set(kinds.map((k) => k.group))].join(', ')} to ${relative(process.cwd(), outDir) || '.'}\n`);
  writeClientFiles(outDir, files, out);
  return files;
}
