// The `backup-retention` check: are enough backups kept (and not too many), and how far back do they go?
import { type CheckOutcome, defineCheck } from '../../types.js';
import { type BackupFile, listBackups, listingFailedOutcome, noBackupOutcome } from '../files.js';
import { judgeRetention } from './count.js';
import { BackupRetentionOptionsSchema } from './options.js';

export const backupRetentionCheck = defineCheck({
  type: 'backup-retention',
  category: 'backup',
  summary: 'How many backups (files or folders matching a glob) are kept, and the age of the oldest',
  options: BackupRetentionOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    let backups: BackupFile[];
    try {
      backups = await listBackups(options.path, ctx.signal, options.kind ?? 'file');
    } catch (err) {
      return listingFailedOutcome(options.path, err, ctx.signal);
    }
    if (backups.length === 0) return noBackupOutcome(options.path, { count: 0 });
    return judgeRetention(backups, options, ctx.now().getTime());
  },
});

export default backupRetentionCheck;
