// Erasure: `vigie-collector tenant purge` on a collector with SQLite state and the real InfluxDB 1.x leaves no
// byte of the tenant in the store files and no point in InfluxDB, and another tenant answers as before.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { listDeliveries } from '../../packages/collector/src/connectors/outbox.js';
import { closedPort } from '../../packages/collector/src/connectors/testing/receiver.js';
import { monthPeriod } from '../../packages/collector/src/reports/period.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { testServers } from '../support/env.js';
import { COLLECTOR_CLI } from '../support/process.js';
import { fillMarch } from '../support/tenant-scenario.js';

const run = promisify(execFile);
const GONE = 'zz-purgeme';
const NOW = '2026-04-01T06:00:00.000Z';

async function influxql(
  q: string,
  db: string,
  method = 'GET',
): Promise<Array<{ series?: Array<{ name: string; values: unknown[][] }> }>> {
  const url = `${testServers().influxV1Url}/query?db=${db}&q=${encodeURIComponent(q)}`;
  const r = await fetch(url, { method });
  const j = (await r.json()) as {
    results: Array<{ error?: string; series?: Array<{ name: string; values: unknown[][] }> }>;
  };
  const failed = j.results.find((x) => x.error);
  if (failed) throw new Error(`${q}: ${failed.error}`);
  return j.results;
}

/** Points of a tenant in InfluxDB, by measurement (the largest field count of each). */
async function influxCount(db: string, tenant: string): Promise<number> {
  const [r] = await influxql(`SELECT count(*) FROM /.*/ WHERE "tenant" = '${tenant}'`, db);
  return (r?.series ?? []).reduce((s, x) => s + Math.max(...(x.values[0] ?? []).slice(1).map(Number)), 0);
}

async function clientAnswers(t: TestCollector, tenant: string): Promise<unknown[]> {
  const key = await t.clientKey(tenant);
  const urls = [
    '/api/tickets?limit=1000',
    '/api/contracts',
    '/api/contract-tickets',
    '/api/reports',
    '/api/applications/shop/parity',
    '/api/agents',
    '/api/audit',
  ];
  const out: unknown[] = [];
  for (const u of urls) out.push((await t.api('GET', u, key)).body);
  const contracts = out[1] as Array<{ id: string }>;
  for (const c of contracts) out.push((await t.api('GET', `/api/contracts/${c.id}/ledger`, key)).body);
  out.push({
    ...(await t.collector.reports.compute(tenant, monthPeriod('2026-03', 'Europe/Paris'), 'fr')),
    generatedAt: '',
  });
  return out;
}

describe('tenant purge', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('erases every row and metric point of the tenant, from SQLite files and InfluxDB 1.x, and nothing else', async () => {
    const database = `purge_${randomBytes(4).toString('hex')}`;
    await influxql(`CREATE DATABASE ${database}`, '', 'POST');
    cleanups.push(async () => void (await influxql(`DROP DATABASE ${database}`, '', 'POST')));
    const metrics = { kind: 'influx-v1', url: testServers().influxV1Url, database };
    // A receiver that is down: notifications about the tenant wait in the outbox, and must go too.
    const down = `http://127.0.0.1:${await closedPort()}/hook`;
    const config = {
      metrics,
      connectors: [{ kind: 'webhook', name: 'itsm', url: down, secret: 'a-long-shared-secret-for-tests' }],
    };
    const t = await startTestCollector({ dialect: 'sqlite', config });
    cleanups.push(() => rm(t.dir, { recursive: true, force: true }));
    await fillMarch(t, GONE);
    await fillMarch(t, 'globex');
    t.setNow(NOW);
    await t.collector.reports.monthlyPass();
    const ticket = (await t.api<Array<{ id: string }>>('GET', `/api/tickets?tenant=${GONE}`, t.providerKey))
      .body[0] as { id: string };
    await t.api('POST', `/api/tickets/${ticket.id}/worklogs`, t.providerKey, {
      minutes: 30,
      description: 'looked at it',
    });
    expect((await listDeliveries(t.collector.store.db)).some((d) => d.payload.includes(GONE))).toBe(true);
    const before = await clientAnswers(t, 'globex');
    const globexPoints = await influxCount(database, 'globex');
    expect(await influxCount(database, GONE)).toBeGreaterThan(50);
    await t.collector.close();

    const file = join(t.dir, 'collector.yaml');
    await writeFile(file, stringify({ dataDir: t.dir, store: t.store, metrics, log: { level: 'error' } }));
    // Without --yes it only says what it would erase.
    const dry = await run(process.execPath, [COLLECTOR_CLI, 'tenant', 'purge', GONE, '--config', file]).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(dry?.code).toBe(1);
    expect(dry?.stdout).toMatch(/tickets: \d+/);
    const { stdout } = await run(process.execPath, [
      COLLECTOR_CLI,
      'tenant',
      'purge',
      GONE,
      '--yes',
      '--config',
      file,
    ]);
    expect(stdout).toContain(`purged tenant ${GONE}:`);
    for (const table of [
      'tenants',
      'tickets',
      'ticket_events',
      'contract_ledger',
      'work_logs',
      'client_reports',
      'audit_log',
      'api_keys',
      'notification_deliveries',
    ])
      expect(stdout, table).toMatch(new RegExp(`\\b${table}: [1-9]\\d* rows`));
    expect(stdout).toMatch(/metric points: [1-9]\d*/);

    // No byte of it in any store file (state, its write-ahead log, the spool), where the other tenant's are.
    const files = (await readdir(t.dir)).filter((f) => /\.db(-wal|-shm)?$/.test(f));
    expect(files).toContain('state.db');
    let globexSeen = false;
    for (const f of files) {
      const bytes = await readFile(join(t.dir, f));
      for (const needle of [GONE, 'ZZ-PURGEME SA'])
        expect(bytes.includes(Buffer.from(needle)), `${needle} in ${f}`).toBe(false);
      globexSeen ||= bytes.includes(Buffer.from('GLOBEX SA'));
    }
    expect(globexSeen).toBe(true);
    // Nothing in InfluxDB either, by InfluxQL.
    expect(await influxCount(database, GONE)).toBe(0);
    const [series] = await influxql(`SHOW SERIES WHERE "tenant" = '${GONE}'`, database);
    expect(series?.series ?? []).toEqual([]);
    expect(await influxCount(database, 'globex')).toBe(globexPoints);

    // The other tenant answers exactly as before.
    const again = await startTestCollector({
      dialect: 'sqlite',
      storeAt: join(t.dir, 'state.db'),
      dir: t.dir,
      config: { metrics },
      start: NOW,
    });
    expect(await clientAnswers(again, 'globex')).toEqual(before);
    expect((await again.api('GET', `/api/tickets?tenant=${GONE}`, again.providerKey)).body).toEqual([]);
    await again.collector.close();
  });
});
