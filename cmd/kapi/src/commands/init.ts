/** `kapi init <dir> --domain <domain>`: a new project, ready for `kapi create api`. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { CliError } from '../errors.js';
import { MODEL_FILE, newModel, parseModel, saveModel, type Project } from '../project/model.js';
import { checkDomain, projectNameOf } from '../project/names.js';
import { writeFiles, type GeneratedFile } from '../project/writer.js';
import { gitignore } from '../templates/project/gitignore.js';
import { jestConfig } from '../templates/project/jest-config.js';
import { MAIN_PATH, serverMain } from '../templates/project/main.js';
import { KAPI_PACKAGES, packageJson } from '../templates/project/package-json.js';
import { projectReadme } from '../templates/project/readme.js';
import { tsconfigJson } from '../templates/project/tsconfig.js';
import { reportFile, type Output } from '../ui.js';

export interface InitOptions {
  domain: string;
  name?: string;
  /** A kapi checkout to depend on through file: links (also env KAPI_SOURCE). */
  kapiSource?: string;
  force?: boolean;
}

function checkKapiSource(path: string): string {
  const abs = resolve(path);
  for (const p of KAPI_PACKAGES) {
    if (!existsSync(join(abs, p.dir, 'package.json'))) {
      throw new CliError(`--kapi-source ${abs} has no ${p.dir}/package.json`, 'point it at the root of a kapi checkout (the directory with packages/ and cmd/)');
    }
    if (!existsSync(join(abs, p.dir, 'dist', 'index.js'))) {
      throw new CliError(`${p.name} in ${abs} is not built (no ${p.dir}/dist/index.js)`, `run \`npx tsc -b\` in ${abs} first`);
    }
  }
  return abs;
}

export function initProject(dir: string, opts: InitOptions, out: Output): Project {
  const root = resolve(dir);
  const domain = checkDomain(opts.domain);
  const name = opts.name ?? projectNameOf(basename(root));
  if (existsSync(join(root, MODEL_FILE)) && !opts.force) {
    throw new CliError(`${root} is already a kapi project (it has ${MODEL_FILE})`, 'add kinds with `kapi create api`, or re-run `kapi init` with --force to rewrite the scaffold files');
  }
  if (existsSync(root) && !opts.force && readdirSync(root).some((f) => f !== '.git')) {
    throw new CliError(`${root} is not empty`, 'pick a new directory, or pass --force to add the project files beside what is there (files kapi would replace are kept unless unchanged)');
  }
  const source = opts.kapiSource ?? process.env.KAPI_SOURCE;
  const kapiSource = source ? checkKapiSource(isAbsolute(source) ? source : resolve(source)) : undefined;

  // With --force in an existing project, its kinds stay: the scaffold files are rewritten around them.
  const modelPath = join(root, MODEL_FILE);
  const model = existsSync(modelPath) ? parseModel(readFileSync(modelPath, 'utf8'), modelPath) : newModel(name, domain);
  const project: Project = { dir: root, model };
  const files: GeneratedFile[] = [
    { path: 'package.json', content: packageJson(model, kapiSource ? { kapiSource } : {}) },
    { path: 'tsconfig.json', content: tsconfigJson() },
    { path: 'jest.config.js', content: jestConfig() },
    { path: '.gitignore', content: gitignore() },
    { path: 'README.md', content: projectReadme(model) },
    { path: MAIN_PATH, content: serverMain(model) },
  ];
  out.write(`Creating the kapi project ${name} (domain ${domain}) in ${root}\n`);
  writeFiles(files, [], { root, ledger: model.files, force: opts.force ?? false, onWrite: (r) => reportFile(out, r) });
  saveModel(project);
  reportFile(out, { path: MODEL_FILE, action: 'create' });
  out.write(`
Next:
  cd ${dir}
  kapi create api --group <group> --version v1 --kind <Kind>
  npm install && npm run build && npm test
  kapi run local
`);
  return project;
}
