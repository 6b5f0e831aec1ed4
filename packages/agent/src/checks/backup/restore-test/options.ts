// Options of the `restore-test` check: where the backup is (tar archives, a restic or a borg repository),
// which file to restore from it, and what the restored file must match.
import { type Static, Type } from '@sinclair/typebox';
import { BorgRepositoryFields } from '../borg/options.js';
import { ResticRepositoryFields } from '../restic/options.js';

const Comparison = {
  expectSha256: Type.Optional(
    Type.String({
      pattern: '^[0-9A-Fa-f]{64}$',
      description: 'the SHA-256 the restored file must have (hex)',
    }),
  ),
  compareWith: Type.Optional(
    Type.String({
      minLength: 2,
      pattern: '^/',
      description: 'absolute path of a live file the restored file must be identical to',
    }),
  ),
};

export const TarSourceSchema = Type.Object(
  {
    kind: Type.Literal('tar'),
    path: Type.String({
      minLength: 2,
      pattern: '^/',
      description: 'absolute glob of the tar archives (.tar, .tar.gz, ...); the newest is restored from',
    }),
    member: Type.String({ minLength: 1, description: 'the file inside the archive, as `tar -tf` lists it' }),
    ...Comparison,
  },
  { additionalProperties: false },
);

export const ResticSourceSchema = Type.Object(
  {
    kind: Type.Literal('restic'),
    ...ResticRepositoryFields,
    member: Type.String({
      minLength: 2,
      pattern: '^/',
      description: 'absolute path of the file as it was backed up, e.g. /etc/nginx/nginx.conf',
    }),
    host: Type.Optional(
      Type.String({ minLength: 1, description: 'restore from the latest snapshot of this host' }),
    ),
    ...Comparison,
  },
  { additionalProperties: false },
);

export const BorgSourceSchema = Type.Object(
  {
    kind: Type.Literal('borg'),
    ...BorgRepositoryFields,
    member: Type.String({
      minLength: 1,
      description: 'path of the file inside the archive, e.g. etc/nginx/nginx.conf (a leading / is ignored)',
    }),
    archiveGlob: Type.Optional(
      Type.String({ minLength: 1, description: 'restore from the latest archive matching this glob' }),
    ),
    ...Comparison,
  },
  { additionalProperties: false },
);

export const RestoreTestOptionsSchema = Type.Object(
  {
    source: Type.Union([TarSourceSchema, ResticSourceSchema, BorgSourceSchema], {
      description: 'the backup to restore from: kind tar, restic or borg',
    }),
    workDir: Type.Optional(
      Type.String({
        minLength: 2,
        pattern: '^/',
        description: 'folder in which the temporary restore folder is made (default: the system temp folder)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RestoreTestOptions = Static<typeof RestoreTestOptionsSchema>;
export type RestoreSource = RestoreTestOptions['source'];
export type TarSource = Static<typeof TarSourceSchema>;
export type ResticSource = Static<typeof ResticSourceSchema>;
export type BorgSource = Static<typeof BorgSourceSchema>;
