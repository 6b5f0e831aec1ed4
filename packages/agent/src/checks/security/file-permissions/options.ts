// Options of the `file-permissions` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const FILE_PERMISSIONS_DEFAULTS = { maxFiles: 10_000, includeStickyDirs: false } as const;

const AbsolutePath = (description: string) => Type.String({ minLength: 1, pattern: '^/', description });
const Mode = (description: string) => Type.Optional(Type.String({ pattern: '^[0-7]{3,4}$', description }));
const Principal = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$', description }));

export const SensitiveFileSchema = Type.Object(
  {
    path: AbsolutePath('the file (a symlink is followed: the target is judged)'),
    owner: Principal('expected owner, a user name or a numeric UID'),
    group: Principal('expected group, a group name or a numeric GID'),
    mode: Mode('expected permission bits exactly, octal, e.g. 0600'),
    maxMode: Mode('no permission bit beyond these, octal, e.g. 0644'),
  },
  { additionalProperties: false },
);
export type SensitiveFile = Static<typeof SensitiveFileSchema>;

export const FilePermissionsOptionsSchema = Type.Object(
  {
    worldWritable: Type.Optional(
      Type.Object(
        {
          paths: Type.Array(AbsolutePath('a folder to scan'), { minItems: 1 }),
          exclude: Type.Optional(
            Type.Array(AbsolutePath('a path left out, with everything under it'), {
              description: 'paths to leave out',
            }),
          ),
          maxFiles: Type.Optional(
            Type.Integer({
              minimum: 1,
              default: FILE_PERMISSIONS_DEFAULTS.maxFiles,
              description: 'stop scanning after this many entries',
            }),
          ),
          includeStickyDirs: Type.Optional(
            Type.Boolean({
              default: FILE_PERMISSIONS_DEFAULTS.includeStickyDirs,
              description: 'also report world-writable directories with the sticky bit (like /tmp)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    files: Type.Optional(
      Type.Array(SensitiveFileSchema, { description: 'sensitive files and their expected owner and mode' }),
    ),
  },
  { additionalProperties: false },
);
export type FilePermissionsOptions = Static<typeof FilePermissionsOptionsSchema>;
export type WorldWritableOptions = NonNullable<FilePermissionsOptions['worldWritable']>;
