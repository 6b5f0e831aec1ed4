// Options of the `backup-size` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const BACKUP_SIZE_DEFAULTS = { minBytes: 1, maxShrinkPercent: 20, warningShrinkPercent: 10 } as const;

const Percent = (description: string, fallback: number) =>
  Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: fallback, description }));

export const BackupSizeOptionsSchema = Type.Object(
  {
    /** Absolute glob of the backup files, e.g. `/var/backups/db/*.sql.gz`. */
    path: Type.String({
      minLength: 2,
      pattern: '^/',
      description: 'absolute glob of the backup files, e.g. /var/backups/db/*.sql.gz',
    }),
    minBytes: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: BACKUP_SIZE_DEFAULTS.minBytes,
        description: 'critical when the newest backup is smaller than this many bytes',
      }),
    ),
    maxShrinkPercent: Percent(
      'critical when the newest backup is smaller than the previous one by more than this %',
      BACKUP_SIZE_DEFAULTS.maxShrinkPercent,
    ),
    warningShrinkPercent: Percent(
      'warning when the newest backup is smaller than the previous one by more than this %',
      BACKUP_SIZE_DEFAULTS.warningShrinkPercent,
    ),
  },
  { additionalProperties: false },
);
export type BackupSizeOptions = Static<typeof BackupSizeOptionsSchema>;

export interface ResolvedBackupSizeOptions {
  path: string;
  minBytes: number;
  maxShrinkPercent: number;
  warningShrinkPercent: number;
}

export function resolveBackupSizeOptions(options: BackupSizeOptions): ResolvedBackupSizeOptions {
  return {
    path: options.path,
    minBytes: options.minBytes ?? BACKUP_SIZE_DEFAULTS.minBytes,
    maxShrinkPercent: options.maxShrinkPercent ?? BACKUP_SIZE_DEFAULTS.maxShrinkPercent,
    warningShrinkPercent: options.warningShrinkPercent ?? BACKUP_SIZE_DEFAULTS.warningShrinkPercent,
  };
}
