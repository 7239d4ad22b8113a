/** What the benchmarks in test/bench say about the machine and the processes they measure (Linux /proc). */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { fmt } from './format.js';

/** e.g. "2 × AMD EPYC 7B13, 23.5 GiB RAM, Linux 6.1.0". */
export function describeMachine(): string {
  const cpus = os.cpus();
  const cpuModel = cpus[0]?.model.trim() ?? 'unknown';
  return `${cpus.length} × ${cpuModel}, ${fmt(os.totalmem() / 1024 ** 3, 1)} GiB RAM, ${os.type()} ${os.release()}`;
}

/** The 1/5/15-minute load average, e.g. "1.54 1.63 1.39". */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** The filesystem the temp dirs (sqlite file, etcd data dir) live on, from /proc/mounts. */
export function tmpFilesystem(): string {
  const dir = os.tmpdir();
  let best: { at: string; type: string; dev: string } | undefined;
  try {
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [dev, at, type] = line.split(' ');
      if (!dev || !at || !type) continue;
      if ((dir === at || dir.startsWith(at.endsWith('/') ? at : `${at}/`)) && (!best || at.length >= best.at.length)) best = { at, type, dev };
    }
  } catch {
    // not Linux
  }
  return best ? `${dir} on ${best.type} (${best.dev})` : dir;
}

/** `etcd --version`'s version, or "unknown". */
export function etcdVersion(): string {
  try {
    const out = execFileSync('etcd', ['--version'], { encoding: 'utf8' });
    return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The pid of the process whose command line has `arg` as one argument, or `flag` followed by `arg`
 * (e.g. findPid('--data-dir', dir) or findPid(`--cert-dir=${dir}`)); this machine runs other
 * engineers' servers too, so match on something unique such as a temp dir.
 */
export function findPid(flagOrArg: string, value?: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf(flagOrArg);
      if (at >= 0 && (value === undefined || args[at + 1] === value)) return Number(entry);
    } catch {
      // the process went away
    }
  }
  return undefined;
}

/** A size field of /proc/<pid>/status in bytes (VmRSS: now, VmHWM: peak), or undefined once the process is gone. */
export function procMemory(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of /proc/<pid>/stat after the command (which may hold spaces): field 3 onwards. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `root` and every process below it (children, their children, …), from the parent pids in /proc/<pid>/stat. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]);
    if (!Number.isFinite(ppid)) continue;
    let list = children.get(ppid);
    if (!list) children.set(ppid, (list = []));
    list.push(Number(entry));
  }
  const tree: number[] = [];
  for (const queue = [root]; queue.length > 0; ) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * A server and the processes it started (the workers of `--workers`), or several such trees that
 * serve as one (the Go sample-apiserver and its kine), for memory and CPU summed over all of them.
 * The list of processes is read again at most every `refreshMs` (a scan of /proc).
 */
export class ProcessGroup {
  private pids: number[];
  private readAt = Date.now();

  constructor(
    readonly roots: readonly number[],
    private readonly refreshMs = 1000,
  ) {
    this.pids = roots.flatMap(processTree);
  }

  members(): number[] {
    if (Date.now() - this.readAt >= this.refreshMs) {
      this.pids = this.roots.flatMap(processTree);
      this.readAt = Date.now();
    }
    return this.pids;
  }

  /**
   * VmRSS summed over the processes, in bytes; undefined once the root is gone. Pages the processes
   * share (the node binary, copy-on-write) count once per process: an upper bound of their memory.
   */
  rss(): number | undefined {
    let total: number | undefined;
    for (const pid of this.members()) {
      const rss = procMemory(pid, 'VmRSS');
      if (rss !== undefined) total = (total ?? 0) + rss;
    }
    return total;
  }

  /**
   * CPU seconds (user + system) used so far by the processes, each with its reaped children's
   * (so the time of a worker that died and was replaced still counts); undefined once the root is gone.
   */
  cpuSeconds(): number | undefined {
    let ticks: number | undefined;
    for (const pid of this.members()) {
      const fields = statFields(pid);
      if (!fields) continue;
      // utime, stime, cutime, cstime: fields 14 to 17.
      ticks = (ticks ?? 0) + Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    }
    return ticks === undefined ? undefined : ticks / 100; // USER_HZ is 100 on Linux
  }
}

/**
 * Samples another process's RSS (VmRSS) every `intervalMs` (or the sum over a ProcessGroup);
 * `take()` returns the peak since the last take.
 */
export class ProcessRssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly target: number | ProcessGroup,
    intervalMs = 50,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const rss = typeof this.target === 'number' ? procMemory(this.target, 'VmRSS') : this.target.rss();
    this.peak = Math.max(this.peak, rss ?? 0);
  }

  take(): number {
    this.sample();
    const peak = this.peak;
    this.peak = 0;
    return peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; undefined once it is gone. */
export function procCpuSeconds(pid: number): number | undefined {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15.
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : undefined; // USER_HZ is 100 on Linux
}
