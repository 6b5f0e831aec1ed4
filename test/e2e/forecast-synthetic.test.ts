// Forecasts through the real ingest: synthetic filesystem series with a known slope and seeded noise, sent by
// the agent's own WebSocket client (CollectorClient) to a real collector, stored in the embedded metrics store
// and in a real InfluxDB 1.x, read back by the forecast pass (the collector's clock is injected, so two days
// of history take a second). Checked: the time to full predicted within 10 % of the truth once half of it is
// observed, a flat noisy series and a sawtooth (log rotation) opening no ticket, a resize resolving the
// forecast, the API (fit, lines for the charts, rules, strict schemas) and the `vigie_forecast` figure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorClient, MemoryOutbox } from '@vigie/agent';
import {
  addTenant,
  buildCollector,
  type Collector,
  type CollectorConfigInput,
  createAgentToken,
  createApiKey,
  loadCollectorConfig,
} from '@vigie/collector';
import { createIdGenerator, type Result } from '@vigie/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthetic } from '../../packages/collector/src/forecast/testing.js';
import { testServers } from '../support/env.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: process.env.VIGIE_TEST_LOG ?? 'silent' });
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEP = 10 * MIN;
/** Two days observed, on a disk that fills in four: half the way to full. */
const OBSERVED = 2 * DAY;

interface Forecast {
  host: string;
  metric: string;
  verdict: string;
  seconds: number | null;
  predictedAt: string | null;
  ticketId: string | null;
  fit: { slopePerHour: number; windowSeconds: number; points: number; quality: number } | null;
}
interface Ticket {
  id: string;
  host: string;
  kind: string;
  checkId: string;
  status: string;
  priority: string;
  title: string;
}

async function influxQuery(url: string, db: string, q: string): Promise<unknown> {
  const r = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`, {
    method: 'POST',
  });
  if (!r.ok) throw new Error(`InfluxQL ${q}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

describe.each(['embedded', 'influx-v1'] as const)(
  'forecasts through the ingest into the %s store',
  (sinkKind) => {
    const dir = mkdtempSync(join(tmpdir(), `vigie-forecast-${sinkKind}-`));
    const database = `vigie_forecast_${process.pid}`;
    const end = Math.floor(Date.now() / STEP) * STEP;
    let clock = end;
    const newId = createIdGenerator();
    let collector: Collector;
    let base: string;
    let apiKey: string;
    const clients: CollectorClient[] = [];
    const outboxes = new Map<string, MemoryOutbox>();
    let sent = 0;

    const api = async <T>(path: string, expectStatus = 200): Promise<T> => {
      const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
      if (r.status !== expectStatus) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    };

    /** Each host's samples as filesystem results of check `fs` for `/var`, through its agent connection. */
    async function send(series: Record<string, Array<{ t: number; v: number }>>): Promise<void> {
      for (const [host, samples] of Object.entries(series)) {
        const outbox = outboxes.get(host) as MemoryOutbox;
        for (const s of samples) {
          const result: Result = {
            id: newId(),
            checkId: 'fs',
            type: 'filesystem',
            category: 'performance',
            status: 'ok',
            metrics: { 'used_percent@/var': Math.round(s.v * 1000) / 1000 },
            message: `/var ${s.v.toFixed(1)}% used`,
            observedAt: new Date(s.t).toISOString(),
            durationMs: 2,
          };
          outbox.push({ kind: 'result', result });
          sent++;
        }
      }
      await waitFor(
        'every result acked',
        () => clients.reduce((n, c) => n + c.stats.resultsAcked, 0) >= sent || undefined,
        { timeoutMs: 30_000 },
      );
    }

    beforeAll(async () => {
      const metrics: CollectorConfigInput['metrics'] =
        sinkKind === 'embedded'
          ? { kind: 'embedded', retention: '30d' }
          : { kind: 'influx-v1', url: testServers().influxV1Url, database };
      if (sinkKind === 'influx-v1')
        await influxQuery(testServers().influxV1Url, '', `CREATE DATABASE ${database}`);
      const config = loadCollectorConfig(undefined, {
        dataDir: dir,
        listen: { host: '127.0.0.1', port: 0 },
        metrics,
        // The built-in rules, as shipped: default-filesystem-space is a 2-day window and a 7-day horizon.
        forecasts: { interval: '1h' },
        tickets: { silentAgentAfter: '30d' },
      });
      collector = await buildCollector(config, { log, now: () => new Date(clock) });
      base = await collector.listen();
      const db = collector.store.db;
      await addTenant(db, 'acme', 'ACME', new Date(clock));
      apiKey = (await createApiKey(db, { id: newId(), tenantId: null, name: 'noc', now: new Date(clock) }))
        .key;
      for (const host of ['fill-01', 'flat-01', 'saw-01']) {
        const token = (await createAgentToken(db, { id: newId(), tenantId: 'acme', now: new Date(clock) }))
          .token;
        const outbox = new MemoryOutbox(100_000);
        const client = new CollectorClient(
          {
            url: `${base.replace('http', 'ws')}/ingest`,
            token,
            agent: { host, environment: 'production', application: 'erp', version: 'test' },
            // The agents' clock is the collector's (both simulated): no skew to correct.
            now: () => new Date(clock),
            batchSize: 200,
            reconnectMinMs: 50,
            reconnectMaxMs: 500,
            heartbeatMs: 5000,
          },
          outbox,
          log,
        );
        client.start();
        clients.push(client);
        outboxes.set(host, outbox);
      }
    });

    afterAll(async () => {
      for (const c of clients) await c.stop();
      await collector?.close();
      if (sinkKind === 'influx-v1')
        await influxQuery(testServers().influxV1Url, '', `DROP DATABASE ${database}`);
      rmSync(dir, { recursive: true, force: true });
    });

    it('predicts the time to full within 10 % once half of it is observed, and opens one ticket', async () => {
      const start = end - OBSERVED;
      const count = OBSERVED / STEP + 1;
      await send({
        // 20 % → 100 % in four days, with 1 % of noise.
        'fill-01': synthetic({
          start,
          stepMs: STEP,
          count,
          base: 20,
          perDay: 20,
          noise: 1,
          seed: 101,
          max: 100,
        }),
        // Flat at 80 % with 3 % of noise: no trend, however close to full.
        'flat-01': synthetic({
          start,
          stepMs: STEP,
          count,
          base: 80,
          perDay: 0,
          noise: 3,
          seed: 102,
          max: 100,
        }),
        // Logs filling /var by 30 % a day, rotated every 12 hours.
        'saw-01': synthetic({
          start,
          stepMs: STEP,
          count,
          base: 55,
          perDay: 30,
          noise: 0.3,
          seed: 103,
          periodMs: DAY / 2,
        }),
      });
      const run = await collector.forecast();
      expect(run).toMatchObject({ hosts: 3, series: 3, atRisk: 1 });

      const forecasts = await api<Forecast[]>('/api/forecasts');
      const fill = forecasts.find((f) => f.host === 'fill-01') as Forecast;
      const truth = 2 * 86_400;
      expect(fill.verdict).toBe('crossing');
      expect(Math.abs((fill.seconds as number) - truth) / truth).toBeLessThan(0.1);
      expect(fill.fit).toMatchObject({ windowSeconds: 2 * 86_400, points: 288 });
      expect((fill.fit?.slopePerHour as number) * 24).toBeCloseTo(20, 0);
      expect(fill.fit?.quality).toBeGreaterThan(0.9);
      expect(forecasts.find((f) => f.host === 'saw-01')?.verdict).toBe('periodic');
      expect(['poor_fit', 'not_approaching']).toContain(forecasts.find((f) => f.host === 'flat-01')?.verdict);

      const tickets = await api<Ticket[]>('/api/tickets?kind=forecast');
      expect(tickets).toHaveLength(1);
      expect(tickets[0]).toMatchObject({
        host: 'fill-01',
        checkId: 'forecast:fs:used_percent@/var',
        status: 'open',
        priority: 'P3',
        id: fill.ticketId,
      });
      expect(tickets[0]?.title).toMatch(/^\/var full in (1 d 2\d h|2 d( \d h)?) on fill-01$/);
    });

    it('serves the forecast line and crossing for the host charts, and the rules in effect', async () => {
      const [line] = await api<
        Array<{
          forecast: Forecast;
          line: Array<{ time: string; value: number }>;
          crossing: { time: string; value: number };
        }>
      >('/api/hosts/fill-01/forecasts?metric=used_percent@/var');
      expect(line?.crossing).toEqual({ time: line?.forecast.predictedAt, value: 100 });
      expect(line?.line).toHaveLength(2);
      expect(Math.abs((line?.line[0]?.value as number) - 20)).toBeLessThan(2);
      expect(line?.line[1]).toEqual({ time: line?.forecast.predictedAt, value: expect.closeTo(100, 6) });
      expect(await api('/api/hosts/flat-01/forecasts?check=nope')).toEqual([]);

      const rules =
        await api<Array<{ id: string; builtIn: boolean; horizonSeconds: number }>>('/api/forecasts/rules');
      expect(rules.map((r) => r.id)).toEqual(
        expect.arrayContaining([
          'default-filesystem-space',
          'default-backup-target',
          'default-service-memory',
        ]),
      );
      expect(rules.find((r) => r.id === 'default-filesystem-space')).toMatchObject({
        builtIn: true,
        horizonSeconds: 7 * 86_400,
      });
    });

    it('refuses unknown parameters and wrong types, naming the field, with no coercion', async () => {
      expect(await api('/api/forecasts?limit=ten', 400)).toEqual({
        error: 'bad_request',
        message: expect.stringContaining('querystring/limit'),
        field: 'querystring/limit',
      });
      expect(await api('/api/forecasts?hots=fill-01', 400)).toMatchObject({ field: 'querystring/hots' });
      expect(await api('/api/forecasts?verdict=crossing,maybe', 400)).toMatchObject({
        field: 'querystring/verdict',
      });
      expect(await api('/api/forecasts/rules?x=1', 400)).toMatchObject({ error: 'bad_request' });
      expect(await api<Forecast[]>('/api/forecasts?verdict=crossing&limit=5')).toHaveLength(1);
      const r = await fetch(`${base}/api/forecasts`);
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ error: 'missing_api_key' });
    });

    it('writes vigie_forecast for Grafana', async () => {
      if (sinkKind === 'influx-v1') {
        const body = (await influxQuery(
          testServers().influxV1Url,
          database,
          `SELECT last("seconds") FROM "vigie_forecast" WHERE "host" = 'fill-01' AND "instance" = '/var' AND "metric" = 'used_percent'`,
        )) as { results: Array<{ series?: Array<{ values: Array<[number, number]> }> }> };
        const seconds = body.results[0]?.series?.[0]?.values[0]?.[1] as number;
        expect(Math.abs(seconds - 2 * 86_400) / (2 * 86_400)).toBeLessThan(0.1);
      } else {
        const points = await collector.sink.query?.({
          tenant: 'acme',
          host: 'fill-01',
          measurement: 'vigie_forecast',
          field: 'seconds',
          sinceMs: 0,
        });
        expect(points).toHaveLength(1);
        expect(Math.abs((points?.[0]?.value as number) - 2 * 86_400) / (2 * 86_400)).toBeLessThan(0.1);
      }
    });

    it('resolves the forecast when the filesystem is resized', async () => {
      // Doubled: 60 % used becomes 30 %, and the same bytes a day are half the percentage.
      const after = synthetic({
        start: end + STEP,
        stepMs: STEP,
        count: 6,
        base: 30,
        perDay: 10,
        noise: 0.3,
        seed: 104,
      });
      // The collector's clock first: results from its future would be clamped to the time they arrive.
      clock = end + 6 * STEP;
      await send({ 'fill-01': after });
      await collector.forecast();
      const [ticket] = await api<Ticket[]>('/api/tickets?kind=forecast');
      expect(ticket?.status).toBe('resolved');
      const detail = await api<{ timeline: Array<{ kind: string; details: { reason?: string } }> }>(
        `/api/tickets/${ticket?.id}`,
      );
      expect(detail.timeline.at(-1)).toMatchObject({
        kind: 'resolved',
        details: { reason: expect.stringMatching(/^the trend receded: .*a cleanup or a resize/) },
      });
      expect((await api<Forecast[]>('/api/forecasts?host=fill-01'))[0]?.verdict).toBe('receded');
    });
  },
);
