import { describe, expect, it } from 'vitest';
import { parseLineProtocol, toLineProtocol } from './line-protocol.js';
import type { MetricPoint } from './types.js';

describe('line protocol read back', () => {
  it('gives back what toLineProtocol wrote, escapes included', () => {
    const points: MetricPoint[] = [
      {
        measurement: 'filesystem',
        tags: { tenant: 'acme', host: 'web 01', check: 'fs', instance: '/var,log=x' },
        fields: { used_percent: 83.5, inodes: 12 },
        time: 1_774_000_000_123,
      },
      { measurement: 'vigie check', tags: { tenant: 'acme' }, fields: { 'status code': 2 }, time: 1 },
    ];
    expect(parseLineProtocol(toLineProtocol(points))).toEqual(points);
  });

  it('names the line of anything it cannot read', () => {
    expect(() => parseLineProtocol('cpu,host=a load=1 5\ncpu,host=a load=high 6')).toThrow(
      /line 2: field load=high is not numeric/,
    );
    expect(() => parseLineProtocol('cpu load=1')).toThrow(/line 1: expected "measurement,tags fields time"/);
  });
});
