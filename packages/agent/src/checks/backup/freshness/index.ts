// The `backup-freshness` check: is the newest file of a backup set recent enough?
import { readdir } from 'node:fs/promises';
import type { Status } from '@vigie/shared';
import { glob } from 'tinyglobby';
import { parseDuration } from '../../../config/duration.js';
import { describeError, hasErrorCode, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { type BackupFile, formatAge, globBase, newestBackup, statBackups } from './newest.js';
import { BackupFreshnessOptionsSchema } from './options.js';

export const backupFreshnessCheck = defineCheck({
  type: 'backup-freshness',
  category: 'backup',
  summary: 'Age of the newest backup file matching a glob',
  options: BackupFreshnessOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    let maxAgeMs: number;
    let warningAgeMs: number | undefined;
    try {
      maxAgeMs = parseDuration(options.maxAge);
      warningAgeMs = options.warningAge === undefined ? undefined : parseDuration(options.warningAge);
    } catch (err) {
      return unknownOutcome(`invalid option: ${describeError(err)}`);
    }

    let files: BackupFile[];
    try {
      const paths = await glob(options.path, { absolute: true, onlyFiles: true, signal: ctx.signal });
      // An aborted crawl returns what it found so far, possibly nothing: never take that for "no backup".
      ctx.signal.throwIfAborted();
      files = await statBackups(paths);
    } catch (err) {
      return unknownOutcome(`cannot list ${options.path}: ${describeError(err)}`);
    }
    const newest = newestBackup(files);
    if (newest === undefined) return noBackupOutcome(options.path);

    // A file dated in the future (clock skew between hosts) counts as brand new, not as negative age.
    const ageSeconds = Math.max(0, (ctx.now().getTime() - newest.modifiedMs) / 1000);
    const ageMs = ageSeconds * 1000;
    let status: Status = 'ok';
    let limit = '';
    if (ageMs > maxAgeMs) {
      status = 'critical';
      limit = ` (critical > ${formatAge(maxAgeMs / 1000)})`;
    } else if (warningAgeMs !== undefined && ageMs > warningAgeMs) {
      status = 'warning';
      limit = ` (warning > ${formatAge(warningAgeMs / 1000)})`;
    }
    return {
      status,
      metrics: {
        age_seconds: Math.round(ageSeconds),
        newest_size_bytes: newest.sizeBytes,
        files: files.length,
      },
      message: `newest backup ${newest.path} is ${formatAge(ageSeconds)} old${limit}`,
    };
  },
});

export default backupFreshnessCheck;

/**
 * Nothing matched. The glob cannot tell a missing folder from one the agent may not read, so look at the
 * folder the glob starts from: missing is the critical case, unreadable means the agent cannot judge.
 */
async function noBackupOutcome(pattern: string): Promise<CheckOutcome> {
  const folder = globBase(pattern);
  const critical = (detail: string): CheckOutcome => ({
    status: 'critical',
    metrics: { files: 0 },
    message: `no backup matches ${pattern}${detail}`,
  });
  try {
    await readdir(folder);
    return critical('');
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'ENOTDIR')) {
      return critical(` (${folder} does not exist)`);
    }
    return unknownOutcome(`cannot read ${folder} to look for ${pattern}: ${describeError(err)}`);
  }
}
