// Options of the `backup-retention` check: which files (or folders) are the kept backups, and how many.
import { type Static, Type } from '@sinclair/typebox';

export const BackupRetentionOptionsSchema = Type.Object(
  {
    /** Absolute glob of the kept backups, e.g. `/var/backups/db/*.sql.gz` or `/srv/snapshots/daily.*`. */
    path: Type.String({
      minLength: 2,
      pattern: '^/',
      description: 'absolute glob of the kept backups, e.g. /var/backups/db/*.sql.gz',
    }),
    kind: Type.Optional(
      Type.Union([Type.Literal('file'), Type.Literal('directory')], {
        default: 'file',
        description: 'count regular files (default) or folders (one folder per backup, e.g. rsnapshot)',
      }),
    ),
    minCount: Type.Integer({ minimum: 1, description: 'critical when fewer backups are kept' }),
    warningCount: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'warning when fewer backups are kept (no warning level when absent)',
      }),
    ),
    maxCount: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'warning when more backups are kept: the rotation has stopped pruning (no limit when absent)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type BackupRetentionOptions = Static<typeof BackupRetentionOptionsSchema>;
