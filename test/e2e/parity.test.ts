// Iso-production parity with real agent processes: production and iso-production of one application, with
// different configuration files and a capacity difference declared through the agents' config. The parity
// report names exactly the differences, secret values appear in clear nowhere (store, logs, API, InfluxDB),
// the drift ticket opens and resolves, and a change since the approved baseline shows before and after.

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testServers } from '../support/env.js';
import { freePort } from '../support/ports.js';
import { AGENT_CLI, COLLECTOR_CLI, runCli, type Spawned, spawnCli } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const PROD_SECRET = 'Prod-S3cret-7f1c!';
const ISO_SECRET = 'Iso-S3cret-93ab?';
const running: Spawned[] = [];
let dir = '';
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Difference {
  item: string;
  production: string | null;
  other: string | null;
  severity: string;
}
interface Report {
  comparisons: Array<{ environment: string; host: string; differences: Difference[]; atParity: boolean }>;
}

describe('iso-production parity, end to end', () => {
  it('reports exactly the differences, keeps secrets hashed, opens and resolves the drift ticket, tracks the baseline', async () => {
    const { influxV1Url, influxV1Db } = testServers();
    dir = mkdtempSync(join(tmpdir(), 'vigie-parity-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const collectorConfig = join(dir, 'collector.yaml');
    writeFileSync(
      collectorConfig,
      `listen: { host: 127.0.0.1, port: ${port} }
dataDir: ${join(dir, 'data')}
metrics: { kind: influx-v1, url: "${influxV1Url}", database: ${influxV1Db}, timeout: 5s }
log: { level: debug }
`,
    );
    await runCli(COLLECTOR_CLI, ['tenants', 'add', 'acme-parity', '--config', collectorConfig]);
    const token = async () =>
      /token:\s+(\S+)/.exec(
        await runCli(COLLECTOR_CLI, [
          'tokens',
          'create',
          '--tenant',
          'acme-parity',
          '--config',
          collectorConfig,
        ]),
      )?.[1];
    const key = /key:\s+(\S+)/.exec(
      await runCli(COLLECTOR_CLI, ['keys', 'create', '--config', collectorConfig]),
    )?.[1];
    const collector = spawnCli(COLLECTOR_CLI, ['serve', '--config', collectorConfig]);
    running.push(collector);
    await waitFor('collector health', async () => (await fetch(`${base}/healthz`)).ok || undefined);
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
      return (r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
    };

    // One HMAC key shared by both environments, as the provider distributes it.
    const keyFile = join(dir, 'fingerprint.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const appEnv = (env: string, secret: string, pool: number) =>
      `DB_HOST=db-${env}.internal\nDB_PASSWORD=${secret}\nPOOL_SIZE=${pool}\nFEATURE_X=on\n`;
    const startAgent = async (
      env: 'production' | 'iso-production',
      host: string,
      overrides: Record<string, string>,
    ) => {
      const home = join(dir, host);
      mkdirSync(home, { recursive: true });
      const cfg = join(home, 'agent.yaml');
      writeFileSync(
        cfg,
        `collector: { url: "ws://127.0.0.1:${port}/ingest", token: ${await token()} }
host: { name: ${host}, environment: ${env}, application: shop }
delivery: { reconnectMin: 100ms, reconnectMax: 1s, outboxDir: ${join(home, 'outbox')} }
checks:
  - id: fingerprint
    type: fingerprint
    schedule: "*/2 * * * * *"
    timeout: 20s
    packages: false
    runtimes: false
    secretHashKeyFile: ${keyFile}
    configFiles: [{ path: ${join(home, 'app.env')}, as: shop/app.env }]
    overrides: ${JSON.stringify(overrides)}
`,
      );
      const agent = spawnCli(AGENT_CLI, ['run', '--config', cfg], { VIGIE_LOG_LEVEL: 'debug' });
      running.push(agent);
      return { agent, home, cfg };
    };
    for (const [host, env, secret, pool] of [
      ['shop-prod', 'prod', PROD_SECRET, 20],
      ['shop-iso', 'iso', ISO_SECRET, 10],
    ] as const) {
      mkdirSync(join(dir, host), { recursive: true });
      writeFileSync(join(dir, host, 'app.env'), appEnv(env, secret, pool));
    }
    const prod = await startAgent('production', 'shop-prod', {});
    const iso = await startAgent('iso-production', 'shop-iso', {
      'cpu.cores': '1',
      'memory.total_bytes': '1073741824',
    });

    await api('PUT', '/api/applications/shop/parity/ignore?tenant=acme-parity', {
      patterns: ['config.shop/app.env.DB_HOST'],
    });
    const report = await waitFor(
      'a parity report with the iso-production host',
      async () => {
        const r = await api<Report>('GET', '/api/applications/shop/parity?tenant=acme-parity').catch(
          () => undefined,
        );
        const c = r?.comparisons.find((x) => x.environment === 'iso-production');
        return c && c.differences.length >= 5 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const iso1 = report.comparisons.find((c) => c.environment === 'iso-production');
    const found = Object.fromEntries((iso1?.differences ?? []).map((d) => [d.item, d.severity]));
    expect(found).toEqual({
      'cpu.cores': 'warning',
      'memory.total_bytes': 'warning',
      'config.shop/app.env.DB_PASSWORD': 'warning',
      'config.shop/app.env.POOL_SIZE': 'warning',
      'file.shop/app.env.sha256': 'info',
    });
    expect(iso1?.atParity).toBe(false);
    const pool = iso1?.differences.find((d) => d.item === 'config.shop/app.env.POOL_SIZE');
    expect([pool?.production, pool?.other]).toEqual(['20', '10']);
    const markdown = await api<string>(
      'GET',
      '/api/applications/shop/parity?tenant=acme-parity&format=markdown',
    );
    expect(markdown).toContain('POOL_SIZE');

    const driftTicket = async () =>
      (
        await api<Array<{ checkId: string; status: string; severity: string; environment: string }>>(
          'GET',
          '/api/tickets?host=shop',
        )
      ).find((t) => t.checkId === 'parity:iso-production');
    const opened = await waitFor('the drift ticket', driftTicket);
    expect(opened).toMatchObject({ status: 'open', severity: 'warning', environment: 'iso-production' });

    // Baseline: approve production's snapshot, then change its configuration.
    await api('POST', '/api/hosts/shop-prod/baseline?tenant=acme-parity');
    writeFileSync(join(prod.home, 'app.env'), appEnv('prod', PROD_SECRET, 30));
    const drift = await waitFor(
      'the change since the baseline',
      async () => {
        const d = await api<{
          differences: Array<{
            item: string;
            before: string | null;
            after: string | null;
            firstSeenAt: string;
          }>;
        }>('GET', '/api/hosts/shop-prod/drift?tenant=acme-parity');
        return d.differences.find((x) => x.item === 'config.shop/app.env.POOL_SIZE');
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(drift).toMatchObject({ before: '20', after: '30' });
    expect(Date.parse(drift.firstSeenAt)).toBeGreaterThan(Date.now() - 60_000);

    // Parity restored: iso-production gets production's configuration and no capacity declaration.
    await iso.agent.stop();
    writeFileSync(join(iso.home, 'app.env'), appEnv('iso', PROD_SECRET, 30));
    writeFileSync(iso.cfg, readFileSync(iso.cfg, 'utf8').replace(/overrides: .*/, 'overrides: {}'));
    const iso2 = spawnCli(AGENT_CLI, ['run', '--config', iso.cfg], { VIGIE_LOG_LEVEL: 'debug' });
    running.push(iso2);
    const resolved = await waitFor(
      'the drift ticket to resolve',
      async () => {
        const t = await driftTicket();
        return t?.status === 'resolved' ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(resolved.status).toBe('resolved');
    const restored = await api<Report>('GET', '/api/applications/shop/parity?tenant=acme-parity');
    expect(restored.comparisons.find((c) => c.environment === 'iso-production')?.atParity).toBe(true);

    // Secrets: nowhere in clear.
    const places: Array<[string, string]> = [
      ['collector log', collector.output()],
      ['agent logs', prod.agent.output() + iso.agent.output() + iso2.output()],
      ['parity JSON', JSON.stringify(report)],
      ['parity Markdown', markdown],
      ['snapshots API', JSON.stringify(await api('GET', '/api/hosts/shop-iso/snapshots?tenant=acme-parity'))],
      ['tickets API', JSON.stringify(await api('GET', '/api/tickets?host=shop'))],
    ];
    for (const f of readdirSync(join(dir, 'data')))
      places.push([`store file ${f}`, readFileSync(join(dir, 'data', f)).toString('latin1')]);
    const q = encodeURIComponent(`SELECT * FROM /.*/ WHERE "tenant" = 'acme-parity'`);
    places.push(['InfluxDB', await (await fetch(`${influxV1Url}/query?db=${influxV1Db}&q=${q}`)).text()]);
    for (const [where, text] of places) {
      expect(text.includes(PROD_SECRET), `production secret in ${where}`).toBe(false);
      expect(text.includes(ISO_SECRET), `iso-production secret in ${where}`).toBe(false);
    }
  });
});
