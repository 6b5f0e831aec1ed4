// Options of the `memory` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const MEMORY_DEFAULTS = {
  warningPercent: 90,
  criticalPercent: 95,
  swapWarningPercent: 50,
  swapCriticalPercent: 80,
} as const;

const Percent = (description: string, fallback: number) =>
  Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: fallback, description }));

export const MemoryOptionsSchema = Type.Object(
  {
    warningPercent: Percent(
      'memory used, in %, from which the check is warning',
      MEMORY_DEFAULTS.warningPercent,
    ),
    criticalPercent: Percent(
      'memory used, in %, from which the check is critical',
      MEMORY_DEFAULTS.criticalPercent,
    ),
    swapWarningPercent: Percent(
      'swap used, in %, from which the check is warning',
      MEMORY_DEFAULTS.swapWarningPercent,
    ),
    swapCriticalPercent: Percent(
      'swap used, in %, from which the check is critical',
      MEMORY_DEFAULTS.swapCriticalPercent,
    ),
  },
  { additionalProperties: false },
);
export type MemoryOptions = Static<typeof MemoryOptionsSchema>;
