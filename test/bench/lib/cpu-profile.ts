/**
 * Reading a `node --cpu-prof` profile of the server for one scenario: where the main thread's time
 * went, by area, by function (self time) and by kapi function with its callees (inclusive time),
 * counted only inside the scenario's window. The profile's timestamps are microseconds of
 * CLOCK_MONOTONIC, the clock `process.hrtime` reads in the bench: so the bench marks a window with
 * `monotonicMicros()` and start-up, warm-up and setup fall outside it.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Now, in the clock of a CPU profile's timestamps. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface ProfileWindow {
  fromMicros: number;
  toMicros: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface TimeShare {
  /** An area, or a function with where it is. */
  name: string;
  where?: string;
  ms: number;
  /** Of the busy (non-idle) time in the window. */
  pct: number;
}

export interface ProfileSummary {
  windowMs: number;
  idleMs: number;
  busyMs: number;
  byArea: TimeShare[];
  topSelf: TimeShare[];
  /** kapi's own functions by inclusive time (callees counted, recursion once; a chain that passes its time down shown once, by its outermost call). */
  topKapi: TimeShare[];
}

/** Where a function lives: a package, node's internals, kapi's own code, or the VM. */
function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native / VM)';
  // node:internal/crypto/x509 → node:internal/crypto; node:_tls_wrap stays.
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, url.startsWith('node:internal/') ? 2 : 1).join('/')}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(packages|cmd)\/([^/]+)\//.exec(url);
  if (m) return `kapi ${m[1] === 'cmd' ? 'cmd/' : '@kapi/'}${m[2]}`;
  return url;
}

const isKapi = (url: string): boolean => /\/(packages|cmd)\/[^/]+\/dist\//.test(url) && !url.includes('node_modules/');

/** Summarizes `file` inside `window` (the whole profile when absent); paths are shown relative to `root`. */
export function summarizeCpuProfile(file: string, root: string, window?: ProfileWindow, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const selfMicros = new Map<number, number>();
  let at = profile.startTime;
  let windowMicros = 0;
  profile.samples.forEach((id, i) => {
    const delta = Math.max(0, profile.timeDeltas[i] ?? 0);
    at += delta;
    if (window && (at < window.fromMicros || at > window.toMicros)) return;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
    windowMicros += delta;
  });

  const fileOf = (url: string): string => (url.startsWith('file://') ? url.slice(7) : url);
  const whereOf = (node: ProfileNode): string => {
    const { url, lineNumber } = node.callFrame;
    if (!url) return '';
    const path = url.startsWith('file://') ? relative(root, fileOf(url)) : url;
    return `${path}:${lineNumber + 1}`;
  };
  const keyOf = (node: ProfileNode): string => `${node.callFrame.functionName || '(anonymous)'}@${whereOf(node)}`;

  let idle = 0;
  const areas = new Map<string, number>();
  const self = new Map<string, { node: ProfileNode; micros: number }>();
  const inclusive = new Map<string, { node: ProfileNode; micros: number }>();
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id);
    if (!node) continue;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') {
      idle += micros;
      continue;
    }
    const area = areaOf(fileOf(node.callFrame.url), fn);
    areas.set(area, (areas.get(area) ?? 0) + micros);
    const key = keyOf(node);
    self.set(key, { node, micros: (self.get(key)?.micros ?? 0) + micros });
    // Every kapi function on the stack gets the sample once, however often it recurs.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      const frame = byId.get(cur)!;
      if (!isKapi(fileOf(frame.callFrame.url))) continue;
      const k = keyOf(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, { node: frame, micros: (inclusive.get(k)?.micros ?? 0) + micros });
    }
  }
  const busy = windowMicros - idle;
  const share = (name: string, micros: number, where?: string): TimeShare => ({
    name,
    ...(where !== undefined ? { where } : {}),
    ms: micros / 1000,
    pct: busy > 0 ? (micros / busy) * 100 : 0,
  });
  const ranked = (m: Map<string, { node: ProfileNode; micros: number }>, n: number): TimeShare[] =>
    [...m.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, n)
      .map((e) => share(e.node.callFrame.functionName || '(anonymous)', e.micros, whereOf(e.node)));
  // A chain of calls that pass their time down (flush → commit → appendAll) is one row: the outermost.
  const callsInto = (outer: string, inner: string): boolean =>
    profile.nodes.some((node) => {
      if (keyOf(node) !== inner) return false;
      for (let cur = parentOf.get(node.id); cur !== undefined; cur = parentOf.get(cur)) if (keyOf(byId.get(cur)!) === outer) return true;
      return false;
    });
  const chainHeads = (n: number): TimeShare[] => {
    const kept: Array<{ key: string; micros: number; node: ProfileNode }> = [];
    for (const [key, e] of [...inclusive.entries()].sort((a, b) => b[1].micros - a[1].micros)) {
      if (kept.length === n) break;
      const previous = kept[kept.length - 1];
      if (previous && e.micros >= previous.micros * 0.97 && (callsInto(previous.key, key) || callsInto(key, previous.key))) continue;
      kept.push({ key, ...e });
    }
    return kept.map((e) => share(e.node.callFrame.functionName || '(anonymous)', e.micros, whereOf(e.node)));
  };
  return {
    windowMs: windowMicros / 1000,
    idleMs: idle / 1000,
    busyMs: busy / 1000,
    byArea: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([area, micros]) => share(area, micros)),
    topSelf: ranked(self, top),
    topKapi: chainHeads(top),
  };
}
