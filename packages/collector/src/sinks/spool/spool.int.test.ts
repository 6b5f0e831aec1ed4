// The spool in front of a real InfluxDB 1.x: a point the store refuses (a field type conflict, the classic
// poison: another writer made the field a string) is isolated into the dead letters with the store's reason,
// while every other point is written: at once when InfluxDB answers, and after an outage, in order, within the
// spool's retry bound. Only unavailability is retried.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxV1Server, queryInfluxV1, startInfluxV1 } from '../../../../../test/support/servers.js';
import { waitFor } from '../../../../../test/support/wait.js';
import { InfluxV1Sink } from '../influx-v1/sink.js';
import type { MetricPoint } from '../types.js';
import { type SpoolEvent, SpoolingSink } from './sink.js';

let influx: InfluxV1Server;
const T0 = Date.now() - 3_600_000;

const point = (tenant: string, fields: Record<string, number>, i: number): MetricPoint => ({
  measurement: 'poison_check',
  tags: { tenant, host: `${tenant}-web`, check: 'c' },
  fields,
  time: T0 + i,
});

async function rows(tenant: string): Promise<number[]> {
  const r = await queryInfluxV1(
    influx.url,
    `SELECT "ok" FROM "poison_check" WHERE "tenant" = '${tenant}' AND "ok" > -1`,
    { db: influx.database },
  );
  return (r.results?.[0]?.series?.[0]?.values ?? []).map((v) => v[1] as number);
}

function spool(maxDeadLetters = 100) {
  const events: SpoolEvent[] = [];
  const sink = new SpoolingSink(
    new InfluxV1Sink({ url: influx.url, database: influx.database, timeoutMs: 2000 }),
    {
      path: join(mkdtempSync(join(tmpdir(), 'vigie-spool-')), 'spool.db'),
      maxBytes: 10 * 1024 * 1024,
      deadLetterMax: maxDeadLetters,
      writeTimeoutMs: 2000,
      retryMinMs: 50,
      retryMaxMs: 300,
      onEvent: (e) => events.push(e),
      now: () => Date.parse('2026-12-01T10:00:00Z'),
    },
  );
  return { sink, events };
}

beforeAll(async () => {
  influx = await startInfluxV1();
  // Another writer made `value` a string field of this measurement: any float `value` is now refused (400).
  const r = await fetch(`${influx.url}/write?db=${influx.database}&precision=ms`, {
    method: 'POST',
    body: `poison_check,tenant=telegraf value="text" ${T0 - 1}`,
  });
  expect(r.status).toBe(204);
});

afterAll(async () => {
  await influx.destroy();
});

describe('spool with a store that refuses one point', () => {
  it('writes the others at once and keeps the refused one as a dead letter with the reason', async () => {
    const { sink, events } = spool();
    const batch = [
      point('tenant-b', { ok: 1 }, 1),
      point('tenant-a', { value: 1, ok: 2 }, 2),
      point('tenant-b', { ok: 3 }, 3),
    ];
    const report = await sink.write(batch);
    expect(report.refused).toHaveLength(1);
    expect(report.refused[0]?.point).toEqual(batch[1]);
    expect(await rows('tenant-b')).toEqual([1, 3]);
    expect(sink.backlog()).toEqual({ bytes: 0, batches: 0 });
    const letters = sink.deadLetters({ tenant: null, limit: 10 });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      at: '2026-12-01T10:00:00.000Z',
      tenant: 'tenant-a',
      host: 'tenant-a-web',
      measurement: 'poison_check',
      line: `poison_check,check=c,host=tenant-a-web,tenant=tenant-a value=1.0,ok=2.0 ${T0 + 2}`,
    });
    expect(letters[0]?.reason).toMatch(/^InfluxDB 1.x at .* refused it: HTTP 400 .*field type conflict/);
    expect(sink.deadLetters({ tenant: 'tenant-b', limit: 10 })).toEqual([]);
    expect(events.filter((e) => e.kind === 'dead-lettered')).toHaveLength(1);
    await sink.close();
  });

  it('after an outage: drains in order within its retry bound, the poisoned point to the dead letters', async () => {
    const { sink, events } = spool();
    await influx.stop();
    // Nothing says these points are bad while the store is down: all are spooled, none dead-lettered.
    await sink.write([point('tenant-a', { value: 2, ok: 10 }, 10)]);
    await sink.write([point('tenant-b', { ok: 11 }, 11)]);
    expect(sink.backlog().batches).toBe(2);
    await new Promise((r) => setTimeout(r, 700));
    expect(sink.deadLetters({ tenant: null, limit: 10 })).toEqual([]);
    expect(events.some((e) => e.kind === 'retry')).toBe(true);
    await influx.start();
    const back = Date.now();
    await waitFor('tenant B behind the poisoned batch to be written', async () =>
      (await rows('tenant-b')).includes(11) ? true : undefined,
    );
    // Within the retry bound (300 ms) plus the time of a write, not "never".
    expect(Date.now() - back).toBeLessThan(5000);
    await waitFor('the spool to be empty', () => sink.backlog().batches === 0);
    expect(sink.deadLetters({ tenant: 'tenant-a', limit: 10 }).map((l) => l.point.fields)).toEqual([
      { value: 2, ok: 10 },
    ]);
    await sink.close();
  });

  it('keeps a bounded number of dead letters, newest first, and pages through them', async () => {
    const { sink } = spool(3);
    for (let i = 0; i < 5; i++) await sink.write([point('tenant-a', { value: 100 + i }, 100 + i)]);
    const letters = sink.deadLetters({ tenant: null, limit: 10 });
    expect(letters.map((l) => l.point.fields.value)).toEqual([104, 103, 102]);
    const next = sink.deadLetters({ tenant: null, before: letters[1]?.id, limit: 10 });
    expect(next.map((l) => l.point.fields.value)).toEqual([102]);
    await sink.close();
  });

  it('refuses before the store what it cannot encode: a dead letter without a line', async () => {
    const { sink } = spool();
    const report = await sink.write([
      { ...point('tenant-a', { ok: 1 }, 200), tags: { tenant: 'tenant-a', host: 'a\\' } },
      point('tenant-b', { ok: 201 }, 201),
    ]);
    expect(report.refused.map((r) => r.reason)).toEqual(['not encodable: tag host "a\\\\" holds "\\\\"']);
    expect(sink.deadLetters({ tenant: 'tenant-a', limit: 1 })[0]?.line).toBeNull();
    expect(await rows('tenant-b')).toContain(201);
    await sink.close();
  });
});
