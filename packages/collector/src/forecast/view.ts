// How a forecast is shown outside the collector (API, report, chart overlay): one schema, the type derived
// from it, and the mapping from the stored row.
import { type Static, Type } from '@sinclair/typebox';
import { lineValue } from './fit.js';
import type { ForecastTable } from './migration.js';

const Nullable = <T extends ReturnType<typeof Type.Number | typeof Type.String>>(t: T) =>
  Type.Union([t, Type.Null()]);

export const FitSchema = Type.Object(
  {
    slopePerSecond: Type.Number(),
    slopePerHour: Type.Number(),
    windowSeconds: Type.Number({ description: "the rule's window" }),
    from: Type.String({ description: 'time of the first sample fitted' }),
    at: Type.String({ description: 'time of the last sample fitted' }),
    valueAt: Type.Number({ description: 'the fitted value at `at`' }),
    points: Type.Integer(),
    quality: Type.Number({ description: 'robust R²: 1 a perfect line, 0 or less no trend' }),
  },
  { additionalProperties: false },
);

export const ForecastViewSchema = Type.Object(
  {
    tenant: Type.String(),
    host: Type.String(),
    application: Type.String(),
    environment: Type.String(),
    check: Type.String(),
    type: Type.String({ description: 'check type' }),
    metric: Type.String({ description: '`field` or `field@instance`' }),
    instance: Nullable(Type.String()),
    rule: Type.String(),
    verdict: Type.String({
      description:
        'crossing | growing (a ticket) | beyond_horizon | not_approaching | crossed | poor_fit | too_few_points | periodic | receded',
    }),
    reason: Type.String(),
    series: Type.String({ description: 'what is fitted: the metric, or `metric - limitMetric`' }),
    value: Nullable(Type.Number()),
    limit: Nullable(Type.Number()),
    direction: Type.String({ description: 'above | below' }),
    predictedAt: Nullable(Type.String({ description: 'when the fitted line reaches the limit' })),
    seconds: Nullable(Type.Number({ description: 'from the evaluation to the predicted crossing' })),
    growthPercent: Nullable(Type.Number()),
    evaluatedAt: Type.String(),
    ticketId: Nullable(Type.String()),
    fit: Type.Union([FitSchema, Type.Null()]),
  },
  { additionalProperties: false },
);
export type ForecastView = Static<typeof ForecastViewSchema>;

export function forecastView(r: ForecastTable): ForecastView {
  const field = r.metric.split('@')[0] as string;
  return {
    tenant: r.tenant_id,
    host: r.host,
    application: r.application,
    environment: r.environment,
    check: r.check_id,
    type: r.type,
    metric: r.metric,
    instance: r.instance === '' ? null : r.instance,
    rule: r.rule_id,
    verdict: r.verdict,
    reason: r.reason,
    series: r.limit_metric ? `${field} - ${r.limit_metric}` : field,
    value: r.value,
    limit: r.limit_value,
    direction: r.direction,
    predictedAt: r.predicted_at,
    seconds: r.seconds,
    growthPercent: r.growth_percent,
    evaluatedAt: r.evaluated_at,
    ticketId: r.ticket_id,
    fit:
      r.slope_per_second === null || r.value_at === null || r.fit_at === null || r.fit_from === null
        ? null
        : {
            slopePerSecond: r.slope_per_second,
            slopePerHour: r.slope_per_second * 3600,
            windowSeconds: r.window_seconds,
            from: r.fit_from,
            at: r.fit_at,
            valueAt: r.value_at,
            points: r.points,
            quality: r.quality ?? 0,
          },
  };
}

const PointSchema = Type.Object(
  { time: Type.String(), value: Type.Number() },
  { additionalProperties: false },
);

export const ForecastLineSchema = Type.Object(
  {
    forecast: ForecastViewSchema,
    line: Type.Union([Type.Array(PointSchema, { minItems: 2, maxItems: 2 }), Type.Null()], {
      description:
        'the fitted line from its first sample to the crossing (or to the horizon), in series units',
    }),
    crossing: Type.Union([PointSchema, Type.Null()], { description: 'where the line meets the limit' }),
  },
  { additionalProperties: false },
);
export type ForecastLine = Static<typeof ForecastLineSchema>;

/**
 * The line to draw over a host chart: from the first fitted sample to the predicted crossing, or, with no
 * crossing, to `horizonEnd` (ms) at most.
 */
export function forecastLine(r: ForecastTable, horizonEnd: number): ForecastLine {
  const forecast = forecastView(r);
  const fit = forecast.fit;
  if (!fit) return { forecast, line: null, crossing: null };
  const line = { slopePerSecond: fit.slopePerSecond, valueAt: fit.valueAt, at: Date.parse(fit.at) };
  const start = Date.parse(fit.from);
  const end = r.predicted_at ? Date.parse(r.predicted_at) : Math.max(line.at, horizonEnd);
  const point = (t: number) => ({ time: new Date(t).toISOString(), value: lineValue(line, t) });
  return {
    forecast,
    line: [point(start), point(end)],
    crossing:
      r.predicted_at && r.limit_value !== null ? { time: r.predicted_at, value: r.limit_value } : null,
  };
}
