// Nothing lost, nothing doubled, with real processes: the collector killed during a steady stream, the agent
// killed with SIGKILL mid-stream, and InfluxDB stopped for a while. Counts are exact: every result the agent
// logged reaches InfluxDB once, and the failing check's ticket counts each result once.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testServers } from '../support/env.js';
import { statusPoints } from '../support/influxql.js';
import { freePort } from '../support/ports.js';
import { AGENT_CLI, COLLECTOR_CLI, runCli, type Spawned, spawnCli } from '../support/process.js';
import { type InfluxV1Server, startInfluxV1 } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

const running: Spawned[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  for (const c of cleanups) await c();
});

interface Logged {
  id: string;
  check: string;
  observedAt: string;
}

/** The results an agent process logged (pushed to its outbox, then logged) from its debug output. */
function loggedResults(output: string): Logged[] {
  const out: Logged[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes('"check ran"')) continue;
    const j = JSON.parse(line) as Logged;
    out.push({ id: j.id, check: j.check, observedAt: j.observedAt });
  }
  return out;
}

async function setup(name: string, influx: { url: string; database: string }) {
  const dir = mkdtempSync(join(tmpdir(), `vigie-dur-${name}-`));
  const backups = join(dir, 'backups');
  mkdirSync(backups);
  const stale = join(backups, 'old.tar.gz');
  writeFileSync(stale, 'x');
  const old = new Date(Date.now() - 5 * 86_400_000);
  utimesSync(stale, old, old);
  const port = await freePort();
  const collectorConfig = join(dir, 'collector.yaml');
  writeFileSync(
    collectorConfig,
    `listen: { host: 127.0.0.1, port: ${port} }
dataDir: ${join(dir, 'data')}
metrics: { kind: influx-v1, url: "${influx.url}", database: ${influx.database}, timeout: 2s }
spool: { writeTimeout: 2s, retryMax: 500ms }
ingest: { heartbeat: 2s }
`,
  );
  await runCli(COLLECTOR_CLI, ['tenants', 'add', 'acme', '--config', collectorConfig]);
  const token = /token:\s+(\S+)/.exec(
    await runCli(COLLECTOR_CLI, ['tokens', 'create', '--tenant', 'acme', '--config', collectorConfig]),
  )?.[1];
  const apiKey = /key:\s+(\S+)/.exec(
    await runCli(COLLECTOR_CLI, ['keys', 'create', '--config', collectorConfig]),
  )?.[1];
  const host = `dur-${name}`;
  const agentConfig = join(dir, 'agent.yaml');
  writeFileSync(
    agentConfig,
    `collector: { url: "ws://127.0.0.1:${port}/ingest", token: ${token} }
host: { name: ${host}, environment: production, application: shop }
delivery: { batchSize: 5, reconnectMin: 100ms, reconnectMax: 1s, heartbeat: 2s, outboxDir: ${join(dir, 'outbox')} }
checks:
  - { id: backup, type: backup-freshness, schedule: "* * * * * *", path: "${backups}/*.tar.gz", maxAge: 1d }
  - { id: fs, type: filesystem, schedule: "* * * * * *" }
`,
  );
  const base = `http://127.0.0.1:${port}`;
  const startCollector = async () => {
    const c = spawnCli(COLLECTOR_CLI, ['serve', '--config', collectorConfig]);
    running.push(c);
    await waitFor('collector health', async () => (await fetch(`${base}/healthz`)).ok || undefined);
    return c;
  };
  const startAgent = () => {
    const a = spawnCli(AGENT_CLI, ['run', '--config', agentConfig], { VIGIE_LOG_LEVEL: 'debug' });
    running.push(a);
    return a;
  };
  const ticketOccurrences = async (): Promise<number> => {
    const r = await fetch(`${base}/api/tickets?host=${host}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const tickets = (await r.json()) as Array<{ checkId: string; occurrences: number }>;
    return tickets.filter((t) => t.checkId === 'backup').reduce((n, t) => n + t.occurrences, 0);
  };
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return { host, startCollector, startAgent, ticketOccurrences };
}

const seconds = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until InfluxDB holds every logged result, then checks that it holds nothing more (beyond `slack`). */
async function expectExactlyOnce(
  influx: { url: string; database: string },
  host: string,
  logged: Logged[],
  slack: number,
  ticketOccurrences: () => Promise<number>,
) {
  const key = (check: string, t: number) => `${check}@${t}`;
  const want = new Set(logged.map((l) => key(l.check, Date.parse(l.observedAt))));
  expect(want.size).toBe(logged.length); // no result logged twice
  const points = await waitFor(
    `all ${want.size} logged results in InfluxDB`,
    async () => {
      const p = await statusPoints(influx.url, influx.database, host);
      const have = new Set(p.map((x) => key(x.check, x.time)));
      return [...want].every((k) => have.has(k)) ? p : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(points.length).toBeGreaterThanOrEqual(want.size);
  expect(points.length).toBeLessThanOrEqual(want.size + slack);
  // The failing check's ticket counted each of its results once, not once per delivery attempt.
  const failing = points.filter((p) => p.check === 'backup').length;
  await waitFor(
    'ticket occurrences to match',
    async () => (await ticketOccurrences()) === failing || undefined,
    {
      timeoutMs: 10_000,
    },
  );
}

describe('durable delivery, end to end', () => {
  it('the collector killed during a steady stream: every result reaches InfluxDB exactly once', async () => {
    const { influxV1Url, influxV1Db } = testServers();
    const influx = { url: influxV1Url, database: influxV1Db };
    const s = await setup('collector-kill', influx);
    let collector = await s.startCollector();
    const agent = s.startAgent();
    await seconds(3000);
    await collector.kill9();
    await seconds(4000); // the agent keeps producing into its outbox
    collector = await s.startCollector();
    await seconds(3000);
    await agent.stop(); // graceful: drains its outbox first
    const logged = loggedResults(agent.output());
    expect(logged.length).toBeGreaterThanOrEqual(14);
    await expectExactlyOnce(influx, s.host, logged, 0, s.ticketOccurrences);
    await collector.stop();
  });

  it('the agent killed with SIGKILL mid-stream and restarted: nothing lost, nothing doubled', async () => {
    const { influxV1Url, influxV1Db } = testServers();
    const influx = { url: influxV1Url, database: influxV1Db };
    const s = await setup('agent-kill', influx);
    const collector = await s.startCollector();
    const first = s.startAgent();
    await seconds(3500);
    await first.kill9();
    await seconds(1500);
    const second = s.startAgent();
    await seconds(3500);
    await second.stop();
    const logged = [...loggedResults(first.output()), ...loggedResults(second.output())];
    expect(logged.length).toBeGreaterThanOrEqual(10);
    // A kill between the outbox write and the log line leaves at most one unlogged result per check.
    await expectExactlyOnce(influx, s.host, logged, 2, s.ticketOccurrences);
    await collector.stop();
  });

  it('InfluxDB stopped for a while, then restarted: nothing lost', async () => {
    const own: InfluxV1Server = await startInfluxV1();
    cleanups.push(() => own.destroy());
    const influx = { url: own.url, database: own.database };
    const s = await setup('influx-down', influx);
    const collector = await s.startCollector();
    const agent = s.startAgent();
    await seconds(2500);
    await own.stop();
    await seconds(4000); // the collector spools on disk and keeps acking
    await own.start();
    await seconds(2500);
    await agent.stop();
    const logged = loggedResults(agent.output());
    expect(logged.length).toBeGreaterThanOrEqual(14);
    await expectExactlyOnce(influx, s.host, logged, 0, s.ticketOccurrences);
    expect(collector.output()).toContain('metrics sink failing; spooling');
    await collector.stop();
  });
});
