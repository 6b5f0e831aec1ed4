// Human durations in configs: `500ms`, `30s`, `5m`, `24h`, `7d`, or a bare number of seconds (shared by agent and collector).
import { Type } from '@sinclair/typebox';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

export const DurationSchema = Type.Union(
  [
    Type.String({ pattern: DURATION.source, description: 'a duration such as 30s, 5m, 24h, 7d' }),
    Type.Number({ minimum: 0, description: 'seconds' }),
  ],
  { description: 'a duration such as 30s, 5m, 24h, 7d, or a number of seconds' },
);

/** Milliseconds in a duration; throws with the offending text when it is not one. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value * 1000;
  const m = DURATION.exec(value.trim());
  if (!m) throw new Error(`"${value}" is not a duration (expected e.g. 30s, 5m, 24h, 7d)`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}
