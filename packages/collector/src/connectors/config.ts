// Config pieces every connector shares: its name (the key its deliveries are recorded under) and its timeout.
import { Type } from '@sinclair/typebox';
import { DurationSchema, parseDuration } from '@vigie/shared';

export const ConnectorNameSchema = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
  description: 'unique among connectors; deliveries are recorded under it, so renaming one re-sends nothing',
});

export const DEFAULT_TIMEOUT = '10s';

export const TimeoutSchema = Type.Union(DurationSchema.anyOf, {
  description: `a duration for the whole request, default ${DEFAULT_TIMEOUT}`,
  default: DEFAULT_TIMEOUT,
});

export function timeoutMs(timeout: string | number | undefined): number {
  return parseDuration(timeout ?? DEFAULT_TIMEOUT);
}
