// Judges how many backups are kept and how far back they reach.
import type { Metrics, Status } from '@vigie/shared';
import { type BackupFile, formatAge } from '../files.js';
import type { BackupRetentionOptions } from './options.js';

export interface RetentionVerdict {
  status: Status;
  metrics: Metrics;
  message: string;
}

/**
 * Count and age span of the kept backups (at least one), against minCount, warningCount and maxCount.
 * Ages are measured at `nowMs`; a backup dated in the future counts as brand new.
 */
export function judgeRetention(
  backups: readonly BackupFile[],
  options: BackupRetentionOptions,
  nowMs: number,
): RetentionVerdict {
  const ages = backups.map((b) => Math.max(0, Math.round((nowMs - b.modifiedMs) / 1000)));
  const newestAge = Math.min(...ages);
  const oldestAge = Math.max(...ages);
  const count = backups.length;
  const noun = options.kind === 'directory' ? 'backup folder' : 'backup';
  const kept = `${count} ${noun}${count === 1 ? '' : 's'} kept in ${options.path}`;
  const span = `newest ${formatAge(newestAge)} old, oldest ${formatAge(oldestAge)} old`;

  let status: Status = 'ok';
  let limit = '';
  if (count < options.minCount) {
    status = 'critical';
    limit = ` (critical < ${options.minCount})`;
  } else if (options.warningCount !== undefined && count < options.warningCount) {
    status = 'warning';
    limit = ` (warning < ${options.warningCount})`;
  } else if (options.maxCount !== undefined && count > options.maxCount) {
    status = 'warning';
    limit = ` (warning > ${options.maxCount}: is the rotation still pruning?)`;
  }
  return {
    status,
    metrics: { count, oldest_age_seconds: oldestAge, newest_age_seconds: newestAge },
    message: `${kept}${limit}, ${span}`,
  };
}
