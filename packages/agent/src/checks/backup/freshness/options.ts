// Options of the `backup-freshness` check: which files are the backups, and how old the newest may be.
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema } from '../../../config/duration.js';

export const BackupFreshnessOptionsSchema = Type.Object(
  {
    /** Absolute glob of the backup files, e.g. `/var/backups/db/*.sql.gz`. */
    path: Type.String({
      minLength: 2,
      pattern: '^/',
      description: 'absolute glob, e.g. /var/backups/db/*.sql.gz',
    }),
    /** Critical when the newest backup is older than this. */
    maxAge: DurationSchema,
    /** Warning when the newest backup is older than this (no warning level when absent). */
    warningAge: Type.Optional(DurationSchema),
  },
  { additionalProperties: false },
);
export type BackupFreshnessOptions = Static<typeof BackupFreshnessOptionsSchema>;
