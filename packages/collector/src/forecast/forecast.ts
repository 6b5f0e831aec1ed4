// One series under one rule: keep the samples since the last reset, fit the line, and say whether and when
// it crosses the limit (or, for a growth rule, whether it grows steadily enough). Pure: the clock is a
// parameter.
import { downsample, findResets, type LineFit, lineValue, type Sample, theilSen } from './fit.js';
import type { ForecastRule } from './rules.js';

/** At most this many samples go into a fit (time buckets above that): 300 samples are 45,000 pairs. */
export const MAX_FIT_POINTS = 300;

export type Verdict =
  /** A crossing of the limit within the rule's horizon: a ticket. */
  | 'crossing'
  /** A steady growth of at least `minGrowthPercent` over the window (a leak): a ticket. */
  | 'growing'
  /** A crossing, but later than the horizon. */
  | 'beyond_horizon'
  /** The trend is flat or moves away from the limit. */
  | 'not_approaching'
  /** The value is already past the limit: the threshold's business. */
  | 'crossed'
  /** The line explains too little of the series (noise): no forecast. */
  | 'poor_fit'
  /** Too few samples, or over too short a span, since the start of the window or the last reset. */
  | 'too_few_points'
  /** The value fell back at least twice in the window (log rotation, purges): no straight line to extend. */
  | 'periodic'
  /** The value fell back once (a cleanup, a resize): the old trend is void until a new one is observed. */
  | 'receded';

export const AT_RISK: readonly Verdict[] = ['crossing', 'growing'];

export interface SeriesForecast {
  verdict: Verdict;
  /** Why, in words, for the API and tickets. */
  reason: string;
  fit: LineFit | undefined;
  /** The last observed value of the forecast series. */
  value: number | undefined;
  /** The limit the series is compared with (0 for a `limitMetric` rule: the series is the margin). */
  limit: number | undefined;
  /** When the fitted line reaches the limit (ms), if it does. */
  predictedAt: number | undefined;
  /** Seconds from `now` to `predictedAt` (0 when already crossed). */
  seconds: number | undefined;
  /** Growth over the window in % of the value at its start, for growth rules. */
  growthPercent: number | undefined;
}

const outcome = (verdict: Verdict, reason: string, extra: Partial<SeriesForecast> = {}): SeriesForecast => ({
  verdict,
  reason,
  fit: undefined,
  value: undefined,
  limit: undefined,
  predictedAt: undefined,
  seconds: undefined,
  growthPercent: undefined,
  ...extra,
});

/** The limit a rule compares with: its own number, or 0 for the margin (metric − limitMetric). */
export function limitOf(rule: ForecastRule): number | undefined {
  return rule.limitMetric !== undefined ? 0 : rule.limit;
}

/**
 * The forecast of one series at `now` (ms). `samples` are the series' values in time order (for a
 * `limitMetric` rule, already the margin metric − limitMetric); only those in the rule's window count.
 */
export function forecastSeries(rule: ForecastRule, samples: readonly Sample[], now: number): SeriesForecast {
  let kept = samples.filter((s) => s.t > now - rule.windowMs && s.t <= now && Number.isFinite(s.v));
  const last = kept.at(-1)?.v;
  const limit = limitOf(rule);
  const resets = findResets(kept, rule.direction);
  if (resets.length >= 2) {
    return outcome('periodic', `the value fell back ${resets.length} times in the window: no steady trend`, {
      value: last,
      limit,
    });
  }
  let receded: string | undefined;
  if (resets.length === 1) {
    const i = resets[0] as number;
    const before = kept[i - 1] as Sample;
    const after = kept[i] as Sample;
    receded = `the value went from ${round(before.v)} to ${round(after.v)} at ${new Date(after.t).toISOString()} (a cleanup or a resize)`;
    kept = kept.slice(i);
  }
  const span = kept.length > 0 ? (kept.at(-1) as Sample).t - (kept[0] as Sample).t : 0;
  if (kept.length < rule.minPoints || span < rule.minSpanMs) {
    const why = `${kept.length} point(s) over ${Math.round(span / 1000)} s (the rule needs ${rule.minPoints} over ${Math.round(rule.minSpanMs / 1000)} s)`;
    return receded
      ? outcome('receded', `${receded}; since then ${why}`, { value: last, limit })
      : outcome('too_few_points', why, { value: last, limit });
  }
  const fit = bestFit(rule, kept, now, receded === undefined);
  if (!fit) return outcome('too_few_points', 'no two samples at distinct times', { value: last, limit });
  const base = { fit, value: last, limit };
  if (fit.quality < rule.minQuality) {
    return outcome(
      'poor_fit',
      `fit quality ${round(fit.quality)} is under the rule's floor ${rule.minQuality}`,
      base,
    );
  }
  const toward = rule.direction === 'above' ? fit.slopePerSecond > 0 : fit.slopePerSecond < 0;
  const crossing = limit === undefined || !toward ? undefined : crossingOf(fit, limit, now, rule);
  const growth = rule.minGrowthPercent === undefined ? undefined : growthOf(fit, now, rule);
  const extra = { ...base, ...crossing, growthPercent: growth };
  if (crossing && crossing.seconds === 0)
    return outcome('crossed', `already at or past the limit ${limit}`, extra);
  if (crossing && crossing.seconds <= rule.horizonMs / 1000)
    return outcome('crossing', `reaches ${limit} in ${formatSeconds(crossing.seconds)}`, extra);
  if (
    growth !== undefined &&
    rule.minGrowthPercent !== undefined &&
    growth >= rule.minGrowthPercent &&
    toward
  )
    return outcome('growing', `grew ${round(growth)} % over ${formatSeconds(rule.windowMs / 1000)}`, extra);
  if (crossing)
    return outcome(
      'beyond_horizon',
      `reaches ${limit} in ${formatSeconds(crossing.seconds)}, beyond the horizon`,
      extra,
    );
  return outcome(
    'not_approaching',
    toward ? 'growing, but not enough' : 'flat or moving away from the limit',
    extra,
  );
}

/**
 * The fit over the window, or over a recent part of it (the last half, then the last quarter) when that part
 * meets the quality floor and tells another story: its slope differs by more than a quarter from the longer
 * fit's (or the longer fit fails the floor). A disk that started to fill faster shows there long before it
 * dominates the whole window's median slope; a steady trend keeps the whole window and its points. Growth
 * rules (a leak is growth over the whole window) and a trend already cut by a reset use the one span.
 */
function bestFit(
  rule: ForecastRule,
  kept: readonly Sample[],
  now: number,
  mayShorten: boolean,
): LineFit | undefined {
  let best = theilSen(downsample(kept, MAX_FIT_POINTS));
  if (!mayShorten || rule.minGrowthPercent !== undefined) return best;
  for (const share of [2, 4]) {
    const recent = kept.filter((s) => s.t > now - rule.windowMs / share);
    const span = recent.length > 0 ? (recent.at(-1) as Sample).t - (recent[0] as Sample).t : 0;
    if (recent.length < rule.minPoints || span < rule.minSpanMs) break;
    const part = theilSen(downsample(recent, MAX_FIT_POINTS));
    if (!part || part.quality < rule.minQuality) continue;
    const differs =
      !best ||
      best.quality < rule.minQuality ||
      Math.abs(part.slopePerSecond - best.slopePerSecond) > 0.25 * Math.abs(best.slopePerSecond);
    if (differs) best = part;
  }
  return best;
}

function crossingOf(
  fit: LineFit,
  limit: number,
  now: number,
  rule: ForecastRule,
): { predictedAt: number; seconds: number } {
  const current = lineValue(fit, now);
  const past = rule.direction === 'above' ? current >= limit : current <= limit;
  if (past) return { predictedAt: now, seconds: 0 };
  const seconds = (limit - current) / fit.slopePerSecond;
  return { predictedAt: now + seconds * 1000, seconds };
}

/** Growth over the window, in % of the fitted value at the window's start. */
function growthOf(fit: LineFit, now: number, rule: ForecastRule): number | undefined {
  const start = lineValue(fit, now - rule.windowMs);
  if (start === 0) return undefined;
  return ((fit.slopePerSecond * rule.windowMs) / 1000 / Math.abs(start)) * 100;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** `2 d 4 h`, `5 h 12 min`, `40 min`, `12 s`: for titles and messages. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}
