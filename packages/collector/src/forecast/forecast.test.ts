import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsample, findResets, lineValue, median, theilSen } from './fit.js';
import { forecastSeries, formatSeconds } from './forecast.js';
import { type ForecastRule, resolveRule } from './rules.js';
import { seeded, synthetic } from './testing.js';
import { forecastPriority, movedMaterially } from './tickets.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-02T00:00:00Z');

const diskRule = (over: Partial<ForecastRule> = {}): ForecastRule => ({
  ...resolveRule(
    { id: 'disk', type: 'filesystem', metric: 'used_percent', limit: 100, window: '2d', horizon: '7d' },
    false,
  ),
  ...over,
});

describe('Theil–Sen fit', () => {
  it('takes medians by selection that agree with sorting, ties and all', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 60 }), (values) => {
        const sorted = [...values].sort((a, b) => a - b);
        const n = sorted.length;
        const want = n % 2 ? sorted[n >> 1] : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
        expect(median(values)).toBe(want);
      }),
    );
  });

  it('finds the slope and value of a perfect line, with quality 1', () => {
    const fit = theilSen(
      synthetic({ start: T0, stepMs: HOUR, count: 24, base: 10, perDay: 12, noise: 0, seed: 1 }),
    );
    expect(fit?.slopePerSecond).toBeCloseTo(12 / 86_400, 12);
    expect(fit?.valueAt).toBeCloseTo(10 + (12 * 23) / 24, 9);
    expect(fit?.quality).toBe(1);
    expect(fit && lineValue(fit, T0)).toBeCloseTo(10, 9);
  });

  it('ignores a quarter of wild outliers that would tilt least squares', () => {
    const samples = synthetic({
      start: T0,
      stepMs: HOUR,
      count: 48,
      base: 40,
      perDay: 10,
      noise: 0.2,
      seed: 2,
    });
    const random = seeded(3);
    for (let i = 0; i < samples.length; i += 4) (samples[i] as { v: number }).v += 30 + 20 * random();
    const fit = theilSen(samples);
    expect(Math.abs((fit?.slopePerSecond ?? 0) * 86_400 - 10) / 10).toBeLessThan(0.05);
    expect(fit?.quality).toBeGreaterThan(0.9);
  });

  it('says a flat noisy series has no trend to speak of', () => {
    const fit = theilSen(
      synthetic({ start: T0, stepMs: 10 * 60_000, count: 300, base: 60, perDay: 0, noise: 2, seed: 4 }),
    );
    expect(fit?.quality).toBeLessThan(0.3);
  });

  it('needs two samples at distinct times', () => {
    expect(theilSen([{ t: T0, v: 1 }])).toBeUndefined();
    expect(
      theilSen([
        { t: T0, v: 1 },
        { t: T0, v: 2 },
      ]),
    ).toBeUndefined();
  });

  it('downsamples into at most max time buckets of medians', () => {
    const many = synthetic({
      start: T0,
      stepMs: 60_000,
      count: 5000,
      base: 0,
      perDay: 24,
      noise: 0,
      seed: 5,
    });
    const few = downsample(many, 300);
    expect(few.length).toBeLessThanOrEqual(300);
    expect(few.length).toBeGreaterThan(290);
    expect(theilSen(few)?.slopePerSecond).toBeCloseTo(24 / 86_400, 9);
  });
});

describe('resets', () => {
  it('finds each fall of a sawtooth, the one fall of a resize, and none in a noisy trend', () => {
    const saw = synthetic({
      start: T0,
      stepMs: 10 * 60_000,
      count: 288,
      base: 40,
      perDay: 20,
      noise: 0.3,
      seed: 6,
      periodMs: DAY / 2,
    });
    expect(findResets(saw, 'above')).toHaveLength(3);
    const step = synthetic({
      start: T0,
      stepMs: 10 * 60_000,
      count: 288,
      base: 60,
      perDay: 10,
      noise: 0.3,
      seed: 7,
      stepAt: T0 + 1.5 * DAY,
      stepBy: 40,
    });
    expect(findResets(step, 'above')).toEqual([216]);
    const trend = synthetic({
      start: T0,
      stepMs: 10 * 60_000,
      count: 288,
      base: 20,
      perDay: 5,
      noise: 1,
      seed: 8,
    });
    expect(findResets(trend, 'above')).toEqual([]);
    // A lone spike (a dump written then moved away) or dip (a glitch) is no level change, even at the end.
    const spiky = trend.map((s, i) => ({ t: s.t, v: s.v + (i % 10 === 5 ? 15 : 0) - (i === 100 ? 15 : 0) }));
    expect(findResets(spiky, 'above')).toEqual([]);
    expect(
      findResets([...trend.slice(0, -1), { t: (trend.at(-1) as { t: number }).t, v: 0 }], 'above'),
    ).toEqual([]);
    // A falling series (free space) resets upward.
    expect(
      findResets(
        step.map((s) => ({ t: s.t, v: -s.v })),
        'below',
      ),
    ).toEqual([216]);
  });
});

describe('forecastSeries', () => {
  const fill = (noise: number, seed: number) =>
    // 20 % → 100 % in 4 days; 2 days observed (half the way), one point every 10 minutes.
    synthetic({ start: T0, stepMs: 10 * 60_000, count: 289, base: 20, perDay: 20, noise, seed });

  it('predicts the time to full within 10 % once half of it is observed, noise or not', () => {
    const now = T0 + 2 * DAY;
    for (const [noise, seed] of [
      [0, 9],
      [1, 10],
      [2, 11],
    ] as const) {
      const f = forecastSeries(diskRule(), fill(noise, seed), now);
      expect(f.verdict).toBe('crossing');
      const truth = 2 * 86_400;
      expect(Math.abs((f.seconds as number) - truth) / truth).toBeLessThan(0.1);
      expect(f.predictedAt).toBe(now + (f.seconds as number) * 1000);
      expect(f.reason).toMatch(/^reaches 100 in 1 d 2\d h|^reaches 100 in 2 d/);
    }
  });

  it('follows a fill that speeds up through the recent half of the window', () => {
    // 12 %/day for a day, then 48 %/day for the last 12 hours of a one-day window.
    const rule = diskRule({ windowMs: DAY, minSpanMs: DAY / 4 });
    const slow = synthetic({
      start: T0,
      stepMs: 10 * 60_000,
      count: 145,
      base: 40,
      perDay: 12,
      noise: 0,
      seed: 30,
    });
    const fast = synthetic({
      start: T0 + DAY + 10 * 60_000,
      stepMs: 10 * 60_000,
      count: 72,
      base: 52 + 48 / 144,
      perDay: 48,
      noise: 0,
      seed: 31,
    });
    const now = (fast.at(-1) as { t: number }).t;
    const f = forecastSeries(rule, [...slow, ...fast], now);
    const truth = ((100 - (fast.at(-1) as { v: number }).v) / 48) * 86_400;
    expect(f.verdict).toBe('crossing');
    expect(Math.abs((f.seconds as number) - truth) / truth).toBeLessThan(0.02);
    expect(f.fit?.points).toBe(72);
  });

  it('keeps a crossing beyond the horizon apart, and says when the limit is already reached', () => {
    const now = T0 + 2 * DAY;
    expect(forecastSeries(diskRule({ horizonMs: DAY }), fill(0.5, 12), now).verdict).toBe('beyond_horizon');
    const full = synthetic({ start: T0, stepMs: HOUR, count: 49, base: 90, perDay: 10, noise: 0, seed: 13 });
    expect(forecastSeries(diskRule(), full, now).verdict).toBe('crossed');
  });

  it('never forecasts a flat noisy series or a sawtooth', () => {
    const now = T0 + 2 * DAY;
    for (let seed = 20; seed < 40; seed++) {
      const flat = synthetic({
        start: T0,
        stepMs: 10 * 60_000,
        count: 289,
        base: 85,
        perDay: 0,
        noise: 3,
        seed,
      });
      expect(['poor_fit', 'not_approaching']).toContain(forecastSeries(diskRule(), flat, now).verdict);
      const saw = synthetic({
        start: T0,
        stepMs: 10 * 60_000,
        count: 289,
        base: 50,
        perDay: 40,
        noise: 0.5,
        seed,
        periodMs: DAY / 2,
      });
      expect(forecastSeries(diskRule(), saw, now).verdict).toBe('periodic');
    }
  });

  it('calls a step down (a resize) a receded trend until enough points follow it', () => {
    const now = T0 + 2 * DAY;
    const resized = synthetic({
      start: T0,
      stepMs: 10 * 60_000,
      count: 289,
      base: 50,
      perDay: 20,
      noise: 0.3,
      seed: 14,
      stepAt: now - 30 * 60_000,
      stepBy: 40,
    });
    const f = forecastSeries(diskRule(), resized, now);
    expect(f.verdict).toBe('receded');
    expect(f.reason).toMatch(/a cleanup or a resize/);
  });

  it('refuses too few points, and a poor fit under the floor', () => {
    const now = T0 + HOUR;
    const few = synthetic({
      start: T0,
      stepMs: 10 * 60_000,
      count: 5,
      base: 20,
      perDay: 20,
      noise: 0,
      seed: 15,
    });
    expect(forecastSeries(diskRule(), few, now).verdict).toBe('too_few_points');
    const noisy = synthetic({
      start: T0,
      stepMs: 10 * 60_000,
      count: 289,
      base: 20,
      perDay: 2,
      noise: 3,
      seed: 16,
    });
    expect(forecastSeries(diskRule(), noisy, T0 + 2 * DAY).verdict).toBe('poor_fit');
  });

  it('sees a leak: steady growth by the rule percentage, with no limit', () => {
    const leak = resolveRule(
      {
        id: 'leak',
        type: 'service',
        metric: 'memory_bytes',
        minGrowthPercent: 20,
        window: '6h',
        minSpan: '5h',
        minQuality: 0.9,
      },
      false,
    );
    const mib = 1_048_576;
    const growing = synthetic({
      start: T0,
      stepMs: 60_000,
      count: 361,
      base: 200 * mib,
      perDay: 200 * mib,
      noise: mib,
      seed: 17,
    });
    const f = forecastSeries(leak, growing, T0 + 6 * HOUR);
    expect(f.verdict).toBe('growing');
    expect(f.growthPercent).toBeCloseTo(25, 0);
    const steady = synthetic({
      start: T0,
      stepMs: 60_000,
      count: 361,
      base: 200 * mib,
      perDay: 20 * mib,
      noise: mib,
      seed: 18,
    });
    expect(['not_approaching', 'poor_fit']).toContain(forecastSeries(leak, steady, T0 + 6 * HOUR).verdict);
  });

  it('forecasts a falling series toward a lower limit (a certificate)', () => {
    const cert = resolveRule(
      {
        id: 'cert',
        type: 'tls-certificate-file',
        metric: 'days_left',
        direction: 'below',
        limit: 0,
        window: '2d',
        horizon: '45d',
      },
      false,
    );
    const days = synthetic({ start: T0, stepMs: HOUR, count: 49, base: 32, perDay: -1, noise: 0, seed: 19 });
    const f = forecastSeries(cert, days, T0 + 2 * DAY);
    expect(f.verdict).toBe('crossing');
    expect((f.seconds as number) / 86_400).toBeCloseTo(30, 6);
  });
});

describe('forecast tickets', () => {
  it('take their priority from the horizon table, lowered outside production', () => {
    expect(forecastPriority(3600, 'production')).toBe('P2');
    expect(forecastPriority(3 * 86_400, 'production')).toBe('P3');
    expect(forecastPriority(20 * 86_400, 'production')).toBe('P4');
    expect(forecastPriority(3600, 'iso-production')).toBe('P3');
    expect(forecastPriority(3600, 'staging')).toBe('P4');
    expect(forecastPriority(undefined, 'production')).toBe('P3');
  });

  it('note a prediction in the timeline only when it moves by 10 % of the time left', () => {
    const now = T0;
    const noted = new Date(now + 10 * HOUR).toISOString();
    expect(movedMaterially(null, now + 10 * HOUR, now)).toBe(true);
    expect(movedMaterially(noted, now + 10.5 * HOUR, now)).toBe(false);
    expect(movedMaterially(noted, now + 11.5 * HOUR, now)).toBe(true);
    expect(movedMaterially(noted, undefined, now)).toBe(false);
  });

  it('show durations the way titles read', () => {
    expect([12, 40 * 60, 5 * 3600 + 12 * 60, 2 * 86_400 + 4 * 3600, 3 * 86_400].map(formatSeconds)).toEqual([
      '12 s',
      '40 min',
      '5 h 12 min',
      '2 d 4 h',
      '3 d',
    ]);
  });
});
