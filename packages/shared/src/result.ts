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

/**
 * Characters of text that becomes a tag value in the metrics store (a metric's instance, an application name):
 * any printable character, no control character (tab, CR, LF, DEL, C1) and no backslash, whose handling differs
 * between InfluxDB 1.x (literal) and VictoriaMetrics (an escape), so that it could not be stored exactly.
 * A surrogate pair counts as one character; a lone surrogate (not valid UTF-8) is refused.
 */
const TAG_CHAR = String.raw`(?:[^\u0000-\u001f\u007f-\u009f\\\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])`;

/** Text stored as a tag value: 1 to `max` printable characters without backslash (see TAG_CHAR). */
export function tagTextPattern(max: number): string {
  return `^${TAG_CHAR}{1,${max}}$`;
}

/** Limits of metric names and values, documented in the README (section Protocol). */
export const METRIC_LIMITS = {
  fieldLength: 128,
  instanceLength: 256,
  /** Values are finite and at most this in absolute value, so that sums and means cannot overflow. */
  maxAbsValue: 1e300,
  perResult: 1000,
} as const;

const FIELD = `(?!(?:time|__proto__)(?:@|$))[A-Za-z_][A-Za-z0-9_.]{0,${METRIC_LIMITS.fieldLength - 1}}`;
/**
 * `field` or `field@instance`. The field: a letter or `_`, then letters, digits, `_` and `.`, at most 128, and
 * not `time` (InfluxDB refuses a field of that name) nor `__proto__` (not an own key of a JavaScript object). The instance: 1 to 256 tag-value characters.
 */
export const METRIC_NAME_PATTERN = `^${FIELD}(?:@${TAG_CHAR}{1,${METRIC_LIMITS.instanceLength}})?$`;
const METRIC_NAME_RE = new RegExp(METRIC_NAME_PATTERN);

export const MetricValueSchema = Type.Number({
  minimum: -METRIC_LIMITS.maxAbsValue,
  maximum: METRIC_LIMITS.maxAbsValue,
});

/** Metric names (METRIC_NAME_PATTERN, e.g. `used_percent@/var`) to finite numbers within ±1e300. */
export const MetricsSchema = Type.Record(Type.String({ pattern: METRIC_NAME_PATTERN }), MetricValueSchema, {
  additionalProperties: false,
  maxProperties: METRIC_LIMITS.perResult,
});
export type Metrics = Static<typeof MetricsSchema>;

/** Why a metric cannot be stored (its name or its value), or undefined when it can. */
export function metricProblem(name: string, value: unknown): string | undefined {
  if (!METRIC_NAME_RE.test(name)) return `metric name ${describeName(name)}`;
  if (typeof value !== 'number')
    return `value must be a number, not ${value === null ? 'null' : typeof value}`;
  if (!Number.isFinite(value)) return 'value must be a finite number';
  if (Math.abs(value) > METRIC_LIMITS.maxAbsValue)
    return `value ${value} is beyond ±${METRIC_LIMITS.maxAbsValue}`;
  return undefined;
}

function describeName(name: string): string {
  const at = name.indexOf('@');
  const field = at < 0 ? name : name.slice(0, at);
  if (field === '') return 'has an empty field (expected `field` or `field@instance`)';
  if (field === 'time') return 'may not be `time` (InfluxDB refuses that field)';
  if (field === '__proto__') return 'may not be `__proto__`';
  if (field.length > METRIC_LIMITS.fieldLength)
    return `field is longer than ${METRIC_LIMITS.fieldLength} characters`;
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(field))
    return `field ${JSON.stringify(field.slice(0, 40))} must be a letter or _ then letters, digits, _ or .`;
  const instance = name.slice(at + 1);
  if (instance === '') return 'has an empty instance after @';
  if ([...instance].length > METRIC_LIMITS.instanceLength)
    return `instance is longer than ${METRIC_LIMITS.instanceLength} characters`;
  return 'instance holds a control character, a backslash or invalid UTF-16';
}

/** An application's name: a tag of every metric point, so 1 to 100 tag-value characters (see TAG_CHAR). */
export const ApplicationNameSchema = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: tagTextPattern(100),
  description: 'printable characters, no backslash',
});

/** Check types name measurements and tags: letters, digits and `_ . : -`. */
export const CHECK_TYPE_PATTERN = '^[A-Za-z0-9_.:-]+$';

export const ResultSchema = Type.Object(
  {
    id: Type.String({
      minLength: 26,
      maxLength: 40,
      pattern: '^[0-9a-f-]+$',
      description: 'UUIDv7, unique and time-ordered',
    }),
    checkId: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
    type: Type.String({ minLength: 1, maxLength: 60, pattern: CHECK_TYPE_PATTERN }),
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
