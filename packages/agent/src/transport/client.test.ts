// The agent always comes back (issue 15), against a real HTTP server on a real socket: whatever answers the
// WebSocket upgrade (503 from a proxy during an upgrade, 401 for a revoked credential, 404, 502, a socket
// closed mid-handshake), the agent tries again after its backoff, keeps its outbox, and delivers once a
// collector accepts it.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createIdGenerator, type Result } from '@vigie/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { MemoryOutbox } from '../outbox/outbox.js';
import { CollectorClient } from './client.js';

const newId = createIdGenerator();
const result = (): Result => ({
  id: newId(),
  checkId: 'fs',
  type: 'filesystem',
  category: 'performance',
  status: 'ok',
  metrics: { 'used_percent@/': 3 },
  message: 'ok',
  observedAt: new Date().toISOString(),
  durationMs: 1,
});

type Answer =
  | { status: number; body: string; type?: string }
  | 'accept'
  | 'hang-up'
  | ((req: IncomingMessage, socket: Duplex) => void);

/** The collector's side of the protocol, as far as the agent needs: welcome after hello, ack every batch. */
function speakCollector(ws: WebSocket, received: Result[]): void {
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; batchId?: string; results?: Result[] };
    if (m.type === 'hello') {
      ws.send(
        JSON.stringify({
          v: 1,
          type: 'welcome',
          sessionId: 's',
          tenant: 'acme',
          limits: { maxBatch: 100, maxFrameBytes: 1 << 20 },
          heartbeatMs: 30_000,
        }),
      );
    } else if (m.type === 'results') {
      received.push(...(m.results ?? []));
      const accepted = m.results?.length ?? 0;
      ws.send(JSON.stringify({ v: 1, type: 'ack', batchId: m.batchId, accepted, duplicates: 0 }));
    }
  });
}

/** An HTTP server answering each upgrade with the next answer; the last one repeats. Accepts like a collector. */
async function collectorLike(answers: Answer[]) {
  const wss = new WebSocketServer({ noServer: true });
  const upgrades: Array<{ at: number; authorization: string | undefined }> = [];
  const received: Result[] = [];
  const server: Server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => {
    // The agent ends refused attempts with a reset: an upgrade's socket has no 'error' listener of its own.
    socket.on('error', () => {});
    upgrades.push({ at: Date.now(), authorization: req.headers.authorization });
    const answer = answers[Math.min(upgrades.length, answers.length) - 1] as Answer;
    if (typeof answer === 'function') return answer(req, socket);
    if (answer === 'hang-up') return socket.destroy();
    if (answer !== 'accept') {
      const type = answer.type ?? 'application/json';
      socket.end(
        `HTTP/1.1 ${answer.status} X\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(answer.body)}\r\nConnection: close\r\n\r\n${answer.body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => speakCollector(ws, received));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
  return {
    url,
    upgrades,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function capturedLog() {
  const lines: Array<{ level: number; msg: string; status?: number; reason?: string; retryInMs?: number }> =
    [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, lines };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function until(what: string, cond: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function agent(url: string, outbox: MemoryOutbox, log: pino.Logger, random = Math.random) {
  const client = new CollectorClient(
    {
      url,
      token: 'vga_test_token',
      agent: { host: 'web-01', environment: 'production', application: 'shop', version: 't' },
      batchSize: 10,
      reconnectMinMs: 40,
      reconnectMaxMs: 200,
      heartbeatMs: 30_000,
      random,
    },
    outbox,
    log,
  );
  cleanups.push(() => client.stop());
  return client;
}

describe('the agent always comes back', () => {
  it('503, then 401, then 101: keeps its outbox throughout and delivers', async () => {
    const server = await collectorLike([
      {
        status: 503,
        body: '<html><body>503 Service Unavailable (upgrade in progress)</body></html>',
        type: 'text/html',
      },
      {
        status: 401,
        body: JSON.stringify({ error: 'revoked_token', message: 'agent token t-1 was revoked' }),
      },
      'accept',
    ]);
    cleanups.push(server.close);
    const outbox = new MemoryOutbox(100);
    const results = [result(), result(), result()];
    for (const r of results) outbox.push({ kind: 'result', result: r });
    const { log, lines } = capturedLog();
    const client = agent(server.url, outbox, log);
    client.start();
    await until('the results to be delivered', () => outbox.size() === 0);
    expect(server.received.map((r) => r.id)).toEqual(results.map((r) => r.id));
    expect(server.upgrades).toHaveLength(3);
    expect(client.stats).toMatchObject({ attempts: 3, refusals: 2, connects: 1, resultsAcked: 3 });
    const refused = lines.filter((l) => l.status !== undefined);
    expect(refused.map((l) => [l.level, l.status, l.reason])).toEqual([
      [40, 503, '<html><body>503 Service Unavailable (upgrade in progress)</body></html>'],
      [50, 401, 'revoked_token: agent token t-1 was revoked'],
    ]);
  });

  it('a refused credential is logged with its reason at every attempt, at the slow end of the backoff', async () => {
    const server = await collectorLike([
      { status: 403, body: JSON.stringify({ error: 'host_mismatch', message: 'token bound to web-02' }) },
    ]);
    cleanups.push(server.close);
    const outbox = new MemoryOutbox(100);
    outbox.push({ kind: 'result', result: result() });
    const { log, lines } = capturedLog();
    // The largest jitter draw: each delay is the backoff's ceiling (200 ms), from the first retry on.
    const client = agent(server.url, outbox, log, () => 0.999);
    client.start();
    await until('four refused attempts', () => server.upgrades.length >= 4);
    await client.stop();
    const errors = lines.filter((l) => l.level === 50);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    for (const e of errors) {
      expect(e.reason).toBe('host_mismatch: token bound to web-02');
      expect(e.retryInMs).toBe(199);
    }
    const gaps = server.upgrades.slice(1).map((u, i) => u.at - (server.upgrades[i]?.at ?? 0));
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(190);
    expect(outbox.size()).toBe(1);
  });

  it('404, 502, a hang-up and a closed port all go through the same backoff, then it delivers', async () => {
    const server = await collectorLike([
      { status: 404, body: 'no such path' },
      { status: 502, body: 'Bad Gateway', type: 'text/plain' },
      'hang-up',
      'accept',
    ]);
    cleanups.push(server.close);
    const outbox = new MemoryOutbox(100);
    outbox.push({ kind: 'result', result: result() });
    const { log, lines } = capturedLog();
    const client = agent(server.url, outbox, log);
    client.start();
    await until('delivery', () => outbox.size() === 0);
    expect(server.upgrades).toHaveLength(4);
    expect(lines.filter((l) => l.status !== undefined).map((l) => l.status)).toEqual([404, 502]);
    expect(lines.some((l) => l.msg === 'disconnected from collector')).toBe(true);

    // The collector goes away entirely (connection refused), then comes back on the same port.
    const port = Number(new URL(server.url).port);
    await server.close();
    outbox.push({ kind: 'result', result: result() });
    await until(
      'a few refused connections',
      () => lines.filter((l) => l.msg === 'connection error').length >= 2,
    );
    const again = await collectorLikeOn(port);
    cleanups.push(again.close);
    await until('delivery after the collector is back', () => outbox.size() === 0);
    expect(again.received).toHaveLength(1);
  });
});

/** A collector accepting on a given port (the one the agent knows). */
async function collectorLikeOn(port: number) {
  const s = await collectorLike(['accept']);
  await s.close();
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  const received: Result[] = [];
  wss.on('connection', (ws) => speakCollector(ws, received));
  await new Promise<void>((r) => wss.on('listening', () => r()));
  return {
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}
