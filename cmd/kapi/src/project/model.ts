/**
 * The project model: `kapi.json` at the root of a project, kept by the CLI (as kubebuilder keeps
 * PROJECT). Every generator reads it, so re-running a command gives the same files.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError } from '../errors.js';

export const MODEL_FILE = 'kapi.json';
export const MODEL_VERSION = 1;

export type DeployStorage = 'etcd3' | 'crd';

export interface KindModel {
  /** Full API group, e.g. ship.example.com. */
  group: string;
  /** The group's directory under src/apis, e.g. ship. */
  groupDir: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  statusSubresource: boolean;
  scaleSubresource: boolean;
  /** The storage version; every other version converts to and from it. */
  hubVersion: string;
  /** In preference order (the hub first, as created). */
  versions: string[];
  /**
   * The source module that exports the kind's definition as `<kind>Kind` (e.g. flunderKind), when
   * it is not the one `kapi create api` writes (src/apis/<groupDir>/<kind>.ts); read by `kapi generate client`.
   */
  module?: string;
}

export interface ProjectModel {
  /** Format of this file. */
  version: number;
  /** The npm package name, also the deploy namespace and the name of the kubeconfig's context. */
  name: string;
  domain: string;
  /** The Kubernetes namespace the server is deployed to (default: the name). */
  namespace?: string;
  /** Container image of the server (default: <name>:latest). */
  image?: string;
  /** The built entry point, relative to the project (default dist/main.js). */
  entry?: string;
  /** When the project is an npm workspace inside a monorepo: its path from the Docker build context (the monorepo root). */
  workspace?: string;
  /** Storage the deployment uses (default etcd3). */
  deployStorage?: DeployStorage;
  kinds: KindModel[];
  /** The external metrics the project serves (external.metrics.k8s.io/v1beta1), in the order `kapi create metric` added them. */
  metrics?: string[];
  /** SHA-256 of each file as the CLI last wrote it: a file that no longer matches has user edits. */
  files: Record<string, string>;
}

export interface Project {
  /** Absolute project directory. */
  dir: string;
  model: ProjectModel;
}

export function newModel(name: string, domain: string): ProjectModel {
  return { version: MODEL_VERSION, name, domain, kinds: [], files: {} };
}

export function namespaceOf(model: ProjectModel): string {
  return model.namespace ?? model.name;
}

export function imageOf(model: ProjectModel): string {
  return model.image ?? `${model.name}:latest`;
}

export function entryOf(model: ProjectModel): string {
  return model.entry ?? 'dist/main.js';
}

/** The group/versions the project serves, each once, in the order kinds and versions were added. */
export function groupVersions(model: ProjectModel): { group: string; version: string }[] {
  const seen = new Set<string>();
  const out: { group: string; version: string }[] = [];
  for (const kind of model.kinds) {
    for (const version of kind.versions) {
      const key = `${kind.group}/${version}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push({ group: kind.group, version });
      }
    }
  }
  // The external metrics API, registered as any group version (its APIService v1beta1.external.metrics.k8s.io).
  if (model.metrics?.length) out.push({ group: EXTERNAL_METRICS_GROUP, version: 'v1beta1' });
  return out;
}

/** The group of `kapi create metric`'s metrics. */
export const EXTERNAL_METRICS_GROUP = 'external.metrics.k8s.io';

export function findKind(model: ProjectModel, group: string, kind: string): KindModel | undefined {
  return model.kinds.find((k) => k.group === group && k.kind === kind);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and checks kapi.json. */
export function parseModel(text: string, path: string): ProjectModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not valid JSON: ${(err as Error).message}`, 'fix the file by hand or restore it from version control');
  }
  if (!isRecord(raw) || typeof raw.name !== 'string' || typeof raw.domain !== 'string' || !Array.isArray(raw.kinds)) {
    throw new CliError(`${path} lacks name, domain or kinds`, 'restore it from version control, or run `kapi init` in a new directory');
  }
  if (raw.version !== MODEL_VERSION) {
    throw new CliError(`${path} has format version ${String(raw.version)}; this kapi reads version ${MODEL_VERSION}`, 'use the kapi release that made the project');
  }
  const model = raw as unknown as ProjectModel;
  if (!isRecord(model.files)) model.files = {};
  return model;
}

/** The project containing `start` (it or an ancestor holds kapi.json). */
export function findProject(start: string): Project {
  let dir = resolve(start);
  for (;;) {
    const path = join(dir, MODEL_FILE);
    if (existsSync(path)) return { dir, model: parseModel(readFileSync(path, 'utf8'), path) };
    const parent = dirname(dir);
    if (parent === dir) {
      throw new CliError(`no ${MODEL_FILE} in ${resolve(start)} or above it: this is not a kapi project`, 'run `kapi init <dir> --domain <domain>` first, or cd into the project (or pass --project <dir>)');
    }
    dir = parent;
  }
}

/** Keys sorted where order carries no meaning, so the file diffs cleanly. */
export function serializeModel(model: ProjectModel): string {
  const files = Object.fromEntries(Object.entries(model.files).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({ ...model, files }, null, 2)}\n`;
}

export function saveModel(project: Project): void {
  writeFileSync(join(project.dir, MODEL_FILE), serializeModel(project.model));
}
