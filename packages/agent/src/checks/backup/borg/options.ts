// Options of the `borg` check: which repository, how to unlock it, and how old its latest archive may be.
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema } from '../../../config/duration.js';

export const BORG_DEFAULTS = { binary: 'borg' } as const;

/** Where a BorgBackup repository is and how to open it; shared with the `restore-test` check. */
export const BorgRepositoryFields = {
  repository: Type.String({
    minLength: 1,
    description: 'repository path or URL (e.g. /srv/borg, ssh://backup@nas/./borg)',
  }),
  passwordFile: Type.Optional(
    Type.String({
      minLength: 2,
      pattern: '^/',
      description:
        'absolute path of the file holding the passphrase (given to borg, never read by the agent)',
    }),
  ),
  binary: Type.Optional(
    Type.String({ minLength: 1, default: BORG_DEFAULTS.binary, description: 'borg program name or path' }),
  ),
};

export const BorgOptionsSchema = Type.Object(
  {
    ...BorgRepositoryFields,
    /** Critical when the latest archive is older than this. */
    maxAge: DurationSchema,
    /** Warning when the latest archive is older than this (no warning level when absent). */
    warningAge: Type.Optional(DurationSchema),
    archiveGlob: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'only archives whose name matches this glob (--glob-archives)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type BorgOptions = Static<typeof BorgOptionsSchema>;
