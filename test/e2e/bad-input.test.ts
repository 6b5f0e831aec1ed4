// One bad value from one agent must not hurt any client (issue 15), with a real collector, real sockets and the
// real InfluxDB 1.x: a result with metrics the collector cannot store is acked with those metrics left out and
// named to the agent; a point InfluxDB refuses (a field another writer made a string) goes to the dead letters
// while the other tenant's next result reaches InfluxDB within the spool's retry bound; the fleet view never
// fails on what was stored.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addTenant,
  buildCollector,
  type Collector,
  createAgentToken,
  createApiKey,
  loadCollectorConfig,
} from '@vigie/collector';
import { createIdGenerator, type Result } from '@vigie/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testServers } from '../support/env.js';
import { queryInfluxV1 } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: process.env.VIGIE_TEST_LOG ?? 'silent' });
const newId = createIdGenerator();
const RETRY_MAX_MS = 300;

interface Frame {
  type: string;
  code?: string;
  message?: string;
  accepted?: number;
  duplicates?: number;
}

/** A raw agent: hello, then `frames`; resolves with what the collector said once `done` holds (socket open). */
function talk(url: string, token: string, host: string, frames: unknown[], done: (f: Frame[]) => boolean) {
  return new Promise<{ frames: Frame[]; open: boolean }>((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const got: Frame[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer in time; got ${JSON.stringify(got)}`));
    }, 10_000);
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          v: 1,
          type: 'hello',
          agent: { host, environment: 'production', application: 'shop', version: 't' },
        }),
      );
      for (const f of frames) ws.send(JSON.stringify(f));
    });
    ws.on('message', (d) => {
      got.push(JSON.parse(d.toString()) as Frame);
      if (done(got)) {
        clearTimeout(timer);
        const open = ws.readyState === WebSocket.OPEN;
        ws.close(1000);
        resolve({ frames: got, open });
      }
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (!done(got)) reject(new Error(`closed with ${code}; got ${JSON.stringify(got)}`));
    });
  });
}

const result = (
  over: Omit<Partial<Result>, 'metrics' | 'status'> & { metrics: Record<string, unknown>; status?: string },
) => ({
  id: newId(),
  checkId: 'poison',
  type: 'poison-check',
  category: 'performance',
  status: 'ok',
  message: 'fine',
  observedAt: new Date().toISOString(),
  durationMs: 1,
  ...over,
});

const batch = (...results: unknown[]) => ({ v: 1, type: 'results', batchId: newId(), results });

describe('bad input from one agent hurts no other client', () => {
  const { influxV1Url } = testServers();
  const db = `bad_input_${Date.now().toString(36)}`;
  let collector: Collector;
  let url: string;
  let base: string;
  let tokenA: string;
  let tokenB: string;
  let provider: string;
  let clientB: string;

  const api = async (path: string, key = provider) => {
    const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: r.status, body: (await r.json()) as unknown };
  };

  async function statusPoints(tenant: string): Promise<number> {
    const r = await queryInfluxV1(
      influxV1Url,
      `SELECT count("status_code") FROM "vigie_check" WHERE "tenant" = '${tenant}'`,
      { db },
    );
    return (r.results?.[0]?.series?.[0]?.values?.[0]?.[1] as number | undefined) ?? 0;
  }

  beforeAll(async () => {
    await queryInfluxV1(influxV1Url, `CREATE DATABASE "${db}"`);
    // Another writer (Telegraf, an old script) made `value` a string field of the measurement of the check
    // type `poison-check`: InfluxDB refuses any float `value` written there, with HTTP 400.
    const w = await fetch(`${influxV1Url}/write?db=${db}&precision=ms`, {
      method: 'POST',
      body: `poison_check,tenant=telegraf value="text" ${Date.now() - 60_000}`,
    });
    expect(w.status).toBe(204);
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: mkdtempSync(join(tmpdir(), 'vigie-bad-input-')),
        listen: { host: '127.0.0.1', port: 0 },
        metrics: { kind: 'influx-v1', url: influxV1Url, database: db, timeout: '2s' },
        spool: { retryMax: `${RETRY_MAX_MS}ms`, writeTimeout: '2s' },
      }),
      { log },
    );
    base = await collector.listen();
    url = `${base.replace('http', 'ws')}/ingest`;
    const sdb = collector.store.db;
    await addTenant(sdb, 'tenant-a', 'A', new Date());
    await addTenant(sdb, 'tenant-b', 'B', new Date());
    tokenA = (await createAgentToken(sdb, { id: newId(), tenantId: 'tenant-a', now: new Date() })).token;
    tokenB = (await createAgentToken(sdb, { id: newId(), tenantId: 'tenant-b', now: new Date() })).token;
    provider = (await createApiKey(sdb, { id: newId(), tenantId: null, name: 'noc', now: new Date() })).key;
    clientB = (await createApiKey(sdb, { id: newId(), tenantId: 'tenant-b', name: 'b', now: new Date() }))
      .key;
  });

  afterAll(async () => {
    await collector.close();
  });

  it('acks a result whose metrics cannot all be stored, leaving them out and saying which and why', async () => {
    const bad = result({
      metrics: {
        'used@/': 1,
        'bad name': 'hello',
        '': 1,
        '@x': 2,
        time: 3,
        huge: 1e308,
        'tab@a\tb': 4,
        'newline@a\nb': 5,
        'slash@a\\': 6,
        [`long@${'x'.repeat(70_000)}`]: 7,
      },
      type: 'filesystem',
      checkId: 'fs',
    });
    const s = await talk(url, tokenA, 'a-web', [batch(bad)], (f) => f.some((x) => x.type === 'ack'));
    expect(s.frames.map((f) => f.type)).toEqual(['welcome', 'error', 'ack']);
    expect(s.frames[1]).toMatchObject({ code: 'invalid_result' });
    expect(s.frames[1]?.message).toContain(
      '/results/0/metrics/bad name: metric name field "bad name" must be',
    );
    expect(s.frames[1]?.message).toContain('/results/0/metrics/huge: value 1e+308 is beyond ±1e+300');
    expect(s.frames[1]?.message).toContain('and 4 more');
    expect(s.frames[2]).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(s.open).toBe(true);
    expect(collector.telemetry.registry.value('vigie_ingest_dropped_total', { what: 'metric' })).toBe(9);

    // The fleet view answers, for the provider and for the tenant, with what was kept.
    for (const key of [provider]) {
      const agents = await api('/api/agents', key);
      expect(agents.status).toBe(200);
      const a = (agents.body as Array<{ host: string; checks: Array<{ metrics: object }> }>).find(
        (x) => x.host === 'a-web',
      );
      expect(a?.checks[0]?.metrics).toEqual({ 'used@/': 1 });
    }
  });

  it('drops a result that cannot be stored at all, acks the batch, and keeps its valid neighbours', async () => {
    const s = await talk(
      url,
      tokenA,
      'a-web',
      [batch(result({ metrics: {}, status: 'on fire' }), result({ metrics: { ok: 1 } }))],
      (f) => f.some((x) => x.type === 'ack'),
    );
    expect(s.frames[1]?.message).toContain('/results/0/status');
    expect(s.frames[2]).toMatchObject({ type: 'ack', accepted: 1 });
    expect(collector.telemetry.registry.value('vigie_ingest_dropped_total', { what: 'result' })).toBe(1);
  });

  it("a point InfluxDB refuses goes to the dead letters; tenant B's next result is written within the retry bound", async () => {
    const before = await statusPoints('tenant-b');
    const poisoned = await talk(url, tokenA, 'a-web', [batch(result({ metrics: { value: 1 } }))], (f) =>
      f.some((x) => x.type === 'ack'),
    );
    expect(poisoned.frames.at(-1)).toMatchObject({ type: 'ack', accepted: 1 });
    const sent = Date.now();
    const b = await talk(
      url,
      tokenB,
      'b-web',
      [batch(result({ metrics: { 'used@/': 9 }, type: 'filesystem', checkId: 'fs' }))],
      (f) => f.some((x) => x.type === 'ack'),
    );
    expect(b.frames.at(-1)).toMatchObject({ type: 'ack', accepted: 1 });
    await waitFor(
      "tenant B's result in InfluxDB",
      async () => ((await statusPoints('tenant-b')) > before ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(Date.now() - sent).toBeLessThan(RETRY_MAX_MS + 5000);
    expect(collector.sinkBacklog().batches).toBe(0);

    const letters = await api('/api/sink/dead-letters');
    expect(letters.status).toBe(200);
    const list = letters.body as Array<{ tenant: string; line: string; reason: string; measurement: string }>;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ tenant: 'tenant-a', measurement: 'poison_check' });
    expect(list[0]?.line).toMatch(/^poison_check,.*tenant=tenant-a value=1\.0 \d+$/);
    expect(list[0]?.reason).toContain('field type conflict');
    // A client key sees only its own tenant's dead letters.
    expect((await api('/api/sink/dead-letters', clientB)).body).toEqual([]);
    expect((await api('/api/sink/dead-letters?tenant=tenant-a', clientB)).status).toBe(403);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^vigie_sink_write_failures_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^vigie_sink_dead_letters_total 1$/m);
  });

  it('a check state stored by an older collector with a non-numeric metric does not fail the fleet view', async () => {
    await collector.store.db
      .updateTable('check_states')
      .set({ metrics: JSON.stringify({ 'bad name': 'hello', kept: 2, nan: null }) })
      .where('tenant_id', '=', 'tenant-a')
      .execute();
    for (const key of [provider, clientB]) {
      const r = await api('/api/agents', key);
      expect(r.status).toBe(200);
    }
    const agents = (await api('/api/agents?tenant=tenant-a')).body as Array<{
      checks: Array<{ metrics: object }>;
    }>;
    expect(agents[0]?.checks.map((c) => c.metrics)).toContainEqual({ kept: 2 });
  });
});
