// The ingest endpoint under bad input, over real sockets: refused credentials, malformed, oversized and
// unknown-version frames, a metrics store that refuses writes; and a well-behaved agent alongside that keeps
// delivering through all of it.

import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
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
  revokeAgentToken,
} from '@vigie/collector';
import { createIdGenerator, type Result } from '@vigie/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../support/wait.js';

const log = pino({ level: process.env.VIGIE_TEST_LOG ?? 'silent' });
const newId = createIdGenerator();

function result(checkId = 'fs', status: Result['status'] = 'ok'): Result {
  return {
    id: newId(),
    checkId,
    type: 'filesystem',
    category: 'performance',
    status,
    metrics: { 'used_percent@/': 42 },
    message: 'fine',
    observedAt: new Date().toISOString(),
    durationMs: 1,
  };
}

interface Closed {
  code: number;
  reason: string;
  frames: Array<{ type: string; code?: string; message?: string }>;
}

/** Opens a raw socket with a token, sends frames, and resolves with what the collector said and the close. */
function rawSession(
  url: string,
  token: string,
  frames: Array<string | Buffer>,
  opts: { maxPayload?: number } = {},
): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}` },
      maxPayload: opts.maxPayload,
    });
    const got: Closed['frames'] = [];
    ws.on('open', () => {
      for (const f of frames) ws.send(f);
    });
    ws.on('message', (d) => got.push(JSON.parse(d.toString()) as Closed['frames'][number]));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), frames: got }));
    ws.on('error', (err) => {
      if (ws.readyState !== WebSocket.CLOSED && ws.readyState !== WebSocket.CLOSING) reject(err);
    });
    setTimeout(() => ws.terminate(), 10_000).unref();
  });
}

/** The HTTP status and body with which the handshake was refused. */
function refusedHandshake(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error('handshake unexpectedly accepted')));
    ws.on('error', () => {});
  });
}

const hello = (host: string) =>
  JSON.stringify({
    v: 1,
    type: 'hello',
    agent: { host, environment: 'production', application: 'shop', version: 't' },
  });

describe('ingest gateway under bad input', () => {
  let collector: Collector;
  let url: string;
  let base: string;
  let token: string;
  let hostBoundToken: string;
  let revoked: string;
  let apiKey: string;
  let good: CollectorClient;
  let goodOutbox: MemoryOutbox;
  let sent = 0;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-gw-'));
    const config = loadCollectorConfig(undefined, {
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0 },
      ingest: { maxFrameBytes: 64 * 1024, maxBatch: 50, heartbeat: '2s' },
    });
    collector = await buildCollector(config, { log });
    base = await collector.listen();
    url = `${base.replace('http', 'ws')}/ingest`;
    const db = collector.store.db;
    const now = new Date();
    await addTenant(db, 'acme', 'ACME', now);
    await addTenant(db, 'globex', 'Globex', now);
    token = (await createAgentToken(db, { id: newId(), tenantId: 'acme', now })).token;
    hostBoundToken = (await createAgentToken(db, { id: newId(), tenantId: 'globex', host: 'globex-db', now }))
      .token;
    const r = await createAgentToken(db, { id: newId(), tenantId: 'acme', now });
    await revokeAgentToken(db, r.id, now);
    revoked = r.token;
    apiKey = (await createApiKey(db, { id: newId(), tenantId: null, name: 'test', now })).key;

    goodOutbox = new MemoryOutbox(10_000);
    good = new CollectorClient(
      {
        url,
        token,
        agent: { host: 'good-agent', environment: 'production', application: 'shop', version: 't' },
        batchSize: 20,
        reconnectMinMs: 50,
        reconnectMaxMs: 500,
        heartbeatMs: 2000,
      },
      goodOutbox,
      log,
    );
    good.start();
  });

  afterAll(async () => {
    await good.stop();
    await collector.close();
  });

  /** A new token: each is bound to the host of its first hello, so each raw session gets its own. */
  async function freshToken(): Promise<string> {
    return (await createAgentToken(collector.store.db, { id: newId(), tenantId: 'acme', now: new Date() }))
      .token;
  }

  /** The good agent sends one more result; resolves when the collector has acked it. */
  async function goodAgentStillDelivers(): Promise<void> {
    goodOutbox.push({ kind: 'result', result: result('heartbeat-check') });
    sent++;
    await waitFor(
      'the good agent to be acked',
      () => goodOutbox.size() === 0 && good.stats.resultsAcked >= sent,
    );
  }

  it('refuses missing, unknown and revoked tokens at the handshake, saying why', async () => {
    const none = await refusedHandshake(url, {});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toEqual({ error: 'missing_token', message: 'no Authorization header' });
    const wrong = await refusedHandshake(url, { authorization: 'Bearer vga_not-a-real-token' });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).error).toBe('unknown_token');
    const rev = await refusedHandshake(url, { authorization: `Bearer ${revoked}` });
    expect(rev.status).toBe(403);
    expect(JSON.parse(rev.body).message).toMatch(/revoked/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('vigie_auth_failures_total{reason="revoked_token"} 1');
    await goodAgentStillDelivers();
  });

  it('answers malformed JSON, unknown versions and frames before hello with an error frame and a close code', async () => {
    const bad = await rawSession(url, await freshToken(), [hello('raw-1'), '{not json']);
    expect(bad.code).toBe(4002);
    expect(bad.frames.at(-1)).toMatchObject({ type: 'error', code: 'malformed_json' });

    const v99 = await rawSession(url, token, [JSON.stringify({ v: 99, type: 'hello' })]);
    expect(v99.code).toBe(4001);
    expect(v99.frames[0]?.message).toContain('protocol version 99 is not supported');

    const early = await rawSession(url, token, [
      JSON.stringify({ v: 1, type: 'results', batchId: 'b', results: [result()] }),
    ]);
    expect(early.code).toBe(4005);
    expect(early.frames[0]?.code).toBe('hello_required');

    const invalid = await rawSession(url, await freshToken(), [
      hello('raw-2'),
      JSON.stringify({ v: 1, type: 'results', batchId: 'b', results: {} }),
    ]);
    expect(invalid.code).toBe(4002);
    expect(invalid.frames.at(-1)?.message).toContain('/results');
    await goodAgentStillDelivers();
  });

  it('asks for a full drift snapshot when a delta arrives without its base', async () => {
    const delta = JSON.stringify({
      v: 1,
      type: 'drift.snapshot',
      snapshotId: 'snap-2',
      checkId: 'fingerprint',
      takenAt: new Date().toISOString(),
      full: false,
      baseSnapshotId: 'snap-1',
      items: { 'os.kernel': '6.1.0' },
      removed: [],
    });
    const s = await rawSession(url, await freshToken(), [hello('drift-1'), delta]);
    expect(s.frames.map((f) => f.type)).toEqual(['welcome', 'ack', 'snapshot.request']);
    expect(s.frames[2]?.message ?? (s.frames[2] as unknown as { reason: string }).reason).toContain('snap-1');
  });

  it('closes an oversized frame with 1009 and a batch over the limit with 1008', async () => {
    const huge = await rawSession(url, await freshToken(), [hello('raw-3'), Buffer.alloc(100 * 1024, 'a')]);
    expect(huge.code).toBe(1009);
    const many = Array.from({ length: 51 }, () => result());
    const big = await rawSession(url, await freshToken(), [
      hello('raw-4'),
      JSON.stringify({ v: 1, type: 'results', batchId: 'b', results: many }),
    ]);
    expect(big.code).toBe(1008);
    expect(big.frames.at(-1)).toMatchObject({ code: 'batch_too_large' });
    await goodAgentStillDelivers();
  });

  it('takes the tenant from the token: a host-bound token cannot report for another host', async () => {
    // The good agent's token was bound to "good-agent" at its first hello.
    const sticky = await rawSession(url, token, [hello('impostor')]);
    expect(sticky.code).toBe(1008);
    expect(sticky.frames[0]?.message).toContain('may only report for host "good-agent"');
    const other = await rawSession(url, hostBoundToken, [hello('acme-web-01')]);
    expect(other.code).toBe(1008);
    expect(other.frames[0]).toMatchObject({ code: 'host_mismatch' });
    const res = await fetch(`${base}/api/agents`, { headers: { authorization: `Bearer ${apiKey}` } });
    const agents = (await res.json()) as Array<{ tenant: string; host: string }>;
    expect(agents.find((a) => a.host === 'acme-web-01')).toBeUndefined();
    expect(agents.find((a) => a.host === 'good-agent')?.tenant).toBe('acme');
  });

  it('survives upgrades reset by the peer, on its path and on others (a client gone mid-refusal)', async () => {
    const { port } = new URL(base);
    const upgradeThenReset = (path: string, afterAnswer: boolean) =>
      new Promise<void>((resolve, reject) => {
        const s = connect(Number(port), '127.0.0.1', () => {
          s.write(
            `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n` +
              `Authorization: Bearer not-a-token\r\n\r\n`,
          );
          if (!afterAnswer) s.resetAndDestroy();
        });
        // The answer read, the client resets instead of closing: the collector's socket gets ECONNRESET.
        s.once('data', () => s.resetAndDestroy());
        s.on('close', () => resolve());
        s.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
      });
    for (let i = 0; i < 20; i++)
      await Promise.all([
        upgradeThenReset('/not-ingest', true),
        upgradeThenReset('/not-ingest', false),
        upgradeThenReset('/ingest', true),
        upgradeThenReset('/ingest', false),
      ]);
    await goodAgentStillDelivers();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('survives a burst of random garbage from many sockets', async () => {
    const tokens = await Promise.all(Array.from({ length: 30 }, () => freshToken()));
    const garbage = tokens.map((t, i) =>
      rawSession(url, t, [
        hello(`noise-${i}`),
        Buffer.from(Array.from({ length: 200 }, () => Math.floor(Math.random() * 256))),
      ]),
    );
    const closes = await Promise.all(garbage);
    for (const c of closes) expect([4002, 1007]).toContain(c.code);
    await goodAgentStillDelivers();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('a metrics store that is unavailable', () => {
  let influx: Server;
  let refuse = true;
  let lines: string[] = [];
  let port = 0;

  beforeAll(async () => {
    // A real HTTP server speaking the InfluxDB 1.x /write contract: unavailable (503, as a proxy in front of a
    // restarting InfluxDB answers) until told otherwise. A 400 would mean bad data: see bad-input.test.ts.
    influx = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        if (refuse) {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'service unavailable' }));
          return;
        }
        lines.push(...body.split('\n').filter(Boolean));
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((r) => influx.listen(0, '127.0.0.1', () => r()));
    port = (influx.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((r) => influx.close(r));
  });

  async function stack(spoolMaxBytes: number, batchSize = 10) {
    refuse = true;
    lines = [];
    const collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: mkdtempSync(join(tmpdir(), 'vigie-gw2-')),
        listen: { host: '127.0.0.1', port: 0 },
        metrics: { kind: 'influx-v1', url: `http://127.0.0.1:${port}`, database: 'vigie', timeout: '2s' },
        spool: { maxBytes: spoolMaxBytes, retryMax: '200ms' },
      }),
      { log },
    );
    await collector.listen();
    const db = collector.store.db;
    await addTenant(db, 'acme', 'ACME', new Date());
    const { token } = await createAgentToken(db, { id: newId(), tenantId: 'acme', now: new Date() });
    const outbox = new MemoryOutbox(100);
    const client = new CollectorClient(
      {
        url: `ws://127.0.0.1:${(collector.app.server.address() as { port: number }).port}/ingest`,
        token,
        agent: { host: 'web-01', environment: 'production', application: 'shop', version: 't' },
        batchSize,
        reconnectMinMs: 50,
        reconnectMaxMs: 200,
        heartbeatMs: 5000,
      },
      outbox,
      log,
    );
    client.start();
    return { collector, client, outbox };
  }

  it('spools the points on disk, acks, and writes them once the store is back', async () => {
    const { collector, client, outbox } = await stack(1024 * 1024);
    try {
      outbox.push({ kind: 'result', result: result('fs', 'critical') });
      outbox.push({ kind: 'result', result: result('fs', 'critical') });
      await waitFor('the batch to be acked while the store refuses', () => outbox.size() === 0);
      expect(client.stats.errorsReceived).toBe(0);
      // Two results: a filesystem and a vigie_check point each, plus the ticket they opened (vigie_ticket_event).
      await waitFor(
        'the ticket event to be spooled too',
        () => collector.telemetry.registry.value('vigie_spool_points_total') === 5,
      );
      expect(lines).toHaveLength(0);
      refuse = false;
      await waitFor(
        'the spool to drain',
        () => collector.telemetry.registry.value('vigie_spool_drained_points_total') === 5,
      );
      // Two results, each one filesystem point (instance /) and one vigie_check point, written once, in order.
      expect(lines.filter((l) => /^(filesystem|vigie_check),/.test(l))).toHaveLength(4);
      expect(lines.filter((l) => l.startsWith('vigie_ticket_event,'))).toHaveLength(1);
      expect(lines[0]).toMatch(/^filesystem,/);
    } finally {
      await client.stop();
      await collector.close();
    }
  });

  it('when the spool is full: does not ack, tells the agent why, and the agent delivers after recovery', async () => {
    // Room for a few batches of points (about 400 bytes each) in the spool, not six.
    const { collector, client, outbox } = await stack(1024, 1);
    try {
      for (let i = 0; i < 6; i++) outbox.push({ kind: 'result', result: result('fs', 'critical') });
      await waitFor('the collector to report the refused write', () => client.stats.errorsReceived >= 2);
      expect(outbox.size()).toBeGreaterThanOrEqual(1);
      expect(collector.sinkBacklog().bytes).toBeLessThanOrEqual(1024);
      expect(collector.telemetry.registry.value('vigie_sink_write_failures_total')).toBeGreaterThanOrEqual(2);
      refuse = false;
      await waitFor('delivery after recovery', () => outbox.size() === 0);
      // Every result's points arrive once (the ticket's own event point is best effort, so not counted here).
      const count = (m: string) => lines.filter((l) => l.startsWith(`${m},`)).length;
      await waitFor('the spool to drain', () => count('vigie_check') === 6 && count('filesystem') === 6);
      expect(count('vigie_check')).toBe(6);
    } finally {
      await client.stop();
      await collector.close();
    }
  });
});
