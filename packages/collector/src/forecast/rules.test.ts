import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CollectorConfigError, loadCollectorConfig } from '../config/load.js';
import {
  DEFAULT_FORECAST_RULES,
  type ForecastRule,
  labelFor,
  resolveForecastSettings,
  ruleFor,
  type SeriesScope,
} from './rules.js';

const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
const yamlExamples = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);

const series = (over: Partial<SeriesScope> = {}): SeriesScope => ({
  tenant: 'acme',
  application: 'erp',
  environment: 'production',
  host: 'erp-db-01',
  check: 'fs',
  instance: '/data',
  ...over,
});

describe('forecast rules', () => {
  it('the README example is a valid collector config, and its rules apply as it says', () => {
    expect(yamlExamples).toHaveLength(1);
    const config = loadCollectorConfig(undefined, parse(yamlExamples[0] as string));
    const rules = config.forecasts.rules;
    expect(config.forecasts.intervalMs).toBe(300_000);
    expect(rules.map((r) => r.id)).toEqual([
      ...DEFAULT_FORECAST_RULES.map((r) => r.id),
      'erp-data',
      'backup-volume',
    ]);
    const erp = ruleFor(rules, 'filesystem', 'used_percent', series()) as ForecastRule;
    expect(erp).toMatchObject({
      id: 'erp-data',
      limit: 90,
      windowMs: 12 * 3_600_000,
      horizonMs: 3 * 86_400_000,
    });
    expect(labelFor(erp, series())).toBe('/data at 90 %');
    // Another application, another mount: the built-in rule.
    expect(ruleFor(rules, 'filesystem', 'used_percent', series({ application: 'shop' }))?.id).toBe(
      'default-filesystem-space',
    );
    expect(ruleFor(rules, 'filesystem', 'used_percent', series({ instance: '/' }))?.id).toBe(
      'default-filesystem-space',
    );
    expect(ruleFor(rules, 'filesystem', 'free_bytes', series({ instance: '/backup' }))).toMatchObject({
      id: 'backup-volume',
      direction: 'below',
      minPoints: 24,
    });
    expect(ruleFor(rules, 'filesystem', 'free_bytes', series())).toBeUndefined();
  });

  it('the README lists every built-in rule', () => {
    for (const r of DEFAULT_FORECAST_RULES) expect(readme).toContain(`\`${r.id}\``);
  });

  it('replaces a built-in rule by id, drops them all with defaults: false, and applies the defaults', () => {
    const tuned = resolveForecastSettings({
      rules: [{ id: 'default-filesystem-space', type: 'filesystem', metric: 'used_percent', limit: 95 }],
    });
    expect(tuned.rules.filter((r) => r.id === 'default-filesystem-space')).toEqual([
      expect.objectContaining({
        limit: 95,
        builtIn: false,
        windowMs: 2 * 86_400_000,
        minSpanMs: 6 * 3_600_000,
      }),
    ]);
    expect(resolveForecastSettings({ defaults: false }).rules).toEqual([]);
    const leak = resolveForecastSettings(undefined).rules.find((r) => r.id === 'default-service-memory');
    expect(leak).toMatchObject({
      minGrowthPercent: 20,
      windowMs: 6 * 3_600_000,
      minSpanMs: 5 * 3_600_000,
      minQuality: 0.9,
    });
  });

  it('refuses a rule with nothing to forecast, both limits, or a duplicate id, naming where', () => {
    const bad = () =>
      loadCollectorConfig(undefined, {
        forecasts: {
          rules: [
            { id: 'a', type: 'filesystem', metric: 'used_percent' },
            { id: 'a', type: 'filesystem', metric: 'used_percent', limit: 1, limitMetric: 'size_bytes' },
          ],
        },
      });
    expect(bad).toThrow(CollectorConfigError);
    const problems = (() => {
      try {
        bad();
        return [];
      } catch (err) {
        return (err as CollectorConfigError).problems;
      }
    })();
    expect(problems).toEqual([
      '/forecasts/rules/0: set limit, limitMetric or minGrowthPercent (nothing to forecast)',
      '/forecasts/rules/1/limitMetric: set either limit or limitMetric, not both',
      '/forecasts/rules/1/id: duplicate rule id "a"',
    ]);
    expect(() => loadCollectorConfig(undefined, { forecasts: { interval: '100ms' } })).toThrow(
      /\/forecasts\/interval: at least 1s/,
    );
    expect(() => loadCollectorConfig(undefined, { forecasts: { interval: 'soon' } } as never)).toThrow(
      /\/forecasts\/interval/,
    );
    expect(() =>
      loadCollectorConfig(undefined, {
        forecasts: {
          rules: [{ id: 'x', type: 'filesystem', metric: 'used_percent', limit: 1, windw: '1d' }],
        },
      } as never),
    ).toThrow(/\/forecasts\/rules\/0\/windw/);
  });
});
