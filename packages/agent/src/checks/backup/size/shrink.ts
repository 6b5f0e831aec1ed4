// Compares the newest backup's size with the backup before it: the second-newest file, and the size the
// check saw at an earlier run when the newest file was replaced in place (same name, new contents).
import type { Status } from '@vigie/shared';
import { type BackupFile, formatBytes } from '../files.js';
import type { ResolvedBackupSizeOptions } from './options.js';

/** What the check remembers in ctx.state between runs. */
export interface SizeMemory {
  /** The newest file as seen at the last run. */
  newest: BackupFile;
  /** The size of the newest file before it last changed, kept until it changes again. */
  previousSizeBytes?: number;
}

/**
 * The memory after this run. When the newest file differs from the one remembered (another file, or the
 * same name rewritten), the remembered size becomes the previous size; otherwise nothing changes, so a
 * shrink stays reported until the next backup.
 */
export function updateMemory(memory: SizeMemory | undefined, newest: BackupFile): SizeMemory {
  if (memory === undefined) return { newest: { ...newest } };
  const known = memory.newest;
  const unchanged =
    known.path === newest.path &&
    known.modifiedMs === newest.modifiedMs &&
    known.sizeBytes === newest.sizeBytes;
  if (unchanged) return memory;
  return { newest: { ...newest }, previousSizeBytes: known.sizeBytes };
}

export interface SizeComparison {
  previousSizeBytes: number;
  /** (newest − previous) / previous × 100; undefined when the previous backup was empty. */
  changePercent: number | undefined;
  /** Where the previous size comes from, for the message: `of previous backup <path>`. */
  against: string;
}

/** `(new − old) / old` in %, or undefined when old is 0 (any size is then a growth, not a shrink). */
export function changePercent(sizeBytes: number, previousSizeBytes: number): number | undefined {
  if (previousSizeBytes <= 0) return undefined;
  return ((sizeBytes - previousSizeBytes) / previousSizeBytes) * 100;
}

/**
 * The comparison that shrinks the most among the second-newest file and the remembered previous size
 * (both usually name the same backup; when they differ the worse one is the one to report).
 */
export function worstComparison(
  newest: BackupFile,
  secondNewest: BackupFile | undefined,
  memory: SizeMemory,
): SizeComparison | undefined {
  const candidates: SizeComparison[] = [];
  if (secondNewest !== undefined) {
    candidates.push({
      previousSizeBytes: secondNewest.sizeBytes,
      changePercent: changePercent(newest.sizeBytes, secondNewest.sizeBytes),
      against: `of previous backup ${secondNewest.path}`,
    });
  }
  if (memory.previousSizeBytes !== undefined) {
    candidates.push({
      previousSizeBytes: memory.previousSizeBytes,
      changePercent: changePercent(newest.sizeBytes, memory.previousSizeBytes),
      against: 'seen at an earlier run',
    });
  }
  let worst: SizeComparison | undefined;
  for (const candidate of candidates) {
    if (worst === undefined || (candidate.changePercent ?? Infinity) < (worst.changePercent ?? Infinity)) {
      worst = candidate;
    }
  }
  return worst;
}

export interface SizeVerdict {
  status: Status;
  message: string;
}

/** The status and message for the newest backup's size, given what it is compared with. */
export function judgeSize(
  newest: BackupFile,
  comparison: SizeComparison | undefined,
  options: ResolvedBackupSizeOptions,
): SizeVerdict {
  const head = `newest backup ${newest.path}`;
  if (newest.sizeBytes === 0 && options.minBytes > 0) {
    return { status: 'critical', message: `${head} is empty (0 B)` };
  }
  if (newest.sizeBytes < options.minBytes) {
    return {
      status: 'critical',
      message: `${head} is ${formatBytes(newest.sizeBytes)} (critical < ${formatBytes(options.minBytes)})`,
    };
  }
  const size = `${head} is ${formatBytes(newest.sizeBytes)}`;
  if (comparison === undefined) {
    return { status: 'ok', message: `${size} (no previous backup to compare with)` };
  }
  const previous = `${formatBytes(comparison.previousSizeBytes)} ${comparison.against}`;
  const change = comparison.changePercent;
  if (change === undefined) return { status: 'ok', message: `${size}, up from ${previous}` };
  const shrink = -change;
  if (shrink > options.maxShrinkPercent) {
    return {
      status: 'critical',
      message: `${size}, shrunk ${shrink.toFixed(1)}% from ${previous} (critical > ${options.maxShrinkPercent}%)`,
    };
  }
  if (shrink > options.warningShrinkPercent) {
    return {
      status: 'warning',
      message: `${size}, shrunk ${shrink.toFixed(1)}% from ${previous} (warning > ${options.warningShrinkPercent}%)`,
    };
  }
  const sign = change >= 0 ? '+' : '';
  return { status: 'ok', message: `${size}, ${sign}${change.toFixed(1)}% from ${previous}` };
}
