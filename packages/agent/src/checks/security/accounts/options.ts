// Options of the `accounts` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const ACCOUNTS_DEFAULTS = {
  passwdFile: '/etc/passwd',
  shadowFile: '/etc/shadow',
  allowUid0: ['root'],
} as const;

export const AccountsOptionsSchema = Type.Object(
  {
    passwdFile: Type.Optional(
      Type.String({ minLength: 2, pattern: '^/', description: 'the passwd database' }),
    ),
    shadowFile: Type.Optional(
      Type.String({ minLength: 2, pattern: '^/', description: 'the shadow database' }),
    ),
    allowUid0: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'accounts allowed to have UID 0 (default: root)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AccountsOptions = Static<typeof AccountsOptionsSchema>;
