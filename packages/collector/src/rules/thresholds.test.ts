import type { Result } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import { evaluateThresholds, type ThresholdRule } from './thresholds.js';

const result = (metrics: Record<string, number>, status: Result['status'] = 'ok'): Result => ({
  id: '0190c6e2-0000-7000-8000-000000000000',
  checkId: 'fs',
  type: 'filesystem',
  category: 'performance',
  status,
  metrics,
  message: 'agent says fine',
  observedAt: '2026-11-28T12:00:00.000Z',
  durationMs: 1,
});

const diskRule: ThresholdRule = {
  id: 'disk-full',
  metric: 'used_percent',
  type: 'filesystem',
  warning: 80,
  critical: 90,
};

describe('evaluateThresholds', () => {
  it('raises the status to the worst rule verdict across instances and says why', () => {
    const e = evaluateThresholds(result({ 'used_percent@/': 50, 'used_percent@/var': 93.5 }), [diskRule]);
    expect(e.status).toBe('critical');
    expect(e.findings).toEqual([
      { rule: 'disk-full', metric: 'used_percent@/var', value: 93.5, status: 'critical', limit: 90 },
    ]);
    expect(e.message).toContain('used_percent@/var = 93.5');
  });

  it('keeps the agent status and message when no rule fires, and never lowers a worse agent status', () => {
    expect(evaluateThresholds(result({ 'used_percent@/': 10 }), [diskRule])).toMatchObject({
      status: 'ok',
      message: 'agent says fine',
    });
    expect(evaluateThresholds(result({ 'used_percent@/': 85 }, 'critical'), [diskRule]).status).toBe(
      'critical',
    );
  });

  it('supports "below" rules and matching by check id and instance', () => {
    const free: ThresholdRule = {
      id: 'free',
      metric: 'free_bytes',
      check: 'fs',
      instance: '/',
      direction: 'below',
      warning: 1000,
      critical: 10,
    };
    expect(evaluateThresholds(result({ 'free_bytes@/': 500, 'free_bytes@/boot': 1 }), [free]).status).toBe(
      'warning',
    );
    expect(evaluateThresholds({ ...result({ 'free_bytes@/': 1 }), checkId: 'other' }, [free]).status).toBe(
      'ok',
    );
  });
});

describe('rule overrides', () => {
  const ctx = { tenant: 'acme', application: 'shop', environment: 'iso-production', host: 'web-01' };
  const rules: ThresholdRule[] = [
    { id: 'default', metric: 'used_percent', warning: 80, critical: 90 },
    { id: 'acme', metric: 'used_percent', tenant: 'acme', warning: 70, critical: 85 },
    {
      id: 'acme-iso',
      metric: 'used_percent',
      tenant: 'acme',
      environment: 'iso-production',
      warning: 95,
      critical: 99,
    },
    { id: 'web-01', metric: 'used_percent', host: 'web-01', warning: 50, critical: 60 },
    { id: 'web-01-fs', metric: 'used_percent', host: 'web-01', check: 'fs', warning: 97, critical: 98 },
  ];

  it('applies the most specific matching rule and says which', () => {
    const e = evaluateThresholds(result({ 'used_percent@/': 96 }), rules, ctx);
    expect(e.applied).toEqual({ 'used_percent@/': 'web-01-fs' });
    expect(e.status).toBe('ok');
    const other = evaluateThresholds({ ...result({ 'used_percent@/': 96 }), checkId: 'fs2' }, rules, ctx);
    expect(other.applied['used_percent@/']).toBe('web-01');
    expect(other.status).toBe('critical');
    const elsewhere = evaluateThresholds(result({ 'used_percent@/': 96 }), rules, { ...ctx, host: 'db-01' });
    expect(elsewhere.applied['used_percent@/']).toBe('acme-iso');
    expect(elsewhere.status).toBe('warning');
    const prod = evaluateThresholds(result({ 'used_percent@/': 75 }), rules, {
      ...ctx,
      host: 'db-01',
      environment: 'production',
    });
    expect(prod).toMatchObject({ applied: { 'used_percent@/': 'acme' }, status: 'warning' });
    const globex = evaluateThresholds(result({ 'used_percent@/': 75 }), rules, {
      ...ctx,
      tenant: 'globex',
      host: 'x',
    });
    expect(globex).toMatchObject({ applied: { 'used_percent@/': 'default' }, status: 'ok' });
  });
});
