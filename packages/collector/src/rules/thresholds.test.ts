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
