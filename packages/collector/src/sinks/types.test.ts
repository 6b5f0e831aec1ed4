import { describe, expect, it } from 'vitest';
import { resultToPoints } from './types.js';

describe('resultToPoints', () => {
  it('splits instances into tagged points and adds a status point, all tagged with who sent them', () => {
    const pts = resultToPoints(
      {
        id: '0190c6e2-0000-7000-8000-000000000000',
        checkId: 'fs',
        type: 'filesystem',
        category: 'performance',
        status: 'warning',
        metrics: { 'used_percent@/': 50, 'used_percent@/var': 70, 'size_bytes@/': 1e9 },
        message: '',
        observedAt: '2026-11-28T12:00:00.000Z',
        durationMs: 4,
      },
      { tenant: 'acme', application: 'shop', environment: 'production', host: 'web-01' },
      'critical',
    );
    const tags = {
      tenant: 'acme',
      application: 'shop',
      environment: 'production',
      host: 'web-01',
      check: 'fs',
      category: 'performance',
    };
    const time = Date.parse('2026-11-28T12:00:00.000Z');
    expect(pts).toEqual([
      {
        measurement: 'filesystem',
        tags: { ...tags, instance: '/' },
        fields: { used_percent: 50, size_bytes: 1e9 },
        time,
      },
      { measurement: 'filesystem', tags: { ...tags, instance: '/var' }, fields: { used_percent: 70 }, time },
      {
        measurement: 'vigie_check',
        tags: { ...tags, type: 'filesystem' },
        fields: { status_code: 2, agent_status_code: 1, duration_ms: 4 },
        time,
      },
    ]);
  });
});
