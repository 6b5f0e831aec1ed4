// Options of the `tls-certificate-file` check, and the defaults the check applies (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const TLS_CERTIFICATE_DEFAULTS = { warningDays: 30, criticalDays: 7 } as const;

export const TlsCertificateOptionsSchema = Type.Object(
  {
    path: Type.String({
      minLength: 2,
      pattern: '^/',
      description: 'absolute path of a PEM certificate or chain',
    }),
    warningDays: Type.Optional(
      Type.Number({
        minimum: 0,
        default: TLS_CERTIFICATE_DEFAULTS.warningDays,
        description: 'warning when the certificate expires within this many days',
      }),
    ),
    criticalDays: Type.Optional(
      Type.Number({
        minimum: 0,
        default: TLS_CERTIFICATE_DEFAULTS.criticalDays,
        description: 'critical when the certificate expires within this many days (or has expired)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TlsCertificateOptions = Static<typeof TlsCertificateOptionsSchema>;
