import { describe, expect, it } from 'vitest';
import { pointsOfResponse, seriesInfluxQL } from './query.js';

describe('reading InfluxDB 1.x back', () => {
  it('quotes every name and value, so a host name cannot change the query', () => {
    const q = seriesInfluxQL({
      tenant: 'acme',
      host: "db'; DROP DATABASE vigie; --",
      measurement: 'file"system',
      field: 'used_percent',
      instance: '/var',
      sinceMs: 1000,
      untilMs: 2000.7,
      limit: 50,
    });
    expect(q).toBe(
      `SELECT "used_percent" FROM "file\\"system" WHERE "host" = 'db\\'; DROP DATABASE vigie; --' AND ` +
        `"tenant" = 'acme' AND "instance" = '/var' AND time >= 1000ms AND time <= 2000ms GROUP BY * ` +
        'ORDER BY time DESC LIMIT 50',
    );
    expect(seriesInfluxQL({ tenant: null, host: 'h', sinceMs: 0 })).toBe(
      `SELECT * FROM /.*/ WHERE "host" = 'h' AND time >= 0ms GROUP BY * ORDER BY time DESC LIMIT 10000`,
    );
  });

  it('turns series into points, oldest first, the newest within the limit, nulls left out', () => {
    const points = pointsOfResponse(
      {
        results: [
          {
            series: [
              {
                name: 'filesystem',
                tags: { check: 'fs', instance: '/var' },
                columns: ['time', 'used_percent', 'free_bytes'],
                values: [
                  [3000, 50, null],
                  [1000, 40, 7],
                ],
              },
              {
                name: 'cpu',
                tags: { check: 'cpu', instance: '' },
                columns: ['time', 'usage_percent'],
                values: [[2000, 9]],
              },
            ],
          },
        ],
      },
      3,
    );
    expect(points).toEqual([
      { measurement: 'filesystem', field: 'free_bytes', instance: '/var', check: 'fs', time: 1000, value: 7 },
      { measurement: 'cpu', field: 'usage_percent', instance: undefined, check: 'cpu', time: 2000, value: 9 },
      {
        measurement: 'filesystem',
        field: 'used_percent',
        instance: '/var',
        check: 'fs',
        time: 3000,
        value: 50,
      },
    ]);
    expect(() => pointsOfResponse({ results: [{ error: 'database not found: x' }] }, 10)).toThrow(
      'InfluxQL error: database not found: x',
    );
  });
});
