// Options of the `backup-integrity` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const BACKUP_INTEGRITY_DEFAULTS = { sidecar: true, list: true } as const;

export const BackupIntegrityOptionsSchema = Type.Object(
  {
    /** Absolute glob (the newest match is verified) or absolute path of one backup file. */
    path: Type.String({
      minLength: 2,
      pattern: '^/',
      description: 'absolute glob or path of the backup file; the newest match is verified',
    }),
    sidecar: Type.Optional(
      Type.Boolean({
        default: BACKUP_INTEGRITY_DEFAULTS.sidecar,
        description: 'true: require <file>.sha256 and verify it; false: skip the checksum',
      }),
    ),
    list: Type.Optional(
      Type.Boolean({
        default: BACKUP_INTEGRITY_DEFAULTS.list,
        description: 'read tar archives through (tar -t) and test gzip files (gzip -t)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type BackupIntegrityOptions = Static<typeof BackupIntegrityOptionsSchema>;
