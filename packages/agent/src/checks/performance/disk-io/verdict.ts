// Turns two readings of the disks into per-disk rates and a status: the busiest disk decides.
import { type Metrics, type Status, statusSeverity } from '@vigie/shared';
import { type CheckOutcome, thresholdStatus } from '../../types.js';
import { formatBytes, perSecond, round2 } from '../counters.js';
import type { DiskCounters } from './diskstats.js';

export interface DiskRates {
  readBytesPerSecond: number;
  writeBytesPerSecond: number;
  readsPerSecond: number;
  writesPerSecond: number;
  /** Share of the interval the disk had I/O in flight; 100 is saturated for a single-queue disk. */
  busyPercent: number;
}

export function diskRates(deltas: DiskCounters, elapsedMs: number): DiskRates {
  return {
    readBytesPerSecond: perSecond(deltas.readBytes, elapsedMs),
    writeBytesPerSecond: perSecond(deltas.writtenBytes, elapsedMs),
    readsPerSecond: perSecond(deltas.reads, elapsedMs),
    writesPerSecond: perSecond(deltas.writes, elapsedMs),
    // io_ticks is counted in jiffies on some kernels: it may exceed the interval by a tick.
    busyPercent: Math.min(100, round2((deltas.busyMs / elapsedMs) * 100)),
  };
}

export interface BusyLimits {
  warning: number;
  critical: number;
}

/** Every disk's counters, and the rates of those measured since the previous run. */
export function judgeDisks(
  counters: Readonly<Record<string, DiskCounters>>,
  rates: ReadonlyMap<string, DiskRates>,
  limits: BusyLimits,
): CheckOutcome {
  const metrics: Metrics = {};
  for (const [disk, c] of Object.entries(counters)) Object.assign(metrics, counterMetrics(disk, c));
  if (rates.size === 0) {
    return { status: 'ok', metrics, message: `baseline taken for ${Object.keys(counters).length} disk(s)` };
  }
  const verdicts = [...rates].map(([disk, r]) => {
    Object.assign(metrics, rateMetrics(disk, r));
    return { disk, rates: r, status: thresholdStatus(r.busyPercent, limits.warning, limits.critical) };
  });
  const worst = verdicts.reduce((a, b) => (isWorse(b, a) ? b : a));
  return { status: worst.status, metrics, message: describe(worst, verdicts, limits) };
}

interface DiskVerdict {
  disk: string;
  rates: DiskRates;
  status: Status;
}

function isWorse(a: DiskVerdict, b: DiskVerdict): boolean {
  const bySeverity = statusSeverity(a.status) - statusSeverity(b.status);
  return bySeverity !== 0 ? bySeverity > 0 : a.rates.busyPercent > b.rates.busyPercent;
}

function describe(worst: DiskVerdict, all: readonly DiskVerdict[], limits: BusyLimits): string {
  const r = worst.rates;
  const busy = `${worst.disk} ${r.busyPercent.toFixed(1)}% busy`;
  const io = `read ${formatBytes(r.readBytesPerSecond)}/s, write ${formatBytes(r.writeBytesPerSecond)}/s`;
  if (worst.status === 'ok') return `${all.length} disk(s) ok, busiest ${busy} (${io})`;
  const limit = worst.status === 'critical' ? limits.critical : limits.warning;
  const others = all.filter((v) => v !== worst && v.status !== 'ok').length;
  const more = others > 0 ? ` (+${others} more disk(s) not ok)` : '';
  return `${busy} (${worst.status} >= ${limit}%; ${io})${more}`;
}

function counterMetrics(disk: string, c: DiskCounters): Metrics {
  return {
    [`reads_total@${disk}`]: c.reads,
    [`writes_total@${disk}`]: c.writes,
    [`read_bytes_total@${disk}`]: c.readBytes,
    [`write_bytes_total@${disk}`]: c.writtenBytes,
    [`busy_ms_total@${disk}`]: c.busyMs,
  };
}

function rateMetrics(disk: string, r: DiskRates): Metrics {
  return {
    [`read_bytes_per_second@${disk}`]: r.readBytesPerSecond,
    [`write_bytes_per_second@${disk}`]: r.writeBytesPerSecond,
    [`reads_per_second@${disk}`]: r.readsPerSecond,
    [`writes_per_second@${disk}`]: r.writesPerSecond,
    [`busy_percent@${disk}`]: r.busyPercent,
  };
}
