// Three collector processes on one PostgreSQL and one InfluxDB 1.x, 200 agents (199 speaking through the
// agent's own WebSocket client, one real agent process running a Nagios plugin that counts), and three bad
// moments: a collector killed with SIGKILL mid-stream, the leader killed while SLA escalations are due, and a
// collector frozen (SIGSTOP) longer than its leases. Counts stay exact: every result reaches InfluxDB once and
// the plugin's `seq` has no gap, every failing check has one ticket whose occurrences are its failing results,
// each escalation happens once, and each notification is generated once.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorClient, MemoryOutbox } from '@vigie/agent';
import { collectorMigrations, createAgentToken, openStore } from '@vigie/collector';
import { createIdGenerator, type Result } from '@vigie/shared';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../../packages/collector/src/connectors/testing/receiver.js';
import { runInfluxQL } from '../support/dashboards-grafana.js';
import { testServers } from '../support/env.js';
import { freePort } from '../support/ports.js';
import { AGENT_CLI, COLLECTOR_CLI, runCli, type Spawned, spawnCli } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: process.env.VIGIE_TEST_LOG ?? 'silent' });
const newId = createIdGenerator();
const SIMULATED = 199;
const FAILING = 20;
const LEASE_TTL_MS = 4000;
/** An agent notices a silent collector after two heartbeats (2 s each), or its ack timeout (4 s). */
const HEARTBEAT_TIMEOUT_MS = 4000;
/** The agent's WebSocket handshake timeout (packages/agent/src/transport/client.ts). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

interface Sim {
  host: string;
  client: CollectorClient;
  outbox: MemoryOutbox;
  sent: number;
  failingSent: number;
  failing: boolean;
}

interface Health {
  cluster: { instance: string; leader: boolean; hostsOwned: number };
}

describe('several collectors on one PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-cluster-'));
  const collectors: Array<{ proc: Spawned; base: string; config: string } | undefined> = [];
  const sims: Sim[] = [];
  let realAgent: Spawned | undefined;
  let receiver: Receiver;
  let database: string;
  let influxDb: string;
  let apiKey = '';
  let pushing: NodeJS.Timeout | undefined;

  afterAll(async () => {
    clearInterval(pushing);
    for (const s of sims) await s.client.stop();
    await realAgent?.stop();
    for (const c of collectors) {
      if (c) process.kill(c.proc.child.pid as number, 'SIGCONT');
      await c?.proc.stop();
    }
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async <T>(base: string, path: string): Promise<T> => {
    const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const alive = () => collectors.filter((c): c is NonNullable<typeof c> => c !== undefined);
  /** For a failure message: each collector's health and its last warnings. */
  const diagnostics = async (err: Error): Promise<never> => {
    const parts: string[] = [err.message];
    for (const c of alive()) {
      const h = await health(c.base).catch((e: Error) => e.message);
      const problems = c.proc
        .output()
        .split('\n')
        .filter((l) => /"level":(40|50)/.test(l))
        .slice(-8);
      parts.push(`--- ${c.base}: ${JSON.stringify(h)}`, ...problems);
    }
    parts.push(`agents ready: ${sims.filter((s) => s.client.isReady()).length}/${SIMULATED}`);
    throw new Error(parts.join('\n'));
  };
  const health = async (base: string) => (await (await fetch(`${base}/healthz`)).json()) as Health;

  beforeAll(async () => {
    const servers = testServers();
    database = `vigie_cluster_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: servers.pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const pgUrl = new URL(servers.pgUrl);
    pgUrl.pathname = `/${database}`;
    influxDb = database;
    await runInfluxQL(servers.influxV1Url, '', `CREATE DATABASE ${influxDb}`);
    receiver = await Receiver.start(() => ({ status: 200 }));

    const ports = [await freePort(), await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      const config = join(dir, `collector-${i}.yaml`);
      writeFileSync(
        config,
        `listen: { host: 127.0.0.1, port: ${port} }
dataDir: ${join(dir, `data-${i}`)}
store: { kind: postgres, url: "${pgUrl.toString()}" }
metrics: { kind: influx-v1, url: "${servers.influxV1Url}", database: ${influxDb}, timeout: 5s }
spool: { writeTimeout: 5s, retryMax: 1s }
cluster: { instance: collector-${i}, leaseTtl: ${LEASE_TTL_MS}ms, election: 500ms, leaseWait: 15s }
ingest: { heartbeat: 2s, rateLimit: { resultsPerSecond: 1000, burst: 1000 } }
tickets: { sweepInterval: 1s, silentAgentAfter: 2m }
sla:
  calendar: { kind: 24x7 }
  response: { P1: 24s, P2: 1h, P3: 1h, P4: 1h }
  resolution: { P1: 1h, P2: 1h, P3: 1h, P4: 1h }
  atRiskShare: 0.5
connectors:
  - { kind: webhook, name: noc, url: "${receiver.url()}", secret: "cluster-test-secret" }
log: { level: info }
`,
      );
      collectors.push({ proc: undefined as unknown as Spawned, base: `http://127.0.0.1:${port}`, config });
    }
    const first = collectors[0] as NonNullable<(typeof collectors)[0]>;
    await runCli(COLLECTOR_CLI, ['tenants', 'add', 'acme', '--config', first.config]);
    apiKey =
      /key:\s+(\S+)/.exec(await runCli(COLLECTOR_CLI, ['keys', 'create', '--config', first.config]))?.[1] ??
      '';
    for (const c of alive()) {
      c.proc = spawnCli(COLLECTOR_CLI, ['serve', '--config', c.config]);
      await waitFor(
        `collector ${c.base}`,
        async () => (await fetch(`${c.base}/healthz`).catch(() => undefined))?.ok || undefined,
        {
          timeoutMs: 20_000,
        },
      );
    }
    const urls = alive().map((c) => `${c.base.replace('http', 'ws')}/ingest`);

    // 199 agents through the agent's own client (failover between the three URLs, outbox, acks, replays);
    // their 200 tokens straight through the store's functions (200 CLI runs would take minutes).
    const store = await openStore({ kind: 'postgres', url: pgUrl.toString() }, collectorMigrations);
    const tokens: string[] = [];
    for (let i = 0; i <= SIMULATED; i++) {
      tokens.push(
        (await createAgentToken(store.db, { id: newId(), tenantId: 'acme', now: new Date() })).token,
      );
    }
    await store.close();
    for (let i = 0; i < SIMULATED; i++) {
      const host = `sim-${String(i).padStart(3, '0')}`;
      const outbox = new MemoryOutbox(100_000);
      const client = new CollectorClient(
        {
          url: urls[0] as string,
          urls,
          token: tokens[i] as string,
          agent: { host, environment: 'production', application: 'erp', version: 'test' },
          batchSize: 50,
          reconnectMinMs: 100,
          reconnectMaxMs: 1000,
          heartbeatMs: 2000,
          ackTimeoutMs: 4000,
        },
        outbox,
        log,
      );
      sims.push({ host, client, outbox, sent: 0, failingSent: 0, failing: i < FAILING });
      client.start();
    }

    // One real agent process, running a Nagios plugin that counts.
    const counter = join(dir, 'seq.count');
    const plugin = join(dir, 'check_seq');
    writeFileSync(
      plugin,
      `#!/bin/sh\nn=$(cat "${counter}" 2>/dev/null || echo 0)\nn=$((n+1))\necho "$n" > "${counter}"\necho "OK - seq $n | seq=$n"\n`,
    );
    chmodSync(plugin, 0o755);
    const agentToken = tokens[SIMULATED];
    const agentConfig = join(dir, 'agent.yaml');
    writeFileSync(
      agentConfig,
      `collector: { url: [${urls.map((u) => `"${u}"`).join(', ')}], token: ${agentToken} }
host: { name: real-agent, environment: production, application: erp }
delivery: { batchSize: 20, reconnectMin: 100ms, reconnectMax: 1s, heartbeat: 2s, outboxDir: ${join(dir, 'outbox')} }
checks:
  - { id: seq, type: nagios, schedule: "* * * * * *", command: "${plugin}" }
`,
    );
    realAgent = spawnCli(AGENT_CLI, ['run', '--config', agentConfig]);
    await waitFor('every agent connected', () => sims.every((s) => s.client.isReady()) || undefined, {
      timeoutMs: 60_000,
    });

    // Each simulated agent reports twice a second; the first twenty have a failing check.
    pushing = setInterval(() => {
      const now = Date.now();
      for (const s of sims) {
        s.sent++;
        s.outbox.push({ kind: 'result', result: probe(s.host, 'probe', 'ok', { n: s.sent }, now) });
        if (s.failing) {
          s.failingSent++;
          s.outbox.push({ kind: 'result', result: probe(s.host, 'disk', 'critical', { used: 99 }, now) });
        }
      }
    }, 500);
  }, 180_000);

  function probe(
    host: string,
    checkId: string,
    status: Result['status'],
    metrics: Record<string, number>,
    at: number,
  ): Result {
    return {
      id: newId(),
      checkId,
      type: 'probe',
      category: 'performance',
      status,
      metrics,
      message: `${host} ${checkId} ${status}`,
      observedAt: new Date(at).toISOString(),
      durationMs: 1,
    };
  }

  it('spreads the agents over the collectors, and elects one leader', async () => {
    await waitFor('every host owned', async () => {
      const hs = await Promise.all(alive().map((c) => health(c.base)));
      return hs.reduce((n, h) => n + h.cluster.hostsOwned, 0) === SIMULATED + 1 || undefined;
    }).catch(diagnostics);
    const hs = await Promise.all(alive().map((c) => health(c.base)));
    expect(hs.filter((h) => h.cluster.leader)).toHaveLength(1);
    expect(hs.every((h) => h.cluster.hostsOwned > 0)).toBe(true);
    // /metrics says the same as /healthz, per instance.
    for (const [i, c] of alive().entries()) {
      const text = await (await fetch(`${c.base}/metrics`)).text();
      const gauge = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(gauge('vigie_cluster_leader')).toBe(hs[i]?.cluster.leader ? 1 : 0);
      expect(gauge('vigie_cluster_hosts_owned')).toBe(hs[i]?.cluster.hostsOwned);
    }
  });

  it('a collector killed mid-stream: its agents deliver through the others, nothing lost or doubled', async () => {
    await new Promise((r) => setTimeout(r, 3000));
    const victim = collectors[1] as NonNullable<(typeof collectors)[1]>;
    const owned = (await health(victim.base)).cluster.hostsOwned;
    expect(owned).toBeGreaterThan(0);
    // Per agent: when its connection broke and when its first batch was acked again (delivering again).
    const before = sims.map((x) => x.client.stats.connects);
    const moved: Array<{ at: number; acked: number } | undefined> = sims.map(() => undefined);
    const delivered: Array<number | undefined> = sims.map(() => undefined);
    const watch = setInterval(() => {
      for (const [i, x] of sims.entries()) {
        const m = moved[i];
        if (!m && x.client.stats.connects > (before[i] ?? 0))
          moved[i] = { at: Date.now(), acked: x.client.stats.batchesAcked };
        else if (m && delivered[i] === undefined && x.client.stats.batchesAcked > m.acked)
          delivered[i] = Date.now();
      }
    }, 20);
    await victim.proc.kill9();
    collectors[1] = undefined;
    const killedAt = Date.now();
    try {
      await waitFor(
        'every host owned by the two collectors left',
        async () => {
          const hs = await Promise.all(alive().map((c) => health(c.base)));
          return hs.reduce((n, h) => n + h.cluster.hostsOwned, 0) === SIMULATED + 1 || undefined;
        },
        { timeoutMs: 30_000 },
      ).catch(diagnostics);
      await waitFor(
        'every moved agent delivering again',
        () => moved.every((m, i) => m === undefined || delivered[i] !== undefined) || undefined,
        { timeoutMs: 30_000 },
      );
    } finally {
      clearInterval(watch);
    }
    // The dead collector's leases expire, then its agents are taken over: within the TTL and the backoff.
    expect(Date.now() - killedAt).toBeLessThan(LEASE_TTL_MS + 15_000);
    const times = delivered
      .filter((t): t is number => t !== undefined)
      .map((t) => t - killedAt)
      .sort((x, y) => x - y);
    expect(times.length).toBeGreaterThan(0);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
    // The figure the README quotes (death -> delivering again, lease TTL 4 s, reconnect backoff 0.1-1 s).
    console.log(
      `failover: ${times.length} agents of the killed collector delivering again after p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms (lease TTL ${LEASE_TTL_MS} ms)`,
    );
    expect(at(1)).toBeLessThan(LEASE_TTL_MS + 15_000);
  });

  it('the leader killed while escalations are due: each happens once, on the new leader', async () => {
    const leaderAt = async () => {
      for (const [i, c] of collectors.entries()) if (c && (await health(c.base)).cluster.leader) return i;
      return undefined;
    };
    const leader = await waitFor('a leader', leaderAt);
    // The failing tickets opened about 6 s in; at-risk (half of 24 s) is due now: kill the leader at once.
    const victim = collectors[leader] as NonNullable<(typeof collectors)[0]>;
    await victim.proc.kill9();
    collectors[leader] = undefined;
    const next = await waitFor('a new leader', leaderAt, { timeoutMs: 10_000 });
    expect(next).not.toBe(leader);
    // Restart it as a follower, so three collectors run again.
    victim.proc = spawnCli(COLLECTOR_CLI, ['serve', '--config', victim.config]);
    collectors[leader] = victim;
    await waitFor(
      'the restarted collector',
      async () => (await fetch(`${victim.base}/healthz`).catch(() => undefined))?.ok || undefined,
      {
        timeoutMs: 20_000,
      },
    );
    const base = (alive()[0] as NonNullable<(typeof collectors)[0]>).base;
    await waitFor(
      'every failing ticket escalated to N2',
      async () => {
        const open = await api<Array<{ host: string; supportLevel: string }>>(
          base,
          '/api/tickets?status=open&limit=500',
        );
        const failing = open.filter((t) => t.host.startsWith('sim-'));
        return failing.length === FAILING && failing.every((t) => t.supportLevel !== 'N1')
          ? failing
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
  });

  it('the leader frozen longer than its leases: another leads and takes its hosts; nothing is doubled when it wakes', async () => {
    const leaders = await Promise.all(
      alive().map(async (c) => ((await health(c.base)).cluster.leader ? c : undefined)),
    );
    const frozen = leaders.find((c) => c !== undefined) as NonNullable<(typeof collectors)[0]>;
    const pid = frozen.proc.child.pid as number;
    process.kill(pid, 'SIGSTOP');
    const frozenAt = Date.now();
    // Its PostgreSQL session stays up (a stopped process's kernel answers keepalives): the others end it once
    // it has been silent longer than a lease, and one of them leads.
    await waitFor(
      'a leader among the others',
      async () => {
        const hs = await Promise.all(
          alive()
            .filter((c) => c !== frozen)
            .map((c) => health(c.base)),
        );
        return hs.some((h) => h.cluster.leader) || undefined;
      },
      { timeoutMs: 3 * LEASE_TTL_MS },
    ).catch(diagnostics);
    expect(Date.now() - frozenAt).toBeLessThan(LEASE_TTL_MS + 5000);
    // Its agents time out on acks or heartbeats and move; their leases expire and are taken over meanwhile.
    // The slowest: an agent whose next try lands on the frozen collector waits out its 10 s handshake
    // timeout first (seen in CI: 199 of 200 hosts moved after a fixed 10 s wait).
    const ownedByOthers = async () =>
      (
        await Promise.all(
          alive()
            .filter((c) => c !== frozen)
            .map((c) => health(c.base)),
        )
      ).reduce((n, h) => n + h.cluster.hostsOwned, 0);
    await waitFor(
      'every host owned by the others while it is frozen',
      async () => ((await ownedByOthers()) === SIMULATED + 1 ? true : undefined),
      { timeoutMs: HEARTBEAT_TIMEOUT_MS + HANDSHAKE_TIMEOUT_MS + 2 * LEASE_TTL_MS + 5000 },
    ).catch(diagnostics);
    expect(await ownedByOthers()).toBe(SIMULATED + 1);
    process.kill(pid, 'SIGCONT');
    // Awake, it finds its leases taken over (or its sessions dead) and acks nothing more for those hosts: the
    // exact counts below would show a batch committed twice.
    await waitFor(
      'every host owned once',
      async () => {
        const hs = await Promise.all(alive().map((c) => health(c.base).catch(() => undefined)));
        return hs.every(Boolean) && hs.reduce((n, h) => n + (h?.cluster.hostsOwned ?? 0), 0) === SIMULATED + 1
          ? true
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    // Awake, it steps down at its next check: one leader.
    await waitFor(
      'one leader',
      async () => {
        const hs = await Promise.all(alive().map((c) => health(c.base)));
        return hs.filter((h) => h.cluster.leader).length === 1 || undefined;
      },
      { timeoutMs: 10_000 },
    );
  });

  it('after it all: every result once, no gap in seq, one ticket per failing check with every occurrence', async () => {
    clearInterval(pushing);
    await waitFor('every outbox drained', () => sims.every((s) => s.outbox.size() === 0) || undefined, {
      timeoutMs: 60_000,
    });
    await realAgent?.stop();
    const influx = testServers().influxV1Url;
    const counts = await runInfluxQL(
      influx,
      influxDb,
      `SELECT count("n"), max("n") FROM "probe" WHERE "check" = 'probe' GROUP BY "host"`,
    );
    const byHost = new Map(counts.series.map((s) => [s.tags?.host, s.values[0] as unknown[]]));
    for (const s of sims) {
      expect({ host: s.host, count: byHost.get(s.host)?.[1], max: byHost.get(s.host)?.[2] }).toEqual({
        host: s.host,
        count: s.sent,
        max: s.sent,
      });
    }
    const seq = await runInfluxQL(
      influx,
      influxDb,
      `SELECT count("seq"), count(distinct("seq")), max("seq"), min("seq") FROM "nagios" WHERE "host" = 'real-agent'`,
    );
    const [, count, distinct, max, min] = (seq.series[0]?.values[0] ?? []) as number[];
    expect(count).toBeGreaterThan(10);
    expect(distinct).toBe(count);
    expect((max as number) - (min as number) + 1).toBe(count);

    const base = (alive()[0] as NonNullable<(typeof collectors)[0]>).base;
    const tickets = await api<Array<{ id: string; host: string; checkId: string; occurrences: number }>>(
      base,
      '/api/tickets?limit=500',
    );
    for (const s of sims.filter((x) => x.failing)) {
      const mine = tickets.filter((t) => t.host === s.host && t.checkId === 'disk');
      expect({ host: s.host, tickets: mine.length, occurrences: mine[0]?.occurrences }).toEqual({
        host: s.host,
        tickets: 1,
        occurrences: s.failingSent,
      });
      const detail = await api<{ timeline: Array<{ kind: string; details: { to?: string } }> }>(
        base,
        `/api/tickets/${mine[0]?.id}`,
      );
      const escalations = detail.timeline.filter((e) => e.kind === 'escalated').map((e) => e.details.to);
      expect(new Set(escalations).size).toBe(escalations.length);
    }
    expect(tickets.filter((t) => t.host.startsWith('sim-') && t.checkId !== 'disk')).toEqual([]);

    // Notifications: one event per (ticket, kind), each received (a send cut by a kill may be repeated once,
    // with the same event id for the receiver to drop).
    await waitFor('the notifications delivered', () => receiver.requests.length >= FAILING || undefined);
    const events = receiver.requests.map(
      (r) =>
        JSON.parse(r.body) as {
          eventId: string;
          kind: string;
          ticket: { id: string; supportLevel: string };
          details?: unknown;
        },
    );
    const byTicketKind = new Map<string, Set<string>>();
    for (const e of events) {
      // The same change of the same ticket: one event, whichever collector noticed it.
      const k = `${e.ticket.id}:${e.kind}:${e.ticket.supportLevel}:${JSON.stringify(e.details ?? {})}`;
      byTicketKind.set(k, (byTicketKind.get(k) ?? new Set()).add(e.eventId));
    }
    expect([...byTicketKind.values()].filter((ids) => ids.size > 1)).toEqual([]);
    const opened = events.filter((e) => e.kind === 'opened');
    expect(new Set(opened.map((e) => e.ticket.id)).size).toBe(FAILING);
  });
});
