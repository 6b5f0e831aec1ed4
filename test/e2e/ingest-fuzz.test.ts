// Property-based fuzzing of the ingest endpoint (fast-check): whatever frames a client sends after its hello,
// the collector answers with an error frame or a close code, stays up, and a well-behaved agent connected
// alongside keeps delivering. Then 10,000 valid-shaped batches with hostile content (metric names and values,
// timestamps, huge and nested fields): each is answered (acked with what cannot be stored left out and named,
// or refused by its batch id), while a good agent of another tenant delivers throughout. VIGIE_FUZZ_RUNS
// changes the count (e.g. 100000 for a longer hunt).
import { mkdtempSync } from 'node:fs';
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
import { createIdGenerator, type Result, tagTextPattern } from '@vigie/shared';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../support/wait.js';

const log = pino({ level: 'silent' });
const newId = createIdGenerator();

const validResult = (): Result => ({
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

/** A well-behaved agent, started, delivering what is pushed to its outbox. */
function goodAgent(url: string, token: string, host: string, outbox: MemoryOutbox): CollectorClient {
  const client = new CollectorClient(
    {
      url,
      token,
      agent: { host, environment: 'production', application: 'shop', version: 't' },
      batchSize: 10,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      heartbeatMs: 5000,
    },
    outbox,
    log,
  );
  client.start();
  return client;
}

/** Frames that look like protocol messages with one part wrong, plus raw noise. */
const frame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.json({ maxDepth: 4 }),
  fc
    .record({
      v: fc.oneof(fc.constant(1), fc.integer(), fc.string(), fc.constant(null)),
      type: fc.oneof(fc.constantFrom('results', 'hello', 'drift.snapshot', 'event', 'ack'), fc.string()),
      batchId: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()),
      results: fc.oneof(
        fc.array(fc.anything({ maxDepth: 3 }), { maxLength: 5 }),
        fc.array(
          fc.record({
            id: fc.oneof(fc.uuid(), fc.string()),
            checkId: fc.string({ maxLength: 120 }),
            type: fc.string({ maxLength: 70 }),
            category: fc.oneof(fc.constantFrom('security', 'backup', 'performance', 'drift'), fc.string()),
            status: fc.oneof(fc.constantFrom('ok', 'warning', 'critical', 'unknown'), fc.string()),
            metrics: fc.dictionary(fc.string({ maxLength: 30 }), fc.oneof(fc.double(), fc.string())),
            message: fc.string({ maxLength: 100 }),
            observedAt: fc.oneof(
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              fc.string(),
            ),
            durationMs: fc.oneof(fc.double(), fc.integer({ min: -5, max: 5 })),
          }),
          { maxLength: 3 },
        ),
      ),
    })
    .map((o) => JSON.stringify(o)),
);

describe('ingest endpoint under fuzzing', () => {
  let collector: Collector;
  let url: string;
  let token: string;
  let good: CollectorClient;
  const outbox = new MemoryOutbox(10_000);

  beforeAll(async () => {
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: mkdtempSync(join(tmpdir(), 'vigie-fuzz-')),
        listen: { host: '127.0.0.1', port: 0 },
      }),
      { log },
    );
    url = `${(await collector.listen()).replace('http', 'ws')}/ingest`;
    await addTenant(collector.store.db, 'acme', 'ACME', new Date());
    token = (await createAgentToken(collector.store.db, { id: newId(), tenantId: 'acme', now: new Date() }))
      .token;
    const goodToken = (
      await createAgentToken(collector.store.db, { id: newId(), tenantId: 'acme', now: new Date() })
    ).token;
    good = goodAgent(url, goodToken, 'good', outbox);
  });

  afterAll(async () => {
    await good.stop();
    await collector.close();
  });

  it('never crashes, always says why, and keeps serving the good agent', async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), async (frames) => {
        const outcome = await new Promise<{ code: number; errors: number; acks: number }>((resolve) => {
          const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
          let errors = 0;
          let acks = 0;
          ws.on('open', () => {
            ws.send(
              JSON.stringify({
                v: 1,
                type: 'hello',
                agent: { host: 'fuzzer', environment: 'staging', application: 'x', version: 'f' },
              }),
            );
            for (const f of frames) ws.send(f);
            // A frame that happened to be valid is acked and the socket stays open: close it ourselves.
            setTimeout(() => ws.close(1000), 300);
          });
          ws.on('message', (d) => {
            const m = JSON.parse(d.toString()) as { type: string };
            if (m.type === 'error') errors++;
            if (m.type === 'ack') acks++;
          });
          ws.on('close', (code) => resolve({ code, errors, acks }));
          ws.on('error', () => {});
        });
        // Either the collector refused with a reason (error frame + close code), or every frame was valid.
        expect([1000, 1002, 1007, 1008, 1009, 4001, 4002, 4005]).toContain(outcome.code);
        if (outcome.code !== 1000)
          expect(outcome.errors + (outcome.code === 1007 || outcome.code === 1009 ? 1 : 0)).toBeGreaterThan(
            0,
          );
        outbox.push({ kind: 'result', result: validResult() });
        sent++;
      }),
      { numRuns: 120 },
    );
    await waitFor(
      'the good agent to have everything acked',
      () => outbox.size() === 0 && good.stats.resultsAcked === sent,
    );
    expect((await fetch(url.replace('ws', 'http').replace('/ingest', '/healthz'))).status).toBe(200);
  }, 120_000);
});

// ---- valid-shaped batches after a valid hello ----

/** Deeply nested and odd JSON (cheaper to generate than fc.anything, which would dominate the run time). */
const nested = fc.oneof(
  fc.constantFrom(
    { a: { b: { c: { d: { e: [1, [2, [3, [4]]]] } } } } },
    [[[[[[[[[[{}]]]]]]]]]],
    { __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } },
    { toString: 'x', valueOf: 1 },
  ),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), {
    maxKeys: 3,
  }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), { maxLength: 4 }),
);

/** Metric names a hostile or buggy agent could send: valid ones, and every way to be wrong. */
const metricName = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.]{0,20}$/),
        fc.option(fc.stringMatching(new RegExp(tagTextPattern(20)))),
      )
      .map(([field, instance]) => (instance === null ? field : `${field}@${instance}`)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      '@x',
      'time',
      'time@/',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'a@',
      'a@b\\',
      'a@\n',
      'tab@a\tb',
      'cr@a\rb',
      'lone@\ud800',
      'emoji@😀/var',
      'bad name',
      'x'.repeat(129),
      `long@${'y'.repeat(300)}`,
      '1abc',
      'a,b=c d',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);
const metricValue = fc.oneof(
  { weight: 5, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1e308, -1e308, 1e300, 5e-324, -0, 1e21, Number.MAX_SAFE_INTEGER + 2),
  },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.constant(null).chain(() => nested) },
);
const timestamp = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null).map(() => new Date().toISOString()) },
  {
    weight: 3,
    arbitrary: fc
      .date({
        min: new Date('0001-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '9999-12-31T23:59:59.999Z',
      '0000-01-01T00:00:00Z',
      '2262-04-12T00:00:00Z',
      '1677-09-21T00:00:00Z',
      '2026-12-03T10:00:00+14:00',
      '2026-12-03T10:00:00-12:00',
      '2026-12-03T10:00:00.123456789Z',
      '2026-12-31T23:59:60Z',
      '2026-02-30T00:00:00Z',
      '2026-12-03t10:00:00z',
      '2026-12-03T10:00:00',
      'yesterday',
      '',
    ),
  },
);
const checkId = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(100), 'x'.repeat(101), '', 'a b', 'é', '../etc') },
);
const hostileResult = fc.record(
  {
    id: fc.oneof(
      { weight: 9, arbitrary: fc.constant(null).map(() => newId()) },
      { weight: 1, arbitrary: fc.string() },
    ),
    checkId,
    type: fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/) },
      { weight: 1, arbitrary: fc.constantFrom('file system', 'vigie_check', 'x'.repeat(61), 'a\\b', '') },
    ),
    category: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom('security', 'backup', 'performance', 'drift') },
      { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
    ),
    status: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom('ok', 'warning', 'critical', 'unknown') },
      { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
    ),
    metrics: fc.oneof(
      { weight: 40, arbitrary: fc.dictionary(metricName, metricValue, { maxKeys: 8 }) },
      // Huge: more metrics than a result may hold.
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 990, max: 1100 })
          .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${i}@/${i}`, i]))),
      },
    ),
    message: fc.oneof(
      { weight: 9, arbitrary: fc.string({ maxLength: 200 }) },
      { weight: 1, arbitrary: fc.constantFrom('x'.repeat(2000), 'x'.repeat(2001)) },
    ),
    observedAt: timestamp,
    durationMs: fc.oneof(fc.double({ min: 0, noNaN: true }), fc.constantFrom(-1, 1e308, 0)),
    // Nested and unexpected fields: a result that carries them is dropped, never its neighbours.
    extra: nested,
  },
  {
    requiredKeys: [
      'id',
      'checkId',
      'type',
      'category',
      'status',
      'metrics',
      'message',
      'observedAt',
      'durationMs',
    ],
  },
);

interface Answer {
  type: string;
  code?: string;
  batchId?: string;
  accepted?: number;
  duplicates?: number;
  message?: string;
}

/** A raw agent on one socket: hello once, then one batch at a time, resolving with what answered it. */
class RawAgent {
  private ws: WebSocket | undefined;
  private answers: Answer[] = [];
  private waiter: (() => void) | undefined;
  closedWith: number | undefined;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly host: string,
  ) {}

  private async open(): Promise<WebSocket> {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return this.ws;
    const ws = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.token}` } });
    this.closedWith = undefined;
    ws.on('message', (d) => {
      this.answers.push(JSON.parse(d.toString()) as Answer);
      this.waiter?.();
    });
    ws.on('close', (code) => {
      this.closedWith = code;
      this.waiter?.();
    });
    ws.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.ws = ws;
    const welcome = this.next(() => this.answers.some((a) => a.type === 'welcome'));
    ws.send(
      JSON.stringify({
        v: 1,
        type: 'hello',
        agent: { host: this.host, environment: 'staging', application: 'fuzz', version: 'f' },
      }),
    );
    await welcome;
    this.answers = [];
    return ws;
  }

  private next(done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer: ${JSON.stringify(this.answers)}`)), 10_000);
      const check = () => {
        if (done() || this.closedWith !== undefined) {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        }
      };
      this.waiter = check;
      check();
    });
  }

  /** Sends a batch; resolves with the answers up to its ack or its error, or the close. */
  async send(batch: { batchId: string }): Promise<{ answers: Answer[]; closed: number | undefined }> {
    const ws = await this.open();
    this.answers = [];
    const answered = this.next(() =>
      this.answers.some((a) => a.batchId === batch.batchId && (a.type === 'ack' || a.type === 'error')),
    );
    ws.send(JSON.stringify(batch));
    await answered;
    return { answers: this.answers, closed: this.closedWith };
  }

  close(): void {
    this.ws?.close(1000);
  }
}

describe('valid-shaped batches with hostile content, after a valid hello', () => {
  const RUNS = Number(process.env.VIGIE_FUZZ_RUNS ?? 10_000);
  let collector: Collector;
  let url: string;
  let fuzzer: RawAgent;
  let good: CollectorClient;
  let apiKey: string;
  const outbox = new MemoryOutbox(100_000);

  beforeAll(async () => {
    collector = await buildCollector(
      loadCollectorConfig(undefined, {
        dataDir: mkdtempSync(join(tmpdir(), 'vigie-fuzz-shaped-')),
        listen: { host: '127.0.0.1', port: 0 },
        // The fuzzer sends as fast as it is answered: the rate limit is not what is under test.
        ingest: { rateLimit: { resultsPerSecond: 1_000_000, burst: 1_000_000 } },
      }),
      { log },
    );
    url = `${(await collector.listen()).replace('http', 'ws')}/ingest`;
    const db = collector.store.db;
    await addTenant(db, 'hostile', 'Hostile', new Date());
    await addTenant(db, 'good', 'Good', new Date());
    const token = async (tenantId: string) =>
      (await createAgentToken(db, { id: newId(), tenantId, now: new Date() })).token;
    fuzzer = new RawAgent(url, await token('hostile'), 'fuzz-host');
    apiKey = (await createApiKey(db, { id: newId(), tenantId: null, name: 'noc', now: new Date() })).key;
    good = goodAgent(url, await token('good'), 'good-host', outbox);
  });

  afterAll(async () => {
    fuzzer.close();
    await good.stop();
    await collector.close();
  });

  it(`answers every one of ${RUNS} batches (ack, or an error naming the batch), and the good agent delivers throughout`, async () => {
    let run = 0;
    let sent = 0;
    const progress: number[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(hostileResult, { minLength: 1, maxLength: 3 }), async (results) => {
        const batch = { v: 1, type: 'results', batchId: newId(), results };
        const { answers, closed } = await fuzzer.send(batch);
        const last = answers.at(-1);
        if (closed !== undefined) {
          // Only a frame over the size limit may end the session; never a crash or a silence.
          expect(closed).toBe(1009);
        } else if (last?.type === 'ack') {
          const kept = (last.accepted ?? 0) + (last.duplicates ?? 0);
          const told = answers.find((a) => a.type === 'error' && a.code === 'invalid_result');
          // What was not kept was named to the agent, and nothing more was kept than sent.
          expect(kept).toBeLessThanOrEqual(results.length);
          if (kept < results.length) expect(told?.message).toMatch(/\/results\/\d+/);
        } else {
          expect(last).toMatchObject({ type: 'error', batchId: batch.batchId });
        }
        // The good agent of another tenant keeps a result in flight all along.
        if (++run % 50 === 0) {
          outbox.push({ kind: 'result', result: validResult() });
          sent++;
          progress.push(good.stats.resultsAcked);
        }
      }),
      { numRuns: RUNS },
    );
    await waitFor('the good agent to have everything acked', () => good.stats.resultsAcked === sent);
    // Delivering throughout, not only at the end: its acked count grew along the run.
    const quarter = Math.floor(progress.length / 4);
    expect(progress[quarter * 2] ?? 0).toBeGreaterThan(progress[quarter] ?? 0);
    expect(progress.at(-1) ?? 0).toBeGreaterThan(progress[quarter * 2] ?? 0);
    // Nothing stored from the fuzzer fails the fleet view or the health check.
    const base = url.replace('ws', 'http').replace('/ingest', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const agents = await fetch(`${base}/api/agents`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(agents.status).toBe(200);
    const hosts = (await agents.json()) as Array<{ host: string; checks: unknown[] }>;
    expect(hosts.find((h) => h.host === 'fuzz-host')?.checks.length).toBeGreaterThan(10);
    const dropped = collector.telemetry.registry.value('vigie_ingest_dropped_total', { what: 'metric' });
    expect(dropped).toBeGreaterThan(0);
  }, 120_000);
});
