// Options of the `tcp` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema } from '@vigie/shared';

export const TCP_DEFAULTS = {
  /** Below the agent's default check timeout (20 s), so a silent port is reported as down, not unknown. */
  connectTimeout: '10s',
} as const;

export const TcpOptionsSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, description: 'a host name or IP address' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    warningLatency: Type.Optional(DurationSchema),
    criticalLatency: Type.Optional(DurationSchema),
    connectTimeout: Type.Optional(DurationSchema),
  },
  { additionalProperties: false },
);
export type TcpOptions = Static<typeof TcpOptionsSchema>;
