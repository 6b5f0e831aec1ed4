// Options of the `tls-certificate-endpoint` check, and the defaults the check applies (the loader does not).
import { type Static, Type } from '@sinclair/typebox';
import { TLS_CERTIFICATE_DEFAULTS } from '../tls-certificate/options.js';

export const TLS_ENDPOINT_DEFAULTS = {
  port: 443,
  rejectUnauthorized: true,
  ...TLS_CERTIFICATE_DEFAULTS,
} as const;

export const TlsEndpointOptionsSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, description: 'host name or IP address to connect to' }),
    port: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        default: TLS_ENDPOINT_DEFAULTS.port,
        description: 'TCP port',
      }),
    ),
    servername: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description: 'name sent in SNI and checked against the certificate (default: host, unless an IP)',
      }),
    ),
    caFile: Type.Optional(
      Type.String({
        minLength: 2,
        pattern: '^/',
        description: 'PEM file of the CA(s) to trust instead of the system store (private CA, self-signed)',
      }),
    ),
    rejectUnauthorized: Type.Optional(
      Type.Boolean({
        default: TLS_ENDPOINT_DEFAULTS.rejectUnauthorized,
        description: 'an invalid chain or name is critical, as a client would refuse it (false: report only)',
      }),
    ),
    warningDays: Type.Optional(
      Type.Number({
        minimum: 0,
        default: TLS_ENDPOINT_DEFAULTS.warningDays,
        description: 'warning when the certificate expires within this many days',
      }),
    ),
    criticalDays: Type.Optional(
      Type.Number({
        minimum: 0,
        default: TLS_ENDPOINT_DEFAULTS.criticalDays,
        description: 'critical when the certificate expires within this many days (or has expired)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TlsEndpointOptions = Static<typeof TlsEndpointOptionsSchema>;
