// Options of the `restic` check: which repository, how to unlock it, and how old its latest snapshot may be.
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema } from '../../../config/duration.js';

export const RESTIC_DEFAULTS = { binary: 'restic' } as const;

/** Where a restic repository is and how to open it; shared with the `restore-test` check. */
export const ResticRepositoryFields = {
  repository: Type.String({
    minLength: 1,
    description: 'repository path or URL (e.g. /srv/restic, sftp:backup@nas:/restic, rest:https://host/repo)',
  }),
  passwordFile: Type.String({
    minLength: 2,
    pattern: '^/',
    description: 'absolute path of the file holding the repository password (given to restic, never read)',
  }),
  binary: Type.Optional(
    Type.String({
      minLength: 1,
      default: RESTIC_DEFAULTS.binary,
      description: 'restic program name or path',
    }),
  ),
};

export const ResticOptionsSchema = Type.Object(
  {
    ...ResticRepositoryFields,
    /** Critical when the latest snapshot is older than this. */
    maxAge: DurationSchema,
    /** Warning when the latest snapshot is older than this (no warning level when absent). */
    warningAge: Type.Optional(DurationSchema),
    host: Type.Optional(Type.String({ minLength: 1, description: 'only snapshots of this host (--host)' })),
    tag: Type.Optional(
      Type.String({ minLength: 1, description: 'only snapshots with this tag (--tag; a,b means both tags)' }),
    ),
  },
  { additionalProperties: false },
);
export type ResticOptions = Static<typeof ResticOptionsSchema>;
