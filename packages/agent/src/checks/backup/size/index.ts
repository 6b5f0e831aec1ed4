// The `backup-size` check: is the newest backup non-empty, and not much smaller than the one before it? It
// also reports the free space where the backups go, so the collector can forecast when the next one no
// longer fits.
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Metrics } from '@vigie/shared';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { type BackupFile, listBackups, listingFailedOutcome, noBackupOutcome } from '../files.js';
import { BackupSizeOptionsSchema, resolveBackupSizeOptions } from './options.js';
import { judgeSize, type SizeMemory, updateMemory, worstComparison } from './shrink.js';

const MEMORY_KEY = 'backup-size';

export const backupSizeCheck = defineCheck({
  type: 'backup-size',
  category: 'backup',
  summary: 'Size of the newest backup file, and how much it shrank against the previous one',
  options: BackupSizeOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const resolved = resolveBackupSizeOptions(options);
    let files: BackupFile[];
    try {
      files = await listBackups(resolved.path, ctx.signal);
    } catch (err) {
      return listingFailedOutcome(resolved.path, err, ctx.signal);
    }
    const [newest, secondNewest] = files;
    if (newest === undefined) return noBackupOutcome(resolved.path, {});

    const memory = updateMemory(ctx.state.get(MEMORY_KEY) as SizeMemory | undefined, newest);
    ctx.state.set(MEMORY_KEY, memory);
    const comparison = worstComparison(newest, secondNewest, memory);
    const verdict = judgeSize(newest, comparison, resolved);

    const metrics: Metrics = { size_bytes: newest.sizeBytes };
    const free = await freeBytes(dirname(newest.path));
    if (free !== undefined) metrics.target_free_bytes = free;
    if (comparison !== undefined) {
      metrics.previous_size_bytes = comparison.previousSizeBytes;
      if (comparison.changePercent !== undefined) {
        metrics.change_percent = Math.round(comparison.changePercent * 10) / 10;
      }
    }
    return { status: verdict.status, metrics, message: verdict.message };
  },
});

export default backupSizeCheck;

/**
 * Space available to unprivileged writers on the folder's filesystem (`bavail`, as `df`). Undefined when
 * statfs fails: the size verdict does not depend on it.
 */
async function freeBytes(folder: string): Promise<number | undefined> {
  try {
    const s = await statfs(folder);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}
