import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
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

  it('answers across segments as they roll over, a replay in a later segment counting once', async () => {
    const sink = new EmbeddedSink({ path: ':memory:', retentionMs: 1e12, maxPoints: 30, now: () => 0 });
    for (let t = 1; t <= 10; t++) await sink.write([point(t * 1000, t)]); // segments of 3 rows
    await sink.write([point(2000, 2)]);
    const rows = await sink.query({ tenant: 'acme', host: 'web-01', sinceMs: 0 });
    expect(rows.map((r) => r.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await sink.query({ tenant: 'acme', host: 'web-01', sinceMs: 8000 })).map((r) => r.time)).toEqual([
      8000, 9000, 10000,
    ]);
    await sink.close();
  });

  it('keeps the points of an earlier release (one row per field) when it opens its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-embedded-'));
    try {
      const file = join(dir, 'metrics.db');
      const old = new SQLite(file);
      old.exec(`CREATE TABLE points (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, host TEXT NOT NULL,
        check_id TEXT NOT NULL, measurement TEXT NOT NULL, instance TEXT NOT NULL, field TEXT NOT NULL,
        ts INTEGER NOT NULL, value REAL NOT NULL)`);
      const ins = old.prepare(
        'INSERT INTO points (tenant, host, check_id, measurement, instance, field, ts, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      ins.run('acme', 'web-01', 'fs', 'filesystem', '/', 'used_percent', 1000, 41);
      ins.run('acme', 'web-01', 'fs', 'filesystem', '/', 'free_bytes', 1000, 7);
      ins.run('acme', 'web-01', 'fs', 'vigie_check', '', 'status_code', 1000, 0);
      old.close();
      const sink = new EmbeddedSink({ path: file, retentionMs: 1e12, maxPoints: 1000, now: () => 0 });
      const rows = await sink.query({ tenant: 'acme', host: 'web-01', sinceMs: 0 });
      expect(rows.map((r) => [r.measurement, r.instance, r.field, r.value]).sort()).toEqual(
        [
          ['filesystem', '/', 'free_bytes', 7],
          ['filesystem', '/', 'used_percent', 41],
          ['vigie_check', undefined, 'status_code', 0],
        ].sort(),
      );
      await sink.close();
      const after = new SQLite(file);
      expect(after.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'points'").get()).toEqual({
        n: 0,
      });
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('packRecords', () => {
  it('gives the rows that packing the results points gives, on random results', async () => {
    const { packRecords, pack } = await import('./sink.js');
    const { resultToPoints } = await import('../types.js');
    type Rec = import('../types.js').ResultRecord;
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const statuses = ['ok', 'warning', 'critical', 'unknown'] as const;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const records: Rec[] = [];
    for (let i = 0; i < 500; i++) {
      const metrics: Record<string, number> = {};
      for (let k = Math.floor(rnd() * 5); k > 0; k--) {
        const name = pick(['used_percent', 'free_bytes', 'load1', 'a.b']) + pick(['', '@/', '@/var', '@']);
        metrics[name] = pick([rnd() * 100, Number.NaN, Number.POSITIVE_INFINITY, 0, -3]);
      }
      records.push({
        who: {
          tenant: pick(['t1', 't2']),
          application: 'app',
          environment: 'production',
          host: pick(['h1', 'h2']),
        },
        result: {
          checkId: pick(['c1', 'c2', 'c3']),
          type: pick(['filesystem', 'http-probe', 'load']),
          category: 'performance',
          status: pick(statuses),
          durationMs: Math.floor(rnd() * 1000),
          metrics,
        },
        status: pick(statuses),
        // Few distinct times: results of one check at the same time merge into one row.
        time: 1_000 * Math.floor(rnd() * 20) + pick([0, 0.4]),
      });
    }
    const viaPoints = pack(records.flatMap((r) => resultToPoints(r.result, r.who, r.status, r.time)));
    const direct = packRecords(records);
    expect([...direct.entries()]).toEqual([...viaPoints.entries()]);
    expect(direct.size).toBeGreaterThan(50);
  });
});
