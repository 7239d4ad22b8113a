/**
 * Guarantees that what a test started does not outlive the test process, however it ends.
 *
 * An in-process 'exit' hook is not enough: under jest, `process` is a sandbox copy whose 'exit'
 * listeners never run, a test process killed with SIGKILL runs nothing, and child processes that
 * are still running keep jest from exiting at all. So each cluster gets a small watchdog: a
 * detached `sh` that polls this process's pid and, once it is gone, kills the pids and removes the
 * paths listed in a state file. stop() ends the watchdog first, so it only acts when stop() did not run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** $1: the pid to watch; $2: the state file, first line the pids, then one path a line. */
const WATCHDOG_SCRIPT = `
parent="$1"; state="$2"
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
[ -f "$state" ] || exit 0
pids="$(head -n 1 "$state")"
paths="$(tail -n +2 "$state")"
if [ -n "$pids" ]; then kill -KILL $pids 2>/dev/null; fi
printf '%s\n' "$paths" | while IFS= read -r path; do
  if [ -n "$path" ]; then rm -rf -- "$path"; fi
done
`;

export class Watchdog {
  private readonly child: ChildProcess;

  /** @param stateFile where the pids and paths to clean up are kept (see track) */
  constructor(private readonly stateFile: string) {
    writeFileSync(stateFile, '\n');
    this.child = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'kapi-watchdog', String(process.pid), stateFile], {
      stdio: 'ignore',
      // Its own process group: a Ctrl-C meant for the test run does not stop the cleanup.
      detached: true,
    });
    this.child.unref();
  }

  /** What to kill and remove if this process dies; replaces what was given before. */
  track(pids: Array<number | undefined>, paths: string[]): void {
    const live = pids.filter((p): p is number => typeof p === 'number' && p > 0);
    writeFileSync(this.stateFile, [live.join(' '), ...paths].join('\n') + '\n');
  }

  /** Ends the watchdog without it doing anything (the caller cleans up). */
  stop(): void {
    this.child.kill('SIGKILL');
  }
}

/**
 * The pid of a child of this process whose command line contains `args` in a row, e.g.
 * ['--data-dir', dir]: found in /proc (Linux), undefined when there is none.
 */
export function findChildPid(args: string[]): number | undefined {
  const needle = args.join('\0') + '\0';
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(join('/proc', entry, 'cmdline'), 'utf8');
      if (!cmdline.includes(needle)) continue;
      const stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) return Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  return undefined;
}
