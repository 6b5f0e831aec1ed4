// End to end, with real processes: an agent's failing check becomes one ticket in the collector's queue,
// its metrics land in a real InfluxDB 1.x (and in VictoriaMetrics through the v2 write API), and the
// ticket resolves when the condition clears.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testServers } from '../support/env.js';
import { freePort } from '../support/ports.js';
import { AGENT_CLI, COLLECTOR_CLI, runCli, type Spawned, spawnCli } from '../support/process.js';
import { queryVictoriaExport } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

interface Ticket {
  id: string;
  tenant: string;
  host: string;
  checkId: string;
  status: string;
  severity: string;
  occurrences: number;
  resolvedAt: string | null;
}

const running: Spawned[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
});

async function startStack(name: string, metricsYaml: string) {
  const dir = mkdtempSync(join(tmpdir(), `vigie-e2e-${name}-`));
  const backups = join(dir, 'backups');
  mkdirSync(backups);
  // A stale backup: 3 days old, against a maximum age of 1 day.
  const stale = join(backups, 'db-old.tar.gz');
  writeFileSync(stale, 'x'.repeat(1000));
  const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
  utimesSync(stale, threeDaysAgo, threeDaysAgo);

  const port = await freePort();
  const collectorConfig = join(dir, 'collector.yaml');
  writeFileSync(
    collectorConfig,
    `listen: { host: 127.0.0.1, port: ${port} }
dataDir: ${join(dir, 'data')}
metrics: ${metricsYaml}
ingest: { heartbeat: 5s }
`,
  );
  await runCli(COLLECTOR_CLI, ['tenants', 'add', 'acme', '--name', 'ACME Corp', '--config', collectorConfig]);
  const tokenOut = await runCli(COLLECTOR_CLI, [
    'tokens',
    'create',
    '--tenant',
    'acme',
    '--config',
    collectorConfig,
  ]);
  const token = /token:\s+(\S+)/.exec(tokenOut)?.[1] as string;
  const keyOut = await runCli(COLLECTOR_CLI, [
    'keys',
    'create',
    '--name',
    'e2e',
    '--config',
    collectorConfig,
  ]);
  const apiKey = /key:\s+(\S+)/.exec(keyOut)?.[1] as string;
  expect(token).toMatch(/^vga_/);
  expect(apiKey).toMatch(/^vgk_/);

  const collector = spawnCli(COLLECTOR_CLI, ['serve', '--config', collectorConfig]);
  running.push(collector);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`collector ${name} health`, async () => (await fetch(`${base}/healthz`)).ok || undefined, {
    timeoutMs: 20_000,
  });

  const host = `e2e-${name}`;
  const agentConfig = join(dir, 'agent.yaml');
  writeFileSync(
    agentConfig,
    `collector:
  url: ws://127.0.0.1:${port}/ingest
  token: ${token}
host: { name: ${host}, environment: production, application: shop }
delivery: { flushInterval: 200ms, reconnectMin: 200ms, reconnectMax: 2s, outboxDir: ${join(dir, 'outbox')} }
checks:
  - { id: fs, type: filesystem, schedule: "*/2 * * * * *", timeout: 10s }
  - { id: db-backup, type: backup-freshness, schedule: "*/2 * * * * *", path: "${backups}/*.tar.gz", maxAge: 1d }
`,
  );
  const agent = spawnCli(AGENT_CLI, ['run', '--config', agentConfig]);
  running.push(agent);

  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const cleanup = async () => {
    await agent.stop();
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, backups, base, api, host, agent, collector, cleanup };
}

/** Opens a ticket, counts occurrences without duplicating it, and resolves it when the backup is fresh. */
async function ticketLifecycle(stack: Awaited<ReturnType<typeof startStack>>) {
  const diag = () =>
    `\n--- collector ---\n${stack.collector.output().slice(-3000)}\n--- agent ---\n${stack.agent.output().slice(-3000)}`;
  const backupTickets = async () =>
    (await stack.api<Ticket[]>(`/api/tickets?host=${stack.host}`)).filter((t) => t.checkId === 'db-backup');

  const first = await waitFor(
    'the stale-backup ticket',
    async () => (await backupTickets()).find((t) => t.status === 'open'),
    { timeoutMs: 15_000 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}${diag()}`);
  });
  expect(first).toMatchObject({ tenant: 'acme', host: stack.host, severity: 'critical' });

  const later = await waitFor('occurrences to rise', async () => {
    const open = (await backupTickets()).filter((t) => t.status === 'open');
    return open.length === 1 && (open[0] as Ticket).occurrences >= first.occurrences + 3 ? open : undefined;
  });
  expect(later).toHaveLength(1);
  expect((await backupTickets()).length).toBe(1);

  const agents =
    await stack.api<
      Array<{ host: string; tenant: string; checks: Array<{ checkId: string; status: string }> }>
    >('/api/agents');
  const me = agents.find((a) => a.host === stack.host);
  expect(me?.tenant).toBe('acme');
  expect(me?.checks.map((c) => c.checkId).sort()).toEqual(['db-backup', 'fs']);
  expect(me?.checks.find((c) => c.checkId === 'db-backup')?.status).toBe('critical');

  // The condition clears: a fresh backup appears.
  writeFileSync(join(stack.backups, 'db-new.tar.gz'), 'y'.repeat(2000));
  const resolved = await waitFor('the ticket to resolve', async () => {
    const t = (await backupTickets()).find((x) => x.id === first.id);
    return t?.status === 'resolved' ? t : undefined;
  });
  expect(resolved.resolvedAt).not.toBeNull();
  expect(Date.parse(resolved.resolvedAt as string)).toBeGreaterThan(Date.parse('2026-01-01'));
  const timeline = await stack.api<{ timeline: Array<{ kind: string; actor: string }> }>(
    `/api/tickets/${first.id}`,
  );
  expect(timeline.timeline[0]).toMatchObject({ kind: 'opened', actor: 'vigie' });
  expect(timeline.timeline.at(-1)).toMatchObject({ kind: 'resolved' });
  expect((await backupTickets()).length).toBe(1);
}

describe('check to ticket to metrics, end to end', () => {
  it('with InfluxDB 1.x (/write line protocol), metrics read back with InfluxQL', async () => {
    const { influxV1Url, influxV1Db } = testServers();
    const stack = await startStack(
      'influx1',
      `{ kind: influx-v1, url: "${influxV1Url}", database: ${influxV1Db}, timeout: 5s }`,
    );
    try {
      await ticketLifecycle(stack);
      const q = encodeURIComponent(
        `SELECT "used_percent", "size_bytes" FROM "filesystem" WHERE "host" = '${stack.host}' GROUP BY * ORDER BY time DESC LIMIT 1`,
      );
      const body = await waitFor('filesystem points in InfluxDB', async () => {
        const r = await fetch(`${influxV1Url}/query?db=${influxV1Db}&q=${q}`);
        const j = (await r.json()) as {
          results: Array<{ series?: Array<{ tags: Record<string, string>; values: unknown[][] }> }>;
        };
        return j.results[0]?.series?.length ? j.results[0].series : undefined;
      });
      const root = body.find((s) => s.tags.instance === '/');
      expect(root?.tags).toMatchObject({
        tenant: 'acme',
        application: 'shop',
        environment: 'production',
        host: stack.host,
        check: 'fs',
        category: 'performance',
      });
      const [, used, size] = (root?.values[0] ?? []) as [string, number, number];
      expect(used).toBeGreaterThan(0);
      expect(used).toBeLessThanOrEqual(100);
      expect(size).toBeGreaterThan(0);
      const status = encodeURIComponent(
        `SELECT count("status_code") FROM "vigie_check" WHERE "host" = '${stack.host}' AND "check" = 'db-backup'`,
      );
      const sj = (await (await fetch(`${influxV1Url}/query?db=${influxV1Db}&q=${status}`)).json()) as {
        results: Array<{ series?: Array<{ values: Array<[string, number]> }> }>;
      };
      expect(sj.results[0]?.series?.[0]?.values[0]?.[1]).toBeGreaterThanOrEqual(4);
    } finally {
      await stack.cleanup();
    }
  });

  it('with the InfluxDB v2 write API (VictoriaMetrics), metrics read back through its export API', async () => {
    const { vmUrl } = testServers();
    const stack = await startStack(
      'influx2',
      `{ kind: influx-v2, url: "${vmUrl}", org: vigie, bucket: vigie, timeout: 5s }`,
    );
    try {
      await ticketLifecycle(stack);
      const series = await waitFor('filesystem series in VictoriaMetrics', async () => {
        const s = await queryVictoriaExport(
          vmUrl,
          `{__name__="filesystem_used_percent",host="${stack.host}"}`,
        );
        return s.length > 0 ? s : undefined;
      });
      const root = series.find((s) => s.metric.instance === '/');
      expect(root?.metric).toMatchObject({
        tenant: 'acme',
        application: 'shop',
        environment: 'production',
        host: stack.host,
        check: 'fs',
        category: 'performance',
      });
      expect(root?.values.length).toBeGreaterThan(0);
    } finally {
      await stack.cleanup();
    }
  });
});
