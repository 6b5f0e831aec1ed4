// Durations in the agent's config; the parser lives in @vigie/shared so the collector reads them the same way.
export { DurationSchema, parseDuration } from '@vigie/shared';
