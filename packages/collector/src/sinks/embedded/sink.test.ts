import { describe, expect, it } from 'vitest';
import { EmbeddedSink } from './sink.js';

const point = (time: number, value: number) => ({
  measurement: 'filesystem',
  tags: { tenant: 'acme', host: 'web-01', check: 'fs', instance: '/' },
  fields: { used_percent: value },
  time,
});

describe('EmbeddedSink', () => {
  it('stores points once per series and time (a replay replaces) and answers queries by host and tenant', async () => {
    const sink = new EmbeddedSink({
      path: ':memory:',
      retentionMs: 3_600_000,
      maxPoints: 1000,
      now: () => 10_000,
    });
    await sink.write([point(1000, 1), point(2000, 2)]);
    await sink.write([point(2000, 2)]);
    expect(sink.count()).toBe(2);
    const rows = await sink.query({ tenant: 'acme', host: 'web-01', sinceMs: 0 });
    expect(rows.map((r) => [r.time, r.value, r.instance])).toEqual([
      [1000, 1, '/'],
      [2000, 2, '/'],
    ]);
    expect(await sink.query({ tenant: 'other', host: 'web-01', sinceMs: 0 })).toEqual([]);
    await sink.close();
  });

  it('prunes by age and by point budget', async () => {
    let now = 0;
    const sink = new EmbeddedSink({ path: ':memory:', retentionMs: 1000, maxPoints: 3, now: () => now });
    await sink.write([1, 2, 3, 4, 5].map((t) => point(t * 100, t)));
    now = 0;
    sink.prune();
    expect(sink.count()).toBe(3); // budget keeps the 3 newest
    now = 1400;
    sink.prune();
    expect((await sink.query({ tenant: null, host: 'web-01', sinceMs: 0 })).map((r) => r.value)).toEqual([
      4, 5,
    ]);
    await sink.close();
  });
});
