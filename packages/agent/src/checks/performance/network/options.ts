// Options of the `network` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const NETWORK_DEFAULTS = {
  excludeInterfaces: ['lo'] as readonly string[],
  errorsWarning: 1,
  errorsCritical: 100,
} as const;

const InterfaceName = Type.String({ minLength: 1, maxLength: 15, pattern: '^[^\\s:/]+$' });
const ErrorCount = (description: string, fallback: number) =>
  Type.Optional(Type.Integer({ minimum: 1, default: fallback, description }));

export const NetworkOptionsSchema = Type.Object(
  {
    interfaces: Type.Optional(
      Type.Array(InterfaceName, { description: 'only these interfaces (default: every interface)' }),
    ),
    excludeInterfaces: Type.Optional(
      Type.Array(InterfaceName, {
        description: 'interfaces to leave out when `interfaces` is not given (default: lo)',
      }),
    ),
    errorsWarning: ErrorCount(
      'receive + transmit errors since the previous run from which an interface is warning',
      NETWORK_DEFAULTS.errorsWarning,
    ),
    errorsCritical: ErrorCount(
      'receive + transmit errors since the previous run from which an interface is critical',
      NETWORK_DEFAULTS.errorsCritical,
    ),
  },
  { additionalProperties: false },
);
export type NetworkOptions = Static<typeof NetworkOptionsSchema>;
