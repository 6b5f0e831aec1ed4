// Reads the kernel's CPU time counters (/proc/stat) and load averages (/proc/loadavg), see proc(5).
import { percentOf } from '../counters.js';

/** Cumulative time, in clock ticks, all CPUs spent in each state since boot. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

export interface ProcStat {
  times: CpuTimes;
  /** Online CPUs: one `cpuN` line each. */
  cores: number;
}

const TIME_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/**
 * The aggregate `cpu` line and the count of `cpuN` lines. The `guest` and `guest_nice` columns that follow
 * `steal` are already counted in `user` and `nice`, so they are left out of the total.
 */
export function parseProcStat(text: string): ProcStat {
  const lines = text.split('\n');
  const aggregate = lines.find((line) => line.startsWith('cpu '));
  if (aggregate === undefined) throw new Error('no aggregate "cpu" line: not a /proc/stat file');
  const values = aggregate.trim().split(/\s+/).slice(1).map(Number);
  if (values.length < 4 || values.some((v) => !Number.isFinite(v))) {
    throw new Error('the "cpu" line of /proc/stat does not hold numbers');
  }
  // Kernels before 2.6.11 lack the last columns (steal...): count them as 0 rather than refuse the file.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
  const times = { user, nice, system, idle, iowait, irq, softirq, steal };
  const cores = lines.filter((line) => /^cpu\d+ /.test(line)).length;
  return { times, cores };
}

export interface CpuUsage {
  usagePercent: number;
  iowaitPercent: number;
  stealPercent: number;
}

/** Shares of the elapsed CPU time between two readings; undefined when no tick elapsed. */
export function cpuUsage(deltas: CpuTimes): CpuUsage | undefined {
  const total = TIME_FIELDS.reduce((sum, field) => sum + deltas[field], 0);
  if (total <= 0) return undefined;
  // Waiting for I/O is idle time: the CPU could have run something else.
  const busy = total - deltas.idle - deltas.iowait;
  return {
    usagePercent: percentOf(busy, total),
    iowaitPercent: percentOf(deltas.iowait, total),
    stealPercent: percentOf(deltas.steal, total),
  };
}

export interface LoadAverages {
  load1: number;
  load5: number;
  load15: number;
}

/** `0.25 0.66 0.40 1/142 20266`: the first three fields. */
export function parseLoadavg(text: string): LoadAverages {
  const [load1, load5, load15] = text.trim().split(/\s+/).map(Number);
  if (![load1, load5, load15].every((v) => v !== undefined && Number.isFinite(v))) {
    throw new Error('not a /proc/loadavg file');
  }
  return { load1, load5, load15 } as LoadAverages;
}
