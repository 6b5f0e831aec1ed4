// Protocol versions and sessions over real sockets: a protocol 1 agent (as released) is served by the new
// collector; the new agent falls back to protocol 1 against a collector that refuses version 2 the way the
// released one does; a reconnecting protocol 2 agent learns the stream's high-water mark; a frame without a
// version before hello is "hello required" (4005); and a second session of one host replaces the first
// (4006) without counting any result twice.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorClient, MemoryOutbox } from '@vigie/agent';
import {
  addTenant,
  buildCollector,
  type Collector,
  createAgentToken,
  createApiKey,
  loadCollectorConfig,
} from '@vigie/collector';
import { createIdGenerator, decodeAgentMessage, type Result } from '@vigie/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { waitFor } from '../support/wait.js';

const log = pino({ level: process.env.VIGIE_TEST_LOG ?? 'silent' });
const newId = createIdGenerator();

function result(checkId = 'fs'): Result {
  return {
    id: newId(),
    checkId,
    type: 'filesystem',
    category: 'performance',
    status: 'ok',
    metrics: { 'used_percent@/': 42 },
    message: 'fine',
    observedAt: new Date().toISOString(),
    durationMs: 1,
  };
}

type Frame = { v: number; type: string; code?: string; batchId?: string; stream?: { highWater: number } };

/** A raw socket that records frames; `next(type)` waits for the next frame of a type. */
async function raw(url: string, token: string) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const frames: Frame[] = [];
  let closed: { code: number } | undefined;
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Frame));
  ws.on('close', (code) => {
    closed = { code };
  });
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    send: (msg: object) => ws.send(JSON.stringify(msg)),
    take: async (type: string) => {
      const f = await waitFor(`a ${type} frame`, () => frames.find((x) => x.type === type));
      frames.splice(frames.indexOf(f), 1);
      return f;
    },
    closed: () => waitFor('the socket to close', () => closed),
    close: () => ws.close(),
    terminate: () => ws.terminate(),
  };
}

const agentHello = (host: string) => ({ host, environment: 'production', application: 'shop', version: 't' });

describe('ingest protocol versions and sessions', () => {
  let collector: Collector;
  let url: string;
  let base: string;
  let apiKey: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-proto-'));
    const config = loadCollectorConfig(undefined, {
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0 },
      ingest: { heartbeat: '2s' },
    });
    collector = await buildCollector(config, { log });
    base = await collector.listen();
    url = `${base.replace('http', 'ws')}/ingest`;
    await addTenant(collector.store.db, 'acme', 'ACME', new Date());
    apiKey = (
      await createApiKey(collector.store.db, { id: newId(), tenantId: null, name: 'test', now: new Date() })
    ).key;
  });

  afterAll(async () => {
    await collector.close();
  });

  const token = async () =>
    (await createAgentToken(collector.store.db, { id: newId(), tenantId: 'acme', now: new Date() })).token;

  /** How many checks of the host the API shows. */
  async function resultsOf(host: string): Promise<number> {
    const agents = (await (
      await fetch(`${base}/api/agents`, { headers: { authorization: `Bearer ${apiKey}` } })
    ).json()) as Array<{ host: string; checks: unknown[] }>;
    return agents.find((a) => a.host === host)?.checks.length ?? 0;
  }

  it('serves a protocol 1 agent as released: welcome, acks and replays in version 1', async () => {
    const s = await raw(url, await token());
    s.send({ v: 1, type: 'hello', agent: agentHello('v1-host') });
    expect(await s.take('welcome')).toMatchObject({ v: 1 });
    const batch = { v: 1, type: 'results', batchId: 'b1', results: [result('a'), result('b')] };
    s.send(batch);
    expect(await s.take('ack')).toEqual({ v: 1, type: 'ack', batchId: 'b1', accepted: 2, duplicates: 0 });
    s.send(batch);
    expect(await s.take('ack')).toEqual({ v: 1, type: 'ack', batchId: 'b1', accepted: 0, duplicates: 2 });
    expect(await resultsOf('v1-host')).toBe(2);
    s.close();
  });

  it('tells a reconnecting protocol 2 agent how far its stream was handled', async () => {
    const t = await token();
    const epoch = 'epoch-0123456789';
    const s = await raw(url, t);
    s.send({
      v: 2,
      type: 'hello',
      agent: agentHello('v2-host'),
      stream: { epoch },
      sentAt: new Date().toISOString(),
    });
    expect(await s.take('welcome')).toMatchObject({ v: 2, stream: { epoch, highWater: 0 } });
    const results = [1, 2, 3].map((seq) => ({ ...result(`c${seq}`), seq }));
    s.send({ v: 2, type: 'results', batchId: 'b2', sentAt: new Date().toISOString(), results });
    await s.take('ack');
    s.terminate(); // as if the ack had been lost with the connection
    const again = await raw(url, t);
    again.send({
      v: 2,
      type: 'hello',
      agent: agentHello('v2-host'),
      stream: { epoch },
      sentAt: new Date().toISOString(),
    });
    expect((await again.take('welcome')).stream?.highWater).toBe(3);
    again.close();
  });

  it('measures an agent clock that runs an hour ahead and shows it in the API', async () => {
    const s = await raw(url, await token());
    const ahead = (ms: number) => new Date(Date.now() + 3_600_000 + ms).toISOString();
    s.send({
      v: 2,
      type: 'hello',
      agent: agentHello('skewed'),
      stream: { epoch: 'epoch-skewed01' },
      sentAt: ahead(0),
    });
    await s.take('welcome');
    s.send({
      v: 2,
      type: 'results',
      batchId: 'b3',
      sentAt: ahead(0),
      results: [{ ...result(), observedAt: ahead(-500), seq: 1 }],
    });
    await s.take('ack');
    s.close();
    const agent = await waitFor('the skew in the API', async () => {
      const agents = (await (
        await fetch(`${base}/api/agents`, { headers: { authorization: `Bearer ${apiKey}` } })
      ).json()) as Array<{
        host: string;
        clockSkewMs: number | null;
        protocol: number | null;
        checks: Array<{ observedAt: string }>;
      }>;
      const a = agents.find((x) => x.host === 'skewed');
      return a && a.checks.length > 0 ? a : undefined;
    });
    expect(agent.protocol).toBe(2);
    expect(Math.abs((agent.clockSkewMs ?? 0) - 3_600_000)).toBeLessThan(5000);
    // Stored on the collector's clock: half a second before it was received, not an hour ahead.
    expect(Math.abs(Date.parse(agent.checks[0]?.observedAt ?? '') - Date.now())).toBeLessThan(60_000);
  });

  it('answers a frame without a version before hello with 4005, as documented', async () => {
    const s = await raw(url, await token());
    s.send({ type: 'results', batchId: 'b', results: [] });
    expect((await s.take('error')).code).toBe('hello_required');
    expect((await s.closed()).code).toBe(4005);
  });

  it('replaces the first session of a host with the second, counting each result once', async () => {
    const t = await token();
    const clients: Array<{ client: CollectorClient; outbox: MemoryOutbox }> = [];
    const closes: number[] = [];
    for (let i = 0; i < 2; i++) {
      const outbox = new MemoryOutbox(1000);
      const client = new CollectorClient(
        {
          url,
          token: t,
          agent: { host: 'twice', environment: 'production', application: 'shop', version: 't' },
          batchSize: 10,
          reconnectMinMs: 3000,
          reconnectMaxMs: 6000,
          heartbeatMs: 2000,
        },
        outbox,
        log,
      );
      clients.push({ client, outbox });
    }
    const [first, second] = clients as [(typeof clients)[0], (typeof clients)[0]];
    const counted = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/^vigie_ingest_results_total (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await counted();
    first.client.start();
    await waitFor('the first agent to connect', () => first.client.isReady());
    // Watch the first agent's socket for the close the second session causes.
    const ws = (first.client as unknown as { ws: WebSocket }).ws;
    ws.on('close', (code) => closes.push(code));
    for (let i = 0; i < 5; i++) first.outbox.push({ kind: 'result', result: result(`first-${i}`) });
    await waitFor('the first agent to be acked', () => first.outbox.size() === 0);
    second.client.start();
    await waitFor('the first session to be replaced', () => closes.length > 0);
    expect(closes[0]).toBe(4006);
    for (let i = 0; i < 5; i++) second.outbox.push({ kind: 'result', result: result(`second-${i}`) });
    await waitFor(
      'the second agent to be acked',
      () => second.outbox.size() === 0 && second.client.isReady(),
    );
    await first.client.stop();
    await second.client.stop();
    await waitFor('every check written', async () => (await resultsOf('twice')) === 10);
    expect((await counted()) - before).toBe(10);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/vigie_ingest_errors_total\{code="session_replaced"\} \d+/);
    // The process's memory, split: resident, the main thread's heap (used within total), outside the heap.
    const gauge = (name: string) =>
      Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
    const used = gauge('vigie_process_heap_used_bytes');
    expect(used).toBeGreaterThan(1_000_000);
    expect(gauge('vigie_process_heap_total_bytes')).toBeGreaterThanOrEqual(used);
    expect(gauge('vigie_process_resident_memory_bytes')).toBeGreaterThan(used);
    expect(gauge('vigie_process_external_memory_bytes')).toBeGreaterThan(0);
  });
});

describe('the new agent and a collector that speaks only protocol 1', () => {
  it('falls back to protocol 1 when version 2 is refused at hello, and delivers', async () => {
    // A collector of the released protocol: this peer answers exactly as the version 1 collector did (its
    // decoder accepted only v: 1, with the same error frame and close code); building the old release
    // itself here would need a second install of the whole workspace.
    const server = createServer();
    const wss = new WebSocketServer({ server });
    const hellos: number[] = [];
    const acked: string[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as {
          v: number;
          type: string;
          batchId?: string;
          results?: Result[];
        };
        if (msg.v !== 1) {
          ws.send(
            JSON.stringify({
              v: 1,
              type: 'error',
              code: 'unsupported_version',
              message: `/v: protocol version ${msg.v} is not supported (supported: 1)`,
            }),
          );
          ws.close(4001, 'unsupported_version');
          return;
        }
        const decoded = decodeAgentMessage(data.toString());
        if (!decoded.ok) {
          ws.close(4002, decoded.error.slice(0, 100));
          return;
        }
        if (msg.type === 'hello') {
          hellos.push(msg.v);
          ws.send(
            JSON.stringify({
              v: 1,
              type: 'welcome',
              sessionId: 's',
              tenant: 'acme',
              limits: { maxBatch: 100, maxFrameBytes: 1 << 20 },
              heartbeatMs: 30000,
            }),
          );
        } else if (msg.type === 'results') {
          for (const r of msg.results ?? []) acked.push(r.id);
          ws.send(
            JSON.stringify({
              v: 1,
              type: 'ack',
              batchId: msg.batchId,
              accepted: msg.results?.length ?? 0,
              duplicates: 0,
            }),
          );
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const outbox = new MemoryOutbox(100);
    const client = new CollectorClient(
      {
        url: `ws://127.0.0.1:${port}/ingest`,
        token: 'vga_test',
        agent: { host: 'old-collector', environment: 'production', application: 'shop', version: 't' },
        batchSize: 10,
        reconnectMinMs: 20,
        reconnectMaxMs: 100,
        heartbeatMs: 5000,
      },
      outbox,
      log,
    );
    const r1 = result('x');
    outbox.push({ kind: 'result', result: r1 });
    client.start();
    await waitFor('the result to be acked by the old collector', () => outbox.size() === 0);
    expect(client.protocolVersion()).toBe(1);
    expect(hellos).toEqual([1]);
    expect(acked).toEqual([r1.id]);
    await client.stop();
    wss.close();
    server.close();
  });
});
