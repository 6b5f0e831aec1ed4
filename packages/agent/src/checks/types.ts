// The contract every check plugin fulfils: an options schema, a category, and a run function.
import type { Static, TObject } from '@sinclair/typebox';
import type { Category, Metrics, Status } from '@vigie/shared';

/** What a check reports; the scheduler adds id, checkId, type, category, observedAt and durationMs. */
export interface CheckOutcome {
  status: Status;
  metrics: Metrics;
  /** One short line for a human. Never file contents or secrets. */
  message: string;
  /** Drift checks only: the host fingerprint as flat items. */
  snapshot?: Record<string, string>;
  /** Overrides the plugin's category for this result (a Nagios plugin can be about anything). */
  category?: Category;
}

export interface CheckContext {
  /** Aborted when the check's timeout elapses; long operations must honour it. */
  signal: AbortSignal;
  /** Wall clock, injected so tests do not depend on the real time. */
  now: () => Date;
  /** Small per-check memory between runs (previous counters, previous sizes...). Lost on restart. */
  state: Map<string, unknown>;
}

export interface CheckPlugin<S extends TObject = TObject> {
  /** The `type` name used in the config. */
  type: string;
  category: Category;
  /** A one-line description for `vigie-agent checks`. */
  summary: string;
  /** Type-specific options (everything but id, type, schedule, timeout). */
  options: S;
  run(options: Static<S>, ctx: CheckContext): Promise<CheckOutcome>;
}

/** Helper that keeps the options type tied to the schema. */
export function defineCheck<S extends TObject>(plugin: CheckPlugin<S>): CheckPlugin<S> {
  return plugin;
}

/** A threshold status: critical when value is past crit, warning when past warn. */
export function thresholdStatus(
  value: number,
  warning: number | undefined,
  critical: number | undefined,
  direction: 'above' | 'below' = 'above',
): Status {
  const past = (limit: number | undefined) =>
    limit !== undefined && (direction === 'above' ? value >= limit : value <= limit);
  if (past(critical)) return 'critical';
  if (past(warning)) return 'warning';
  return 'ok';
}
