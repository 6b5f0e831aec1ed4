// Options of the `http` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema } from '@vigie/shared';

export const HTTP_DEFAULTS = {
  method: 'GET',
  insecure: false,
  certWarningDays: 30,
  certCriticalDays: 7,
} as const;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const;
const StatusCode = Type.Integer({ minimum: 100, maximum: 599 });
const Days = (description: string, fallback: number) =>
  Type.Optional(Type.Number({ minimum: 0, default: fallback, description }));

export const HttpOptionsSchema = Type.Object(
  {
    url: Type.String({
      pattern: '^https?://',
      maxLength: 2048,
      description: 'the http:// or https:// URL to ask',
    }),
    method: Type.Optional(
      Type.Union(
        METHODS.map((m) => Type.Literal(m)),
        { default: HTTP_DEFAULTS.method, description: 'the HTTP method, sent without a body' },
      ),
    ),
    expectStatus: Type.Optional(
      Type.Union([StatusCode, Type.Array(StatusCode, { minItems: 1 })], {
        description: 'the expected status code(s) (default: any 2xx or 3xx; redirects are not followed)',
      }),
    ),
    bodyMatch: Type.Optional(
      Type.String({ minLength: 1, description: 'a regular expression the first MiB of the body must match' }),
    ),
    warningLatency: Type.Optional(DurationSchema),
    criticalLatency: Type.Optional(DurationSchema),
    caFile: Type.Optional(
      Type.String({
        pattern: '^/',
        description: 'PEM file of the CA(s) to trust instead of the system ones',
      }),
    ),
    insecure: Type.Optional(
      Type.Boolean({
        default: HTTP_DEFAULTS.insecure,
        description: 'accept any certificate (its expiry is still reported)',
      }),
    ),
    certWarningDays: Days('https: warning when the certificate expires within this many days', 30),
    certCriticalDays: Days('https: critical when the certificate expires within this many days', 7),
  },
  { additionalProperties: false },
);
export type HttpOptions = Static<typeof HttpOptionsSchema>;
