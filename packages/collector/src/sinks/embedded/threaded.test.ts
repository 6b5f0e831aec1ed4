import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../types.js';
import { EmbeddedSink } from './sink.js';
import { ThreadedEmbeddedSink } from './threaded.js';

const dir = mkdtempSync(join(tmpdir(), 'vigie-threaded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (host: string, time: number, used: number): ResultRecord => ({
  who: { tenant: 'acme', application: 'shop', environment: 'production', host },
  result: {
    checkId: 'fs',
    type: 'filesystem',
    category: 'performance',
    status: used > 90 ? 'critical' : 'ok',
    durationMs: 3,
    metrics: { 'used_percent@/': used, 'used_percent@/var': used / 2 },
  },
  status: used > 90 ? 'critical' : 'ok',
  time,
});

describe('ThreadedEmbeddedSink (the embedded store on its own thread)', () => {
  it('stores what the in-process store stores, and answers the same queries', async () => {
    const threaded = new ThreadedEmbeddedSink({
      path: join(dir, 'threaded.sqlite'),
      retentionMs: 3_600_000,
      maxPoints: 10_000,
      now: () => 100_000,
    });
    const local = new EmbeddedSink({
      path: ':memory:',
      retentionMs: 3_600_000,
      maxPoints: 10_000,
      now: () => 100_000,
    });
    const records = [record('web-01', 1_000, 50), record('web-01', 2_000, 95), record('web-02', 2_000, 10)];
    const point = {
      measurement: 'custom',
      tags: { tenant: 'acme', host: 'web-01', check: 'x' },
      fields: { v: 1 },
      time: 3_000,
    };
    for (const sink of [threaded, local]) {
      expect(await sink.writeResults(records)).toEqual({ refused: [] });
      expect(await sink.write([point])).toEqual({ refused: [] });
    }
    for (const query of [
      { tenant: 'acme', host: 'web-01', sinceMs: 0 },
      { tenant: null, host: 'web-02', sinceMs: 0, measurement: 'vigie_check', field: 'status_code' },
      { tenant: 'acme', host: 'web-01', sinceMs: 1_500, instance: '/var' },
    ]) {
      const got = await threaded.query(query);
      expect(got).toEqual(await local.query(query));
      expect(got.length).toBeGreaterThan(0);
    }
    await threaded.close();
    await local.close();
    await expect(threaded.write([point])).rejects.toThrow(/closed/);
  });

  it('fails the calls of a thread that dies, with the reason, instead of hanging', async () => {
    // A folder where the database file should be: SQLite cannot open it, the thread fails at start.
    const taken = join(dir, 'a-folder.sqlite');
    mkdirSync(taken);
    const sink = new ThreadedEmbeddedSink({ path: taken, retentionMs: 1000, maxPoints: 10 });
    await expect(sink.writeResults([record('web-01', 1_000, 1)])).rejects.toThrow(
      /embedded metrics store thread (failed|exited)/,
    );
    // The next call starts a thread again (and fails the same way: the folder is still there).
    await expect(sink.query({ tenant: null, host: 'web-01', sinceMs: 0 })).rejects.toThrow(
      /embedded metrics store/,
    );
    await sink.close();
  });
});
