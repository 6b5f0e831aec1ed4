// Options of the `cpu` check, and the defaults the check applies itself (the loader does not).
import { type Static, Type } from '@sinclair/typebox';

export const CPU_DEFAULTS = {
  warningLoadPerCore: 2,
  criticalLoadPerCore: 4,
} as const;

const LoadPerCore = (description: string, fallback: number) =>
  Type.Optional(Type.Number({ minimum: 0, default: fallback, description }));
const Percent = (description: string) =>
  Type.Optional(Type.Number({ minimum: 0, maximum: 100, description }));

export const CpuOptionsSchema = Type.Object(
  {
    warningLoadPerCore: LoadPerCore(
      '5-minute load average per core from which the check is warning',
      CPU_DEFAULTS.warningLoadPerCore,
    ),
    criticalLoadPerCore: LoadPerCore(
      '5-minute load average per core from which the check is critical',
      CPU_DEFAULTS.criticalLoadPerCore,
    ),
    warningPercent: Percent('CPU utilisation, in %, from which the check is warning (default: none)'),
    criticalPercent: Percent('CPU utilisation, in %, from which the check is critical (default: none)'),
  },
  { additionalProperties: false },
);
export type CpuOptions = Static<typeof CpuOptionsSchema>;
