// The Result model: what one run of one check produced. Shared by agent and collector.
import { type Static, Type } from '@sinclair/typebox';

export const CATEGORIES = ['security', 'backup', 'performance', 'drift'] as const;
export const STATUSES = ['ok', 'warning', 'critical', 'unknown'] as const;
export const ENVIRONMENTS = ['production', 'iso-production', 'staging'] as const;

export const CategorySchema = Type.Union(
  CATEGORIES.map((c) => Type.Literal(c)),
  { description: 'security | backup | performance | drift' },
);
export type Category = Static<typeof CategorySchema>;

export const StatusSchema = Type.Union(
  STATUSES.map((s) => Type.Literal(s)),
  { description: 'ok | warning | critical | unknown' },
);
export type Status = Static<typeof StatusSchema>;

export const EnvironmentSchema = Type.Union(
  ENVIRONMENTS.map((e) => Type.Literal(e)),
  { description: 'production | iso-production | staging' },
);
export type Environment = Static<typeof EnvironmentSchema>;

/** Metric names: `field` or `field@instance` (e.g. `used_percent@/var`); values are finite numbers. */
export const MetricsSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z_][A-Za-z0-9_.]*(@.+)?$' }),
  Type.Number(),
  { maxProperties: 1000 },
);
export type Metrics = Static<typeof MetricsSchema>;

export const ResultSchema = Type.Object(
  {
    id: Type.String({
      minLength: 26,
      maxLength: 40,
      pattern: '^[0-9a-f-]+$',
      description: 'UUIDv7, unique and time-ordered',
    }),
    checkId: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
    type: Type.String({ minLength: 1, maxLength: 60 }),
    category: CategorySchema,
    status: StatusSchema,
    metrics: MetricsSchema,
    message: Type.String({ maxLength: 2000 }),
    observedAt: Type.String({ format: 'date-time', maxLength: 40 }),
    durationMs: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Result = Static<typeof ResultSchema>;

const SEVERITY: Record<Status, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

/** Orders statuses by how bad they are: ok < unknown < warning < critical. */
export function statusSeverity(status: Status): number {
  return SEVERITY[status];
}

export function worstStatus(a: Status, b: Status): Status {
  return statusSeverity(a) >= statusSeverity(b) ? a : b;
}

/** Splits `used_percent@/var` into its field and instance. */
export function splitMetricName(name: string): { field: string; instance: string | undefined } {
  const at = name.indexOf('@');
  if (at < 0) return { field: name, instance: undefined };
  return { field: name.slice(0, at), instance: name.slice(at + 1) };
}

export function metricName(field: string, instance?: string): string {
  return instance === undefined ? field : `${field}@${instance}`;
}
