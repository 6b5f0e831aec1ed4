// Finds the processes of a service by scanning /proc, with the start time that tells a restart apart.
import { readdir, readFile } from 'node:fs/promises';
import { hasErrorCode } from '../../failure.js';
import type { ProcessMatcher } from './options.js';

export interface ProcessStat {
  pid: number;
  /** The process name, as in /proc/<pid>/comm. */
  comm: string;
  /** One letter: R running, S sleeping, Z zombie... */
  state: string;
  /** Clock ticks after boot when the process started: with the pid, it names one process for good. */
  startTicks: number;
}

/**
 * `pid (comm) state ppid ...` (proc(5)). The name may hold spaces and parentheses, so it ends at the last
 * `)`; `starttime` is the 22nd field.
 */
export function parseProcPidStat(text: string): ProcessStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const after = text.slice(close + 2).split(' ');
  const pid = Number(text.slice(0, open).trim());
  // `after` starts at field 3 (state): field n is after[n - 3].
  const startTicks = Number(after[19]);
  if (open < 0 || close < open || !Number.isInteger(pid) || !Number.isFinite(startTicks)) {
    throw new Error('not a /proc/<pid>/stat line');
  }
  return { pid, comm: text.slice(open + 1, close), state: after[0] ?? '', startTicks };
}

/** Seconds since boot, the first field of /proc/uptime. */
export function parseUptime(text: string): number {
  const seconds = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(seconds)) throw new Error('not a /proc/uptime file');
  return seconds;
}

/** Resident memory in bytes from `/proc/<pid>/status` (`VmRSS:  1800 kB`); undefined for a kernel thread. */
export function parseVmRss(text: string): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * The resident memory of the processes together, for leak forecasts. A process that ended since it was
 * listed counts 0.
 */
export async function residentBytes(pids: readonly number[], signal: AbortSignal): Promise<number> {
  let total = 0;
  for (let i = 0; i < pids.length; i += BATCH) {
    const sizes = await Promise.all(
      pids.slice(i, i + BATCH).map(async (pid) => {
        try {
          return parseVmRss(await readFile(`/proc/${pid}/status`, { encoding: 'utf8', signal })) ?? 0;
        } catch (err) {
          if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'ESRCH')) return 0;
          throw err;
        }
      }),
    );
    for (const s of sizes) total += s;
  }
  return total;
}

/** USER_HZ: the unit of `starttime`, 100 on every Linux architecture the agent runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;
const BATCH = 64;

/** The live processes matching, the agent itself and zombies left out. */
export async function findProcesses(matcher: ProcessMatcher, signal: AbortSignal): Promise<ProcessStat[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  const found: ProcessStat[] = [];
  // In batches: thousands of processes must not mean thousands of open files at once.
  for (let i = 0; i < pids.length; i += BATCH) {
    signal.throwIfAborted();
    const batch = await Promise.all(
      pids.slice(i, i + BATCH).map((pid) => readMatching(pid, matcher, signal)),
    );
    for (const stat of batch) if (stat !== undefined) found.push(stat);
  }
  return found;
}

async function readMatching(
  pid: string,
  matcher: ProcessMatcher,
  signal: AbortSignal,
): Promise<ProcessStat | undefined> {
  try {
    const stat = parseProcPidStat(await readFile(`/proc/${pid}/stat`, { encoding: 'utf8', signal }));
    if (stat.state === 'Z' || stat.state === 'X') return undefined;
    if ('comm' in matcher) return stat.comm === matcher.comm ? stat : undefined;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, { encoding: 'utf8', signal });
    // Kernel threads have an empty command line: they are never a service's process.
    const args = cmdline.replace(/\0+$/, '').replaceAll('\0', ' ');
    return args !== '' && matcher.cmdline.test(args) ? stat : undefined;
  } catch (err) {
    // The process ended between listing /proc and reading it.
    if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'ESRCH')) return undefined;
    throw err;
  }
}
