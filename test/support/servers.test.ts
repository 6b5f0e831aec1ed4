// Checks the servers started by global-setup.ts, and stopping/restarting an instance of each kind.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testServers } from './env.js';
import {
  type InfluxV1Server,
  type PostgresServer,
  queryInfluxV1,
  type RunningServer,
  startInfluxV1,
  startPostgres,
  startVictoriaMetrics,
  type VictoriaMetricsServer,
  waitForVictoriaExport,
} from './servers.js';

const servers = testServers();

// Servers started by this file, destroyed even when a test fails half-way.
const own: RunningServer[] = [];
afterAll(async () => {
  await Promise.allSettled(own.map((server) => server.destroy()));
});

/** A measurement name no other test uses. */
const uniqueName = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status !== 204) throw new Error(`POST ${url}: HTTP ${response.status}: ${text}`);
}

async function influxPoint(url: string, db: string, measurement: string): Promise<unknown[][]> {
  const result = await queryInfluxV1(url, `SELECT "value" FROM "${measurement}"`, { db });
  return result.results?.[0]?.series?.[0]?.values ?? [];
}

async function answersPing(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) });
    return response.status === 204;
  } catch {
    return false;
  }
}

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const result = await client.query<{ one: number }>('select 1 as one');
    return result.rows[0]?.one ?? 0;
  } finally {
    await client.end();
  }
}

describe('global test servers', () => {
  it('passes the URLs through the environment', () => {
    expect(process.env.VIGIE_TEST_INFLUX_V1_URL).toBe(servers.influxV1Url);
    expect(process.env.VIGIE_TEST_INFLUX_V1_DB).toBe('vigie');
    expect(process.env.VIGIE_TEST_VM_URL).toBe(servers.vmUrl);
    expect(process.env.VIGIE_TEST_PG_URL).toBe(servers.pgUrl);
    for (const url of [servers.influxV1Url, servers.vmUrl, servers.pgUrl]) {
      expect(url).toMatch(/^(http|postgres):\/\/(postgres@)?127\.0\.0\.1:\d+/);
    }
  });

  it('also provides them to inject()', () => {
    expect(inject('vigieTestServers')).toEqual(servers);
  });

  it('InfluxDB 1.x: writes a point and reads it back with InfluxQL', async () => {
    const measurement = uniqueName('support_influx');
    const ts = Date.now() - 60_000;
    await post(
      `${servers.influxV1Url}/write?db=${servers.influxV1Db}&precision=ms`,
      `${measurement},host=a value=42 ${ts}`,
    );
    expect(await influxPoint(servers.influxV1Url, servers.influxV1Db, measurement)).toEqual([[ts, 42]]);
  });

  it('VictoriaMetrics: /api/v2/write lines come back through export as <measurement>_<field>', async () => {
    const measurement = uniqueName('support_vm');
    const ms = Date.now() - 60_000;
    const ns = BigInt(ms) * 1_000_000n + 123_456n;
    await post(
      `${servers.vmUrl}/api/v2/write?org=x&bucket=vigie`,
      `${measurement},host=a usage=1.5,idle=2i,up=true,note="text" ${ns}`,
    );
    const series = await waitForVictoriaExport(
      servers.vmUrl,
      `{__name__=~"${measurement}_.*"}`,
      (found) => found.length === 4,
    );
    const byName = new Map(series.map((s) => [s.metric.__name__, s]));
    expect([...byName.keys()].sort()).toEqual([
      `${measurement}_idle`,
      `${measurement}_note`,
      `${measurement}_up`,
      `${measurement}_usage`,
    ]);
    // bucket (and org) add no label in VictoriaMetrics 1.79: only the `db` query argument does.
    expect(byName.get(`${measurement}_usage`)).toEqual({
      metric: { __name__: `${measurement}_usage`, host: 'a' },
      values: [1.5],
      timestamps: [ms],
    });
    expect(byName.get(`${measurement}_idle`)?.values).toEqual([2]);
    expect(byName.get(`${measurement}_up`)?.values).toEqual([1]);
    // String fields are not dropped: VictoriaMetrics 1.79 parses them as numbers, and text gives 0.
    expect(byName.get(`${measurement}_note`)?.values).toEqual([0]);

    await post(
      `${servers.vmUrl}/api/v2/write?org=x&bucket=vigie&db=vigie`,
      `${measurement}_db value=7 ${ns}`,
    );
    const withDb = await waitForVictoriaExport(servers.vmUrl, `${measurement}_db_value`);
    expect(withDb.map((s) => s.metric)).toEqual([{ __name__: `${measurement}_db_value`, db: 'vigie' }]);
  });

  it('PostgreSQL: select 1', async () => {
    expect(await selectOne(servers.pgUrl)).toBe(1);
  });
});

describe('stopping and restarting a server', () => {
  it('InfluxDB 1.x keeps its data and port across stop() and start()', async () => {
    const influx: InfluxV1Server = await startInfluxV1();
    own.push(influx);
    const measurement = uniqueName('restart');
    const ts = Date.now() - 30_000;
    await post(`${influx.url}/write?db=${influx.database}&precision=ms`, `${measurement} value=1 ${ts}`);

    await influx.stop();
    expect(influx.isRunning()).toBe(false);
    expect(await answersPing(influx.url)).toBe(false);

    await influx.start();
    expect(influx.isRunning()).toBe(true);
    expect(await influxPoint(influx.url, influx.database, measurement)).toEqual([[ts, 1]]);

    await influx.destroy();
    expect(existsSync(influx.dir)).toBe(false);
  });

  it('VictoriaMetrics keeps its data across stop() and start()', async () => {
    const vm: VictoriaMetricsServer = await startVictoriaMetrics();
    own.push(vm);
    const measurement = uniqueName('restart');
    const ms = Date.now() - 30_000;
    await post(`${vm.url}/write?db=vigie`, `${measurement} value=3 ${BigInt(ms) * 1_000_000n}`);
    expect(await waitForVictoriaExport(vm.url, `${measurement}_value`)).toHaveLength(1);

    await vm.stop();
    await vm.start();
    const series = await waitForVictoriaExport(vm.url, `${measurement}_value`);
    expect(series).toEqual([
      { metric: { __name__: `${measurement}_value`, db: 'vigie' }, values: [3], timestamps: [ms] },
    ]);
    await vm.destroy();
    expect(existsSync(vm.dir)).toBe(false);
  });

  it('PostgreSQL keeps its data across stop() and start()', async () => {
    const postgres: PostgresServer = await startPostgres();
    own.push(postgres);
    expect(postgres.external).toBe(false);
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query('create table kept (n int); insert into kept values (5)');
    await client.end();

    await postgres.stop();
    await postgres.start();
    const again = new pg.Client({ connectionString: postgres.url });
    await again.connect();
    try {
      const result = await again.query<{ n: number }>('select n from kept');
      expect(result.rows).toEqual([{ n: 5 }]);
    } finally {
      await again.end();
    }
    await postgres.destroy();
    expect(existsSync(postgres.dir)).toBe(false);
  });
});
