// Turns statfs(2) counters into the sizes and percentages an operator reads, the way df(1) does.
import type { StatsFs } from 'node:fs';
import { type Status, statusSeverity } from '@vigie/shared';
import { thresholdStatus } from '../../types.js';
import type { ResolvedFilesystemOptions } from './options.js';

export interface MountUsage {
  sizeBytes: number;
  usedBytes: number;
  /** Space an unprivileged process can still write (`bavail`): the root reserve is not counted as free. */
  freeBytes: number;
  /** used / (used + free), as df's `Use%`: 100% means ordinary processes can no longer write. */
  usedPercent: number;
  /** Undefined when the filesystem has no inode table to report (btrfs, some network filesystems). */
  inodesUsedPercent: number | undefined;
}

export type StatfsCounters = Pick<StatsFs, 'bsize' | 'blocks' | 'bfree' | 'bavail' | 'files' | 'ffree'>;

export function usageFromStatfs(stats: StatfsCounters): MountUsage {
  const sizeBytes = stats.blocks * stats.bsize;
  const usedBytes = (stats.blocks - stats.bfree) * stats.bsize;
  const freeBytes = stats.bavail * stats.bsize;
  const writable = usedBytes + freeBytes;
  const inodesUsed = stats.files - stats.ffree;
  return {
    sizeBytes,
    usedBytes,
    freeBytes,
    usedPercent: writable > 0 ? round2((usedBytes / writable) * 100) : 0,
    inodesUsedPercent: stats.files > 0 ? round2((inodesUsed / stats.files) * 100) : undefined,
  };
}

export interface UsageVerdict {
  status: Status;
  /** What decided the status, e.g. `/var 91.2% used (critical >= 90%)`. */
  message: string;
  /** The percentage behind the message, to rank mounts with the same status. */
  percent: number;
}

/** The worse of the space and inode verdicts for one mount. */
export function judgeUsage(
  mount: string,
  usage: MountUsage,
  options: ResolvedFilesystemOptions,
): UsageVerdict {
  const space = verdict(
    `${mount} ${usage.usedPercent.toFixed(1)}% used`,
    usage.usedPercent,
    options.warningPercent,
    options.criticalPercent,
  );
  if (usage.inodesUsedPercent === undefined) return space;
  const inodes = verdict(
    `${mount} inodes ${usage.inodesUsedPercent.toFixed(1)}% used`,
    usage.inodesUsedPercent,
    options.inodeWarningPercent,
    options.inodeCriticalPercent,
  );
  return isWorse(inodes, space) ? inodes : space;
}

/** Ranks verdicts: worse status first, then the fuller mount. */
export function isWorse(a: UsageVerdict, b: UsageVerdict): boolean {
  const bySeverity = statusSeverity(a.status) - statusSeverity(b.status);
  return bySeverity !== 0 ? bySeverity > 0 : a.percent > b.percent;
}

function verdict(what: string, percent: number, warning: number, critical: number): UsageVerdict {
  const status = thresholdStatus(percent, warning, critical);
  const limit = status === 'critical' ? critical : warning;
  const message = status === 'ok' ? what : `${what} (${status} >= ${limit}%)`;
  return { status, message, percent };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
