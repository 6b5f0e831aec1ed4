// Options of the `package-updates` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const UPDATES_DEFAULTS = { securityWarning: 1 } as const;

const Count = (description: string) => Type.Optional(Type.Integer({ minimum: 1, description }));

export const UpdatesOptionsSchema = Type.Object(
  {
    securityWarning: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: UPDATES_DEFAULTS.securityWarning,
        description: 'warning from this many pending security updates (default 1: any)',
      }),
    ),
    securityCritical: Count('critical from this many pending security updates (default: never critical)'),
    totalWarning: Count('warning from this many pending updates of any kind (default: not checked)'),
  },
  { additionalProperties: false },
);
export type UpdatesOptions = Static<typeof UpdatesOptionsSchema>;
