// Options of the `fingerprint` check, and the default the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const FINGERPRINT_DEFAULTS = { packages: true } as const;

export const FingerprintOptionsSchema = Type.Object(
  {
    packages: Type.Optional(
      Type.Boolean({
        default: FINGERPRINT_DEFAULTS.packages,
        description: 'list installed packages and their versions (dpkg or rpm)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type FingerprintOptions = Static<typeof FingerprintOptionsSchema>;
