// The encoder against the real stores (property test): random measurements, tags, fields and values are either
// refused by the encoder, before any store, or written by the real sinks and read back exactly from InfluxDB 1.x
// and from VictoriaMetrics. Nothing in between: no store refusal, no altered value or name.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { testServers } from '../../../../test/support/env.js';
import { queryInfluxV1, queryVictoriaExport } from '../../../../test/support/servers.js';
import { waitFor } from '../../../../test/support/wait.js';
import { InfluxV1Sink } from './influx-v1/sink.js';
import { InfluxV2Sink } from './influx-v2/sink.js';
import { encodePoint } from './line-protocol.js';
import type { MetricPoint } from './types.js';

/** Text with what line protocol finds hard: separators, escapes, controls, quotes, non-ASCII, lone surrogates. */
const hard = fc.constantFrom(
  'a b',
  'a,b',
  'a=b',
  'a\\',
  '\\',
  'a\\b',
  '\\,',
  'a\tb',
  'a\nb',
  'a\rb',
  'é 😀',
  '"q"',
  "'s'",
  '#x',
  'time',
  ' lead',
  'trail ',
  '=',
  ',',
  ' ',
  '\ud800',
  'x\u0085y',
  '__name__',
  '_field',
);
/** Mostly text a store can hold (so that many points are written and compared), some that it cannot. */
const text = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
  {
    weight: 6,
    arbitrary: fc.string({
      unit: fc.constantFrom('a', 'Z', '0', ' ', ',', '=', '"', "'", 'é', '😀', '#', '_', '.', '-'),
      minLength: 1,
      maxLength: 8,
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', '\\', '\n', '\t', '\r'), maxLength: 4 }) },
  { weight: 1, arbitrary: hard },
);
const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 3, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.constantFrom(1e21, 1e308, -1e308, -0, 5e-324, 0.1, 123456789012345680000) },
);

/** Points of one property run (their `run` tag, to find them again, is set by each execution). */
function pointsAt() {
  return fc.array(
    fc.record({
      measurement: text,
      tags: fc.dictionary(text, fc.oneof(text, fc.constant('')), { maxKeys: 3 }),
      fields: fc.dictionary(text, value, { minKeys: 1, maxKeys: 3 }),
      offsetMs: fc.integer({ min: 0, max: 2 * 86_400_000 }),
    }),
    { minLength: 5, maxLength: 40, size: 'medium' },
  );
}

/**
 * The points tagged `run=<prefix>-<i>`: a fresh prefix for every execution, so that a shrunk re-run does not
 * read what an earlier execution wrote.
 */
function tagged(
  items: Array<{
    measurement: string;
    tags: Record<string, string>;
    fields: Record<string, number>;
    offsetMs: number;
  }>,
  prefix: string,
  now: number,
): MetricPoint[] {
  return items.map((p, i) => ({
    measurement: p.measurement,
    tags: {
      ...Object.fromEntries(Object.entries(p.tags).filter(([k]) => k !== 'run')),
      run: `${prefix}-${i}`,
    },
    fields: p.fields,
    time: now - p.offsetMs,
  }));
}

/** What a store must give back for a point: its non-empty tags, and one value per field. */
function expected(p: MetricPoint) {
  return {
    tags: Object.fromEntries(Object.entries(p.tags).filter(([, v]) => v !== '')),
    fields: Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, v === 0 ? 0 : v])),
  };
}

interface ReadBack {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number>;
  time: number;
}

async function influxReadBack(url: string, db: string, prefix: string): Promise<ReadBack[]> {
  const r = await queryInfluxV1(url, `SELECT * FROM /.*/ WHERE "run" =~ /^${prefix}-/ GROUP BY *`, { db });
  const out: ReadBack[] = [];
  for (const s of r.results?.[0]?.series ?? []) {
    const tags = Object.fromEntries(Object.entries(s.tags ?? {}).filter(([, v]) => v !== ''));
    for (const row of s.values) {
      const fields: Record<string, number> = {};
      s.columns.forEach((c, i) => {
        if (i > 0 && row[i] !== null) fields[c] = row[i] as number;
      });
      out.push({ measurement: s.name, tags, fields, time: row[0] as number });
    }
  }
  return out;
}

/** VictoriaMetrics keeps about 12 significant digits (and flushes the tiniest values, below 1e-300, to 0). */
function closeTo(got: number, want: number): boolean {
  if (got === want) return true;
  if (Math.abs(want) < 1e-290 && Math.abs(got) < 1e-290) return true;
  return Math.abs(got - want) <= Math.abs(want) * 1e-11;
}

describe('line protocol against the real stores', () => {
  const servers = testServers();
  const db = `lp_${Date.now().toString(36)}`;
  let runs = 0;
  const written = { influx: 0, vm: 0 };

  beforeAll(async () => {
    await queryInfluxV1(servers.influxV1Url, `CREATE DATABASE "${db}"`);
  });

  it('InfluxDB 1.x: every point is refused before the store, or read back exactly', async () => {
    const sink = new InfluxV1Sink({ url: servers.influxV1Url, database: db, timeoutMs: 10_000 });
    const now = Date.now();
    await fc.assert(
      fc.asyncProperty(pointsAt(), async (items) => {
        const prefix = `i${runs++}`;
        const points = tagged(items, prefix, now);
        const writable = points.filter((p) => encodePoint(p).ok);
        written.influx += writable.length;
        const report = await sink.write(points);
        // Nothing reached the store that it refused: the only refusals are the encoder's.
        expect(report.refused.map((r) => r.reason).filter((r) => !r.startsWith('not encodable'))).toEqual([]);
        expect(report.refused).toHaveLength(points.length - writable.length);
        const back = await influxReadBack(servers.influxV1Url, db, prefix);
        const byRun = new Map(back.map((b) => [b.tags.run, b]));
        for (const p of writable) {
          const got = byRun.get(p.tags.run);
          expect(got, `point ${JSON.stringify(p)}`).toEqual({
            measurement: p.measurement,
            time: p.time,
            ...expected(p),
          });
        }
        expect(back).toHaveLength(writable.length);
      }),
      { numRuns: 30 },
    );
    // The property says something only if many points were written, not all refused.
    expect(written.influx).toBeGreaterThan(150);
  });

  it('VictoriaMetrics (InfluxDB v2 write API): every point is refused before the store, or read back exactly', async () => {
    const sink = new InfluxV2Sink({ url: servers.vmUrl, org: 'vigie', bucket: 'vigie', timeoutMs: 10_000 });
    const now = Date.now();
    const prefixBase = `v${Date.now().toString(36)}`;
    await fc.assert(
      fc.asyncProperty(pointsAt(), async (items) => {
        const prefix = `${prefixBase}x${runs++}`;
        const points = tagged(items, prefix, now);
        const writable = points.filter((p) => encodePoint(p).ok);
        written.vm += writable.length;
        const report = await sink.write(points);
        expect(report.refused).toHaveLength(points.length - writable.length);
        // One series per field, named <measurement>_<field>, its labels the tags.
        const want = writable.flatMap((p) =>
          Object.entries(expected(p).fields).map(([field, v]) => ({
            name: `${p.measurement}_${field}`,
            labels: expected(p).tags,
            value: v,
            time: p.time,
          })),
        );
        const series = await waitFor(
          `${want.length} series in VictoriaMetrics`,
          async () => {
            const s = await queryVictoriaExport(servers.vmUrl, `{run=~"${prefix}-.*"}`);
            return s.length >= want.length ? s : undefined;
          },
          { timeoutMs: 15_000, intervalMs: 300 },
        ).catch(async () => queryVictoriaExport(servers.vmUrl, `{run=~"${prefix}-.*"}`));
        const got = series.map((s) => {
          const { __name__: name, ...labels } = s.metric;
          return { name, labels, value: s.values.at(-1) as number, time: s.timestamps.at(-1) as number };
        });
        for (const w of want) {
          const match = got.find(
            (g) => g.name === w.name && JSON.stringify(sorted(g.labels)) === JSON.stringify(sorted(w.labels)),
          );
          expect(match, `series ${JSON.stringify(w)} among ${JSON.stringify(got)}`).toBeDefined();
          expect(match?.time).toBe(w.time);
          expect(closeTo(match?.value as number, w.value), `${match?.value} for ${w.value}`).toBe(true);
        }
        expect(got).toHaveLength(want.length);
      }),
      { numRuns: 15 },
    );
    expect(written.vm).toBeGreaterThan(60);
  });
});

function sorted(o: Record<string, string>): Array<[string, string]> {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1));
}
