// Forecast rules: which metric's trend is extended, toward which limit, over which window, how far ahead a
// crossing opens a ticket, and how good the fit must be. Scoped like threshold rules (tenant, application,
// environment, host, check, type, instance); the most specific matching rule wins for a series. Built-in
// defaults cover filesystems (space, inodes), certificates, backup targets and service memory.
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema, parseDuration } from '@vigie/shared';
import { specificity } from '../rules/thresholds.js';
import type { Direction } from './fit.js';

export const ForecastRuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'rule name, shown on tickets and in the API' }),
    type: Type.String({ minLength: 1, description: 'check type whose metric is forecast, e.g. filesystem' }),
    metric: Type.String({ minLength: 1, description: 'metric field, e.g. used_percent' }),
    instance: Type.Optional(Type.String({ description: 'only this instance (e.g. a mount point)' })),
    tenant: Type.Optional(Type.String()),
    application: Type.Optional(Type.String()),
    environment: Type.Optional(Type.String()),
    host: Type.Optional(Type.String()),
    check: Type.Optional(Type.String({ description: 'only this check id' })),
    limit: Type.Optional(Type.Number({ description: 'the value whose crossing is predicted, e.g. 100' })),
    limitMetric: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'another field of the same result as the limit: the forecast is of (metric − limitMetric) reaching 0',
      }),
    ),
    direction: Type.Optional(
      Type.Union([Type.Literal('above'), Type.Literal('below')], {
        description: 'above: the value rises toward the limit (default); below: it falls toward it',
      }),
    ),
    minGrowthPercent: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description:
          'a steady growth of at least this % over the window opens a ticket, with or without a limit',
      }),
    ),
    window: Type.Optional(DurationSchema),
    horizon: Type.Optional(DurationSchema),
    minSpan: Type.Optional(DurationSchema),
    minPoints: Type.Optional(Type.Integer({ minimum: 3 })),
    minQuality: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    label: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'what happens at the crossing, for titles: {check}, {instance}, {metric}, {limit} are replaced',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ForecastRuleInput = Static<typeof ForecastRuleSchema>;

export const ForecastConfigSchema = Type.Object(
  {
    interval: Type.Optional(DurationSchema),
    defaults: Type.Optional(Type.Boolean({ description: 'include the built-in rules (default true)' })),
    rules: Type.Optional(Type.Array(ForecastRuleSchema)),
  },
  { additionalProperties: false },
);
export type ForecastConfigInput = Static<typeof ForecastConfigSchema>;

/** A rule with its defaults applied and durations in milliseconds. */
export interface ForecastRule {
  id: string;
  type: string;
  metric: string;
  instance?: string;
  tenant?: string;
  application?: string;
  environment?: string;
  host?: string;
  check?: string;
  limit?: number;
  limitMetric?: string;
  direction: Direction;
  minGrowthPercent?: number;
  windowMs: number;
  horizonMs: number;
  minSpanMs: number;
  minPoints: number;
  minQuality: number;
  label: string;
  /** Built in (`default-*`), or from the config. */
  builtIn: boolean;
}

export interface ForecastSettings {
  intervalMs: number;
  rules: ForecastRule[];
}

/**
 * The built-in rules. Windows are long enough to hold two cycles of a daily cleanup (so a log rotation reads
 * as a reset, not a trend), horizons short enough that the ticket is worth acting on this week.
 */
export const DEFAULT_FORECAST_RULES: readonly ForecastRuleInput[] = [
  {
    id: 'default-filesystem-space',
    type: 'filesystem',
    metric: 'used_percent',
    limit: 100,
    window: '2d',
    horizon: '7d',
    label: '{instance} full',
  },
  {
    id: 'default-filesystem-inodes',
    type: 'filesystem',
    metric: 'inodes_used_percent',
    limit: 100,
    window: '2d',
    horizon: '7d',
    label: '{instance} out of inodes',
  },
  // Certificates lose exactly one day a day; what the forecast adds is a renewal that did not happen: a
  // 90-day certificate renewed at 30 days left never comes within 45 days unless the renewal failed.
  ...['tls-certificate-file', 'tls-certificate-endpoint'].map((type) => ({
    id: `default-${type}`,
    type,
    metric: 'days_left',
    direction: 'below' as const,
    limit: 0,
    window: '2d',
    horizon: '45d',
    label: 'certificate {check} expires',
  })),
  {
    id: 'default-http-certificate',
    type: 'http',
    metric: 'tls_days_left',
    direction: 'below',
    limit: 0,
    window: '2d',
    horizon: '45d',
    label: 'certificate of {check} expires',
  },
  // The next backup no longer fits: the free space of the backup folder's filesystem falls to the size of
  // the newest backup.
  {
    id: 'default-backup-target',
    type: 'backup-size',
    metric: 'target_free_bytes',
    limitMetric: 'size_bytes',
    direction: 'below',
    window: '7d',
    horizon: '14d',
    label: 'backup {check} no longer fits on its target',
  },
  // A leak: the memory of a service growing steadily for 6 hours, by at least 20 %.
  {
    id: 'default-service-memory',
    type: 'service',
    metric: 'memory_bytes',
    minGrowthPercent: 20,
    window: '6h',
    minSpan: '5h',
    minQuality: 0.9,
    label: 'memory of {check} growing steadily',
  },
];

/** Problems of one rule that the schema cannot say, as `/path: message`. */
export function ruleProblems(rule: ForecastRuleInput, at: string): string[] {
  const out: string[] = [];
  if (rule.limit === undefined && rule.limitMetric === undefined && rule.minGrowthPercent === undefined)
    out.push(`${at}: set limit, limitMetric or minGrowthPercent (nothing to forecast)`);
  if (rule.limit !== undefined && rule.limitMetric !== undefined)
    out.push(`${at}/limitMetric: set either limit or limitMetric, not both`);
  if (rule.limitMetric !== undefined && rule.limitMetric === rule.metric)
    out.push(`${at}/limitMetric: must differ from metric`);
  for (const key of ['window', 'horizon', 'minSpan'] as const) {
    const v = rule[key];
    if (v !== undefined && parseDuration(v) <= 0) out.push(`${at}/${key}: must be longer than 0`);
  }
  return out;
}

export function resolveRule(rule: ForecastRuleInput, builtIn: boolean): ForecastRule {
  const windowMs = parseDuration(rule.window ?? '2d');
  const { window: _w, horizon: _h, minSpan: _s, ...rest } = rule;
  return {
    ...rest,
    direction: rule.direction ?? 'above',
    windowMs,
    horizonMs: parseDuration(rule.horizon ?? '7d'),
    minSpanMs: rule.minSpan === undefined ? windowMs / 8 : parseDuration(rule.minSpan),
    minPoints: rule.minPoints ?? 10,
    minQuality: rule.minQuality ?? 0.7,
    label:
      rule.label ??
      (rule.minGrowthPercent !== undefined
        ? '{metric} of {instance} growing'
        : '{metric} of {instance} reaches {limit}'),
    builtIn,
  };
}

/**
 * The rules in effect: the built-in ones (unless `defaults: false`), each replaced by a configured rule of
 * the same id, then the configured ones. Throws with every problem, by path, when a rule is unusable.
 */
export function resolveForecastSettings(input: ForecastConfigInput | undefined): ForecastSettings {
  const configured = input?.rules ?? [];
  const problems = configured.flatMap((r, i) => ruleProblems(r, `/forecasts/rules/${i}`));
  const ids = new Set<string>();
  configured.forEach((r, i) => {
    if (ids.has(r.id)) problems.push(`/forecasts/rules/${i}/id: duplicate rule id ${JSON.stringify(r.id)}`);
    ids.add(r.id);
  });
  const intervalMs = parseDuration(input?.interval ?? '5m');
  if (intervalMs < 1000)
    problems.push('/forecasts/interval: at least 1s (the pass reads every series it follows)');
  if (problems.length > 0) throw new ForecastRuleError(problems);
  const defaults = input?.defaults === false ? [] : DEFAULT_FORECAST_RULES.filter((r) => !ids.has(r.id));
  return {
    intervalMs,
    rules: [...defaults.map((r) => resolveRule(r, true)), ...configured.map((r) => resolveRule(r, false))],
  };
}

export class ForecastRuleError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ForecastRuleError';
  }
}

/** Where a series comes from. */
export interface SeriesScope {
  tenant: string;
  application: string;
  environment: string;
  host: string;
  check: string;
  instance: string | undefined;
}

/** Whether the rule's scope (everything but type and metric) admits the host. */
export function ruleAdmitsHost(
  rule: ForecastRule,
  who: Pick<SeriesScope, 'tenant' | 'application' | 'environment' | 'host'>,
): boolean {
  const scoped = (want: string | undefined, have: string) => want === undefined || want === have;
  return (
    scoped(rule.tenant, who.tenant) &&
    scoped(rule.application, who.application) &&
    scoped(rule.environment, who.environment) &&
    scoped(rule.host, who.host)
  );
}

/** check > host > environment > application > tenant, and an instance breaks ties, as for threshold rules. */
export function forecastSpecificity(rule: ForecastRule): number {
  return specificity(rule) + (rule.instance !== undefined ? 0.5 : 0);
}

/** The rule that governs one series' metric: the most specific one that admits it; later rules win ties. */
export function ruleFor(
  rules: readonly ForecastRule[],
  type: string,
  metric: string,
  series: SeriesScope,
): ForecastRule | undefined {
  let best: ForecastRule | undefined;
  for (const r of rules) {
    if (r.type !== type || r.metric !== metric || !ruleAdmitsHost(r, series)) continue;
    if (r.check !== undefined && r.check !== series.check) continue;
    if (r.instance !== undefined && r.instance !== series.instance) continue;
    if (!best || forecastSpecificity(r) >= forecastSpecificity(best)) best = r;
  }
  return best;
}

/** The rule's label with its placeholders filled. */
export function labelFor(rule: ForecastRule, series: Pick<SeriesScope, 'check' | 'instance'>): string {
  return rule.label
    .replaceAll('{check}', series.check)
    .replaceAll('{instance}', series.instance ?? series.check)
    .replaceAll('{metric}', rule.metric)
    .replaceAll('{limit}', rule.limit === undefined ? (rule.limitMetric ?? '') : String(rule.limit));
}
